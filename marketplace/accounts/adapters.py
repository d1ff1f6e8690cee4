from allauth.account.adapter import DefaultAccountAdapter
from django.http import HttpRequest


class InvitationOnlyAccountAdapter(DefaultAccountAdapter):
    """Accounts come from invitations (see accounts.services.accept_invitation)."""

    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False
