"""Onboarding: the payee's Stripe Express account (a model's own, or her agency's), its
onboarding and dashboard links, and our copy of its state."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import transaction

from marketplace.accounts.models import Membership, User
from marketplace.core import audit
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import PermissionDenied
from marketplace.core.stripe_client import get_stripe_client
from marketplace.talent.models import Talent

from ..models import ConnectedAccount
from ..rules import require_manage_payouts

Payee = dict[str, Any]  # {"talent": Talent} or {"organisation": Organisation}


def _site(path: str) -> str:
    return settings.SITE_URL + path


def _payee_for(by: Membership | User) -> Payee:
    """Whose payouts `by` manages: a membership its agency's (owners and finance only), a
    user her own as a model. Raises PermissionDenied."""
    if isinstance(by, Membership):
        require_manage_payouts(by)
        return {"organisation": by.organisation}
    talent = Talent.objects.filter(user=by).select_related("agency").first()
    if talent is None:
        raise PermissionDenied("Only a model and her agency's owners and finance have payouts.")
    return {"talent": talent}


def ensure_connected_account(*, by: Membership | User) -> ConnectedAccount:
    """The Stripe Express account of the payee `by` manages, created once. Raises
    PermissionDenied."""
    owner = _payee_for(by)
    existing = ConnectedAccount.objects.filter(**owner).first()
    if existing:
        return existing
    talent = owner.get("talent")
    if talent is not None:
        key, email, country = (
            f"likeness-acct-talent-{talent.pk}",
            talent.email,
            talent.agency.country,
        )
    else:
        organisation = owner["organisation"]
        key, email, country = f"likeness-acct-org-{organisation.pk}", None, organisation.country
    # No row is locked while Stripe is asked: the key makes a second request answer the same
    # account, and the unique stripe_id lets only one row be written for it.
    acct = get_stripe_client().v1.accounts.create(
        params={
            "type": "express",
            "country": country,
            **({"email": email} if email else {}),
            "capabilities": {"transfers": {"requested": True}},
            "metadata": {"likeness_owner": key},
        },
        options={"idempotency_key": key},
    )
    with transaction.atomic():
        account, created = ConnectedAccount.objects.get_or_create(stripe_id=acct.id, defaults=owner)
        if created:
            _apply_account(account, acct)
    return account


def _apply_account(account: ConnectedAccount, acct: Any) -> None:
    requirements = getattr(acct, "requirements", None)

    def listed(name: str) -> list[str]:
        return list(getattr(requirements, name, None) or []) if requirements else []

    due = list(dict.fromkeys(listed("past_due") + listed("currently_due")))
    account.charges_enabled = bool(acct.charges_enabled)
    account.payouts_enabled = bool(acct.payouts_enabled)
    account.details_submitted = bool(acct.details_submitted)
    account.requirements_due = due
    account.requirements_eventually_due = [f for f in listed("eventually_due") if f not in due]
    account.disabled_reason = (getattr(requirements, "disabled_reason", None) or "")[:100]
    account.save()


def onboarding_link(*, by: Membership | User, return_path: str) -> str:
    """Where `by` sets up (or goes on setting up) the payee's account at Stripe. Creates the
    account the first time. Raises PermissionDenied."""
    account = ensure_connected_account(by=by)
    link = get_stripe_client().v1.account_links.create(
        params={
            "account": account.stripe_id,
            "type": "account_onboarding",
            "return_url": _site(return_path),
            "refresh_url": _site(return_path + "?refresh=1"),
        }
    )
    return link.url


def dashboard_link(*, by: Membership | User) -> str:
    """A one-time link to the payee's Stripe Express dashboard, for those who may set payouts
    up. Raises PermissionDenied, ConnectedAccount.DoesNotExist (no account yet)."""
    account = ConnectedAccount.objects.get(**_payee_for(by))
    return get_stripe_client().v1.accounts.login_links.create(account.stripe_id).url


@system_entry_point
def sync_account(*, stripe_id: str) -> ConnectedAccount | None:
    """Refresh our copy from Stripe (not from the event body: events arrive out of order).

    Stripe is asked before the row is locked; the row is locked only to write."""
    if not ConnectedAccount.objects.filter(stripe_id=stripe_id).exists():
        return None
    acct = get_stripe_client().v1.accounts.retrieve(stripe_id)
    with transaction.atomic():
        account = ConnectedAccount.objects.select_for_update().filter(stripe_id=stripe_id).first()
        if account is None:
            return None
        was_ready = account.ready
        _apply_account(account, acct)
        if account.ready and not was_ready:
            audit.record(account, "payments.account_ready")
    return account
