from __future__ import annotations

from collections.abc import Mapping

from celery import shared_task
from django.db import transaction

from . import services
from .options import CopyOptions


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


def credential_use_later(use_id: int, choices: Mapping[str, str]) -> None:
    """A use is being recorded with a picture: check the brand's choices for its copies
    (ValidationFailed, naming the field, refuses the use), and once it commits have a worker
    sign its credentialed and labelled copies (Content Credentials)."""
    options = CopyOptions.checked(**choices)
    transaction.on_commit(
        lambda: credential_use_task.delay(use_id=use_id, **options.as_task_kwargs()),
        robust=True,
    )
