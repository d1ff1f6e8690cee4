"""Refunds: platform staff give a brand back part or all of a payment, and the same share of
every transfer made from it is taken back.

Stripe is never called while a row is locked: the refund is claimed (committed), made at
Stripe under a key from its own id, then booked (committed) with the reversals it needs; each
reversal is then made at Stripe under a key from its own id and booked. A crash anywhere
leaves a pending refund or reversal, which the next refund of the charge (or
`resume_refunds`) takes up under the same keys: nothing is refunded or reversed twice."""

from __future__ import annotations

import logging
from typing import Any

import stripe
from django.db import transaction
from django.db.models import F, Q, Sum

from marketplace.core import audit
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import PermissionDenied, TransitionError, ValidationFailed
from marketplace.core.money import share_out
from marketplace.core.stripe_client import get_stripe_client
from marketplace.licensing import quotes
from marketplace.licensing.models import Licence

from .. import ledger, stripe_words
from ..models import Charge, Earning, LedgerAccount, Payout, Refund, TransferReversal

logger = logging.getLogger("likeness.payments")
K = LedgerAccount.Kind
# Payouts a refund's reversal is taken from: paid, or on their way (their transfer carries the
# earning's share the refund takes back).
REVERSIBLE_PAYOUTS = frozenset({Payout.Status.PENDING, Payout.Status.SENDING, Payout.Status.PAID})


def refund_charge(*, by: Any, charge_id: int, amount: int | None = None) -> Charge:
    """Platform staff (`by`, a staff user) refund a brand: `amount` minor units, or all that
    is left. Raises PermissionDenied, TransitionError, ValidationFailed, stripe.StripeError
    (the refund is then marked failed and nothing else changed)."""
    if not getattr(by, "is_staff", False):
        raise PermissionDenied("Only platform staff refund payments.")
    for pending in Refund.objects.filter(charge_id=charge_id, status=Refund.Status.PENDING):
        _complete_refund(pending.pk)
    refund = _claim_refund(charge_id=charge_id, amount=amount, by=by)
    _complete_refund(refund.pk)
    return Charge.objects.get(pk=charge_id)


@system_entry_point
def resume_refunds() -> int:
    """Finish refunds and reversals left pending by a crash. Returns how many were pending."""
    pending = list(Refund.objects.filter(status=Refund.Status.PENDING).values_list("pk", flat=True))
    for refund_id in pending:
        _complete_refund(refund_id)
    # A reversal's refund was made at Stripe (it may have failed there since: the payee's
    # share stays taken back).
    unsent = TransferReversal.objects.filter(stripe_id="", payout__status=Payout.Status.PAID)
    for reversal_id in unsent.values_list("pk", flat=True):
        _send_reversal(reversal_id)
    return len(pending)


@system_entry_point
def refund_revoked_licence(*, licence_id: int) -> Refund | None:
    """The brand's refund for the days a revocation took from a paid licence
    (`quotes.REVOCATION_REFUND_RULE`), claimed once per licence fee and then made and booked
    as any refund. Running it again finishes what is unfinished and refunds nothing twice.
    Returns the refund, or None when there is nothing to refund."""
    licence = Licence.objects.select_related("terms").filter(pk=licence_id).first()
    if licence is None or licence.ends_early_on is None or licence.terms is None:
        return None
    terms = licence.terms
    days_lost = quotes.days_lost_to_revocation(
        start_date=terms.start_date, end_date=terms.end_date, ends_on=licence.ends_early_on
    )
    charge = Charge.objects.filter(licence=licence, kind=Charge.Kind.LICENCE_FEE).first()
    if days_lost == 0 or charge is None:
        return None
    with transaction.atomic():
        charge = Charge.objects.select_for_update().get(pk=charge.pk)
        refund = charge.refunds.filter(reason=Refund.Reason.REVOCATION).first()
        if refund is None:
            if charge.status not in {Charge.Status.PAID, Charge.Status.PARTIALLY_REFUNDED}:
                return None
            remaining = _refundable(charge)
            amount = min(
                remaining,
                quotes.revocation_refund(
                    charge.amount, days_lost=days_lost, duration_days=terms.duration_days
                ),
            )
            if amount <= 0:
                return None
            refund = Refund.objects.create(
                charge=charge, amount=amount, reason=Refund.Reason.REVOCATION, days_lost=days_lost
            )
            audit.record(
                charge,
                "payments.revocation_refund_requested",
                data={"amount": amount, "days_lost": days_lost, "licence": licence.reference},
            )
    if refund.status != Refund.Status.FAILED:
        _complete_refund(refund.pk)
    refund.refresh_from_db()
    return refund


@system_entry_point
def refund_revoked_licences() -> int:
    """Claim the refunds of licences that ended early and have none yet (a lost task's).
    Returns how many licences were looked at."""
    licence_ids = list(
        Licence.objects.filter(ends_early_on__isnull=False, charges__kind=Charge.Kind.LICENCE_FEE)
        .exclude(charges__refunds__reason=Refund.Reason.REVOCATION)
        .values_list("pk", flat=True)
    )
    for licence_id in licence_ids:
        refund_revoked_licence(licence_id=licence_id)
    return len(licence_ids)


@system_entry_point
def sync_refund(*, stripe_id: str) -> Refund | None:
    """Our copy of a refund's status at Stripe, read again from Stripe (events arrive out of
    order). A refund that failed after Stripe accepted it is booked back (`_book_failure`).
    Returns the refund, or None when it is not one of ours."""
    if not Refund.objects.filter(stripe_id=stripe_id).exists():
        return None
    made = get_stripe_client().v1.refunds.retrieve(stripe_id)
    status = made.status or ""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().filter(stripe_id=stripe_id).first()
        if refund is None or refund.stripe_status == status:
            return refund
        refund.stripe_status = status
        refund.save(update_fields=["stripe_status", "updated_at"])
        audit.record(refund.charge, "payments.refund_updated", data={"status": status})
        if status == "failed":
            _book_failure(refund, reason=getattr(made, "failure_reason", None) or "")
    return refund


def _book_failure(refund: Refund, *, reason: str) -> None:
    """Stripe could not return a refund to the card and put the money back in our balance: in
    our books it is cash again, owed to the brand (their refunds-due account) until staff
    settle it; the charge counts it no longer refunded, as Stripe does. The payees' shares
    stay taken back: the brand is still owed them. Once per refund (the refund is locked)."""
    if refund.status != Refund.Status.REFUNDED:
        return
    charge = Charge.objects.select_for_update().select_related("brand").get(pk=refund.charge_id)
    cur = charge.currency
    ledger.post(
        key=f"refund-failed:{refund.pk}",
        kind="refund_failure",
        description=f"Refund {refund.pk} of charge {charge.pk} failed at Stripe",
        licence=charge.licence,
        lines=[
            ledger.Line(ledger.account(K.CASH, cur), refund.amount),
            ledger.Line(
                ledger.account(K.BRAND_REFUNDS_DUE, cur, organisation=charge.brand),
                -refund.amount,
            ),
        ],
    )
    charge.refunded_amount -= refund.amount
    charge.status = (
        Charge.Status.PARTIALLY_REFUNDED if charge.refunded_amount else Charge.Status.PAID
    )
    charge.save(update_fields=["refunded_amount", "status", "updated_at"])
    refund.status = Refund.Status.FAILED
    refund.last_error = stripe_words.refund_failure_sentence(reason)
    refund.save(update_fields=["status", "last_error", "updated_at"])
    audit.record(
        charge, "payments.refund_failed_at_stripe", data={"amount": refund.amount, "reason": reason}
    )
    logger.warning("payments.refund_failed_at_stripe", extra={"refund_id": refund.pk})


def _refundable(charge: Charge) -> int:
    """What is left to refund of a (locked) charge. A refund under way (claimed by someone
    else just now) counts as made; so does one Stripe could not return to the card, whose
    amount is owed to the brand and settled outside Stripe (refunding it again would take the
    payees' shares back twice)."""
    counted = charge.refunds.filter(
        Q(status=Refund.Status.PENDING) | Q(status=Refund.Status.FAILED, stripe_status="failed")
    ).aggregate(s=Sum("amount"))["s"]
    return charge.amount - charge.refunded_amount - (counted or 0)


def _claim_refund(*, charge_id: int, amount: int | None, by: Any) -> Refund:
    with transaction.atomic():
        charge = Charge.objects.select_for_update().get(pk=charge_id)
        if charge.status not in {Charge.Status.PAID, Charge.Status.PARTIALLY_REFUNDED}:
            raise TransitionError("Only a paid charge can be refunded.")
        remaining = _refundable(charge)
        amount = remaining if amount is None else amount
        if amount <= 0 or amount > remaining:
            raise ValidationFailed(f"Refund between 1 and {remaining} minor units.")
        refund = Refund.objects.create(charge=charge, amount=amount, requested_by=by)
        audit.record(charge, "payments.refund_requested", actor=by, data={"amount": amount})
    return refund


def _complete_refund(refund_id: int) -> None:
    refund = Refund.objects.select_related("charge").get(pk=refund_id)
    if refund.status == Refund.Status.PENDING:
        try:
            made = get_stripe_client().v1.refunds.create(
                params={
                    "charge": refund.charge.stripe_charge_id,
                    "amount": refund.amount,
                    "metadata": {"charge_id": str(refund.charge_id), "refund_id": str(refund.pk)},
                },
                options={"idempotency_key": refund.idempotency_key},
            )
        except stripe.StripeError as exc:
            if not _transient(exc):
                Refund.objects.filter(pk=refund.pk, status=Refund.Status.PENDING).update(
                    status=Refund.Status.FAILED, last_error=str(exc)[:500]
                )
                audit.record(refund.charge, "payments.refund_failed", data={"error": str(exc)})
            raise
        _book_refund(refund.pk, stripe_id=made.id, stripe_status=made.status or "")
    unsent = refund.reversals.filter(stripe_id="", payout__status=Payout.Status.PAID)
    for reversal_id in unsent.values_list("pk", flat=True):
        _send_reversal(reversal_id)


@system_entry_point
def send_payout_reversals(*, payout_id: int) -> int:
    """Make the reversals planned against a payout while it was being sent, now that it is
    paid. Returns how many were made."""
    unsent = TransferReversal.objects.filter(
        payout_id=payout_id, payout__status=Payout.Status.PAID, stripe_id=""
    )
    made = list(unsent.values_list("pk", flat=True))
    for reversal_id in made:
        _send_reversal(reversal_id)
    return len(made)


def _transient(exc: stripe.StripeError) -> bool:
    status = getattr(exc, "http_status", None) or 0
    return isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
        status >= 500 or status == 409
    )


def _book_refund(refund_id: int, *, stripe_id: str, stripe_status: str) -> None:
    """The refund made at Stripe, in our books once: the charge, each earning's share taken
    back (planned as a reversal where its payout was paid), the ledger.

    The shares are the refund divided in the proportion of the charge's parts (each earning,
    then the platform's rest), rounded half to even on the running total: they add up exactly
    to the refund (`core.money.share_out`)."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.status != Refund.Status.PENDING:
            return
        charge = Charge.objects.select_for_update().get(pk=refund.charge_id)
        amount = refund.amount
        refunded_after = charge.refunded_amount + amount
        cur = charge.currency
        lines = [ledger.Line(ledger.account(K.CASH, cur), -amount)]
        earnings = list(
            charge.earnings.select_for_update(of=("self",))
            .select_related("payout", "talent", "organisation")
            # The model's first, then the agency's (the order the rule states).
            .order_by(F("talent_id").asc(nulls_last=True), "pk")
        )
        shares = share_out(
            amount,
            [e.amount for e in earnings] + [charge.amount - sum(e.amount for e in earnings)],
        )
        for earning, part in zip(earnings, shares, strict=False):
            share = min(part, earning.net)
            if share <= 0:
                continue
            payable = ledger.payable(cur, talent=earning.talent, organisation=earning.organisation)
            lines.append(ledger.Line(payable, share))
            earning.reversed_amount += share
            if earning.net == 0:
                earning.status = Earning.Status.REVERSED
            earning.save(update_fields=["reversed_amount", "status", "updated_at"])
            # A payout still being sent carries the earning's whole share: its reversal is
            # planned now and made once the payout is paid (`send_payout_reversals`), or
            # dropped should the payout fail (the earning then goes out net of the refund).
            if earning.payout and earning.payout.status in REVERSIBLE_PAYOUTS:
                reversal, created = TransferReversal.objects.get_or_create(
                    payout=earning.payout,
                    refund=refund,
                    defaults={"charge": charge, "amount": share},
                )
                if not created:
                    reversal.amount += share
                    reversal.save(update_fields=["amount", "updated_at"])
        platform_part = amount - sum(line.amount for line in lines[1:])
        lines.append(ledger.Line(ledger.account(K.PLATFORM_REVENUE, cur), platform_part))
        ledger.post(
            key=f"refund:{refund.pk}",
            kind="refund",
            description=f"Refund of charge {charge.pk}",
            licence=charge.licence,
            lines=[line for line in lines if line.amount],
        )
        charge.refunded_amount = refunded_after
        charge.status = (
            Charge.Status.REFUNDED
            if refunded_after == charge.amount
            else Charge.Status.PARTIALLY_REFUNDED
        )
        charge.save(update_fields=["refunded_amount", "status", "updated_at"])
        refund.status = Refund.Status.REFUNDED
        refund.stripe_id = stripe_id
        refund.stripe_status = stripe_status
        refund.save(update_fields=["status", "stripe_id", "stripe_status", "updated_at"])
        audit.record(
            charge, "payments.refunded", actor=refund.requested_by, data={"amount": amount}
        )


def _send_reversal(reversal_id: int) -> None:
    """Take the reversal's share back from its transfer at Stripe, then book it once."""
    reversal = TransferReversal.objects.select_related("payout").get(pk=reversal_id)
    if reversal.stripe_id:
        return
    made = get_stripe_client().v1.transfers.reversals.create(
        reversal.payout.transfer_id,
        params={
            "amount": reversal.amount,
            "metadata": {"charge_id": str(reversal.charge_id), "reversal_id": str(reversal.pk)},
        },
        options={"idempotency_key": reversal.idempotency_key},
    )
    with transaction.atomic():
        reversal = (
            TransferReversal.objects.select_for_update(of=("self",))
            .select_related("payout__account__talent", "payout__account__organisation", "refund")
            .get(pk=reversal_id)
        )
        if reversal.stripe_id:
            return
        reversal.stripe_id = made.id
        reversal.save(update_fields=["stripe_id", "updated_at"])
        account = reversal.payout.account
        cur = reversal.payout.currency
        payable = ledger.payable(cur, talent=account.talent, organisation=account.organisation)
        ledger.post(
            key=f"reversal:{reversal.pk}",
            kind="transfer_reversal",
            description=f"Reversal from payout {reversal.payout_id}",
            licence=reversal.refund.charge.licence if reversal.refund else None,
            lines=[
                ledger.Line(ledger.account(K.CASH, cur), reversal.amount),
                ledger.Line(payable, -reversal.amount),
            ],
        )
