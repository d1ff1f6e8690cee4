from __future__ import annotations

from celery import shared_task

from . import reconciliation, services


@shared_task(
    bind=True,
    autoretry_for=(services.TransientStripeError,),
    retry_backoff=2,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=12,
)
def send_payout_task(self, *, payout_id: int) -> None:
    services.send_payout(payout_id=payout_id)


@shared_task
def run_payouts_task() -> int:
    return services.plan_payout_run().pk


@shared_task
def resume_stuck_payouts_task() -> int:
    return services.resume_stuck_payouts()


@shared_task(bind=True, autoretry_for=(Exception,), retry_backoff=2, max_retries=8)
def process_webhook_event_task(self, *, event_id: int) -> None:
    services.process_webhook_event(event_id=event_id)


@shared_task
def bill_usage_task() -> int:
    return services.bill_all_usage()


@shared_task
def flag_late_earnings_task() -> int:
    return services.flag_late_earnings()


@shared_task
def reconcile_task() -> int:
    report = reconciliation.reconcile()
    return len(report.differences)
