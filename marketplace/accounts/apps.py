from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class AccountsConfig(AppConfig):
    default = True  # this module holds the admin's config too
    name = "marketplace.accounts"
    label = "accounts"
    verbose_name = "Accounts and organisations"

    def ready(self) -> None:
        from allauth.mfa.signals import authenticator_added

        from .security import remember_activated_authenticator

        # allauth's only hook on a TOTP being set up: that took the app's code, so it counts
        # as this session's second factor (RequireMFAMiddleware, the admin).
        authenticator_added.connect(remember_activated_authenticator)


class StaffAdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the staff-only, two-factor admin site."""

    default = False

    default_site = "marketplace.accounts.security.StaffAdminSite"
