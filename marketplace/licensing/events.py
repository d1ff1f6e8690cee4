"""How licensing tells the other apps that something happened to a licence: the one hook.

Calls between apps go one way: contracts, payments, webhooks and dashboards call into
licensing; licensing never imports them. When a licence changes, the licensing service
publishes a `LicenceEvent`; the apps that care subscribe in their `AppConfig.ready()`
(contracts to "consented", to generate the contract; webhooks to every event, to deliver it
to the brand's endpoints).

Subscribers are called in the publishing transaction, so what they write commits or rolls
back with the change (the webhooks outbox: a delivery row exists exactly when the licence
change committed). Anything outside the database (a task, a request, an e-mail) a subscriber
starts with `after_commit`, never for a rolled-back change.

Each event is published exactly once, by the service that made the change (through
`notifications.tell`, which also tells the people).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction

from .models import Licence

ALL = "*"


@dataclass(frozen=True)
class LicenceEvent:
    """Something happened to a licence: `kind` is "requested", "consented", "activated", …
    (see `notifications.SUBJECTS`). `licence` is the row as the service just wrote it; a
    subscriber that enqueues work passes `licence_id` on, never the object."""

    licence: Licence
    kind: str

    @property
    def licence_id(self) -> int:
        return self.licence.pk


Handler = Callable[[LicenceEvent], None]

_subscribers: dict[str, list[Handler]] = defaultdict(list)


def subscribe(kind: str, handler: Handler) -> None:
    """Run `handler` after commit for every event of this kind (`ALL`: every event).

    Idempotent: subscribing the same handler twice (a second `ready()`) registers it once."""
    if handler not in _subscribers[kind]:
        _subscribers[kind].append(handler)


def unsubscribe(kind: str, handler: Handler) -> None:
    """Stop running `handler` for this kind (seeding data without the follow-up work)."""
    if handler in _subscribers[kind]:
        _subscribers[kind].remove(handler)


def subscribers(kind: str) -> list[Handler]:
    return [*_subscribers.get(kind, ()), *_subscribers.get(ALL, ())]


def publish(event: LicenceEvent) -> None:
    """Hand the event to its subscribers, in the caller's transaction."""
    for handler in subscribers(event.kind):
        handler(event)


def after_commit(work: Callable[[], object]) -> None:
    """For subscribers: run `work` (usually enqueueing a task) once the change commits."""
    transaction.on_commit(work)
