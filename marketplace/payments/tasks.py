from __future__ import annotations

from celery import shared_task

from . import reconciliation
from .services import payouts, refunds, stripe_events, usage


@shared_task(bind=True, max_retries=12, ignore_result=True)
def send_payout_task(self, *, payout_id: int) -> None:
    try:
        payouts.send_payout(payout_id=payout_id)
    except payouts.TransientStripeError as exc:
        raise self.retry(exc=exc, countdown=exc.countdown(self.request.retries)) from exc


@shared_task(ignore_result=True)
def notify_payees_task(*, run_id: int) -> int:
    return payouts.notify_payees(run_id=run_id)


@shared_task
def run_payouts_task() -> int:
    return payouts.plan_payout_run().pk


@shared_task
def resume_stuck_payouts_task() -> int:
    return payouts.resume_stuck_payouts()


@shared_task
def settle_sending_payouts_task() -> int:
    return payouts.settle_sending_payouts()


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=2, max_retries=8)
def send_payout_reversals_task(self, *, payout_id: int) -> int:
    return refunds.send_payout_reversals(payout_id=payout_id)


@shared_task
def resume_refunds_task() -> int:
    return refunds.resume_refunds()


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=2, max_retries=8)
def process_webhook_event_task(self, *, event_id: int) -> None:
    stripe_events.process_webhook_event(event_id=event_id)


@shared_task
def bill_usage_task() -> int:
    return usage.bill_all_usage()


@shared_task
def flag_late_earnings_task() -> int:
    return payouts.flag_late_earnings()


@shared_task
def reconcile_task() -> int:
    report = reconciliation.reconcile()
    return len(report.differences)


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=2, max_retries=8)
def refund_revoked_licence_task(self, *, licence_id: int) -> None:
    refunds.refund_revoked_licence(licence_id=licence_id)


@shared_task
def refund_revoked_licences_task() -> int:
    return refunds.refund_revoked_licences()
