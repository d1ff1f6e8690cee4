from celery import shared_task


@shared_task
def purge_idempotency_records_task() -> int:
    """Hourly: forget Idempotency-Key responses older than 24 hours."""
    from marketplace.core.api.idempotency import purge_expired

    return purge_expired()
