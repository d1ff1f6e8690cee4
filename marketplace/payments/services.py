"""Payments: Stripe Connect onboarding, Checkout for brands, per-use metering, payouts,
refunds and webhooks. Every Stripe call carries an idempotency key derived from our rows."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import stripe
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Q, Sum
from django.urls import reverse
from django.utils import timezone

from marketplace.accounts.models import Membership, Organisation, Role, User
from marketplace.core import audit, notify
from marketplace.core.errors import (
    DomainError,
    PermissionDenied,
    TransitionError,
    ValidationFailed,
)
from marketplace.core.stripe_client import get_stripe_client
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from marketplace.licensing.quotes import split_fee
from marketplace.talent.images import check_upload, sanitised
from marketplace.talent.models import MediaType, Talent

from . import ledger, usage_store
from .models import (
    Charge,
    ConnectedAccount,
    Earning,
    LedgerAccount,
    Payout,
    PayoutRun,
    TransferReversal,
    UsageReport,
    WebhookEvent,
)
from .ratelimit import stripe_rate_limit

logger = logging.getLogger("likeness.payments")
K = LedgerAccount.Kind
FWA_DAYS = 45
LATE_WARNING_DAYS = 5
STRIPE_KEY_RETENTION = timedelta(hours=23)  # Stripe keeps idempotency keys 24 h
# Longer than send_payout_task's longest retry backoff (10 min): a payout untouched for this
# long has lost its task.
STUCK_PAYOUT_AFTER = timedelta(minutes=15)


def _site(path: str) -> str:
    return settings.SITE_URL + path


# --- Onboarding -----------------------------------------------------------------------------


@transaction.atomic
def ensure_connected_account(
    *, talent: Talent | None = None, organisation: Organisation | None = None
) -> ConnectedAccount:
    """The payee's Stripe Express account, created once."""
    if (talent is None) == (organisation is None):
        raise ValueError("exactly one of talent or organisation")
    owner_filter: dict[str, Any] = {"talent": talent} if talent else {"organisation": organisation}
    existing = ConnectedAccount.objects.select_for_update().filter(**owner_filter).first()
    if existing:
        return existing
    key = f"likeness-acct-{'talent' if talent else 'org'}-{(talent or organisation).pk}"  # type: ignore[union-attr]
    email = talent.email if talent else None
    country = (talent.agency if talent else organisation).country  # type: ignore[union-attr]
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
    account = ConnectedAccount.objects.create(stripe_id=acct.id, **owner_filter)
    _apply_account(account, acct)
    return account


def _apply_account(account: ConnectedAccount, acct: Any) -> None:
    requirements = getattr(acct, "requirements", None)
    due = list(getattr(requirements, "currently_due", None) or []) if requirements else []
    account.charges_enabled = bool(acct.charges_enabled)
    account.payouts_enabled = bool(acct.payouts_enabled)
    account.details_submitted = bool(acct.details_submitted)
    account.requirements_due = due
    account.save()


def onboarding_link(*, account: ConnectedAccount, return_path: str) -> str:
    link = get_stripe_client().v1.account_links.create(
        params={
            "account": account.stripe_id,
            "type": "account_onboarding",
            "return_url": _site(return_path),
            "refresh_url": _site(return_path + "?refresh=1"),
        }
    )
    return link.url


def dashboard_link(*, account: ConnectedAccount) -> str:
    return get_stripe_client().v1.accounts.login_links.create(account.stripe_id).url


@transaction.atomic
def sync_account(*, stripe_id: str) -> ConnectedAccount | None:
    """Refresh our copy from Stripe (not from the event body: events arrive out of order)."""
    account = ConnectedAccount.objects.select_for_update().filter(stripe_id=stripe_id).first()
    if account is None:
        return None
    was_ready = account.ready
    _apply_account(account, get_stripe_client().v1.accounts.retrieve(stripe_id))
    if account.ready and not was_ready:
        audit.record(account, "payments.account_ready")
    return account


# --- Brand checkout -------------------------------------------------------------------------


def _can_pay(by: Membership) -> None:
    if not by.organisation.is_brand:
        raise PermissionDenied("Only brands pay.")
    if by.role not in {Role.OWNER, Role.MANAGER, Role.FINANCE}:
        raise PermissionDenied("Only owners, managers and finance can pay.")


def _new_session(charge: Charge, *, name: str, success_path: str, cancel_path: str) -> None:
    attempt = Charge.objects.filter(pk=charge.pk).values_list("updated_at", flat=True)[0]
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
    charge.checkout_session_id = session.id
    charge.checkout_url = session.url or ""
    charge.save(update_fields=["checkout_session_id", "checkout_url", "updated_at"])


@transaction.atomic
def start_licence_checkout(*, by: Membership, reference: str) -> Charge:
    """The brand pays the licence fee through Stripe Checkout. Returns the charge to pay."""
    _can_pay(by)
    licence = (
        Licence.objects.select_for_update(of=("self",))
        .for_brand(by.organisation)
        .select_related("terms", "twin")
        .get(reference=reference)
    )
    if licence.status != Licence.Status.AWAITING_PAYMENT:
        raise TransitionError("This licence is not waiting for payment.")
    terms = licence.current_terms
    charge, _ = Charge.objects.get_or_create(
        kind=Charge.Kind.LICENCE_FEE,
        licence=licence,
        defaults={"brand": licence.brand, "amount": terms.total_fee, "currency": terms.currency},
    )
    if charge.status == Charge.Status.PAID:
        return charge
    if charge.status == Charge.Status.EXPIRED or not charge.checkout_session_id:
        charge.status = Charge.Status.OPEN
        charge.save(update_fields=["status", "updated_at"])
        _new_session(
            charge,
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


def _processing_fee(payment_intent: Any) -> tuple[str, int]:
    """The Stripe charge id and Stripe's fee on it."""
    client = get_stripe_client()
    charge_id = payment_intent.latest_charge
    if not isinstance(charge_id, str):
        charge_id = charge_id.id
    stripe_charge = client.v1.charges.retrieve(
        charge_id, params={"expand": ["balance_transaction"]}
    )
    txn = stripe_charge.balance_transaction
    fee = int(getattr(txn, "fee", 0) or 0) if txn and not isinstance(txn, str) else 0
    return charge_id, fee


def complete_checkout(*, session_id: str) -> Charge | None:
    """Record a paid Checkout Session once: ledger, earnings, and the licence goes active.

    Safe to call from the webhook, the return page and a replay, in any order."""
    session = get_stripe_client().v1.checkout.sessions.retrieve(
        session_id, params={"expand": ["payment_intent"]}
    )
    if session.payment_status != "paid":
        return None
    with transaction.atomic():
        charge = (
            Charge.objects.select_for_update(of=("self",))
            .select_related("licence", "brand")
            .filter(checkout_session_id=session_id)
            .first()
        )
        if charge is None or charge.status != Charge.Status.OPEN:
            return charge
        pi: Any = session.payment_intent
        stripe_charge_id, fee = _processing_fee(pi)
        charge.status = Charge.Status.PAID
        charge.paid_at = timezone.now()
        charge.payment_intent_id = pi.id
        charge.stripe_charge_id = stripe_charge_id
        charge.processing_fee = fee
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
    transaction.on_commit(lambda: _tell_paid(charge.pk))


def _tell_paid(charge_id: int) -> None:
    charge = Charge.objects.select_related("licence").get(pk=charge_id)
    if charge.licence:
        from marketplace.licensing.notifications import tell

        tell(
            charge.licence,
            "activated" if charge.kind == Charge.Kind.LICENCE_FEE else "usage_paid",
            brand=True,
            agency=True,
            talent=True,
        )


@transaction.atomic
def expire_checkout(*, session_id: str) -> None:
    Charge.objects.filter(checkout_session_id=session_id, status=Charge.Status.OPEN).update(
        status=Charge.Status.EXPIRED, updated_at=timezone.now()
    )


# --- Usage metering -------------------------------------------------------------------------


@dataclass
class UsageInput:
    used_on: date
    media_type: str
    territory: str
    asset_reference: str
    idempotency_key: str
    image: UploadedFile | None = None


def _same_usage(report: UsageReport, data: UsageInput, licence_reference: str) -> bool:
    return (
        report.licence.reference == licence_reference
        and report.used_on == data.used_on
        and report.media_type == data.media_type
        and report.territory == data.territory.upper()
        and report.asset_reference == data.asset_reference.strip()
    )


def check_usage(
    licence: Licence,
    data: UsageInput,
    *,
    consent_revoked_at: datetime | None,
    today: date | None = None,
) -> None:
    """Is this use inside the licence, whose model revoked consent for the twin at
    `consent_revoked_at` (or never)? Raises ValidationFailed with the reason."""
    today = today or timezone.localdate()
    terms = licence.current_terms
    if licence.status != Licence.Status.ACTIVE:
        raise ValidationFailed(
            f"The licence is {licence.get_status_display().lower()}, not active.",
            code="licence_not_active",
        )
    revoked = consent_revoked_at
    if revoked and data.used_on >= timezone.localtime(revoked).date():
        raise ValidationFailed(
            f"The model revoked consent on {revoked:%Y-%m-%d}; no use from that day on is allowed.",
            code="consent_revoked",
        )
    if data.used_on > today:
        raise ValidationFailed(
            "A use cannot be reported before it happens.", field="used_on", code="future_use"
        )
    end = licence.effective_end
    if data.used_on < terms.start_date or (end and data.used_on > end):
        raise ValidationFailed(
            f"{data.used_on:%Y-%m-%d} is outside the licence window "
            f"{terms.start_date:%Y-%m-%d} – {end:%Y-%m-%d}.",
            field="used_on",
            code="outside_window",
        )
    if data.media_type not in terms.media_types:
        label = (
            MediaType(data.media_type).label
            if data.media_type in MediaType.values
            else data.media_type
        )
        raise ValidationFailed(
            f"{label} is not licensed (licensed: {', '.join(terms.media_labels())}).",
            field="media_type",
            code="media_not_licensed",
        )
    if data.territory.upper() not in terms.territories:
        raise ValidationFailed(
            f"{data.territory.upper()} is not a licensed territory ({terms.territory_label}).",
            field="territory",
            code="territory_not_licensed",
        )
    if not data.asset_reference.strip():
        raise ValidationFailed(
            "Give the asset a reference (file name, URL or DAM id).", field="asset_reference"
        )


def record_usage(*, by: Membership, reference: str, data: UsageInput) -> tuple[UsageReport, bool]:
    """The brand reports one use. Idempotent per brand-supplied key.

    Returns (report, created). Raises ValidationFailed (out of scope, with the reason),
    PermissionDenied, Licence.DoesNotExist."""
    if not by.organisation.is_brand:
        raise PermissionDenied("Only brands report uses.")
    key = data.idempotency_key.strip()
    if not key or len(key) > 120:
        raise ValidationFailed(
            "An idempotency key of 1–120 characters is required.", field="idempotency_key"
        )
    # Most reports are new, so they are recorded straight away. A key that was used before
    # shows as a refusal or a clash on the unique key (its transaction, cap increment included,
    # rolled back); only then is the earlier report looked up, and answered as it was, even if
    # the licence has moved on since (its cap reached by this very use, say).
    # (With a picture, the earlier report is asked for first: a replay stores no second file.)
    previous_id = _previous_report_id(by, key) if data.image is not None else None
    if previous_id is None:
        try:
            return _record_new_usage(by=by, reference=reference, data=data, key=key), True
        except (DomainError, IntegrityError):
            previous_id = _previous_report_id(by, key)
            if previous_id is None:
                raise
    previous = UsageReport.objects.select_related("licence").get(pk=previous_id)
    if not _same_usage(previous, data, reference):
        raise ValidationFailed(
            "This idempotency key was used for a different report.",
            code="idempotency_conflict",
            field="idempotency_key",
        )
    return previous, False


def _previous_report_id(by: Membership, key: str) -> int | None:
    return (
        UsageReport.objects.filter(brand=by.organisation, idempotency_key=key)
        .values_list("pk", flat=True)
        .first()
    )


def _record_new_usage(*, by: Membership, reference: str, data: UsageInput, key: str) -> UsageReport:
    """Check the use against the licence and store it.

    On PostgreSQL a use without a picture takes the short path: the licence is read without a
    lock, the use checked, and one statement counts, stores and audits it, on condition that
    the licence is still as read (active, same terms, same end, consent unchanged, under its
    cap). Should it have changed in between, the use is checked again under the licence's
    lock, as every use is on SQLite or with a picture."""
    if data.image is None and usage_store.stores_in_one_statement():
        licence = usage_store.read_licence(brand_id=by.organisation.pk, reference=reference)
        report = _accepted_use(by=by, licence=licence, data=data, key=key)
        if usage_store.store_use_if_unchanged(report, licence):
            return report
    return _record_new_usage_locked(by=by, reference=reference, data=data, key=key)


@transaction.atomic
def _record_new_usage_locked(
    *, by: Membership, reference: str, data: UsageInput, key: str
) -> UsageReport:
    licence = (
        Licence.objects.for_brand(by.organisation)
        .select_related("terms")
        # Of the twin, a use needs only whether its model revoked consent (a narrow row).
        .annotate(consent_revoked_at=F("twin__consent_revoked_at"))
        .select_for_update(of=("self",))
        .get(reference=reference)
    )
    report = _accepted_use(by=by, licence=licence, data=data, key=key)
    if data.image is not None:
        check_upload(data.image)
        # Stored re-encoded, never as uploaded: anything riding along in the file (an appended
        # script or archive, EXIF and GPS) is dropped, and the extension matches the content.
        clean, ext, _size = sanitised(data.image.read())
        report.image.save(f"use-{licence.pk}.{ext}", ContentFile(clean), save=False)
    return usage_store.store_use_with_orm(report)


def _accepted_use(*, by: Membership, licence: Licence, data: UsageInput, key: str) -> UsageReport:
    """The use as a report to store, its fee split, if the licence as read allows it.
    Raises ValidationFailed with the reason."""
    check_usage(licence, data, consent_revoked_at=licence.consent_revoked_at)  # type: ignore[attr-defined]
    terms = licence.current_terms
    if terms.max_uses and licence.uses_count >= terms.max_uses:
        raise ValidationFailed(
            f"The use cap is reached ({terms.max_uses} of {terms.max_uses}).",
            code="use_cap_reached",
        )
    fee = int(
        next(
            line["per_use_fee"]
            for line in terms.quote["lines"]
            if line["media_type"] == data.media_type
        )
    )
    split = split_fee(
        fee,
        platform_fee_bps=terms.quote["platform_fee_bps"],
        agency_commission_bps=terms.quote["agency_commission_bps"],
    )
    return UsageReport(
        licence=licence,
        brand=by.organisation,
        talent_id=licence.talent_id,
        reported_by=by.user,
        idempotency_key=key,
        used_on=data.used_on,
        media_type=data.media_type,
        territory=data.territory.upper(),
        asset_reference=data.asset_reference.strip()[:300],
        fee=fee,
        talent_share=split.talent_share,
        agency_share=split.agency_commission,
        currency=terms.currency,
    )


@transaction.atomic
def bill_usage(*, brand: Organisation, currency: str) -> Charge | None:
    """Gather the brand's unbilled uses in one currency into a statement to pay."""
    pending = UsageReport.objects.filter(brand=brand, currency=currency, charge__isnull=True)
    total = pending.aggregate(s=Sum("fee"))["s"] or 0
    if total <= 0:
        return None
    charge = Charge.objects.create(kind=Charge.Kind.USAGE, brand=brand, amount=0, currency=currency)
    ids = list(pending.select_for_update().values_list("pk", flat=True))
    UsageReport.objects.filter(pk__in=ids, charge__isnull=True).update(charge=charge)
    amount = UsageReport.objects.filter(charge=charge).aggregate(s=Sum("fee"))["s"] or 0
    if amount <= 0:
        charge.delete()
        return None
    charge.amount = amount
    charge.save(update_fields=["amount", "updated_at"])
    _new_session(
        charge,
        name=f"Likeness usage statement {charge.pk} ({len(ids)} uses)",
        success_path=reverse("payments:checkout_return"),
        cancel_path=reverse("payments:brand_billing"),
    )
    audit.record(
        charge,
        "payments.usage_billed",
        organisation=brand,
        data={"uses": len(ids), "amount": amount},
    )
    return charge


def bill_all_usage() -> int:
    """Periodic (monthly): one statement per brand and currency, emailed to finance."""
    count = 0
    pairs = (
        UsageReport.objects.filter(charge__isnull=True)
        .values_list("brand_id", "currency")
        .distinct()
    )
    for brand_id, currency in pairs:
        charge = bill_usage(brand=Organisation.objects.get(pk=brand_id), currency=currency)
        if charge:
            count += 1
            for email in Membership.objects.filter(
                organisation_id=brand_id, role__in=[Role.OWNER, Role.FINANCE]
            ).values_list("user__email", flat=True):
                notify.email(
                    to=[email],
                    subject="Your Likeness usage statement is ready",
                    template="payments/email/statement.txt",
                    context={"charge": charge, "url": _site(reverse("payments:brand_billing"))},
                )
    return count


# --- Payouts --------------------------------------------------------------------------------


def _payee_filter(account: ConnectedAccount) -> dict[str, Any]:
    if account.talent_id:
        return {"talent_id": account.talent_id}
    return {"organisation_id": account.organisation_id}


def plan_payout_run() -> PayoutRun:
    """Aggregate each ready payee's available earnings into one payout per currency, and
    hand each payout to the workers as soon as its claim commits. Earnings are claimed with
    SKIP LOCKED, so concurrent runs never take the same earning."""
    from .tasks import send_payout_task

    run = PayoutRun.objects.create()
    payout_ids: list[int] = []
    for account in ConnectedAccount.objects.filter(payouts_enabled=True, details_submitted=True):
        planned: list[int] = []
        with transaction.atomic():
            claimed = list(
                Earning.objects.select_for_update(skip_locked=True).filter(
                    status=Earning.Status.AVAILABLE, **_payee_filter(account)
                )
            )
            by_currency: dict[str, list[Earning]] = defaultdict(list)
            for earning in claimed:
                if earning.net > 0:
                    by_currency[earning.currency].append(earning)
            for currency, earnings in by_currency.items():
                payout = Payout.objects.create(
                    run=run, account=account, currency=currency, amount=sum(e.net for e in earnings)
                )
                Earning.objects.filter(pk__in=[e.pk for e in earnings]).update(
                    status=Earning.Status.IN_PAYOUT, payout=payout, updated_at=timezone.now()
                )
                planned.append(payout.pk)
        # Sending starts while the rest is planned; a planner that dies here leaves at most
        # this account's payouts unsent, for resume_stuck_payouts.
        for payout_id in planned:
            send_payout_task.delay(payout_id=payout_id)
        payout_ids += planned
    run.total = len(payout_ids)
    run.status = PayoutRun.Status.RUNNING if payout_ids else PayoutRun.Status.DONE
    run.finished_at = None if payout_ids else timezone.now()
    run.save()
    # The last payout may have been sent before the run left PLANNING.
    _finish_run_if_done(run.pk)
    run.refresh_from_db()
    logger.info("payouts.run_planned", extra={"run": run.pk, "payouts": len(payout_ids)})
    return run


def resume_stuck_payouts(*, older_than: timedelta = STUCK_PAYOUT_AFTER) -> int:
    """Hand payouts left pending or sending for `older_than` back to the workers, and close
    the books of runs whose planner died. Returns how many payouts were handed back.

    Their task was lost: a planner killed between a claim and its enqueue, or a broker that
    lost messages (Redis returns a killed worker's tasks only after its visibility timeout,
    and none after a restart without persistence). send_payout is idempotent, so a payout
    whose task is merely late is still sent once."""
    from .tasks import send_payout_task

    now = timezone.now()
    cutoff = now - older_than
    with transaction.atomic():
        stuck = list(
            Payout.objects.select_for_update(skip_locked=True)
            .filter(
                status__in=[Payout.Status.PENDING, Payout.Status.SENDING], updated_at__lt=cutoff
            )
            .values_list("pk", flat=True)
        )
        # Touched, so that the next sweep hands them back again only if they stay stuck.
        Payout.objects.filter(pk__in=stuck).update(updated_at=now)
    for payout_id in stuck:
        send_payout_task.delay(payout_id=payout_id)
    for run_id in PayoutRun.objects.filter(
        status=PayoutRun.Status.PLANNING, updated_at__lt=cutoff
    ).values_list("pk", flat=True):
        PayoutRun.objects.filter(pk=run_id, status=PayoutRun.Status.PLANNING).update(
            status=PayoutRun.Status.RUNNING,
            total=Payout.objects.filter(run_id=run_id).count(),
            updated_at=now,
        )
        _finish_run_if_done(run_id)
    if stuck:
        logger.warning("payouts.resumed", extra={"payouts": stuck})
    return len(stuck)


class TransientStripeError(Exception):
    """Worth retrying later (network, rate limit, Stripe 5xx)."""


def _existing_transfer(payout: Payout) -> Any | None:
    transfers = get_stripe_client().v1.transfers.list(
        params={"transfer_group": payout.transfer_group, "limit": 10}
    )
    for transfer in transfers.data:
        metadata = transfer.metadata.to_dict() if transfer.metadata else {}
        if metadata.get("payout_id") == str(payout.pk):
            return transfer
    return None


def send_payout(*, payout_id: int) -> Payout | None:
    """Make the payout's one transfer. Idempotent and safe with several workers.

    The claim is committed before Stripe is called, so a crash or a retry finds the attempt;
    the same idempotency key makes a repeated call return the same transfer. Raises
    TransientStripeError for the task to retry with backoff."""
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("account")
            .filter(pk=payout_id)
            .first()
        )
        if payout is None or payout.status in {Payout.Status.PAID, Payout.Status.FAILED}:
            return payout
        now = timezone.now()
        payout.attempts += 1
        payout.first_attempt_at = payout.first_attempt_at or now
        payout.status = Payout.Status.SENDING
        payout.save(update_fields=["attempts", "first_attempt_at", "status", "updated_at"])
    transfer = None
    if timezone.now() - payout.first_attempt_at > STRIPE_KEY_RETENTION:
        # Stripe may have forgotten our key: look before creating again.
        transfer = _existing_transfer(payout)
    try:
        if transfer is None:
            stripe_rate_limit()
            params: stripe.params.TransferCreateParams = {
                "amount": payout.amount,
                "currency": payout.currency.lower(),
                "destination": payout.account.stripe_id,
                "transfer_group": payout.transfer_group,
                "metadata": {"payout_id": str(payout.pk)},
            }
            # Earnings from one brand payment go with that charge, so the transfer may leave
            # while the charge's funds are still pending (Stripe: source_transaction).
            sources = set(payout.earnings.values_list("charge__stripe_charge_id", flat=True))
            if len(sources) == 1 and (source := sources.pop()):
                params["source_transaction"] = source
            transfer = get_stripe_client().v1.transfers.create(
                params=params, options={"idempotency_key": payout.idempotency_key}
            )
    except stripe.StripeError as exc:
        status = getattr(exc, "http_status", None) or 0
        transient = isinstance(exc, stripe.APIConnectionError | stripe.RateLimitError) or (
            status >= 500 or status == 409
        )
        if transient:
            Payout.objects.filter(pk=payout.pk).update(last_error=str(exc)[:500])
            raise TransientStripeError(str(exc)) from exc
        with transaction.atomic():
            locked = Payout.objects.select_for_update().get(pk=payout.pk)
            if locked.status != Payout.Status.PAID:
                _fail_payout(locked, str(exc))
        _finish_run_if_done(payout.run_id)
        return payout
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(of=("self",))
            .select_related("account")
            .get(pk=payout.pk)
        )
        if payout.status != Payout.Status.PAID:
            payout.status = Payout.Status.PAID
            payout.transfer_id = transfer.id
            payout.paid_at = timezone.now()
            payout.last_error = ""
            payout.save()
            payout.earnings.update(status=Earning.Status.PAID, updated_at=timezone.now())
            _book_payout(payout)
            audit.record(
                payout,
                "payments.payout_sent",
                data={"amount": payout.amount, "transfer": transfer.id},
            )
    _finish_run_if_done(payout.run_id)
    return payout


def _book_payout(payout: Payout) -> None:
    account = payout.account
    payable = ledger.payable(
        payout.currency, talent=account.talent, organisation=account.organisation
    )
    ledger.post(
        key=f"payout:{payout.pk}",
        kind="payout",
        description=f"Payout {payout.pk}",
        lines=[
            ledger.Line(payable, payout.amount),
            ledger.Line(ledger.account(K.CASH, payout.currency), -payout.amount),
        ],
    )
    owner_email = account.talent.email if account.talent is not None else None
    if owner_email:
        notify.email(
            to=[owner_email],
            subject="Likeness sent you a payout",
            template="payments/email/payout.txt",
            context={"payout": payout},
        )


def _fail_payout(payout: Payout, error: str) -> None:
    payout.status = Payout.Status.FAILED
    payout.last_error = error[:500]
    payout.save()
    # The earnings go back to the pool for the next run.
    payout.earnings.update(status=Earning.Status.AVAILABLE, payout=None, updated_at=timezone.now())
    audit.record(payout, "payments.payout_failed", data={"error": error[:500]})
    logger.warning("payments.payout_failed", extra={"payout": payout.pk, "error": error})


def _finish_run_if_done(run_id: int | None) -> None:
    if run_id is None:
        return
    open_payouts = Payout.objects.filter(
        run_id=run_id, status__in=[Payout.Status.PENDING, Payout.Status.SENDING]
    ).exists()
    if not open_payouts:
        PayoutRun.objects.filter(pk=run_id, status=PayoutRun.Status.RUNNING).update(
            status=PayoutRun.Status.DONE, finished_at=timezone.now()
        )


def flag_late_earnings(*, now: datetime | None = None) -> int:
    """Earnings not paid within 40 of the 45 days are flagged to the agency and staff."""
    now = now or timezone.now()
    late = Earning.objects.filter(
        ~Q(status=Earning.Status.PAID),
        flagged_late_at__isnull=True,
        due_by__lte=now + timedelta(days=LATE_WARNING_DAYS),
    ).select_related("licence__agency", "talent")
    flagged = 0
    for earning in late:
        updated = Earning.objects.filter(pk=earning.pk, flagged_late_at__isnull=True).update(
            flagged_late_at=now
        )
        if not updated:
            continue
        flagged += 1
        recipients = set(
            Membership.objects.filter(
                organisation=earning.licence.agency,
                role__in=[Role.OWNER, Role.MANAGER, Role.FINANCE],
            ).values_list("user__email", flat=True)
        )
        recipients |= set(User.objects.filter(is_staff=True).values_list("email", flat=True))
        for email in sorted(recipients):
            notify.email(
                to=[email],
                subject="Earnings at risk of the 45-day deadline",
                template="payments/email/late.txt",
                context={"earning": earning},
            )
    return flagged


# --- Refunds --------------------------------------------------------------------------------


@transaction.atomic
def refund_charge(*, charge_id: int, amount: int | None = None, actor: Any = None) -> Charge:
    """Refund a brand (platform staff) and take back the same share of every transfer made
    from that payment. Raises ValidationFailed."""
    charge = Charge.objects.select_for_update().get(pk=charge_id)
    if charge.status not in {Charge.Status.PAID, Charge.Status.PARTIALLY_REFUNDED}:
        raise TransitionError("Only a paid charge can be refunded.")
    remaining = charge.amount - charge.refunded_amount
    amount = remaining if amount is None else amount
    if amount <= 0 or amount > remaining:
        raise ValidationFailed(f"Refund between 1 and {remaining} minor units.")
    client = get_stripe_client()
    refunded_after = charge.refunded_amount + amount
    client.v1.refunds.create(
        params={
            "charge": charge.stripe_charge_id,
            "amount": amount,
            "metadata": {"charge_id": str(charge.pk)},
        },
        options={"idempotency_key": f"likeness-refund-{charge.pk}-{refunded_after}"},
    )
    cur = charge.currency
    lines = [ledger.Line(ledger.account(K.CASH, cur), -amount)]
    for earning in charge.earnings.select_for_update(of=("self",)).select_related(
        "payout", "talent", "organisation"
    ):
        # The same fraction of each earning as of the charge, rounded half up.
        share = min((earning.amount * amount + charge.amount // 2) // charge.amount, earning.net)
        if share <= 0:
            continue
        payable = ledger.payable(cur, talent=earning.talent, organisation=earning.organisation)
        lines.append(ledger.Line(payable, share))
        earning.reversed_amount += share
        if earning.net == 0:
            earning.status = Earning.Status.REVERSED
        earning.save(update_fields=["reversed_amount", "status", "updated_at"])
        if earning.payout and earning.payout.status == Payout.Status.PAID:
            reversal = client.v1.transfers.reversals.create(
                earning.payout.transfer_id,
                params={
                    "amount": share,
                    "metadata": {"charge_id": str(charge.pk), "earning_id": str(earning.pk)},
                },
                options={"idempotency_key": f"likeness-reversal-{earning.pk}-{refunded_after}"},
            )
            TransferReversal.objects.get_or_create(
                payout=earning.payout,
                charge=charge,
                defaults={"amount": share, "stripe_id": reversal.id},
            )
            ledger.post(
                key=f"reversal:{earning.pk}:{refunded_after}",
                kind="transfer_reversal",
                description=f"Reversal from payout {earning.payout_id}",
                licence=earning.licence,
                lines=[
                    ledger.Line(ledger.account(K.CASH, cur), share),
                    ledger.Line(payable, -share),
                ],
            )
    platform_part = amount - sum(line.amount for line in lines[1:])
    lines.append(ledger.Line(ledger.account(K.PLATFORM_REVENUE, cur), platform_part))
    ledger.post(
        key=f"refund:{charge.pk}:{refunded_after}",
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
    audit.record(charge, "payments.refunded", actor=actor, data={"amount": amount})
    return charge


# --- Webhooks -------------------------------------------------------------------------------


def receive_webhook(*, payload: bytes, signature: str) -> WebhookEvent:
    """Verify Stripe's signature (300 s tolerance) and store the event once by id.

    Raises ValueError / stripe.SignatureVerificationError for forged or stale requests."""
    event = stripe.Webhook.construct_event(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=300
    )
    stored, created = WebhookEvent.objects.get_or_create(
        stripe_id=event.id,
        defaults={
            "type": event.type,
            "account": getattr(event, "account", None) or "",
            "payload": event.to_dict(),
        },
    )
    if created:
        from .tasks import process_webhook_event_task

        transaction.on_commit(lambda: process_webhook_event_task.delay(event_id=stored.pk))
    return stored


def process_webhook_event(*, event_id: int) -> WebhookEvent | None:
    """Apply one stored event. Handlers re-read Stripe, so duplicates and any order are safe."""
    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None:
        return None
    obj = event.payload.get("data", {}).get("object", {})
    if event.type in {"checkout.session.completed", "checkout.session.async_payment_succeeded"}:
        complete_checkout(session_id=obj["id"])
    elif event.type == "checkout.session.expired":
        expire_checkout(session_id=obj["id"])
    elif event.type == "account.updated":
        sync_account(stripe_id=obj["id"])
    WebhookEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), error="")
    return event
