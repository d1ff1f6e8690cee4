from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.core.mail import EmailMessage, get_connection, send_mail
from django.db import OperationalError


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, ignore_result=True)
def send_email_task(*, to: list[str], subject: str, body: str) -> None:
    send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, to)


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5, ignore_result=True)
def send_emails_task(*, messages: list[dict[str, Any]]) -> int:
    """Many e-mails over one connection (`to`, `subject`, `body` each). A retry after a
    failure part-way sends the batch again, so someone may receive one twice."""
    connection = get_connection()
    return (
        connection.send_messages(
            [
                EmailMessage(m["subject"], m["body"], settings.DEFAULT_FROM_EMAIL, m["to"])
                for m in messages
            ]
        )
        or 0
    )


@shared_task
def ping_task(value: str) -> str:
    """Round-trip probe used by health checks and tests: proves a worker is consuming."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return f"pong:{value}"


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def seal_audit_chain_task(*, announced: bool = True) -> int:
    """Chain the committed, unsealed audit events (queued after commits, with a follow-up, and
    by beat)."""
    from . import audit

    return audit.seal_from_task(announced=announced)
