from celery import shared_task

from . import services


@shared_task
def lapse_reservations_task() -> int:
    return services.lapse_reservations()


@shared_task
def expire_licences_task() -> int:
    return services.expire_licences()


@shared_task
def remind_ending_task() -> int:
    return services.remind_ending()
