from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def credential_use_task(*, use_id: int) -> int | None:
    image = services.credential_use(use_id=use_id)
    return image.pk if image is not None else None
