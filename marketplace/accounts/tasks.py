from celery import shared_task

from .services import purge_idempotency_records


@shared_task
def purge_idempotency_records_task() -> int:
    """Hourly: forget Idempotency-Key responses older than 24 hours."""
    return purge_idempotency_records()
