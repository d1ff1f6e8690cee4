"""Contracts rendered by real `celery worker` processes over Redis, on PostgreSQL: generation,
double delivery and a worker process killed mid-render all leave exactly one document."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from config.celery import app as celery_app
from marketplace.contracts.models import Contract
from marketplace.contracts.tasks import generate_contract_task
from marketplace.core.models import AuditEvent
from marketplace.core.tasks import ping_task
from marketplace.licensing import services as licensing
from tests.contracts.conftest import consent_to
from tests.licensing.conftest import make_terms

pytestmark = [pytest.mark.celery_worker, pytest.mark.django_db(transaction=True)]
ROOT = Path(__file__).resolve().parents[2]


def wait_for(predicate, *, timeout: float = 30.0, every: float = 0.1):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"timed out after {timeout} s")


def consented_licence(parties, twin):
    licence = licensing.request_licence(by=parties["brand"], twin_id=twin.pk, terms=make_terms())
    licensing.approve_licence(by=parties["agency"], reference=licence.reference)
    consent_to(licence, parties["talent"])  # commits: the task goes to the worker
    return licence


def documents_on_disk(contract: Contract) -> list[str]:
    folder = Path(contract.document.path).parent
    return sorted(p.name for p in folder.iterdir())


def test_the_worker_generates_the_contract_after_consent(real_worker, parties, twin):
    licence = consented_licence(parties, twin)

    contract = wait_for(
        lambda: Contract.objects.filter(
            licence=licence, status=Contract.Status.AWAITING_SIGNATURES
        ).first()
    )

    assert Contract.objects.filter(licence=licence).count() == 1
    assert contract.document_size > 10_000
    assert documents_on_disk(contract) == [f"{contract.reference}.pdf"]


def test_the_same_task_delivered_twice_at_once_yields_one_document(real_worker, parties, twin):
    licence = consented_licence(parties, twin)
    # Two more deliveries of the same work, consumed concurrently by the worker's two processes.
    results = [generate_contract_task.delay(licence_id=licence.pk) for _ in range(2)]

    references = {r.get(timeout=30) for r in results}
    contract = wait_for(
        lambda: Contract.objects.filter(
            licence=licence, status=Contract.Status.AWAITING_SIGNATURES
        ).first()
    )

    assert references <= {contract.reference, ""}
    assert Contract.objects.filter(licence=licence).count() == 1
    assert AuditEvent.objects.filter(verb="contract.generated", target_id=contract.pk).count() == 1
    assert documents_on_disk(contract) == [f"{contract.reference}.pdf"]


# --- A worker killed mid-render ---------------------------------------------------------


def _start_worker(queue: str, *, render_delay: float) -> subprocess.Popen:
    """A worker like the session's (tests/conftest.py), on its own queue, one pool process."""
    db = connection.settings_dict
    env = {
        **os.environ,
        "DATABASE_URL": (
            f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or 'localhost'}"
            f":{db['PORT'] or 5432}/{db['NAME']}"
        ),
        "REDIS_URL": os.environ["REDIS_URL"],
        "LIKENESS_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        "LIKENESS_CONTRACT_RENDER_DELAY_SECONDS": str(render_delay),
    }
    celery_bin = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    command = [celery_bin, "-A", "config", "worker", "-Q", queue, "-c", "1", "--pool", "prefork"]
    command += ["--without-gossip", "--without-mingle", "--without-heartbeat", "-l", "WARNING"]
    command += ["-n", f"{queue}-{uuid.uuid4().hex[:6]}@%h"]
    return subprocess.Popen(command, cwd=ROOT, env=env, start_new_session=True)


def _stop(proc: subprocess.Popen) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=5)


def _pool_children(proc: subprocess.Popen) -> list[int]:
    children = Path(f"/proc/{proc.pid}/task/{proc.pid}/children").read_text().split()
    return [int(pid) for pid in children]


@pytest.fixture
def own_queue(real_worker):
    """Tasks of this test go to a queue only the workers started by the test consume."""
    queue = f"contracts-kill-{uuid.uuid4().hex[:8]}"
    previous = celery_app.conf.task_default_queue
    celery_app.conf.task_default_queue = queue
    yield queue
    celery_app.conf.task_default_queue = previous


def test_a_worker_killed_mid_render_still_yields_exactly_one_document(own_queue, parties, twin):
    slow = _start_worker(own_queue, render_delay=2)
    fresh = None
    try:
        ping_task.apply_async(args=["slow"], queue=own_queue).get(timeout=60)
        licence = consented_licence(parties, twin)
        # The render has started once its attempt is committed; the slow worker is asleep in it.
        wait_for(lambda: Contract.objects.filter(licence=licence, render_attempts=1).exists())
        [victim] = _pool_children(slow)
        os.kill(victim, signal.SIGKILL)
        # acks_late + reject_on_worker_lost: the message goes back to the queue. A new worker
        # joins; whichever process takes the redelivery renders again.
        fresh = _start_worker(own_queue, render_delay=0)

        contract = wait_for(
            lambda: Contract.objects.filter(
                licence=licence, status=Contract.Status.AWAITING_SIGNATURES
            ).first(),
            timeout=45,
        )
    finally:
        for proc in (slow, fresh):
            if proc is not None:
                _stop(proc)

    assert Contract.objects.filter(licence=licence).count() == 1
    assert contract.render_attempts == 2  # the killed render, then the redelivered one
    [generated] = AuditEvent.objects.filter(verb="contract.generated", target_id=contract.pk)
    assert generated.data["pid"] != victim
    assert documents_on_disk(contract) == [f"{contract.reference}.pdf"]
