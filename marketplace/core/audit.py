"""Audit trail: one row per state change, written inside the service's transaction.

Tamper evidence: every committed event is appended to a hash chain. `record` inserts the event;
once the surrounding transaction commits, a Celery task (`seal_audit_chain_task`) runs
`seal_pending`, which gives each unsealed event the next `seq`, the previous event's hash as
`prev_hash`, and `hash = SHA-256(prev_hash + canonical JSON of the event)`.

Sealing after commit, in a short transaction of its own under one lock, keeps a global lock
out of the services' transactions (no serialisation of every write and no deadlock against the
row locks services take after auditing) and chains events in the order they became visible.
Sealing in a worker rather than in the request keeps six statements (the lock, the chain head,
the batch, the update) out of every write: under load one task seals the events of many
requests at once: it starts a second after the commit that queued it, and a cache flag lets
at most one such task wait per database, so a busy site sends about two tasks a second (each
announced task brings a follow-up, see `request_seal`), and a busy process asks the cache at
most twice a second; the beat schedule seals every minute as well, so a lost task delays
sealing, never skips it. Until sealed (a second or two after its commit) an event is unchained,
and `verify_chain` counts it as such. `verify_chain` recomputes the chain and names the first
broken link.
"""

from __future__ import annotations

import hashlib
import json
import logging
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.db import connection, models, transaction
from django.utils import timezone

from .caching import db_key
from .models import AuditEvent

logger = logging.getLogger("likeness.audit")

GENESIS = "0" * 64
# Any constant: the key of the PostgreSQL advisory lock that serialises sealing.
_CHAIN_LOCK_KEY = 0x4C494B454E455353  # "LIKENESS"
_BATCH = 500
# Commits within this many seconds of each other share one sealing task.
SEAL_DELAY = 1.0
# How long the "a sealing task is queued" flag lives if its task never runs (lost message).
SEAL_QUEUED_TTL = 10


def record(
    target: models.Model,
    verb: str,
    *,
    actor: Any = None,
    organisation: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent.objects.create(
        target_type=target._meta.label_lower,
        target_id=target.pk,
        verb=verb,
        actor=actor if getattr(actor, "pk", None) else None,
        organisation=organisation,
        data=data or {},
    )
    announce(event.verb, event.target_type, event.target_id, actor_id=event.actor_id)
    return event


def record_many(
    target: models.Model,
    verb: str,
    *,
    actor: Any = None,
    organisation: Any = None,
    data: Sequence[dict[str, Any]],
) -> list[AuditEvent]:
    """One event per item of `data`, all on `target`, inserted together (one statement on
    PostgreSQL) and sealed like any other."""
    events = AuditEvent.objects.bulk_create(
        [
            AuditEvent(
                target_type=target._meta.label_lower,
                target_id=target.pk,
                verb=verb,
                actor=actor if getattr(actor, "pk", None) else None,
                organisation=organisation,
                data=item,
            )
            for item in data
        ]
    )
    if events:
        announce(verb, events[0].target_type, target.pk, actor_id=events[0].actor_id)
    return events


def insert_per_row(
    source: str,
    target: models.Model,
    verb: str,
    *,
    actor_id: Any,
    data: dict[str, Any],
    data_from_source: dict[str, str],
) -> tuple[str, list[Any]]:
    """For a hot path that writes in one PostgreSQL statement: an `INSERT … SELECT` of one
    event on `target` per row of `source` (a CTE of that statement) as (SQL, parameters).
    The event's data is `data` plus, per key of `data_from_source`, that column of `source`.
    The caller announces the event (`announce`) once the statement ran."""
    table = connection.ops.quote_name(AuditEvent._meta.db_table)
    column = {field.name: field.column for field in AuditEvent._meta.concrete_fields}
    columns = ", ".join(
        connection.ops.quote_name(column[name])
        for name in ("organisation", "actor", "verb", "target_type", "target_id", "data")
    )
    pairs = ", ".join(f"%s::text, {source}.{column}" for column in data_from_source.values())
    sql = (
        f"INSERT INTO {table} ({columns}, created_at, prev_hash, hash) "  # noqa: S608
        f"SELECT NULL, %s, %s, %s, %s, jsonb_build_object({pairs}) || %s::jsonb, "
        f"%s, '', '' FROM {source} RETURNING id"
    )
    params = [actor_id, verb, target._meta.label_lower, target.pk]
    params += list(data_from_source)
    params += [json.dumps(data), timezone.now()]
    return sql, params


def announce(verb: str, target_type: str, target_id: Any, *, actor_id: Any = None) -> None:
    """An event was inserted (by `record`, or by a service's own SQL on a hot path): log it,
    and have it sealed once its transaction commits."""
    logger.info(verb, extra={"target": f"{target_type}#{target_id}", "actor_id": actor_id})
    transaction.on_commit(request_seal, robust=True)


def _seal_queued_key() -> str:
    return db_key("audit", "seal-queued")


# Until when (time.monotonic) this process need not ask for a seal again.
_asked_until = 0.0


def request_seal() -> None:
    """After a commit: make sure a sealing task starts after now.

    A commit asks the cache: if the "seal queued" flag was free it takes it and queues a task
    to start SEAL_DELAY later; if it was taken, an announced task is waiting (it frees the flag
    first thing, before sealing) and will see this event. Either way the process then skips
    the question for half the countdown: that keeps a cache round trip out of almost every
    request of a busy process. A commit in that window may come just after the task it counted
    on started, so every announced task queues an unannounced follow-up one countdown after
    it ran (`seal_from_task`); the follow-up starts after the window has closed and seals what
    the task could not see. Should clocks disagree by more than half the countdown, an event
    can wait for the beat, within the minute. With tasks run inline (tests) nothing is skipped.
    """
    global _asked_until
    from .tasks import seal_audit_chain_task

    inline = seal_audit_chain_task.app.conf.task_always_eager
    now = time.monotonic()
    if now < _asked_until and not inline:
        return
    key = _seal_queued_key()
    if cache.add(key, 1, timeout=SEAL_QUEUED_TTL):
        try:
            seal_audit_chain_task.apply_async(countdown=SEAL_DELAY)
        except Exception:
            cache.delete(key)  # the next commit tries again; the beat seals in the meantime
            raise
    if not inline:
        _asked_until = now + SEAL_DELAY / 2


def seal_from_task(*, announced: bool = True) -> int:
    """The task's work. An announced task (the one the flag stands for) frees the flag, seals,
    and queues its follow-up; a follow-up or a beat run only seals."""
    from .tasks import seal_audit_chain_task

    if not announced:
        return seal_pending()
    cache.delete(_seal_queued_key())
    sealed = seal_pending()
    if not seal_audit_chain_task.app.conf.task_always_eager:  # inline, no commit skips asking
        seal_audit_chain_task.apply_async(kwargs={"announced": False}, countdown=SEAL_DELAY)
    return sealed


def events_for(target: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        target_type=target._meta.label_lower, target_id=target.pk
    ).select_related("actor")


# --- The chain ------------------------------------------------------------------------------


def canonical(event: Any) -> bytes:
    """The event's fields as canonical JSON (sorted keys, no spaces, UTF-8)."""
    payload = {
        "id": event.pk,
        "seq": event.seq,
        "created_at": event.created_at.isoformat(),
        "organisation_id": event.organisation_id,
        "actor_id": event.actor_id,
        "verb": event.verb,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "data": event.data,
    }
    return json.dumps(
        payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False, allow_nan=False
    ).encode()


def chain_hash(prev_hash: str, event: Any) -> str:
    return hashlib.sha256(prev_hash.encode("ascii") + canonical(event)).hexdigest()


def seal_pending(model: Any = AuditEvent) -> int:
    """Chain every committed, unsealed event in id order. Returns how many were sealed.

    Takes the chain lock (a transaction-scoped advisory lock on PostgreSQL; SQLite's
    IMMEDIATE transactions already admit one writer at a time), so concurrent sealers append
    one after the other. `model` lets the data migration pass its historical model.
    """
    sealed = 0
    manager = model._default_manager
    table = connection.ops.quote_name(model._meta.db_table)
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # The links derive from events already committed: should a crash lose this
            # commit, the next seal writes the same links again. No need to wait for the disk.
            cursor.execute(
                "SELECT set_config('synchronous_commit', 'off', true), pg_advisory_xact_lock(%s)",
                [_CHAIN_LOCK_KEY],
            )
        cursor.execute(
            f"SELECT seq, hash FROM {table} WHERE seq IS NOT NULL ORDER BY seq DESC LIMIT 1"  # noqa: S608
        )
        head = cursor.fetchone()
        seq, prev = (head[0], head[1]) if head else (0, GENESIS)
        while True:
            batch = list(manager.filter(seq__isnull=True).order_by("id")[:_BATCH])
            for event in batch:
                seq += 1
                event.seq, event.prev_hash = seq, prev
                event.hash = prev = chain_hash(prev, event)
            if batch:
                # Plain UPDATEs: bulk_update's CASE expressions cost more to build than the
                # one or two events of a request take to write.
                cursor.executemany(
                    f"UPDATE {table} SET seq = %s, prev_hash = %s, hash = %s WHERE id = %s",  # noqa: S608
                    [(e.seq, e.prev_hash, e.hash, e.pk) for e in batch],
                )
            sealed += len(batch)
            if len(batch) < _BATCH:
                break
    return sealed


@dataclass(frozen=True)
class ChainReport:
    checked: int
    unsealed: int
    broken_event_id: int | None = None
    problem: str = ""

    @property
    def ok(self) -> bool:
        return self.broken_event_id is None


def verify_chain() -> ChainReport:
    """Recompute the chain from the first event; stop at the first link that does not hold."""
    expected_seq, prev, checked = 1, GENESIS, 0
    for event in _sealed_in_order():
        assert event.seq is not None
        if event.seq != expected_seq:
            problem = (
                f"seq {event.seq} follows seq {expected_seq - 1}: "
                f"{event.seq - expected_seq} event(s) before it are missing"
                if event.seq > expected_seq
                else f"seq {event.seq} appears again after seq {expected_seq - 1}"
            )
            return _broken(event, checked, problem)
        if event.prev_hash != prev:
            problem = (
                f"prev_hash {event.prev_hash[:16]}… does not match the hash of the event "
                f"before it ({prev[:16]}…)"
            )
            return _broken(event, checked, problem)
        recomputed = chain_hash(prev, event)
        if event.hash != recomputed:
            problem = (
                f"its contents no longer match its hash (stored {event.hash[:16]}…, "
                f"recomputed {recomputed[:16]}…): a field of this event was changed"
            )
            return _broken(event, checked, problem)
        prev, expected_seq, checked = event.hash, expected_seq + 1, checked + 1
    return ChainReport(checked=checked, unsealed=_unsealed())


def _sealed_in_order() -> Iterator[AuditEvent]:
    return AuditEvent.objects.filter(seq__isnull=False).order_by("seq").iterator(chunk_size=2000)


def _unsealed() -> int:
    return AuditEvent.objects.filter(seq__isnull=True).count()


def _broken(event: AuditEvent, checked: int, problem: str) -> ChainReport:
    return ChainReport(
        checked=checked, unsealed=_unsealed(), broken_event_id=event.pk, problem=problem
    )
