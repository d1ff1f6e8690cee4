"""Outgoing email, sent by a worker after the transaction that caused it commits."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import transaction
from django.template.loader import render_to_string


def email(*, to: list[str], subject: str, template: str, context: dict[str, object]) -> None:
    from .tasks import send_email_task

    body = render_to_string(template, context)
    transaction.on_commit(lambda: send_email_task.delay(to=to, subject=subject, body=body))


def in_app(*, users: Iterable[Any], title: str, url: str = "", body: str = "") -> None:
    """One notification per user, written in the caller's transaction."""
    from .models import Notification

    Notification.objects.bulk_create(
        Notification(user=user, title=title[:200], url=url[:300], body=body)
        for user in {u.pk: u for u in users}.values()
    )
