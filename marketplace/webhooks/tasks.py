from celery import shared_task

from . import services


@shared_task
def deliver_webhook_task(*, delivery_id: int) -> str | None:
    """One attempt; a failed one schedules the next after the retry delay."""
    outcome = services.deliver(delivery_id=delivery_id)
    if outcome is None:
        return None
    if outcome.retry_in is not None:
        deliver_webhook_task.apply_async(
            kwargs={"delivery_id": delivery_id}, countdown=outcome.retry_in
        )
    return outcome.status
