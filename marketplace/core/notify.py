"""Outgoing email, sent by a worker after the transaction that caused it commits."""

from __future__ import annotations

from django.db import transaction
from django.template.loader import render_to_string


def email(*, to: list[str], subject: str, template: str, context: dict[str, object]) -> None:
    from .tasks import send_email_task

    body = render_to_string(template, context)
    transaction.on_commit(lambda: send_email_task.delay(to=to, subject=subject, body=body))
