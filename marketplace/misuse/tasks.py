from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(acks_late=True)
def draft_notice_task(*, case_id: int) -> int | None:
    case = services.draft_notice(case_id=case_id)
    return case.pk if case is not None else None
