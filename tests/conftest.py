"""Suite-wide fixtures.

Services run their Celery tasks inline (eager) unless a test asks for the real worker.
Under CI=true the suite refuses to run without PostgreSQL and Redis: a missing service is a
failure, never a skip.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import stripe
from celery._state import _set_task_join_will_block
from django.conf import settings

from config.celery import app as celery_app
from stripe_sandbox.testing import Sandbox, run_sandbox
from tests import factories
from tests.services import require_services_in_ci

ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() == "true"


def pytest_configure(config: pytest.Config) -> None:
    problem = require_services_in_ci()
    if problem:
        pytest.exit(f"CI=true but {problem}", returncode=3)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    # "No tests collected" is a broken suite, not a green one.
    if exitstatus == pytest.ExitCode.NO_TESTS_COLLECTED:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture(autouse=True, scope="session")
def _no_persistent_connections() -> None:
    """Each request of a live server runs in a thread of its own: with persistent connections
    every such thread would keep one open for CONN_MAX_AGE, and a browser sweep of hundreds of
    pages would exhaust PostgreSQL's max_connections for the tests and workers beside it."""
    from django.db import connections

    for alias in connections:
        connections.settings[alias]["CONN_MAX_AGE"] = 0
        connections[alias].settings_dict["CONN_MAX_AGE"] = 0


@pytest.fixture(autouse=True, scope="session")
def _media_root(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    media = tmp_path_factory.mktemp("media")
    original = settings.MEDIA_ROOT
    settings.MEDIA_ROOT = media
    yield media
    settings.MEDIA_ROOT = original


@pytest.fixture(autouse=True)
def _eager_celery() -> Iterator[None]:
    celery_app.conf.task_always_eager = True
    yield
    celery_app.conf.task_always_eager = True
    # Eager tasks run under celery's process-wide "joining would block" flag, set and restored
    # without a lock: tasks run eagerly in several threads at once can leave it set, and every
    # later `result.get()` in this process would refuse to wait.
    _set_task_join_will_block(False)


@pytest.fixture(autouse=True)
def _no_seal_announced_by_an_earlier_test(monkeypatch: pytest.MonkeyPatch) -> None:
    """A commit that finds the "seal queued" flag taken counts on the task it stands for. A
    test whose tasks went nowhere (a lost broker, a killed worker) leaves the flag for its TTL;
    the next test on the same database would then wait for a task that never comes (the
    beat, which seals such events within the minute, does not run in tests)."""
    from django.core.cache import cache

    from marketplace.core import audit

    cache.delete(audit._seal_queued_key())
    monkeypatch.setattr(audit, "_asked_until", 0.0)


@pytest.fixture
def migrated_categories(transactional_db: None) -> None:
    """The categories the data migration writes, back in the database. Transactional tests
    flush every table afterwards, these rows included (serialized_rollback clashed with
    content types on PostgreSQL), so a transactional test that needs them asks for this."""
    import importlib

    from marketplace.talent.models import Category

    migration = importlib.import_module("marketplace.talent.migrations.0002_categories")
    for slug, name, sensitive in migration.CATEGORIES:
        Category.objects.update_or_create(
            slug=slug, defaults={"name": name, "sensitive": sensitive}
        )


# --- People and tenants -----------------------------------------------------------------


@pytest.fixture
def agency(db):
    return factories.AgencyFactory(name="Agency A")


@pytest.fixture
def other_agency(db):
    return factories.AgencyFactory(name="Agency B")


@pytest.fixture
def brand(db):
    return factories.BrandFactory(name="Brand A")


@pytest.fixture
def other_brand(db):
    return factories.BrandFactory(name="Brand B")


@pytest.fixture
def agency_manager(agency):
    return factories.MembershipFactory(organisation=agency, role="manager")


@pytest.fixture
def agency_owner(agency):
    return factories.MembershipFactory(organisation=agency, role="owner")


@pytest.fixture
def brand_manager(brand):
    return factories.MembershipFactory(organisation=brand, role="manager")


@pytest.fixture
def talent(agency):
    return factories.TalentFactory(agency=agency, user=factories.UserFactory())


@pytest.fixture
def twin(talent):
    return factories.TwinFactory(talent=talent, with_image=True)


@pytest.fixture
def login(client):
    """login(user) signs the test client in and returns it."""

    def _login(user):
        client.force_login(user)
        return client

    return _login


# --- The local Stripe sandbox -----------------------------------------------------------


@pytest.fixture(scope="session")
def stripe_sandbox(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Sandbox]:
    """One sandbox process and SQLite file per test session (per xdist worker)."""
    db_path = tmp_path_factory.mktemp("stripe_sandbox") / "stripe_sandbox.sqlite3"
    with run_sandbox(db_path, webhook_retry_base=0.05) as sandbox:
        yield sandbox


@pytest.fixture(scope="session")
def stripe_client(stripe_sandbox: Sandbox) -> stripe.StripeClient:
    return stripe_sandbox.client()


@pytest.fixture
def stripe_env(stripe_sandbox: Sandbox, settings) -> Sandbox:
    """Product code talks to a freshly reset sandbox through the real stripe library."""
    stripe_sandbox.reset()
    settings.STRIPE_API_BASE = stripe_sandbox.base_url
    settings.STRIPE_SECRET_KEY = "sk_test_likeness_tests"
    settings.STRIPE_WEBHOOK_SECRET = "whsec_likeness_tests"
    settings.STRIPE_MAX_REQUESTS_PER_SECOND = 0
    return stripe_sandbox


# --- A real Celery worker over Redis ----------------------------------------------------


@pytest.fixture(scope="session")
def celery_worker_process(django_db_setup, django_db_blocker, _media_root, worker_id):
    """A `celery worker` process consuming this test process's own queue on real Redis,
    connected to the same test database. Tests using it need committed data
    (`@pytest.mark.django_db(transaction=True)`)."""
    from django.db import connection

    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url or connection.vendor != "postgresql":
        reason = "needs REDIS_URL and a PostgreSQL DATABASE_URL"
        if IN_CI:
            pytest.fail(f"CI=true: the Celery worker test {reason}")
        pytest.skip(reason)
    queue = f"likeness-test-{worker_id}-{os.getpid()}"
    proc = subprocess.Popen(
        celery_worker_command(queues=queue, name=f"{queue}@%h"),
        cwd=ROOT,
        env=celery_worker_env(queue=queue, redis_url=redis_url),
        start_new_session=True,
    )
    previous = (
        celery_app.conf.task_default_queue,
        celery_app.conf.broker_url,
        celery_app.conf.result_backend,
    )
    celery_app.conf.task_default_queue = queue
    celery_app.conf.broker_url = redis_url
    celery_app.conf.result_backend = redis_url
    try:
        _wait_for_worker(proc)
        yield proc
    finally:
        (
            celery_app.conf.task_default_queue,
            celery_app.conf.broker_url,
            celery_app.conf.result_backend,
        ) = previous
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def worker_database_url() -> str:
    """This test process's database as a DATABASE_URL for a worker process."""
    from django.db import connection

    db = connection.settings_dict
    return (
        f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST'] or 'localhost'}"
        f":{db['PORT'] or 5432}/{db['NAME']}"
    )


def celery_worker_env(*, queue: str, redis_url: str, **extra: str) -> dict[str, str]:
    """Environment of a `celery worker` process on the test database and `queue`."""
    return {
        **os.environ,
        "DATABASE_URL": worker_database_url(),
        "REDIS_URL": redis_url,
        "LIKENESS_MEDIA_ROOT": str(settings.MEDIA_ROOT),
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        **extra,
    }


def celery_worker_command(*, queues: str, name: str, concurrency: int = 2) -> list[str]:
    """A prefork `celery worker` consuming `queues` (comma-separated)."""
    celery_bin = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    return [
        celery_bin,
        "-A",
        "config",
        "worker",
        "-Q",
        queues,
        "-c",
        str(concurrency),
        "--pool",
        "prefork",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-l",
        "WARNING",
        "-n",
        name,
    ]


def _wait_for_worker(proc: subprocess.Popen) -> None:
    from marketplace.core.tasks import ping_task

    celery_app.conf.task_always_eager = False
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            pytest.fail(f"celery worker exited early with {proc.returncode}")
        try:
            if ping_task.delay("ready").get(timeout=5) == "pong:ready":
                return
        except Exception:
            continue
    pytest.fail("celery worker did not answer within 60 s")


@pytest.fixture
def real_worker(celery_worker_process):
    """Inside a test: tasks go to the real worker instead of running inline."""
    celery_app.conf.task_always_eager = False
    yield celery_worker_process
    celery_app.conf.task_always_eager = True


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 costs ~0.3 s a user; tests create hundreds. Production hashing is unchanged.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _two_factor_not_required(settings):
    # Owners and finance members must set up TOTP before anything else (RequireMFAMiddleware);
    # tests sign them in with force_login. tests/security turns the rule back on.
    settings.LIKENESS_REQUIRE_MFA_ROLES = []
