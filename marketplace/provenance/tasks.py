from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def credential_use_task(
    *,
    use_id: int,
    source_type: str | None = None,
    label_language: str | None = None,
    label_position: str | None = None,
) -> int | None:
    image = services.credential_use(
        use_id=use_id,
        source_type=source_type,
        label_language=label_language,
        label_position=label_position,
    )
    return image.pk if image is not None else None
