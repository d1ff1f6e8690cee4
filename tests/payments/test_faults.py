"""Payouts and webhooks under faults, with real `celery worker` processes (issue 6).

The workers are separate processes over real Redis on this PostgreSQL test database, talking
to the same Stripe sandbox as the test. Each test gets its own queue under a Redis key prefix
of its own, so the short visibility timeout given to these workers (a task taken by a worker
killed with SIGKILL comes back after `VISIBILITY_TIMEOUT` seconds instead of kombu's hour)
cannot touch any other consumer's messages.
"""

from __future__ import annotations

import contextlib
import itertools
import json
import os
import random
import signal
import subprocess
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from functools import partial
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, TypeVar

import pytest
from django.conf import settings
from django.db.models import Count, Sum
from django.utils import timezone

from config.celery import app as celery_app
from marketplace.core.models import AuditEvent
from marketplace.licensing.models import Licence
from marketplace.payments import ledger, reconciliation
from marketplace.payments.models import (
    Charge,
    ConnectedAccount,
    Earning,
    LedgerAccount,
    Payout,
    PayoutRun,
    WebhookEvent,
)
from marketplace.payments.services import checkout, onboarding, payouts
from marketplace.payments.tasks import (
    resume_stuck_payouts_task,
    run_payouts_task,
    settle_sending_payouts_task,
)
from stripe_sandbox.testing import Sandbox
from tests.conftest import IN_CI, ROOT, celery_worker_command, celery_worker_env
from tests.factories import AgencyFactory, TalentFactory
from tests.payments.conftest import payout_actor

pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture(autouse=True)
def _categories(migrated_categories: None) -> None:
    """The data migration's categories, flushed by earlier transactional tests."""


K = LedgerAccount.Kind
T = TypeVar("T")
VISIBILITY_TIMEOUT = 4  # seconds; see the module docstring
EARNINGS_PER_PAYEE = 30
WORKER_RATE = 10  # Stripe requests/s the workers allow themselves: half the default, so that
# transfers stay in flight long enough for the kills to catch them


def eventually(predicate: Callable[[], T], *, timeout: float, interval: float = 0.05) -> T | None:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(interval)


def wait_for(predicate: Callable[[], T], *, timeout: float, interval: float = 0.05) -> T:
    value = eventually(predicate, timeout=timeout, interval=interval)
    if not value:
        raise AssertionError(f"not reached within {timeout} s")
    return value


# --- Worker processes that can be killed --------------------------------------------------


def child_pids(pid: int) -> list[int]:
    """Direct children of `pid` (a worker's pool processes), from /proc."""
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        return [int(p) for p in children.read_text().split()]
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            # pid (comm) state ppid ...; comm may contain spaces, so split after its ")".
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == pid:
                found.append(int(stat.parent.name))
    return found


@dataclass
class Workers:
    """`celery worker` processes sharing one queue, each also on a queue of its own for pings."""

    queue: str
    env: dict[str, str]
    redis: Any
    prefix: str
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)
    ping_queues: dict[int, str] = field(default_factory=dict)
    kills: Counter[str] = field(default_factory=Counter)
    _names: Iterator[int] = field(default_factory=itertools.count)

    def start(self, count: int = 1) -> list[subprocess.Popen[bytes]]:
        started = []
        for _ in range(count):
            name = f"{self.queue}-{next(self._names)}"
            proc = subprocess.Popen(
                celery_worker_command(queues=f"{self.queue},{name}", name=f"{name}@%h"),
                cwd=ROOT,
                env=self.env,
                start_new_session=True,
            )
            self.ping_queues[proc.pid] = name
            self.processes.append(proc)
            started.append(proc)
        for proc in started:
            self._wait_until_consuming(proc)
        return started

    def _wait_until_consuming(self, proc: subprocess.Popen[bytes]) -> None:
        from marketplace.core.tasks import ping_task

        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                pytest.fail(f"celery worker exited early with {proc.returncode}")
            result = ping_task.apply_async(args=["ready"], queue=self.ping_queues[proc.pid])
            try:
                if result.get(timeout=5) == "pong:ready":
                    return
            except Exception:  # not up yet
                continue
        pytest.fail("celery worker did not answer within 60 s")

    @property
    def alive(self) -> list[subprocess.Popen[bytes]]:
        return [p for p in self.processes if p.poll() is None]

    def children(self) -> list[int]:
        return [pid for proc in self.alive for pid in child_pids(proc.pid)]

    def kill_children(self) -> None:
        """SIGKILL every pool process: their tasks die mid-flight and are redelivered."""
        for pid in self.children():
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
            self.kills["child"] += 1

    def kill_worker(self, proc: subprocess.Popen[bytes]) -> None:
        """SIGKILL a whole worker, main process and pool: nothing is acknowledged or rejected."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        self.kills["worker"] += 1

    def messages_outstanding(self) -> int:
        """Messages queued or taken but not acknowledged, on our queues."""
        queued = sum(
            self.redis.llen(key)
            for key in self.redis.scan_iter(match=f"{self.prefix}{self.queue}*")
        )
        return queued + self.redis.hlen(f"{self.prefix}unacked")

    def outstanding(self) -> list[str]:
        """Each message queued or taken but not acknowledged: its task, retry and ETA."""
        raw: list[tuple[str, bytes]] = []
        for key in self.redis.scan_iter(match=f"{self.prefix}{self.queue}*"):
            raw += [("queued", m) for m in self.redis.lrange(key, 0, -1)]
        for value in self.redis.hvals(f"{self.prefix}unacked"):
            with contextlib.suppress(ValueError, IndexError, TypeError):
                raw.append(("taken", json.dumps(json.loads(value)[0]).encode()))
        described = []
        for where, message in raw:
            try:
                headers = json.loads(message)["headers"]
            except (ValueError, KeyError, TypeError):
                described.append(f"{where}: (unreadable)")
                continue
            described.append(
                f"{where}: {headers.get('task')} {headers.get('kwargsrepr', '')} "
                f"retries={headers.get('retries', 0)} eta={headers.get('eta')}"
            )
        return sorted(described)

    def wait_until_idle(self, timeout: float) -> None:
        """Until nothing is queued or in flight for a second (lost tasks come back first)."""
        deadline = time.monotonic() + timeout
        quiet_since = None
        while time.monotonic() < deadline:
            if self.messages_outstanding():
                quiet_since = None
            elif quiet_since is None:
                quiet_since = time.monotonic()
            elif time.monotonic() - quiet_since > 1.0:
                return
            time.sleep(0.1)
        left = self.outstanding()
        raise AssertionError(
            f"the workers still had {len(left)} messages after {timeout} s (at "
            f"{timezone.now().isoformat()}):\n" + "\n".join(left[:40])
        )

    def stop(self) -> None:
        for proc in self.processes:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.processes:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


def _reset_producer_pools() -> None:
    # Broker connections are pooled per URL and transport options; forget the old ones.
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


@pytest.fixture
def workers(stripe_env: Sandbox, worker_id: str) -> Iterator[Workers]:
    """Kill-able worker processes; tasks sent in the test go to them."""
    import redis
    from django.db import connection

    redis_url = os.environ.get("REDIS_URL", "")
    if not redis_url or connection.vendor != "postgresql":
        reason = "needs REDIS_URL and a PostgreSQL DATABASE_URL"
        if IN_CI:
            pytest.fail(f"CI=true: the fault tests {reason}")
        pytest.skip(reason)
    queue = f"likeness-faults-{worker_id}-{os.getpid()}-{time.monotonic_ns()}"
    prefix = f"{queue}:"
    transport = {
        "global_keyprefix": prefix,
        "visibility_timeout": VISIBILITY_TIMEOUT,
        "unacked_restore_interval": 1,
        "unacked_restore_throttle": 1,
    }
    env = celery_worker_env(
        queue=queue,
        redis_url=redis_url,
        CELERY_BROKER_TRANSPORT_OPTIONS=json.dumps(transport),
        STRIPE_API_BASE=stripe_env.base_url,
        STRIPE_SECRET_KEY=settings.STRIPE_SECRET_KEY,
        STRIPE_WEBHOOK_SECRET=settings.STRIPE_WEBHOOK_SECRET,
        STRIPE_MAX_REQUESTS_PER_SECOND=str(WORKER_RATE),
        EMAIL_BACKEND="django.core.mail.backends.locmem.EmailBackend",
        LOG_LEVEL="WARNING",
    )
    conf = celery_app.conf
    previous = (
        conf.task_default_queue,
        conf.broker_url,
        conf.result_backend,
        conf.broker_transport_options,
    )
    conf.task_default_queue = queue
    conf.broker_url = redis_url
    conf.result_backend = redis_url
    conf.broker_transport_options = transport
    conf.task_always_eager = False
    _reset_producer_pools()
    client = redis.Redis.from_url(redis_url)
    pool = Workers(queue=queue, env=env, redis=client, prefix=prefix)
    try:
        yield pool
    finally:
        pool.stop()
        (
            conf.task_default_queue,
            conf.broker_url,
            conf.result_backend,
            conf.broker_transport_options,
        ) = previous
        conf.task_always_eager = True
        _reset_producer_pools()
        for key in client.scan_iter(match=f"{prefix}*"):
            client.delete(key)
        client.close()


# --- Seeding ----------------------------------------------------------------------------


def onboard_payees(
    stripe_env: Sandbox, *, agencies: int, talent_each: int
) -> list[ConnectedAccount]:
    """Agencies and their talent, each with a Stripe account onboarded at the sandbox."""
    accounts: list[ConnectedAccount] = []
    for a in range(agencies):
        agency = AgencyFactory(name=f"Fault Agency {a}")
        owners: list[dict[str, Any]] = [{"organisation": agency}]
        owners += [
            {"talent": TalentFactory(agency=agency, email=f"t{a}-{t}@faults.test")}
            for t in range(talent_each)
        ]
        for owner in owners:
            account = onboarding.ensure_connected_account(by=payout_actor(**owner))
            stripe_env.complete_onboarding(account.stripe_id)
            synced = onboarding.sync_account(stripe_id=account.stripe_id)
            assert synced is not None and synced.ready
            accounts.append(synced)
    return accounts


def seed_earnings(
    stripe_env: Sandbox,
    *,
    licence: Licence,
    brand: Any,
    accounts: list[ConnectedAccount],
    per_payee: int,
) -> dict[int, int]:
    """`per_payee` brand payments, each a real card charge at the sandbox with one earning for
    every payee in it, booked in the ledger as `_book_payment` books one. The earnings all
    name one licence: only the payee matters to a payout. Returns what each account is owed."""
    client = stripe_env.client()
    rng = random.Random(3)
    now = timezone.now()
    owed: Counter[int] = Counter()
    payables = {
        a.pk: (
            ledger.account(K.TALENT_PAYABLE, "EUR", talent=a.talent)
            if a.talent_id
            else ledger.account(K.AGENCY_PAYABLE, "EUR", organisation=a.organisation)
        )
        for a in accounts
    }
    earnings = []
    for _ in range(per_payee):
        shares = {a.pk: rng.randint(500, 5_000) for a in accounts}
        amount = sum(shares.values()) * 10 // 9  # the platform keeps a tenth
        stripe_charge = client.v1.charges.create(
            params={
                "amount": amount,
                "currency": "eur",
                # Funds available at once (as two days later): a payout here covers many
                # charges, so its transfer cannot name one source_transaction.
                "source": "tok_bypassPending",
                "expand": ["balance_transaction"],
            }
        )
        fee = stripe_charge.balance_transaction.fee
        charge = Charge.objects.create(
            kind=Charge.Kind.USAGE,
            status=Charge.Status.PAID,
            brand=brand,
            amount=amount,
            currency="EUR",
            stripe_charge_id=stripe_charge.id,
            processing_fee=fee,
            paid_at=now,
        )
        cash = ledger.account(K.CASH, "EUR")
        ledger.post(
            key=f"charge-paid:{charge.pk}",
            kind="brand_payment",
            description="Seeded usage payment",
            lines=[
                ledger.Line(cash, amount),
                ledger.Line(
                    ledger.account(K.PLATFORM_REVENUE, "EUR"), sum(shares.values()) - amount
                ),
                *(ledger.Line(payables[pk], -share) for pk, share in shares.items()),
            ],
        )
        ledger.post(
            key=f"charge-fee:{charge.pk}",
            kind="processing_fee",
            description="Stripe processing fee",
            lines=[
                ledger.Line(ledger.account(K.PROCESSING_FEES, "EUR"), fee),
                ledger.Line(cash, -fee),
            ],
        )
        for account in accounts:
            owed[account.pk] += shares[account.pk]
            earnings.append(
                Earning(
                    talent_id=account.talent_id,
                    organisation_id=account.organisation_id,
                    licence=licence,
                    charge=charge,
                    source=Earning.Source.USAGE,
                    amount=shares[account.pk],
                    currency="EUR",
                    brand_paid_at=now,
                    due_by=now + timedelta(days=checkout.FWA_DAYS),
                )
            )
    Earning.objects.bulk_create(earnings)
    return dict(owed)


# --- Payouts under kill -9 ----------------------------------------------------------------


def test_a_payout_run_survives_killed_workers_without_duplicates_or_lost_earnings(
    workers, stripe_env, awaiting_payment, brand
):
    # Given: 30 onboarded payees, each owed 30 earnings from real card payments at the sandbox.
    accounts = onboard_payees(stripe_env, agencies=10, talent_each=2)
    owed = seed_earnings(
        stripe_env,
        licence=awaiting_payment,
        brand=brand,
        accounts=accounts,
        per_payee=EARNINGS_PER_PAYEE,
    )
    assert reconciliation.reconcile().differences == []
    first, _ = workers.start(2)
    total = len(accounts)

    sending = Payout.objects.filter(status=Payout.Status.SENDING)

    def paid() -> int:
        return Payout.objects.filter(status=Payout.Status.PAID).count()

    def progressed(target: int) -> bool:
        """`target` payouts paid, or nothing left that could pay more (the rest is stuck)."""
        return paid() >= target or not workers.messages_outstanding()

    # When: the worker planning the run is killed as soon as it has made its first payout,
    # every pool process is killed whenever a transfer is under way, and a whole worker dies
    # halfway through.
    run_payouts_task.delay()
    wait_for(Payout.objects.exists, timeout=30, interval=0.002)
    workers.kill_children()
    for step in range(1, 6):
        wait_for(partial(progressed, step * total // 6), timeout=60)
        if step == 3:
            workers.kill_worker(first)
            workers.start(1)
        elif eventually(sending.exists, timeout=10, interval=0.002):  # pools restart slowly
            workers.kill_children()
    workers.wait_until_idle(timeout=60)
    stuck_after_redelivery = Payout.objects.exclude(status=Payout.Status.PAID).count()
    runs_stuck_after_redelivery = PayoutRun.objects.exclude(status=PayoutRun.Status.DONE).count()
    # Nothing is queued or in flight any more. A payout whose transfer Stripe made (its
    # worker died before writing it down) is settled by the sweep that looks it up, two
    # minutes after its claim rather than fifteen:
    made_at_stripe = {
        int(t["metadata"]["payout_id"]) for t in stripe_env.state("transfer", account="platform")
    }
    unrecorded = set(
        Payout.objects.filter(status=Payout.Status.SENDING, pk__in=made_at_stripe).values_list(
            "pk", flat=True
        )
    )
    confirming = timezone.now() - payouts.CONFIRM_SENDING_AFTER - timedelta(seconds=10)
    Payout.objects.exclude(status=Payout.Status.PAID).update(updated_at=confirming)
    settle_sending_payouts_task.delay()
    wait_for(
        lambda: (
            not Payout.objects.filter(pk__in=made_at_stripe, status=Payout.Status.SENDING).exists()
        ),
        timeout=60,
    )
    workers.wait_until_idle(timeout=60)
    assert not Payout.objects.filter(pk__in=unrecorded).exclude(status=Payout.Status.PAID).exists()
    # What is unfinished now was lost for good, until the periodic sweep finds it some
    # minutes later:
    stale = timezone.now() - payouts.STUCK_PAYOUT_AFTER - timedelta(minutes=1)
    Payout.objects.exclude(status=Payout.Status.PAID).update(updated_at=stale)
    PayoutRun.objects.exclude(status=PayoutRun.Status.DONE).update(updated_at=stale)
    resume_stuck_payouts_task.delay()
    wait_for(lambda: paid() == total, timeout=60)
    workers.wait_until_idle(timeout=60)

    # Then: one transfer per account, every earning paid once, books and Stripe agree.
    transfers = stripe_env.state("transfer", account="platform")
    per_payout = Counter(t["metadata"]["payout_id"] for t in transfers)
    made = Payout.objects.select_related("account")
    assert len(transfers) == paid() == Payout.objects.count() == total
    assert set(per_payout.values()) == {1}
    assert {t["id"] for t in transfers} == set(made.values_list("transfer_id", flat=True))
    assert {p.account_id: p.amount for p in made} == owed
    assert {t["destination"]: t["amount"] for t in transfers} == {
        p.account.stripe_id: p.amount for p in made
    }
    assert dict(Earning.objects.values_list("status").annotate(n=Count("id"))) == {
        Earning.Status.PAID: total * EARNINGS_PER_PAYEE
    }
    assert dict(Earning.objects.values_list("payout__account_id").annotate(s=Sum("amount"))) == owed
    assert set(PayoutRun.objects.values_list("status", flat=True)) == {PayoutRun.Status.DONE}
    assert AuditEvent.objects.filter(verb="payments.payout_sent").count() == total
    assert ledger.unbalanced_transactions() == []
    assert all(
        ledger.balance(acc) == 0
        for acc in LedgerAccount.objects.filter(kind__in=[K.TALENT_PAYABLE, K.AGENCY_PAYABLE])
    )
    assert reconciliation.reconcile().differences == []
    # The faults did hit work in flight: some payouts were claimed more than once.
    attempts = list(Payout.objects.values_list("attempts", flat=True))
    assert workers.kills["worker"] == 1 and workers.kills["child"] >= 8
    assert max(attempts) >= 2
    print(
        f"\n  kills: {workers.kills['child']} pool processes, {workers.kills['worker']} whole "
        f"worker · payouts claimed again after a kill: {sum(a > 1 for a in attempts)} "
        f"({sum(attempts) - total} extra claims) · unfinished once the broker was idle: "
        f"{stuck_after_redelivery} payouts, {runs_stuck_after_redelivery} runs (transfer made, "
        f"settled after 2 min: {len(unrecorded)}) · runs: "
        f"{PayoutRun.objects.count()} · transfers {len(transfers)} for {total} accounts"
    )


# --- Webhooks delivered five times, out of order ----------------------------------------


class LossyFrontDoor:
    """Between the sandbox and the live server: passes every delivery through, then tells the
    sandbox the first `copies - 1` attempts of each event failed (as if the answer were lost),
    so the sandbox delivers every event `copies` times, retrying from its pool of threads."""

    def __init__(self, upstream: str, *, copies: int, seed: int) -> None:
        self.upstream, self.copies = upstream, copies
        self.rng = random.Random(seed)
        self.lock = threading.Lock()
        self.seen: Counter[str] = Counter()
        self.arrivals: list[tuple[str, int]] = []  # (event id, our server's answer)
        door = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                event_id = json.loads(body)["id"]
                with door.lock:
                    door.seen[event_id] += 1
                    copy = door.seen[event_id]
                    delay = door.rng.uniform(0, 0.02)
                time.sleep(delay)  # a little jitter on top of the sandbox's own disorder
                status = door.forward(body, self.headers["Stripe-Signature"])
                with door.lock:
                    door.arrivals.append((event_id, status))
                self.send_response(503 if copy < door.copies else status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def forward(self, body: bytes, signature: str) -> int:
        request = urllib.request.Request(
            self.upstream,
            data=body,
            method="POST",
            headers={"Content-Type": "application/json", "Stripe-Signature": signature},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status
        except urllib.error.HTTPError as error:
            return error.code

    def __enter__(self) -> LossyFrontDoor:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_webhooks_delivered_five_times_out_of_order_change_state_once(
    workers, stripe_env, live_server, awaiting_payment, brand_finance
):
    workers.start(1)
    door = LossyFrontDoor(live_server.url + "/payments/stripe/webhook/", copies=5, seed=11)
    with door:
        stripe_env.configure(
            forward_to=door.url,
            webhook_secret=settings.STRIPE_WEBHOOK_SECRET,
            webhook_retry_base=0.05,
        )
        try:
            # When: a brand pays a licence fee and twenty payees onboard, all at once.
            charge = checkout.start_licence_checkout(
                by=brand_finance, reference=awaiting_payment.reference
            )
            stripe_env.complete_checkout(charge.checkout_session_id, card="visa")
            agency = awaiting_payment.agency
            owners: list[dict[str, Any]] = [{"organisation": agency}]
            owners += [{"talent": TalentFactory(agency=agency)} for _ in range(19)]
            accounts = [
                onboarding.ensure_connected_account(by=payout_actor(**owner)) for owner in owners
            ]
            for account in accounts:
                stripe_env.complete_onboarding(account.stripe_id)
            events = {e["id"]: e["type"] for e in stripe_env.events(None)}
            wait_for(
                lambda: (
                    len(door.arrivals) >= 5 * len(events)
                    and not WebhookEvent.objects.filter(processed_at__isnull=True).exists()
                    and WebhookEvent.objects.count() == len(events)
                ),
                timeout=60,
                interval=0.1,
            )
            wait_for(lambda: set(stripe_env.state()["deliveries"]) == {"succeeded"}, timeout=30)
        finally:
            stripe_env.configure(forward_to=None, webhook_secret=None)
    workers.wait_until_idle(timeout=30)

    # Then: every event reached our server five times, interleaved, and was answered 200...
    deliveries = stripe_env.deliveries()
    assert Counter(events.values()) == {
        "payment_intent.created": 1,
        "charge.succeeded": 1,
        "payment_intent.succeeded": 1,
        "checkout.session.completed": 1,
        "account.updated": 20,
        "account.external_account.created": 20,
    }
    assert len(deliveries) == len(events)
    assert {(d["status"], len(d["history"])) for d in deliveries} == {("succeeded", 5)}
    assert Counter(e for e, _ in door.arrivals) == dict.fromkeys(events, 5)
    assert {status for _, status in door.arrivals} == {200}
    order = [e for e, _ in door.arrivals]
    runs = sum(1 for a, b in itertools.pairwise(order) if a != b) + 1
    assert runs > len(events)  # not each event's five copies back to back
    # ...stored once, processed once by the worker, and changed the state once.
    assert sorted(WebhookEvent.objects.values_list("stripe_id", flat=True)) == sorted(events)
    assert set(WebhookEvent.objects.values_list("error", flat=True)) == {""}
    charge.refresh_from_db()
    awaiting_payment.refresh_from_db()
    assert charge.status == Charge.Status.PAID
    assert awaiting_payment.status == Licence.Status.ACTIVE
    assert Earning.objects.filter(charge=charge).count() == 2
    assert ledger.balance(ledger.account(K.CASH, "EUR")) == charge.amount - charge.processing_fee
    assert ledger.unbalanced_transactions() == []
    assert AuditEvent.objects.filter(verb="payments.paid").count() == 1
    assert ConnectedAccount.objects.filter(pk__in=[a.pk for a in accounts]).count() == 20
    assert all(a.ready for a in ConnectedAccount.objects.all())
    assert AuditEvent.objects.filter(verb="payments.account_ready").count() == 20
    print(
        f"\n  {len(events)} events · {len(door.arrivals)} deliveries to the live server · "
        f"{runs} runs of one event's copies in arrival order"
    )
