"""Outgoing email, sent by a worker after the transaction that caused it commits."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, cast

from django.core.cache import cache
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from .caching import db_key

# The header's unread count is read on every page; it is cached per user and dropped when a
# notification is written or read. The timeout bounds the one miss: a page that counted just
# before a notification committed and cached that count just after it was dropped.
UNREAD_CACHE_SECONDS = 60


def email(*, to: list[str], subject: str, template: str, context: dict[str, object]) -> None:
    from .tasks import send_email_task

    body = render_to_string(template, context)
    transaction.on_commit(lambda: send_email_task.delay(to=to, subject=subject, body=body))


# Messages per task when many e-mails go at once (`emails`).
EMAIL_BATCH = 100


@dataclass(frozen=True)
class Email:
    to: list[str]
    subject: str
    template: str
    context: dict[str, object]


def emails(messages: Sequence[Email]) -> None:
    """Many e-mails, rendered now and sent together by a worker (EMAIL_BATCH per task over
    one connection) after the transaction commits."""
    from .tasks import send_emails_task

    rendered = [
        {"to": m.to, "subject": m.subject, "body": render_to_string(m.template, m.context)}
        for m in messages
    ]
    for start in range(0, len(rendered), EMAIL_BATCH):
        transaction.on_commit(
            partial(send_emails_task.delay, messages=rendered[start : start + EMAIL_BATCH])
        )


@dataclass(frozen=True)
class Notice:
    user: Any
    title: str
    url: str = ""
    body: str = ""


def in_app_each(notices: Sequence[Notice]) -> None:
    """A notification of its own to each user, all written in one statement in the caller's
    transaction."""
    from .models import Notification

    Notification.objects.bulk_create(
        Notification(user=n.user, title=n.title[:200], url=n.url[:300], body=n.body)
        for n in notices
    )
    unread_changed([n.user for n in notices])


def in_app(*, users: Iterable[Any], title: str, url: str = "", body: str = "") -> None:
    """One notification per user, written in the caller's transaction."""
    from .models import Notification

    recipients = list({u.pk: u for u in users}.values())
    Notification.objects.bulk_create(
        Notification(user=user, title=title[:200], url=url[:300], body=body) for user in recipients
    )
    unread_changed(recipients)


def mark_opened(user: Any, path: str) -> int:
    """The person opened the page their unread notifications point to: they are read."""
    from .models import Notification

    if not getattr(user, "is_authenticated", False):
        return 0
    opened = Notification.objects.filter(user=user, read_at__isnull=True, url=path).update(
        read_at=timezone.now()
    )
    if opened:
        unread_changed([user])
    return opened


def _unread_key(user: Any) -> str:
    # The sign-up time too: test databases reuse user ids, and may share one cache.
    return db_key("unread", user.pk, int(user.date_joined.timestamp() * 1e6))


def unread_count(user: Any) -> int:
    """How many of the user's notifications are unread (the header's badge)."""
    from .models import Notification

    count = cache.get_or_set(
        _unread_key(user),
        lambda: Notification.objects.filter(user=user, read_at__isnull=True).count(),
        UNREAD_CACHE_SECONDS,
    )
    return cast(int, count)


def unread_changed(users: Iterable[Any]) -> None:
    """Drop the cached counts now, and again once the change commits (a page counting in
    between must not keep the old count)."""
    keys = [_unread_key(user) for user in users]
    cache.delete_many(keys)
    transaction.on_commit(lambda: cache.delete_many(keys))
