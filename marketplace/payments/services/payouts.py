"""Payouts: each ready payee's available earnings in one transfer per currency. A payout is
claimed (committed) before Stripe is called, under a key from its id; sweeps hand lost payouts
back to the workers, and settle those whose transfer Stripe already made."""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import stripe
from django.db import transaction
from django.db.models import Exists, OuterRef, Q
from django.urls import reverse
from django.utils import timezone

from marketplace.accounts.models import Membership, Role, User
from marketplace.core import audit, notify
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import PermissionDenied
from marketplace.core.money import format_money
from marketplace.core.stripe_client import get_stripe_client

from .. import ledger, stripe_words
from ..models import (
    BankPayout,
    Charge,
    ConnectedAccount,
    Earning,
    LedgerAccount,
    Payout,
    PayoutRun,
)
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


# Payees whose earnings are claimed in one transaction while a run is planned. One: a planner
# killed between a claim's commit and its enqueue strands one payee's payouts (until
# resume_stuck_payouts), not a batch's; the claim is set-based, so more is only a number.
PAYEES_PER_CLAIM = 1


def _charges_with_pending_funds() -> set[int]:
    """The brand payments whose funds Stripe has not made available yet (looked up once per
    run: few charges are pending at any time)."""
    return set(
        Charge.objects.filter(funds_available_at__gt=timezone.now())
        .exclude(stripe_charge_id="")
        .values_list("pk", flat=True)
    )


@system_entry_point
def plan_payout_run() -> PayoutRun:
    """Aggregate each ready payee's available earnings into one payout per currency, and
    hand each payout to the workers as soon as its claim commits. Earnings are claimed with
    SKIP LOCKED, so concurrent runs never take the same earning.

    Earnings from a charge whose funds are still pending at Stripe go in a payout of their
    own, whose transfer names that charge (source_transaction) and so may leave at once; the
    rest go together, one transfer from the available balance. What is looked up once per
    run (pending charges, source charges) is not looked up per payee."""
    from ..tasks import send_payout_task

    run = PayoutRun.objects.create()
    pending = _charges_with_pending_funds()
    stripe_ids: dict[int, str] = {}  # charge id -> Stripe charge id, for single-source payouts
    payees = list(
        ConnectedAccount.objects.filter(payouts_enabled=True, details_submitted=True)
        .order_by("pk")
        .values_list("pk", "talent_id", "organisation_id")
    )
    payout_ids: list[int] = []
    for start in range(0, len(payees), PAYEES_PER_CLAIM):
        planned = _plan_payouts(run, payees[start : start + PAYEES_PER_CLAIM], pending, stripe_ids)
        # Sending starts while the rest is planned; a planner that dies here leaves at most
        # these payouts unsent, for resume_stuck_payouts.
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


def _plan_payouts(
    run: PayoutRun,
    payees: Sequence[tuple[int, int | None, int | None]],
    pending: set[int],
    stripe_ids: dict[int, str],
) -> list[int]:
    """Claim the available earnings of `payees` (account, talent, organisation) and plan their
    payouts, in one transaction. Returns the new payouts' ids."""
    by_talent = {talent: account for account, talent, _ in payees if talent}
    by_organisation = {org: account for account, talent, org in payees if not talent and org}
    now = timezone.now()
    with transaction.atomic():
        claimed = (
            Earning.objects.select_for_update(skip_locked=True)
            .filter(
                Q(talent_id__in=by_talent) | Q(organisation_id__in=by_organisation),
                status=Earning.Status.AVAILABLE,
            )
            .order_by("pk")
            .values_list(
                "pk",
                "talent_id",
                "organisation_id",
                "charge_id",
                "currency",
                "amount",
                "reversed_amount",
            )
        )
        # (account, currency, pending charge or None) -> [(earning, charge, net)]
        groups: dict[tuple[int, str, int | None], list[tuple[int, int, int]]] = defaultdict(list)
        for pk, talent_id, organisation_id, charge_id, currency, amount, reversed_amount in claimed:
            net = amount - reversed_amount
            if net <= 0:
                continue
            account = by_talent[talent_id] if talent_id else by_organisation[organisation_id]
            source = charge_id if charge_id in pending else None
            groups[account, currency, source].append((pk, charge_id, net))
        if not groups:
            return []
        # Earnings from one brand payment go with that charge, so the transfer may leave while
        # the charge's funds are still pending (Stripe: source_transaction).
        single = {
            key: next(iter(charges))
            for key, items in groups.items()
            if len(charges := {charge for _, charge, _ in items}) == 1
        }
        unknown = set(single.values()) - stripe_ids.keys()
        if unknown:
            stripe_ids.update(
                Charge.objects.filter(pk__in=unknown).values_list("pk", "stripe_charge_id")
            )
        payouts = Payout.objects.bulk_create(
            Payout(
                run=run,
                account_id=account,
                currency=currency,
                amount=sum(net for _, _, net in items),
                source_transaction=stripe_ids.get(single[key], "") if key in single else "",
            )
            for key, items in groups.items()
            for account, currency, _source in [key]
        )
        for payout, items in zip(payouts, groups.values(), strict=True):
            Earning.objects.filter(pk__in=[pk for pk, _, _ in items]).update(
                status=Earning.Status.IN_PAYOUT, payout=payout, updated_at=now
            )
    return [payout.pk for payout in payouts]


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
    from ..tasks import notify_payees_task, send_payout_task

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
    # Runs done whose payees were not told (the message asking for it was lost).
    for run_id in PayoutRun.objects.filter(
        status=PayoutRun.Status.DONE, notified_at__isnull=True, finished_at__lt=cutoff
    ).values_list("pk", flat=True):
        notify_payees_task.delay(run_id=run_id)
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
    """Worth retrying later (network, rate limit, Stripe 5xx, a request in progress)."""

    def __init__(self, message: str, *, http_status: int = 0) -> None:
        super().__init__(message)
        self.http_status = http_status

    def countdown(self, retries: int) -> float:
        """Seconds before retry number `retries` + 1. A 409 is Stripe still answering the same
        key (a killed worker's request in progress) and a 429 our share of the rate limit:
        both clear within a second or two, so they are retried soon, not after a backoff that
        grows to minutes (and keeps the message waiting in the broker all that time). Outages
        (network, 5xx) back off exponentially, with jitter, up to RETRY_BACKOFF_MAX."""
        if self.http_status in (409, 429):
            return SHORT_RETRY_SECONDS + random.uniform(0, SHORT_RETRY_SECONDS)
        return random.uniform(0, min(RETRY_BACKOFF_MAX, 2.0 * 2**retries))


SHORT_RETRY_SECONDS = 1.0
RETRY_BACKOFF_MAX = 600


def _transient(exc: stripe.StripeError) -> TransientStripeError | None:
    status = getattr(exc, "http_status", None) or 0
    if isinstance(exc, stripe.RateLimitError):
        status = 429
    if isinstance(exc, stripe.APIConnectionError) or status >= 500 or status in (409, 429):
        return TransientStripeError(str(exc), http_status=status)
    return None


def _existing_transfer(payout: Payout) -> Any | None:
    transfers = get_stripe_client().v1.transfers.list(
        params={"transfer_group": payout.transfer_group, "limit": 10}
    )
    for transfer in transfers.data:
        metadata = transfer.metadata.to_dict() if transfer.metadata else {}
        if metadata.get("payout_id") == str(payout.pk):
            return transfer
    return None


def transfer_params(payout: Payout) -> stripe.params.TransferCreateParams:
    """The Stripe transfer that pays `payout` out."""
    params: stripe.params.TransferCreateParams = {
        "amount": payout.amount,
        "currency": payout.currency.lower(),
        "destination": payout.account.stripe_id,
        "transfer_group": payout.transfer_group,
        "metadata": {"payout_id": str(payout.pk)},
    }
    # Chosen when the run was planned: the one brand payment all the earnings come from.
    if payout.source_transaction:
        params["source_transaction"] = payout.source_transaction
    return params


@system_entry_point
def send_payout(*, payout_id: int) -> Payout | None:
    """Make the payout's one transfer. Idempotent and safe with several workers.

    The claim is committed before Stripe is called, so a crash or a retry finds the attempt;
    the same idempotency key makes a repeated call return the same transfer. Raises
    TransientStripeError for the task to retry (its `countdown` says when)."""
    with transaction.atomic():
        payout = (
            Payout.objects.select_for_update(skip_locked=True, of=("self",))
            .select_related("account")
            .filter(pk=payout_id)
            .first()
        )
        if payout is None or payout.status in Payout.FINISHED:
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
    params = transfer_params(payout)
    try:
        if transfer is None:
            stripe_rate_limit()
            transfer = get_stripe_client().v1.transfers.create(
                params=params,
                options={"idempotency_key": payout.idempotency_key},
            )
    except stripe.StripeError as exc:
        if (transient := _transient(exc)) is not None:
            Payout.objects.filter(pk=payout.pk).update(last_error=str(exc)[:500])
            raise transient from exc
        # Short of available funds, the payout waits for them; a brand payment with nothing
        # left to transfer (refunded) is a failure.
        if getattr(exc, "code", None) == "balance_insufficient" and (
            "source_transaction" not in params
        ):
            _wait_for_funds(payout, str(exc))
        else:
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
    this call recorded it (False: already paid, or, with `skip_locked`, a worker holds it).
    The payee hears of it once the run is done (`notify_payees`); a refund that came while it
    was being sent has its reversal made now."""
    from ..tasks import send_payout_reversals_task

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
        payout.save(update_fields=["status", "transfer_id", "paid_at", "last_error", "updated_at"])
        # Waits for a refund booking these earnings (it locks them), so the check below sees
        # the reversal it planned; a refund booked after this commit sends its own.
        payout.earnings.exclude(status=Earning.Status.REVERSED).update(
            status=Earning.Status.PAID, updated_at=timezone.now()
        )
        _book_payout(payout)
        audit.record(
            payout,
            "payments.payout_sent",
            data={"amount": payout.amount, "transfer": transfer.id},
        )
        if payout.reversals.filter(stripe_id="").exists():
            transaction.on_commit(lambda: send_payout_reversals_task.delay(payout_id=payout_id))
    return True


def _book_payout(payout: Payout) -> None:
    account = payout.account
    payable, cash = ledger.accounts(
        ledger.payable_key(
            payout.currency, talent_id=account.talent_id, organisation_id=account.organisation_id
        ),
        ledger.AccountKey(K.CASH, payout.currency),
    )
    ledger.post(
        key=f"payout:{payout.pk}",
        kind="payout",
        description=f"Payout {payout.pk}",
        lines=[ledger.Line(payable, payout.amount), ledger.Line(cash, -payout.amount)],
    )


@system_entry_point
def notify_payees(*, run_id: int) -> int:
    """Tell each model what a finished run paid her, once: one notice in the app and one
    e-mail per payee for the whole run, written together. Returns how many were told."""
    with transaction.atomic():
        run = (
            PayoutRun.objects.select_for_update()
            .filter(pk=run_id, status=PayoutRun.Status.DONE, notified_at__isnull=True)
            .first()
        )
        if run is None:
            return 0
        paid: dict[int | None, list[Payout]] = defaultdict(list)
        talent: dict[int | None, Any] = {}
        for payout in (
            Payout.objects.filter(run=run, status=Payout.Status.PAID, account__talent__isnull=False)
            .select_related("account__talent__user")
            .order_by("pk")
        ):
            paid[payout.account.talent_id].append(payout)
            talent[payout.account.talent_id] = payout.account.talent
        notices, emails = [], []
        for talent_id, payouts in paid.items():
            person = talent[talent_id]
            totals: dict[str, int] = defaultdict(int)
            for payout in payouts:
                totals[payout.currency] += payout.amount
            amount = " and ".join(format_money(v, c) for c, v in sorted(totals.items()))
            if person.user is not None:
                notices.append(
                    notify.Notice(
                        user=person.user,
                        title=f"Payout of {amount} sent to your bank account",
                        body=(
                            "It reaches your bank on Stripe's usual schedule; your earnings "
                            "show it paid."
                        ),
                        url=reverse("dashboards:talent"),
                    )
                )
            if person.email:
                emails.append(
                    notify.Email(
                        to=[person.email],
                        subject="Likeness sent you a payout",
                        template="payments/email/payout.txt",
                        context={"amount": amount, "payouts": payouts},
                    )
                )
        notify.in_app_each(notices)
        notify.emails(emails)
        run.notified_at = timezone.now()
        run.save(update_fields=["notified_at", "updated_at"])
    return len(paid)


def _fail_payout(payout: Payout, error: str) -> None:
    payout.status = Payout.Status.FAILED
    payout.last_error = error[:500]
    payout.save()
    # The earnings go back to the pool for the next run.
    payout.earnings.update(status=Earning.Status.AVAILABLE, payout=None, updated_at=timezone.now())
    # Nothing was transferred, so a refund's share planned to be taken back from it is not
    # (the earnings go out net of the refund). After the earnings: a refund booking them
    # has committed by now.
    payout.reversals.filter(stripe_id="").delete()
    audit.record(payout, "payments.payout_failed", data={"error": error[:500]})
    logger.warning("payments.payout_failed", extra={"payout": payout.pk, "error": error})


def _wait_for_funds(payout: Payout, error: str) -> None:
    """Stripe has not made the funds available yet. Learn when it will, for each brand payment
    whose date we do not know, so that the next run sends those earnings with their charge as
    the source_transaction; and hand the earnings back to be paid then. The retry is a new
    payout under a new key: Stripe would answer this key with the same refusal for a day."""
    charges = Charge.objects.filter(earnings__payout=payout).distinct()
    for charge in charges.filter(funds_available_at__isnull=True).exclude(stripe_charge_id=""):
        try:
            stripe_charge = get_stripe_client().v1.charges.retrieve(
                charge.stripe_charge_id, params={"expand": ["balance_transaction"]}
            )
        except stripe.StripeError:
            continue
        txn: Any = stripe_charge.balance_transaction
        if txn and not isinstance(txn, str) and txn.available_on:
            Charge.objects.filter(pk=charge.pk).update(
                funds_available_at=datetime.fromtimestamp(txn.available_on, tz=UTC)
            )
    with transaction.atomic():
        locked = Payout.objects.select_for_update().get(pk=payout.pk)
        if locked.status == Payout.Status.PAID:
            return
        locked.status = Payout.Status.WAITING
        locked.last_error = error[:500]
        locked.funds_available_at = (
            Charge.objects.filter(earnings__payout=locked)
            .order_by("-funds_available_at")
            .values_list("funds_available_at", flat=True)
            .first()
        )
        locked.save()
        locked.earnings.update(
            status=Earning.Status.AVAILABLE, payout=None, updated_at=timezone.now()
        )
        locked.reversals.filter(stripe_id="").delete()  # as in _fail_payout
        audit.record(locked, "payments.payout_waiting", data={"error": error[:500]})
    logger.info("payments.payout_waiting", extra={"payout": payout.pk})


def _finish_run_if_done(run_id: int | None) -> None:
    """Close a running run with nothing left pending or sending (one statement: of two
    payouts finishing at once, the later commit sees the other), and have its payees told."""
    from ..tasks import notify_payees_task

    if run_id is None:
        return
    unfinished = Payout.objects.filter(
        run_id=OuterRef("pk"), status__in=[Payout.Status.PENDING, Payout.Status.SENDING]
    )
    closed = (
        PayoutRun.objects.filter(pk=run_id, status=PayoutRun.Status.RUNNING)
        .exclude(Exists(unfinished))
        .update(status=PayoutRun.Status.DONE, finished_at=timezone.now())
    )
    if closed:
        # Should this message be lost, resume_stuck_payouts asks again.
        transaction.on_commit(lambda: notify_payees_task.delay(run_id=run_id))


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


@system_entry_point
def sync_bank_payout(*, account: str, payout_id: str) -> BankPayout | None:
    """Follow Stripe's payout of a payee's Stripe balance to their bank (`payout.*` events on
    the connected account), read again from Stripe. A failure is shown to the payee with the
    reason; the money is back in their Stripe balance, so nothing is owed again by us."""
    connected = ConnectedAccount.objects.filter(stripe_id=account).first()
    if connected is None:
        return None
    payout = get_stripe_client().v1.payouts.retrieve(payout_id, options={"stripe_account": account})
    failed = payout.status == "failed"
    with transaction.atomic():
        previous = (
            BankPayout.objects.select_for_update()
            .filter(stripe_id=payout.id)
            .values_list("status", flat=True)
            .first()
        )
        bank_payout, _ = BankPayout.objects.update_or_create(
            stripe_id=payout.id,
            defaults={
                "account": connected,
                "amount": payout.amount,
                "currency": payout.currency.upper(),
                "status": payout.status,
                "arrival_date": datetime.fromtimestamp(payout.arrival_date, tz=UTC)
                if payout.arrival_date
                else None,
                "failure_code": (payout.failure_code or "") if failed else "",
                "failure_reason": stripe_words.payout_failure_sentence(payout.failure_code)
                if failed
                else "",
            },
        )
        if failed and previous != BankPayout.Status.FAILED:
            audit.record(
                bank_payout,
                "payments.bank_payout_failed",
                data={"code": bank_payout.failure_code},
            )
            email = connected.talent.email if connected.talent is not None else None
            if email:
                notify.email(
                    to=[email],
                    subject="Your bank refused a payout",
                    template="payments/email/bank_payout_failed.txt",
                    context={"bank_payout": bank_payout},
                )
    return bank_payout
