from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from marketplace.accounts.tenancy import TenantRequest
from marketplace.core.errors import DomainError

from . import services
from .forms import AcceptInvitationForm, ApiKeyForm, InviteMemberForm
from .models import ApiKey, Invitation, Membership, User
from .tenancy import member_required


def accept_invitation(request: TenantRequest, token: str) -> HttpResponse:
    invitation = services.invitation_for_token(token)
    if invitation is None:
        return render(request, "accounts/invitation_invalid.html", status=404)
    existing = User.objects.filter(email__iexact=invitation.email).exists()
    form = AcceptInvitationForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        if not existing and not form.cleaned_data["password"]:
            form.add_error("password", "Choose a password.")
        else:
            try:
                user = services.accept_invitation(
                    token=token,
                    full_name=form.cleaned_data["full_name"],
                    password=form.cleaned_data["password"],
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                if existing and request.user != user:
                    messages.success(request, "Invitation accepted. Sign in to continue.")
                    return redirect("account_login")
                login(request, user, backend="django.contrib.auth.backends.ModelBackend")
                messages.success(request, "Welcome to Likeness.")
                return redirect("home")
    return render(
        request,
        "accounts/accept_invitation.html",
        {"form": form, "invitation": invitation, "existing": existing},
    )


@member_required
def team(request: TenantRequest) -> HttpResponse:
    membership = request.viewer.member
    form = InviteMemberForm(request.POST or None)
    if request.method == "POST":
        if not membership.is_owner:
            raise Http404
        if form.is_valid():
            try:
                issued = services.invite_member(
                    by=membership, email=form.cleaned_data["email"], role=form.cleaned_data["role"]
                )
            except DomainError as exc:
                form.add_error(exc.field if exc.field in form.fields else None, exc.message)
            else:
                messages.success(request, f"Invitation sent to {issued.invitation.email}.")
                return redirect("accounts:team")
    org = membership.organisation
    return render(
        request,
        "accounts/team.html",
        {
            "members": Membership.objects.for_organisation(org)
            .select_related("user")
            .order_by("role", "user__email"),
            "invitations": Invitation.objects.for_organisation(org)
            .pending()
            .for_team()
            .order_by("-created_at"),
            "form": form,
        },
    )


@require_POST
@member_required(manage=True)
def revoke_invitation(request: TenantRequest, invitation_id: int) -> HttpResponse:
    try:
        services.revoke_invitation(by=request.viewer.member, invitation_id=invitation_id)
    except Invitation.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, "Invitation revoked.")
    return redirect("accounts:team")


@require_POST
@member_required
def switch_organisation(request: TenantRequest) -> HttpResponse:
    try:
        org = services.switch_organisation(
            request=request, organisation_id=int(request.POST.get("organisation", 0))
        )
    except (Membership.DoesNotExist, ValueError) as exc:
        raise Http404 from exc
    messages.success(request, f"Switched to {org.name}.")
    return redirect("home")


def _owner(request: TenantRequest) -> Membership:
    membership = request.viewer.member
    if not membership.is_owner:
        raise PermissionDenied("Only owners manage API keys.")
    return membership


@member_required
def api_keys(request: TenantRequest) -> HttpResponse:
    """Owners create and revoke the organisation's API keys. A new key is shown once, in
    the response to its creation, and never stored in the clear."""
    membership = _owner(request)
    form = ApiKeyForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.create_api_key(
                by=membership, name=form.cleaned_data["name"], scopes=form.cleaned_data["scopes"]
            )
        except DomainError as exc:
            form.add_error(exc.field if exc.field in form.fields else None, exc.message)
        else:
            form = ApiKeyForm()
    response = render(
        request,
        "accounts/api_keys.html",
        {
            "keys": ApiKey.objects.for_organisation(membership.organisation),
            "form": form,
            "issued": issued,
        },
    )
    response["Cache-Control"] = "no-store"
    return response


@require_POST
@member_required
def revoke_api_key(request: TenantRequest, api_key_id: int) -> HttpResponse:
    try:
        api_key = services.revoke_api_key(by=_owner(request), api_key_id=api_key_id)
    except ApiKey.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(request, f"API key {api_key.name} revoked.")
    return redirect("accounts:api_keys")
