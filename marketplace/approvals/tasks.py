from celery import shared_task

from . import services


@shared_task
def lapse_overdue_proofs_task() -> int:
    return services.lapse_overdue_proofs()
