from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def credential_use_task(*, use_id: int) -> int | None:
    image = services.credential_use(use_id=use_id)
    return image.pk if image is not None else None


def credential_use_later(use_id: int) -> None:
    """A use with a picture committed: a worker signs a credentialed copy (Content
    Credentials)."""
    credential_use_task.delay(use_id=use_id)
