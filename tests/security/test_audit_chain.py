"""The audit trail is hash-chained: a changed, deleted or reordered event is found and named."""

from __future__ import annotations

import os
import threading
import time
import uuid

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, connections, transaction

from marketplace.core import audit
from marketplace.core.models import AuditEvent
from tests.factories import AgencyFactory, MembershipFactory

IN_CI = os.environ.get("CI", "").lower() == "true"


def record_committed(n: int, org, actor) -> list[AuditEvent]:
    events = [
        audit.record(
            org, f"test.event_{i}", actor=actor, organisation=org, data={"amount": 100 * i}
        )
        for i in range(n)
    ]
    audit.seal_pending()  # what the on-commit hook does after the service's transaction
    return [AuditEvent.objects.get(pk=e.pk) for e in events]


def verify() -> str:
    from io import StringIO

    out = StringIO()
    call_command("verify_audit_chain", stdout=out)
    return out.getvalue()


@pytest.fixture
def actor(db):
    return MembershipFactory(organisation=AgencyFactory(), role="owner")


@pytest.mark.django_db
def test_committed_events_are_chained_in_order(actor, django_capture_on_commit_callbacks):
    # given a service-style write whose transaction commits
    with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
        first = audit.record(actor.organisation, "org.renamed", actor=actor.user)
        second = audit.record(actor.organisation, "org.renamed", actor=actor.user)
    # then both are sealed, each linked to the one before
    first.refresh_from_db()
    second.refresh_from_db()
    assert (first.seq, second.seq) == (1, 2)
    assert first.prev_hash == audit.GENESIS
    assert second.prev_hash == first.hash
    assert second.hash == audit.chain_hash(first.hash, second)
    assert verify() == "Audit chain OK: 2 event(s) verified.\n"


@pytest.mark.django_db
def test_an_event_changed_with_sql_is_reported_by_id(actor):
    events = record_committed(5, actor.organisation, actor.user)
    tampered = events[2]
    # when someone lowers an amount directly in the database
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE core_auditevent SET data = %s WHERE id = %s", ['{"amount": 1}', tampered.pk]
        )
    # then the command fails and names exactly that event
    with pytest.raises(CommandError) as exc:
        verify()
    assert str(exc.value).startswith(
        f"Audit chain broken at event id {tampered.pk} (after 2 good event(s)): "
        "its contents no longer match its hash"
    )


@pytest.mark.django_db
def test_a_rehashed_event_breaks_the_next_link(actor):
    events = record_committed(4, actor.organisation, actor.user)
    tampered = AuditEvent.objects.get(pk=events[1].pk)
    # when the tamperer also recomputes the changed event's own hash
    tampered.verb = "payments.refunded"
    tampered.hash = audit.chain_hash(tampered.prev_hash, tampered)
    AuditEvent.objects.filter(pk=tampered.pk).update(verb=tampered.verb, hash=tampered.hash)
    # then the following event no longer points at it
    report = audit.verify_chain()
    assert report.broken_event_id == events[2].pk
    assert report.problem.startswith("prev_hash ")
    assert report.checked == 2


@pytest.mark.django_db
def test_a_deleted_event_is_reported_at_the_gap(actor):
    events = record_committed(4, actor.organisation, actor.user)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM core_auditevent WHERE id = %s", [events[1].pk])
    report = audit.verify_chain()
    assert report.broken_event_id == events[2].pk
    assert report.problem == "seq 3 follows seq 1: 1 event(s) before it are missing"


@pytest.mark.django_db
def test_unsealed_events_are_counted_not_failed(actor):
    record_committed(2, actor.organisation, actor.user)
    audit.record(actor.organisation, "org.renamed")  # its transaction has not committed
    assert verify() == "Audit chain OK: 2 event(s) verified; 1 event(s) not sealed yet.\n"


@pytest.mark.django_db
def test_sealing_twice_changes_nothing(actor):
    events = record_committed(3, actor.organisation, actor.user)
    assert audit.seal_pending() == 0
    assert [e.hash for e in AuditEvent.objects.order_by("seq")] == [e.hash for e in events]


@pytest.mark.django_db(transaction=True)
def test_concurrent_writers_on_postgresql_form_one_unbroken_chain():
    if connection.vendor != "postgresql":
        reason = "needs PostgreSQL: SQLite admits one writer at a time"
        if IN_CI:
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    org = AgencyFactory()
    writers, per_writer = 8, 15
    barrier = threading.Barrier(writers)
    errors: list[BaseException] = []

    def write(n: int) -> None:
        try:
            barrier.wait()
            for i in range(per_writer):
                with transaction.atomic():
                    audit.record(org, "test.concurrent", data={"writer": n, "i": i})
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(n,)) for n in range(writers)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    # then every event is sealed exactly once, in one gap-free chain
    report = audit.verify_chain()
    assert (report.ok, report.checked, report.unsealed) == (True, writers * per_writer, 0)
    assert list(AuditEvent.objects.order_by("seq").values_list("seq", flat=True)) == list(
        range(1, writers * per_writer + 1)
    )


@pytest.mark.django_db
def test_a_commit_while_a_seal_is_queued_sends_no_second_task(
    actor, django_capture_on_commit_callbacks
):
    # given a sealing task already waiting in the queue (its flag is set)
    from marketplace.core.tasks import seal_audit_chain_task

    key = audit._seal_queued_key()
    cache.set(key, 1, timeout=60)
    try:
        # when a service's transaction commits an event
        with django_capture_on_commit_callbacks(execute=True), transaction.atomic():
            event = audit.record(actor.organisation, "org.renamed", actor=actor.user)
        # then no task ran for it (the waiting one will): it is not sealed yet
        event.refresh_from_db()
        assert event.seq is None
        # and when the waiting task runs, it clears its flag and seals the event
        assert seal_audit_chain_task.delay().get() == 1
        event.refresh_from_db()
        assert event.seq == 1
        assert cache.get(key) is None
    finally:
        cache.delete(key)


@pytest.mark.django_db(transaction=True)
def test_the_worker_seals_what_requests_commit(real_worker):
    # given a real worker on Redis, and events committed by several transactions
    org = AgencyFactory()
    for i in range(5):
        with transaction.atomic():
            audit.record(org, "test.committed", data={"i": i})
    # then the worker chains all of them, soon, without anyone sealing in process
    deadline = time.monotonic() + 30
    while AuditEvent.objects.filter(seq__isnull=True).exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    report = audit.verify_chain()
    assert (report.ok, report.checked, report.unsealed) == (True, 5, 0), worker_state(real_worker)


def worker_state(worker) -> str:
    """What a failure needs to be understood: the flag, and what the worker is busy with."""
    from config.celery import app as celery_app

    inspect = celery_app.control.inspect(timeout=3)
    return (
        f"seal flag: {cache.get(audit._seal_queued_key())!r}; worker alive: "
        f"{worker.poll() is None}; active: {inspect.active()}; reserved: {inspect.reserved()}; "
        f"scheduled: {inspect.scheduled()}"
    )


@pytest.fixture
def queued_tasks(monkeypatch):
    """Tasks go to a (recorded) broker instead of running inline; a clock the test moves."""
    from config.celery import app as celery_app
    from marketplace.core.tasks import seal_audit_chain_task

    sent: list[dict] = []
    clock = [1000.0]
    monkeypatch.setattr(seal_audit_chain_task, "apply_async", lambda **kw: sent.append(kw))
    celery_app.conf.task_always_eager = False  # put back by the suite's _eager_celery fixture
    monkeypatch.setattr(audit.time, "monotonic", lambda: clock[0])
    monkeypatch.setattr(audit, "_asked_until", 0.0)
    # A flag of this test's own: the session's real worker may still run a sealing task an
    # earlier test queued, and that task frees the database's flag (as it should).
    own_key = f"{audit._seal_queued_key()}:{uuid.uuid4().hex}"
    monkeypatch.setattr(audit, "_seal_queued_key", lambda: own_key)
    yield sent, clock
    cache.delete(own_key)


def _commit_one(actor, capture) -> AuditEvent:
    with capture(execute=True), transaction.atomic():
        return audit.record(actor.organisation, "org.renamed", actor=actor.user)


@pytest.mark.django_db
def test_a_busy_process_asks_the_cache_once_per_half_countdown(
    actor, queued_tasks, django_capture_on_commit_callbacks
):
    sent, clock = queued_tasks
    key = audit._seal_queued_key()
    # given a commit that queued a sealing task (and took the flag)
    _commit_one(actor, django_capture_on_commit_callbacks)
    assert sent == [{"countdown": audit.SEAL_DELAY}]
    assert cache.get(key) == 1
    # when more commits follow within half the countdown, even with the flag gone
    cache.delete(key)
    clock[0] += audit.SEAL_DELAY / 4
    _commit_one(actor, django_capture_on_commit_callbacks)
    # then the process did not ask again
    assert len(sent) == 1 and cache.get(key) is None
    # and once half the countdown is over, it asks again: the flag is free, so it queues
    clock[0] += audit.SEAL_DELAY
    _commit_one(actor, django_capture_on_commit_callbacks)
    assert len(sent) == 2
    # while a commit that finds the flag taken queues nothing, and skips the next question too
    clock[0] += audit.SEAL_DELAY
    _commit_one(actor, django_capture_on_commit_callbacks)
    assert len(sent) == 2
    cache.delete(key)
    clock[0] += audit.SEAL_DELAY / 4
    _commit_one(actor, django_capture_on_commit_callbacks)
    assert len(sent) == 2


@pytest.mark.django_db
def test_a_commit_skipped_after_its_task_started_is_sealed_by_the_follow_up(
    actor, queued_tasks, django_capture_on_commit_callbacks
):
    sent, clock = queued_tasks
    key = audit._seal_queued_key()
    # given a process that saw another's task announced (flag taken) and so stopped asking
    cache.set(key, 1, timeout=60)
    first = _commit_one(actor, django_capture_on_commit_callbacks)
    assert sent == []
    # when that task starts (frees the flag, seals what is committed, queues its follow-up)
    assert audit.seal_from_task() == 1
    assert cache.get(key) is None
    assert sent == [{"kwargs": {"announced": False}, "countdown": audit.SEAL_DELAY}]
    # and the process commits again within its quiet half countdown, asking nobody
    clock[0] += audit.SEAL_DELAY / 4
    late = _commit_one(actor, django_capture_on_commit_callbacks)
    assert len(sent) == 1 and cache.get(key) is None
    # then the follow-up, due a countdown after the task, seals the late event
    assert audit.seal_from_task(**sent[0]["kwargs"]) == 1
    late.refresh_from_db()
    first.refresh_from_db()
    assert (first.seq, late.seq) == (1, 2)
    # and a follow-up queues nothing further and leaves another task's flag alone
    cache.set(key, 1, timeout=60)
    assert audit.seal_from_task(announced=False) == 0
    assert len(sent) == 1 and cache.get(key) == 1
    assert audit.verify_chain().ok
