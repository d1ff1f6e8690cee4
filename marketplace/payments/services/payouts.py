"""Payouts: each ready payee's available earnings in one transfer per currency. A payout is
claimed (committed) before Stripe is called, under a key from its id; sweeps hand lost payouts
back to the workers, and settle those whose transfer Stripe already made."""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import datetime, timedelta
from typing import Any

import stripe
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from marketplace.accounts.models import Membership, Role, User
from marketplace.core import audit, notify
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import PermissionDenied
from marketplace.core.stripe_client import get_stripe_client

from .. import ledger
from ..models import ConnectedAccount, Earning, LedgerAccount, Payout, PayoutRun
from ..ratelimit import stripe_rate_limit

logger = logging.getLogger("likeness.payments")
K = LedgerAccount.Kind
LATE_WARNING_DAYS = 5
STRIPE_KEY_RETENTION = timedelta(hours=23)  # Stripe keeps idempotency keys 24 h
# Longer than send_payout_task's longest retry backoff (10 min): a payout untouched for this
# long has lost its task.
STUCK_PAYOUT_AFTER = timedelta(minutes=15)
# A transfer takes Stripe well under a second: a payout claimed this long ago whose transfer
# exists was made by a worker that died before writing it down. Until it is settled the payee
# sees "Confirming with Stripe" (Payout.confirming).
CONFIRM_SENDING_AFTER = Payout.CONFIRMING_AFTER


def _payee_filter(account: ConnectedAccount) -> dict[str, Any]:
    if account.talent_id:
        return {"talent_id": account.talent_id}
    return {"organisation_id": account.organisation_id}


@system_entry_point
def plan_payout_run() -> PayoutRun:
    """Aggregate each ready payee's available earnings into one payout per currency, and
    hand each payout to the workers as soon as its claim commits. Earnings are claimed with
    SKIP LOCKED, so concurrent runs never take the same earning."""
    from ..tasks import send_payout_task

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


def start_payout_run(*, by: Any) -> PayoutRun:
    """Platform staff (`by`, a staff user) run payouts now instead of waiting for the daily
    schedule. Raises PermissionDenied for anyone else; records who started the run."""
    if not getattr(by, "is_staff", False):
        raise PermissionDenied("Only platform staff start payout runs.")
    run = plan_payout_run()
    audit.record(run, "payments.payout_run_started", actor=by, data={"payouts": run.total})
    return run


@system_entry_point
def resume_stuck_payouts(*, older_than: timedelta = STUCK_PAYOUT_AFTER) -> int:
    """Hand payouts left pending or sending for `older_than` back to the workers, and close
    the books of runs whose planner died. Returns how many payouts were handed back.

    Their task was lost: a planner killed between a claim and its enqueue, or a broker that
    lost messages (Redis returns a killed worker's tasks only after its visibility timeout,
    and none after a restart without persistence). send_payout is idempotent, so a payout
    whose task is merely late is still sent once."""
    from ..tasks import send_payout_task

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


@system_entry_point
def settle_sending_payouts(*, older_than: timedelta = CONFIRM_SENDING_AFTER) -> int:
    """Look up at Stripe, by the payout's transfer group and id, each payout claimed more than
    `older_than` ago and still sending, and record the transfer of those Stripe made (their
    worker died after Stripe answered). Returns how many were settled.

    Those without a transfer are left alone: their task may still be retrying, and
    resume_stuck_payouts hands them back once they are stuck. A payout a worker holds is
    skipped (SKIP LOCKED)."""
    cutoff = timezone.now() - older_than
    candidates = list(
        Payout.objects.filter(status=Payout.Status.SENDING, updated_at__lt=cutoff)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    settled = 0
    for payout_id in candidates:
        payout = Payout.objects.filter(pk=payout_id, status=Payout.Status.SENDING).first()
        if payout is None:
            continue
        try:
            transfer = _existing_transfer(payout)
        except stripe.StripeError as exc:
            logger.warning("payouts.settle_failed", extra={"payout": payout_id, "error": str(exc)})
            continue
        if transfer is not None and _record_transfer(payout_id, transfer, skip_locked=True):
            settled += 1
            _finish_run_if_done(payout.run_id)
    if settled:
        logger.info("payouts.settled", extra={"payouts": settled})
    return settled


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


@system_entry_point
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
            transfer = get_stripe_client().v1.transfers.create(
                params={
                    "amount": payout.amount,
                    "currency": payout.currency.lower(),
                    "destination": payout.account.stripe_id,
                    "transfer_group": payout.transfer_group,
                    "metadata": {"payout_id": str(payout.pk)},
                },
                options={"idempotency_key": payout.idempotency_key},
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
    _record_transfer(payout.pk, transfer)
    _finish_run_if_done(payout.run_id)
    payout.refresh_from_db()
    return payout


def _record_transfer(payout_id: int, transfer: Any, *, skip_locked: bool = False) -> bool:
    """Write down the payout's transfer once: paid, its earnings paid, booked. Returns whether
    this call recorded it (False: already paid, or, with `skip_locked`, a worker holds it)."""
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(of=("self",), skip_locked=skip_locked)
            .select_related("account")
            .filter(pk=payout_id)
            .first()
        )
        if payout is None or payout.status == Payout.Status.PAID:
            return False
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
    return True


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


@system_entry_point
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
