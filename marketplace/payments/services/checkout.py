"""Brand checkout: the licence fee through Stripe Checkout, the paid session booked once
(ledger, earnings) and the licence activated. Stripe is never asked while a row is locked: a
session is claimed (committed), created under a key from the claim, then recorded."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone

from marketplace.accounts.models import Membership
from marketplace.core import audit
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import TransitionError
from marketplace.core.stripe_client import get_stripe_client
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence

from .. import ledger, stripe_words
from ..models import Charge, Earning, LedgerAccount
from ..rules import require_pay
from .onboarding import _site

K = LedgerAccount.Kind
FWA_DAYS = 45


def _claim_session(charge: Charge) -> datetime | None:
    """Under the charge's lock: the attempt a new session is created for, or None when the
    charge already has one. An expired session is forgotten and a new attempt begins; a claim
    whose session was never recorded (a crash, a concurrent click) is the same attempt again,
    so its key answers the same session."""
    if charge.status in {Charge.Status.EXPIRED, Charge.Status.FAILED}:
        charge.status = Charge.Status.OPEN
        charge.checkout_session_id = None
        charge.checkout_url = ""
        charge.save(update_fields=["status", "checkout_session_id", "checkout_url", "updated_at"])
    elif charge.checkout_session_id:
        return None
    return charge.updated_at


def _new_session(
    charge: Charge, *, attempt: datetime, name: str, success_path: str, cancel_path: str
) -> Charge:
    """Create the claimed attempt's Checkout Session (no lock held) and record it."""
    params: dict[str, Any] = {
        "mode": "payment",
        "line_items": [
            {
                "quantity": 1,
                "price_data": {
                    "currency": charge.currency.lower(),
                    "unit_amount": charge.amount,
                    "product_data": {"name": name},
                },
            }
        ],
        "success_url": _site(success_path) + "?session_id={CHECKOUT_SESSION_ID}",
        "cancel_url": _site(cancel_path),
        "client_reference_id": str(charge.pk),
        "metadata": {"charge_id": str(charge.pk), "kind": charge.kind},
        "payment_intent_data": {
            "transfer_group": charge.licence.reference if charge.licence else charge.transfer_group,
            "metadata": {"charge_id": str(charge.pk)},
        },
    }
    session = get_stripe_client().v1.checkout.sessions.create(
        params=params,  # type: ignore[arg-type]
        options={"idempotency_key": f"likeness-checkout-{charge.pk}-{attempt.timestamp()}"},
    )
    with transaction.atomic():
        Charge.objects.filter(
            pk=charge.pk, status=Charge.Status.OPEN, checkout_session_id__isnull=True
        ).update(
            checkout_session_id=session.id,
            checkout_url=session.url or "",
            updated_at=timezone.now(),
        )
    charge.refresh_from_db()
    return charge


def start_licence_checkout(*, by: Membership, reference: str) -> Charge:
    """The brand pays the licence fee through Stripe Checkout. Returns the charge to pay.
    Raises PermissionDenied, TransitionError, Licence.DoesNotExist."""
    require_pay(by)
    with transaction.atomic():
        licence = (
            Licence.objects.select_for_update(of=("self",))
            .for_brand(by.organisation)
            .select_related("terms", "twin")
            .get(reference=reference)
        )
        if licence.status != Licence.Status.AWAITING_PAYMENT:
            raise TransitionError("This licence is not waiting for payment.")
        terms = licence.current_terms
        charge, _ = Charge.objects.select_for_update().get_or_create(
            kind=Charge.Kind.LICENCE_FEE,
            licence=licence,
            defaults={
                "brand": licence.brand,
                "amount": terms.total_fee,
                "currency": terms.currency,
            },
        )
        if charge.status == Charge.Status.PAID:
            return charge
        attempt = _claim_session(charge)
    if attempt is None:
        return charge
    charge = _new_session(
        charge,
        attempt=attempt,
        name=f"Licence {licence.reference}: {licence.twin.display_name}",
        success_path=reverse("payments:checkout_return"),
        cancel_path=reverse("licensing:detail", args=[licence.reference]),
    )
    audit.record(
        licence,
        "payments.checkout_started",
        actor=by.user,
        data={"charge_id": charge.pk, "amount": charge.amount},
    )
    return charge


def _processing_fee(payment_intent: Any) -> tuple[str, int, datetime | None]:
    """The Stripe charge id, Stripe's fee on it and when its funds become available."""
    client = get_stripe_client()
    charge_id = payment_intent.latest_charge
    if not isinstance(charge_id, str):
        charge_id = charge_id.id
    stripe_charge = client.v1.charges.retrieve(
        charge_id, params={"expand": ["balance_transaction"]}
    )
    txn = stripe_charge.balance_transaction
    if not txn or isinstance(txn, str):
        return charge_id, 0, None
    available_on = getattr(txn, "available_on", None)
    when = datetime.fromtimestamp(available_on, tz=UTC) if available_on else None
    return charge_id, int(getattr(txn, "fee", 0) or 0), when


@system_entry_point
def complete_checkout(*, session_id: str) -> Charge | None:
    """Record a paid Checkout Session once: ledger, earnings, and the licence goes active
    (licensing announces it).

    Safe to call from the webhook, the return page and a replay, in any order. Stripe is read
    before the charge is locked."""
    session = get_stripe_client().v1.checkout.sessions.retrieve(
        session_id, params={"expand": ["payment_intent"]}
    )
    if session.payment_status != "paid":
        return None
    if not Charge.objects.filter(
        checkout_session_id=session_id, status=Charge.Status.OPEN
    ).exists():
        return Charge.objects.filter(checkout_session_id=session_id).first()
    pi: Any = session.payment_intent
    stripe_charge_id, fee, funds_available_at = _processing_fee(pi)
    with transaction.atomic():
        charge = (
            Charge.objects.select_for_update(of=("self",))
            .select_related("licence", "brand")
            .filter(checkout_session_id=session_id)
            .first()
        )
        if charge is None or charge.status != Charge.Status.OPEN:
            return charge
        charge.status = Charge.Status.PAID
        charge.paid_at = timezone.now()
        charge.payment_intent_id = pi.id
        charge.stripe_charge_id = stripe_charge_id
        charge.processing_fee = fee
        charge.funds_available_at = funds_available_at
        charge.payment_error = ""
        charge.save()
        _book_payment(charge)
        audit.record(
            charge.licence or charge,
            "payments.paid",
            organisation=charge.brand,
            data={"charge_id": charge.pk, "amount": charge.amount, "fee": fee},
        )
        if charge.kind == Charge.Kind.LICENCE_FEE and charge.licence:
            licensing.activate_licence(licence_id=charge.licence.pk)
    return charge


@dataclass(frozen=True)
class _Portion:
    licence: Licence
    talent_share: int
    commission: int
    platform: int


def _portions(charge: Charge) -> list[_Portion]:
    """Who gets what of a charge: the split the model consented to (licence fee), or the sum
    of the splits stored on each use when it was reported (usage)."""
    if charge.kind == Charge.Kind.LICENCE_FEE:
        licence = charge.licence
        if licence is None:
            raise ValueError(f"licence-fee charge {charge.pk} has no licence")
        split = licence.current_terms.quote["split"]
        return [
            _Portion(
                licence,
                split["talent_share"],
                split["agency_commission"],  # type: ignore[arg-type]
                split["platform_fee"],
            )
        ]
    rows = (
        charge.usage_reports.values("licence_id")
        .annotate(gross=Sum("fee"), talent=Sum("talent_share"), agency=Sum("agency_share"))
        .order_by("licence_id")
    )
    licences = Licence.objects.select_related("talent", "agency").in_bulk(
        [r["licence_id"] for r in rows]
    )
    return [
        _Portion(
            licences[r["licence_id"]],
            r["talent"],
            r["agency"],
            r["gross"] - r["talent"] - r["agency"],
        )
        for r in rows
    ]


def _book_payment(charge: Charge) -> None:
    """Ledger and earnings for a paid charge."""
    cur = charge.currency
    due = charge.paid_at + timedelta(days=FWA_DAYS)  # type: ignore[operator]
    lines = [ledger.Line(ledger.account(K.CASH, cur), charge.amount)]
    for portion in _portions(charge):
        licence = portion.licence
        talent_share, commission = portion.talent_share, portion.commission
        lines += [
            ledger.Line(
                ledger.account(K.TALENT_PAYABLE, cur, talent=licence.talent), -talent_share
            ),
            ledger.Line(
                ledger.account(K.AGENCY_PAYABLE, cur, organisation=licence.agency), -commission
            ),
            ledger.Line(ledger.account(K.PLATFORM_REVENUE, cur), -portion.platform),
        ]
        source = (
            Earning.Source.LICENCE_FEE
            if charge.kind == Charge.Kind.LICENCE_FEE
            else Earning.Source.USAGE
        )
        for payee, amount in (
            ({"talent": licence.talent}, talent_share),
            ({"organisation": licence.agency}, commission),
        ):
            if amount > 0:
                Earning.objects.get_or_create(
                    charge=charge,
                    licence=licence,
                    **payee,
                    defaults={
                        "source": source,
                        "amount": amount,
                        "currency": cur,
                        "brand_paid_at": charge.paid_at,
                        "due_by": due,
                    },
                )
    ledger.post(
        key=f"charge-paid:{charge.pk}",
        kind="brand_payment",
        description=f"{charge.get_kind_display()} paid by {charge.brand.name}",
        lines=[line for line in lines if line.amount],
        licence=charge.licence,
    )
    if charge.processing_fee:
        ledger.post(
            key=f"charge-fee:{charge.pk}",
            kind="processing_fee",
            description="Stripe processing fee",
            licence=charge.licence,
            lines=[
                ledger.Line(ledger.account(K.PROCESSING_FEES, cur), charge.processing_fee),
                ledger.Line(ledger.account(K.CASH, cur), -charge.processing_fee),
            ],
        )
    # Nothing is announced here: activating the licence announces it, once (licensing).


@system_entry_point
@transaction.atomic
def expire_checkout(*, session_id: str) -> None:
    Charge.objects.filter(checkout_session_id=session_id, status=Charge.Status.OPEN).update(
        status=Charge.Status.EXPIRED, updated_at=timezone.now()
    )


@system_entry_point
def record_payment_failure(*, payment_intent_id: str) -> Charge | None:
    """Write down, in plain words, why the brand's last attempt to pay failed (a decline, a
    failed 3-D Secure check), for the licence's pay panel. The charge stays payable.

    Stripe is read again, so a late event about a payment that has since succeeded changes
    nothing."""
    pi = get_stripe_client().v1.payment_intents.retrieve(payment_intent_id)
    charge_id = (pi.metadata.to_dict() if pi.metadata else {}).get("charge_id")
    if pi.status not in {"requires_payment_method", "canceled"} or not charge_id:
        return None
    reason = stripe_words.decline_sentence(pi.last_payment_error)
    updated = Charge.objects.filter(
        pk=charge_id, status__in=[Charge.Status.OPEN, Charge.Status.FAILED]
    ).update(payment_error=reason, updated_at=timezone.now())
    charge = Charge.objects.filter(pk=charge_id).first()
    if updated and charge is not None:
        audit.record(
            charge.licence or charge,
            "payments.payment_failed",
            organisation=charge.brand,
            data={"charge_id": charge.pk, "reason": reason},
        )
    return charge


@system_entry_point
def fail_async_checkout(*, session_id: str) -> Charge | None:
    """Checkout's asynchronous failure: the bank refused a payment the session had accepted.
    The session is spent; the charge waits for a new attempt, with the reason shown."""
    session = get_stripe_client().v1.checkout.sessions.retrieve(
        session_id, params={"expand": ["payment_intent"]}
    )
    if session.payment_status == "paid":
        return complete_checkout(session_id=session_id)
    pi: Any = session.payment_intent
    error = getattr(pi, "last_payment_error", None) if pi and not isinstance(pi, str) else None
    reason = stripe_words.decline_sentence(error) if error else stripe_words.ASYNC_FAILURE
    with transaction.atomic():
        charge = (
            Charge.objects.select_for_update(of=("self",))
            .select_related("licence", "brand")
            .filter(checkout_session_id=session_id, status=Charge.Status.OPEN)
            .first()
        )
        if charge is None:
            return Charge.objects.filter(checkout_session_id=session_id).first()
        charge.status = Charge.Status.FAILED
        charge.payment_error = reason
        charge.save(update_fields=["status", "payment_error", "updated_at"])
        audit.record(
            charge.licence or charge,
            "payments.payment_failed",
            organisation=charge.brand,
            data={"charge_id": charge.pk, "reason": reason},
        )
    return charge
