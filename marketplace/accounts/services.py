"""Writes for organisations, memberships and invitations."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from marketplace.core import audit, notify
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.core.money import MAX_AGENCY_COMMISSION_BPS

from .models import (
    API_KEY_PREFIX,
    API_SCOPES,
    ApiKey,
    IdempotencyRecord,
    Invitation,
    Membership,
    Organisation,
    Role,
    User,
    hash_token,
)


@transaction.atomic
def create_organisation(
    *,
    kind: str,
    name: str,
    owner: User,
    currency: str = "EUR",
    country: str = "GB",
    commission_bps: int = 2000,
) -> Organisation:
    """Platform staff (or set-up) creates a tenant with its first owner."""
    if commission_bps > MAX_AGENCY_COMMISSION_BPS:
        raise ValidationFailed("Agency commission may not exceed 20 %.", field="commission_bps")
    organisation = Organisation.objects.create(
        kind=kind, name=name, currency=currency, country=country, commission_bps=commission_bps
    )
    Membership.objects.create(user=owner, organisation=organisation, role=Role.OWNER)
    audit.record(organisation, "organisation.created", actor=owner, organisation=organisation)
    return organisation


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: Invitation
    url: str


def _issue(
    *,
    organisation: Organisation,
    email: str,
    role: str,
    by: User | None,
    talent=None,
    crew_member=None,
) -> IssuedInvitation:
    token, token_hash = Invitation.new_token()
    invitation = Invitation.objects.create(
        organisation=organisation,
        email=email.lower(),
        role=role,
        talent=talent,
        crew_member=crew_member,
        token_hash=token_hash,
        invited_by=by,
    )
    url = settings.SITE_URL + reverse("accounts:accept_invitation", args=[token])
    notify.email(
        to=[invitation.email],
        subject=f"You're invited to Likeness by {organisation.name}",
        template="accounts/email/invitation.txt",
        context={
            "invitation": invitation,
            "url": url,
            "talent": talent,
            "crew_member": crew_member,
        },
    )
    audit.record(
        invitation,
        "invitation.sent",
        actor=by,
        organisation=organisation,
        data={
            "email": invitation.email,
            "role": role,
            "talent": bool(talent),
            "crew": bool(crew_member),
        },
    )
    return IssuedInvitation(invitation=invitation, url=url)


@transaction.atomic
def invite_member(*, by: Membership, email: str, role: str) -> IssuedInvitation:
    """An owner invites a colleague. Raises PermissionDenied, ValidationFailed."""
    if not by.is_owner:
        raise PermissionDenied("Only owners can invite members.")
    if role not in Role.values:
        raise ValidationFailed("Unknown role.", field="role")
    # The organisation's row serialises invitations to it, so two owners cannot both pass.
    Organisation.objects.select_for_update().get(pk=by.organisation_id)
    if Membership.objects.filter(organisation=by.organisation, user__email__iexact=email).exists():
        raise ValidationFailed("That person is already a member.", field="email")
    pending = Invitation.objects.for_organisation(by.organisation).pending().for_team()
    if pending.filter(email__iexact=email).exists():
        raise ValidationFailed(
            "That person already has a pending invitation: revoke it to send a new one.",
            field="email",
        )
    return _issue(organisation=by.organisation, email=email, role=role, by=by.user)


def invite_talent(*, by: Membership, talent) -> IssuedInvitation:
    """The agency invites the talent to claim their login. Called inside a service."""
    return _issue(
        organisation=by.organisation,
        email=talent.email,
        role=Role.MEMBER,
        by=by.user,
        talent=talent,
    )


def invite_crew_member(*, by: Membership, crew_member) -> IssuedInvitation:
    """The agency invites a person it credits to a login of their own. Called inside a
    service that has checked the actor and that no invitation of theirs is pending."""
    return _issue(
        organisation=by.organisation,
        email=crew_member.email,
        role=Role.MEMBER,
        by=by.user,
        crew_member=crew_member,
    )


def invitation_for_token(token: str) -> Invitation | None:
    return (
        Invitation.objects.pending()
        .select_related("organisation", "talent", "crew_member")
        .filter(token_hash=hash_token(token))
        .first()
    )


@transaction.atomic
def accept_invitation(*, token: str, full_name: str, password: str) -> User:
    """Create (or reuse) the user and attach them. Raises ValidationFailed."""
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .pending()
        .select_related("organisation", "talent", "crew_member")
        .filter(token_hash=hash_token(token))
        .first()
    )
    if invitation is None:
        raise ValidationFailed("This invitation link is invalid, used or expired.")
    user = User.objects.filter(email__iexact=invitation.email).first()
    if user is None:
        try:
            validate_password(password, User(email=invitation.email, full_name=full_name))
        except ValidationError as exc:
            raise ValidationFailed(" ".join(exc.messages), field="password") from exc
        try:
            with transaction.atomic():
                user = User.objects.create_user(
                    email=invitation.email, password=password, full_name=full_name.strip()
                )
        except IntegrityError as exc:
            raise ValidationFailed("An account with this email already exists.") from exc
    if invitation.talent is not None:
        talent = invitation.talent
        if talent.user_id and talent.user_id != user.pk:
            raise ValidationFailed("This talent profile is already claimed.")
        talent.user = user
        try:
            with transaction.atomic():
                talent.save(update_fields=["user", "updated_at"])
        except IntegrityError as exc:  # the login is another talent profile's (one each)
            raise ValidationFailed(
                "This login already belongs to a talent profile, and a login can have only "
                "one. Ask the agency that invited you to use another email address."
            ) from exc
    elif invitation.crew_member is not None:
        _claim_crew_profile(invitation.crew_member, user)
    else:
        Membership.objects.get_or_create(
            user=user, organisation=invitation.organisation, defaults={"role": invitation.role}
        )
    invitation.accepted_at = timezone.now()
    invitation.save(update_fields=["accepted_at", "updated_at"])
    audit.record(
        invitation, "invitation.accepted", actor=user, organisation=invitation.organisation
    )
    return user


def _claim_crew_profile(crew_member, user: User) -> None:
    """The rule: a login holds at most one crew profile per agency (the same person credited
    by several agencies sees all their credits under one login); a crew profile has one login.
    """
    if crew_member.user_id and crew_member.user_id != user.pk:
        raise ValidationFailed("This crew profile already has a login of its own.")
    crew_member.user = user
    try:
        with transaction.atomic():
            crew_member.save(update_fields=["user", "updated_at"])
    except IntegrityError as exc:  # the login is another crew profile of the same agency's
        raise ValidationFailed(
            "This login is already another crew profile at this agency, and a login can have "
            "only one per agency. Ask the agency that invited you to use another email address."
        ) from exc


@transaction.atomic
def revoke_invitation(*, by: Membership, invitation_id: int) -> Invitation:
    if not by.is_owner and not by.can_manage:
        raise PermissionDenied("Only owners and managers can revoke invitations.")
    invitation = (
        Invitation.objects.select_for_update()
        .for_organisation(by.organisation)
        .get(pk=invitation_id)
    )
    if invitation.accepted_at is None and invitation.revoked_at is None:
        invitation.revoked_at = timezone.now()
        invitation.save(update_fields=["revoked_at", "updated_at"])
        audit.record(invitation, "invitation.revoked", actor=by.user, organisation=by.organisation)
    return invitation


def switch_organisation(*, request, organisation_id: int) -> Organisation:
    from .tenancy import SESSION_ORG_KEY

    membership = Membership.objects.select_related("organisation").get(
        user=request.user, organisation_id=organisation_id
    )
    request.session[SESSION_ORG_KEY] = membership.organisation_id
    return membership.organisation


# --- API keys -------------------------------------------------------------------------------

API_KEY_TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedApiKey:
    api_key: ApiKey
    token: str  # shown once; only its hash is stored


@transaction.atomic
def create_api_key(*, by: Membership, name: str, scopes: list[str]) -> IssuedApiKey:
    """An owner creates a key for the organisation, with its own service user.

    Raises PermissionDenied, ValidationFailed."""
    if not by.is_owner:
        raise PermissionDenied("Only owners can create API keys.")
    name = " ".join(name.split())
    if not name or len(name) > 80:
        raise ValidationFailed("Name the key (at most 80 characters).", field="name")
    known = {scope for scope, _ in API_SCOPES}
    if not scopes or set(scopes) - known:
        raise ValidationFailed("Choose at least one known scope.", field="scopes")
    prefix = secrets.token_hex(4)
    token = f"{API_KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    service_user = User.objects.create_user(
        email=f"api-key-{prefix}@keys.likeness.invalid",
        full_name=f"API key “{name}” ({by.organisation.name})"[:150],
        is_active=False,
    )
    api_key = ApiKey.objects.create(
        organisation=by.organisation,
        name=name,
        prefix=prefix,
        key_hash=hash_token(token),
        scopes=sorted(set(scopes)),
        service_user=service_user,
        created_by=by.user,
    )
    audit.record(
        api_key,
        "api_key.created",
        actor=by.user,
        organisation=by.organisation,
        data={"prefix": prefix, "scopes": api_key.scopes},
    )
    return IssuedApiKey(api_key=api_key, token=token)


@transaction.atomic
def revoke_api_key(*, by: Membership, api_key_id: int) -> ApiKey:
    """Raises PermissionDenied, ApiKey.DoesNotExist (also for another organisation's key)."""
    if not by.is_owner:
        raise PermissionDenied("Only owners can revoke API keys.")
    api_key = (
        ApiKey.objects.select_for_update().for_organisation(by.organisation).get(pk=api_key_id)
    )
    if api_key.revoked_at is None:
        api_key.revoked_at = timezone.now()
        api_key.save(update_fields=["revoked_at"])
        audit.record(
            api_key,
            "api_key.revoked",
            actor=by.user,
            organisation=by.organisation,
            data={"prefix": api_key.prefix},
        )
    return api_key


def api_key_for_token(token: str) -> ApiKey | None:
    """The live key a bearer token stands for, or None. Notes when it was last used."""
    parts = token.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX or not parts[1] or not parts[2]:
        return None
    api_key = (
        ApiKey.objects.live()
        .select_related("organisation", "service_user")
        .filter(prefix=parts[1])
        .first()
    )
    if api_key is None or not hmac.compare_digest(api_key.key_hash, hash_token(token)):
        return None
    now = timezone.now()
    if api_key.last_used_at is None or now - api_key.last_used_at > API_KEY_TOUCH_EVERY:
        ApiKey.objects.filter(pk=api_key.pk).update(last_used_at=now)
        api_key.last_used_at = now
    return api_key


@system_entry_point
def purge_idempotency_records(*, now: datetime | None = None) -> int:
    """Periodic: forget API responses kept for `Idempotency-Key` retries once their time is
    up. Returns how many."""
    cutoff = (now or timezone.now()) - IdempotencyRecord.TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
