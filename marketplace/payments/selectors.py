"""Scoped reads for payments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import QuerySet, Sum

from marketplace.accounts.models import Organisation
from marketplace.licensing.models import Licence
from marketplace.talent.models import Talent

from . import requirements
from .models import (
    BankPayout,
    Charge,
    ConnectedAccount,
    LedgerAccount,
    LedgerEntry,
    Payout,
    PayoutRun,
    Refund,
    RefusedUse,
    UsageReport,
)


def brand_charges(brand: Organisation) -> QuerySet[Charge]:
    return Charge.objects.for_brand(brand).select_related("licence").order_by("-created_at")


def unbilled_usage(brand: Organisation) -> list[dict[str, object]]:
    return list(
        UsageReport.objects.for_brand(brand)
        .filter(charge__isnull=True)
        .values("currency")
        .annotate(total=Sum("fee"))
        .order_by("currency")
    )


def use_picture(viewer: Any, name: str) -> str:
    """The name of a use's stored picture, for a party to its licence (the brand, the agency,
    the model: `Licence.objects.visible_to`) or platform staff. Raises
    UsageReport.DoesNotExist for everyone else, exactly as for a missing picture."""
    if not name or not viewer.is_authenticated:
        raise UsageReport.DoesNotExist
    uses = UsageReport.objects.filter(image=name)
    if not viewer.user.is_staff:
        uses = uses.filter(licence__in=Licence.objects.visible_to(viewer).values("pk"))
    if not uses.exists():
        raise UsageReport.DoesNotExist
    return name


def licence_uses(licence: Licence) -> QuerySet[UsageReport]:
    return licence.usage_reports.order_by("-used_on", "-id")


def refused_uses(viewer: Any) -> QuerySet[RefusedUse]:
    """The refused attempts the viewer may see: a brand its own, an agency those on its
    licences, a model those on hers (newest first); nobody else any."""
    return RefusedUse.objects.visible_to(viewer).select_related("licence__twin", "brand")


def licence_refusals(viewer: Any, licence: Licence) -> QuerySet[RefusedUse]:
    """The refused attempts on one licence, as far as the viewer may see them."""
    return refused_uses(viewer).filter(licence=licence)


def connected_account_for(
    *, talent: Talent | None = None, organisation: Organisation | None = None
) -> ConnectedAccount | None:
    if talent is not None:
        return ConnectedAccount.objects.for_talent(talent).first()
    return ConnectedAccount.objects.for_organisation(organisation).first()


def payouts_for(account: ConnectedAccount | None) -> QuerySet[Payout]:
    if account is None:
        return Payout.objects.none()
    return Payout.objects.filter(account=account).order_by("-created_at")


def bank_payouts_for(account: ConnectedAccount | None) -> QuerySet[BankPayout]:
    """Stripe's payouts of the payee's Stripe balance to their bank, newest first."""
    if account is None:
        return BankPayout.objects.none()
    return BankPayout.objects.filter(account=account).order_by("-created_at")


def run_progress(run: PayoutRun) -> dict[str, int]:
    counts = dict(run.payouts.values_list("status").annotate(n=Sum(1)))
    return {"total": run.total, **{status: counts.get(status, 0) for status in Payout.Status}}


@dataclass(frozen=True)
class RevocationRefund:
    """A brand's refund for the days a revocation took from a licence, and what it took back
    from the model and the agency (their payables' entries in the refund's ledger posting)."""

    amount: int
    currency: str
    days_lost: int
    status: str  # pending | succeeded | failed
    talent_part: int
    agency_part: int
    # Why Stripe could not return it to the card, once it failed there ('' otherwise).
    failure: str = ""


def revocation_refund(licence: Licence) -> RevocationRefund | None:
    """The revocation refund of a licence its viewer may see (scoped by the caller)."""
    refund = (
        Refund.objects.filter(
            charge__licence=licence,
            charge__kind=Charge.Kind.LICENCE_FEE,
            reason=Refund.Reason.REVOCATION,
        )
        .select_related("charge")
        .first()
    )
    if refund is None:
        return None
    parts = dict(
        LedgerEntry.objects.filter(
            transaction__key=f"refund:{refund.pk}",
            account__kind__in=[
                LedgerAccount.Kind.TALENT_PAYABLE,
                LedgerAccount.Kind.AGENCY_PAYABLE,
            ],
        )
        .values_list("account__kind")
        .annotate(s=Sum("amount"))
    )
    if refund.status == Refund.Status.FAILED or refund.stripe_status in {"failed", "canceled"}:
        status = "failed"
    elif refund.succeeded:
        status = "succeeded"
    else:
        status = "pending"
    return RevocationRefund(
        amount=refund.amount,
        currency=refund.charge.currency,
        days_lost=refund.days_lost or 0,
        status=status,
        talent_part=parts.get(LedgerAccount.Kind.TALENT_PAYABLE, 0),
        agency_part=parts.get(LedgerAccount.Kind.AGENCY_PAYABLE, 0),
        failure=refund.last_error if refund.stripe_status == "failed" else "",
    )


@dataclass(frozen=True)
class AccountRequirements:
    """What Stripe still needs from a payee, in words (`payments.requirements`)."""

    paused: str
    now: list[str]
    later: list[str]


def account_requirements(account: ConnectedAccount | None) -> AccountRequirements | None:
    if account is None:
        return None
    return AccountRequirements(
        paused=requirements.disabled_sentence(account.disabled_reason),
        now=requirements.sentences_for(account.requirements_due),
        later=[
            s
            for s in requirements.sentences_for(account.requirements_eventually_due)
            if s not in requirements.sentences_for(account.requirements_due)
        ],
    )


def licence_payment_error(licence: Licence) -> str:
    """Why the brand's last attempt to pay the licence fee failed, in plain words ('' if none).
    Shown to the licence's brand only (the pay panel)."""
    return (
        Charge.objects.filter(
            licence=licence,
            kind=Charge.Kind.LICENCE_FEE,
            status__in=[Charge.Status.OPEN, Charge.Status.FAILED, Charge.Status.EXPIRED],
        )
        .values_list("payment_error", flat=True)
        .first()
        or ""
    )
