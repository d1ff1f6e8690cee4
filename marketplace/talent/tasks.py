from celery import shared_task

from . import services


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=3)
def process_twin_image_task(*, image_id: int) -> None:
    services.process_twin_image(image_id=image_id)
