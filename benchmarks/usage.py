"""Usage reports accepted per second, beside a bare endpoint doing no work (issue 6).

What is measured: requests per second and latency (p50, p95) of the product's usage API,
`POST /api/v1/licences/<ref>/uses` (an organisation API key with the `usage:write` scope;
each request reports a new use with its own idempotency key, so every one is recorded:
`record_usage` checks the use against the licence, counts it against the cap, stores it with
its fee split and audits it) and, in the same run on the same server, of
`/bench/api/licences/<ref>/uses` (benchmarks/bench_urls.py): the same authentication, scope
check, throttle, JSON parsing and serializer validation, answering 201 with a body of the same
shape without touching the database. Both are served by gunicorn on PostgreSQL (and Redis for
the cache, as in production) and loaded from a separate process. The figure of merit is the
ratio usage / bare for requests per second; the goal is at least 0.5. Both endpoints get the
same duration and concurrency, in alternating slices after a warm-up of both.

How:
1. Create the PostgreSQL database if missing, migrate and empty it, then seed through the
   services: a brand with an owner and a fresh API key, `--licences` twins of one agency,
   each licensed to the brand (request, approval, the model's consent; contract and payment
   taken as done: the licence is set active) for social media in DE and FR from today.
2. Count the SQL queries of one request to each endpoint, in process.
3. Start gunicorn (sync workers, settings `benchmarks.bench_settings`, the per-key API rate
   limit raised out of the way) and one Celery worker on Redis (the product's audit chain is
   sealed by a task after each commit: that work runs on the same machine during the load),
   and wait for `/health/`.
4. From a separate process, `--concurrency` threads post uses back to back, rotating over
   the licences; every answer but 201 counts as an error. Then check that every use the
   server accepted is stored exactly once, and how long after the load the worker took to
   seal the last audit event into the hash chain.
5. Print the table (and `--json PATH`); exit 1 when more than 0.1 % of requests failed or a
   use is missing.

Run:  .venv/bin/python -m benchmarks.usage [--duration 15 --concurrency 8 --workers 2
      --licences 4 --json out.json]
Needs PostgreSQL (DATABASE_URL, default the local `likeness_bench_usage`); Redis from
REDIS_URL (default the local one).
"""

from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import os
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from importlib.metadata import version
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.harness import Figures, check_sizes, write_json

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/likeness_bench_usage"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
GOAL_RPS_RATIO = 0.5
MAX_ERROR_RATE = 0.001
WARMUP_SECONDS = 3.0
USAGE_PATH = "/api/v1/licences/{}/uses"
BARE_PATH = "/bench/api/licences/{}/uses"


# --- Setup ---------------------------------------------------------------------------------


def configure_django() -> None:
    harness.configure_django(
        database_url=DEFAULT_DATABASE_URL,
        redis_url=DEFAULT_REDIS_URL,
        env={
            # The per-key API rate (600/min by default) would measure the throttle, not the
            # endpoint; the throttle itself still runs on both endpoints.
            "LIKENESS_API_KEY_RATE": "100000000/min",
            # Its own queue: the sealing tasks of this run go to this run's worker only.
            "CELERY_TASK_DEFAULT_QUEUE": "likeness-bench-usage",
        },
    )


@dataclass(frozen=True)
class World:
    token: str
    references: list[str]
    brand_id: int
    used_on: str


def seed(*, licences: int) -> World:
    """An empty database, then a brand with an API key and `licences` active licences."""
    from django.core.management import call_command
    from django.utils import timezone

    from marketplace.accounts import services as accounts
    from marketplace.accounts.models import Membership, Organisation, Role, User
    from marketplace.licensing import services as licensing
    from marketplace.licensing.models import Licence
    from marketplace.talent.models import Category, RateCard, RateCardLine, Talent, Twin

    call_command("migrate", interactive=False, verbosity=0)
    # Also empties the data migrations' rows; CASCADE for tables a newer checkout added.
    call_command("flush", interactive=False, verbosity=0, allow_cascade=True)
    beauty, _ = Category.objects.get_or_create(slug="beauty", defaults={"name": "Beauty"})
    agency = Organisation.objects.create(
        kind=Organisation.Kind.AGENCY, name="Usage Agency", slug="usage-agency"
    )
    brand = Organisation.objects.create(
        kind=Organisation.Kind.BRAND, name="Usage Brand", slug="usage-brand", commission_bps=0
    )
    owner = Membership.objects.create(
        user=User.objects.create_user(email="owner@usage.bench.test", password=None),
        organisation=brand,
        role=Role.OWNER,
    )
    agency_manager = Membership.objects.create(
        user=User.objects.create_user(email="manager@usage.bench.test", password=None),
        organisation=agency,
        role=Role.MANAGER,
    )
    today = timezone.localdate()
    references = []
    for i in range(licences):
        user = User.objects.create_user(email=f"model{i}@usage.bench.test", password=None)
        talent = Talent.objects.create(
            agency=agency, user=user, full_name=f"Usage Model {i}", email=user.email
        )
        twin = Twin.objects.create(
            talent=talent,
            agency=agency,
            display_name=f"Usage Twin {i}",
            slug=f"usage-twin-{i}",
            description="Benchmark twin.",
            status=Twin.Status.PUBLISHED,
            published_at=timezone.now(),
        )
        card = RateCard.objects.create(twin=twin, currency="EUR")
        RateCardLine.objects.create(
            rate_card=card, media_type="social", base_fee=100_000, per_use_fee=1_000
        )
        twin.permitted_categories.set([beauty])
        licence = licensing.request_licence(
            by=owner,
            twin_id=twin.pk,
            terms=licensing.TermsInput(
                media_types=["social"],
                territories=["DE", "FR"],
                start_date=today,
                end_date=today + timedelta(days=365),
                category="beauty",
                intended_use=(
                    "Instagram and TikTok posts for the autumn skincare launch: eight looks, "
                    "studio backgrounds, no voice."
                ),
            ),
        )
        licensing.approve_licence(by=agency_manager, reference=licence.reference)
        licence.refresh_from_db()
        licensing.give_consent(
            talent=talent,
            user=user,
            reference=licence.reference,
            typed_name=talent.full_name,
            terms_hash=licence.current_terms.terms_hash,
            context=licensing.RequestContext(ip_address="192.0.2.1", user_agent="bench"),
        )
        # Contract signing and payment are other benchmarks' business.
        Licence.objects.filter(pk=licence.pk).update(
            status=Licence.Status.ACTIVE, activated_at=timezone.now()
        )
        references.append(licence.reference)
    issued = accounts.create_api_key(by=owner, name="Usage benchmark", scopes=["usage:write"])
    return World(
        token=issued.token, references=references, brand_id=brand.pk, used_on=today.isoformat()
    )


def active_licences(world: World) -> dict[str, int]:
    """The brand's active licences the uses rotate over, as the database holds them now."""
    from marketplace.licensing.models import Licence

    licences = Licence.objects.filter(
        brand_id=world.brand_id, reference__in=world.references, status=Licence.Status.ACTIVE
    )
    return {"licences": licences.count()}


def use_body(world: World, key: str) -> bytes:
    return json.dumps(
        {
            "used_on": world.used_on,
            "media_type": "social",
            "territory": "DE",
            "asset_reference": f"campaign/{key}.jpg",
            "idempotency_key": key,
        }
    ).encode()


def queries_per_request(world: World) -> dict[str, int]:
    """SQL queries of one request to each endpoint, in process, after a warm call."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client(HTTP_AUTHORIZATION=f"Bearer {world.token}")
    counts = {}
    for name, template in (("usage", USAGE_PATH), ("bare", BARE_PATH)):
        path = template.format(world.references[0])
        for attempt in range(2):
            key = f"queries-{name}-{attempt}"
            with CaptureQueriesContext(connection) as captured:
                response = client.post(path, use_body(world, key), content_type="application/json")
            if response.status_code != 201:
                sys.exit(f"{path} answered {response.status_code} in process: {response.content!r}")
        counts[name] = len(captured.captured_queries)
    return counts


# --- Load generation (runs in a separate process) ------------------------------------------

Sample = tuple[float, int]  # (seconds, HTTP status or 0 for a failed request)


@dataclass(frozen=True)
class Phase:
    name: str
    templates: list[str]
    seconds: float
    recorded: bool


def client_loop(
    port: int,
    world: World,
    templates: Sequence[str],
    deadline: float,
    prefix: str,
    samples: list[Sample],
    accepted: list[str],
) -> None:
    """Post uses back to back on one connection (reopened whenever the server closes it)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Authorization": f"Bearer {world.token}", "Content-Type": "application/json"}
    n = 0
    while time.perf_counter() < deadline:
        template = templates[n % len(templates)]
        path = template.format(world.references[n % len(world.references)])
        key = f"{prefix}-{n}"
        n += 1
        started = time.perf_counter()
        try:
            conn.request("POST", path, body=use_body(world, key), headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            status = 0
        samples.append((time.perf_counter() - started, status))
        if status == 201 and template == USAGE_PATH:
            accepted.append(key)
    conn.close()


def load_process(
    results: Connection, port: int, world: World, phases: list[Phase], concurrency: int
) -> None:
    """Entry point of the load-generating process: run each phase, send back its samples and
    the idempotency keys of the uses the product accepted."""
    accepted: list[str] = []
    run = uuid.uuid4().hex[:8]
    for index, phase in enumerate(phases):
        samples: list[Sample] = []  # list.append is atomic under the GIL
        started = time.perf_counter()
        deadline = started + phase.seconds
        threads = [
            threading.Thread(
                target=client_loop,
                args=(
                    port,
                    world,
                    phase.templates,
                    deadline,
                    f"{run}-{index}-{t}",
                    samples,
                    accepted,
                ),
            )
            for t in range(concurrency)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        if phase.recorded:
            results.send((phase.name, samples, time.perf_counter() - started))
    results.send(("accepted", accepted, 0.0))
    results.close()


def generate_load(
    *, port: int, world: World, phases: list[Phase], concurrency: int
) -> tuple[dict[str, tuple[list[Sample], float]], list[str]]:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=load_process, args=(sender, port, world, phases, concurrency))
    process.start()
    sender.close()
    collected: dict[str, tuple[list[Sample], float]] = {}
    accepted: list[str] = []
    while True:
        name, samples, elapsed = receiver.recv()
        if name == "accepted":
            accepted = samples
            break
        so_far, seconds = collected.get(name, ([], 0.0))
        collected[name] = (so_far + samples, seconds + elapsed)
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the load generator exited with {process.exitcode}")
    return collected, accepted


def plan(duration: float, rounds: int) -> list[Phase]:
    """Warm-up, then the two endpoints in alternating slices (ABBA…)."""
    phases = [Phase("warm-up", [USAGE_PATH, BARE_PATH], WARMUP_SECONDS, recorded=False)]
    pair = [("usage", [USAGE_PATH]), ("bare", [BARE_PATH])]
    for n in range(rounds):
        for name, templates in pair if n % 2 == 0 else reversed(pair):
            phases.append(Phase(name, templates, duration / rounds, recorded=True))
    return phases


# --- Figures -------------------------------------------------------------------------------


def summarise(samples: list[Sample], elapsed: float) -> Figures:
    return harness.summarise(samples, elapsed, ok_status=201)


def stored_exactly_once(world: World, accepted: list[str]) -> dict[str, int]:
    """Every use the server answered 201 for is stored, once, with its fee."""
    from django.db.models import Count

    from marketplace.payments.models import UsageReport

    reports = UsageReport.objects.filter(brand_id=world.brand_id, idempotency_key__in=accepted)
    per_key = reports.values("idempotency_key").annotate(n=Count("id"))
    return {
        "accepted": len(accepted),
        "stored": sum(row["n"] for row in per_key),
        "missing": len(set(accepted)) - per_key.count(),
        "duplicated": sum(1 for row in per_key if row["n"] > 1),
    }


def start_celery_worker(*, log: Any) -> subprocess.Popen[bytes]:
    queue = os.environ["CELERY_TASK_DEFAULT_QUEUE"]
    command = [sys.executable, "-m", "celery", "-A", "config", "worker", "-Q", queue]
    command += ["-c", "1", "--without-gossip", "--without-mingle", "--loglevel", "WARNING"]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "config.settings"}
    return subprocess.Popen(command, cwd=harness.REPO_ROOT, env=env, stdout=log, stderr=log)


def seal_lag(timeout: float = 120.0) -> float:
    """Seconds until every audit event is sealed (the worker's backlog after the load)."""
    from marketplace.core.models import AuditEvent

    started = time.monotonic()
    while AuditEvent.objects.filter(seq__isnull=True).exists():
        if time.monotonic() - started > timeout:
            raise RuntimeError(f"audit events still unsealed after {timeout:g} s")
        time.sleep(0.05)
    return time.monotonic() - started


def measure(args: argparse.Namespace, world: World) -> tuple[dict[str, Figures], list[str], float]:
    from benchmarks.harness import serving, stop

    phases = plan(args.duration, args.rounds)
    with serving(workers=args.workers) as (port, log):
        worker = start_celery_worker(log=log)
        try:
            collected, accepted = generate_load(
                port=port, world=world, phases=phases, concurrency=args.concurrency
            )
            lag = seal_lag()
        finally:
            stop(worker)
    return {name: summarise(*result) for name, result in collected.items()}, accepted, lag


def build_report(
    args: argparse.Namespace,
    queries: dict[str, int],
    figures: dict[str, Figures],
    stored: dict[str, int],
    load: dict[str, float],
) -> dict[str, Any]:
    from django.conf import settings

    from benchmarks.harness import database_version, machine

    usage, bare = figures["usage"], figures["bare"]
    ratio = usage.requests_per_second / bare.requests_per_second
    return {
        "benchmark": "usage",
        "machine": {**machine(), "load_average_1m": load},
        "database": database_version(),
        "gunicorn": version("gunicorn"),
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "params": {
            "duration": args.duration,
            "concurrency": args.concurrency,
            "workers": args.workers,
            "rounds": args.rounds,
            "licences": args.licences,
        },
        "queries": queries,
        "usage": asdict(usage),
        "bare": asdict(bare),
        "stored": stored,
        "ratio": {"requests_per_second": ratio, "p95": usage.p95_ms / bare.p95_ms},
        "goal": {
            "requests_per_second_ratio_at_least": GOAL_RPS_RATIO,
            "met": ratio >= GOAL_RPS_RATIO,
        },
    }


def audit_chain_after(lag: float) -> dict[str, Any]:
    from marketplace.core import audit

    chain = audit.verify_chain()
    return {
        "seal_lag_after_load_s": lag,
        "verified": chain.checked,
        "unsealed": chain.unsealed,
        "ok": chain.ok,
    }


def print_report(report: dict[str, Any]) -> None:
    m, p, q, s = report["machine"], report["params"], report["queries"], report["stored"]
    ratio = report["ratio"]
    load = m["load_average_1m"]
    print()
    print("Likeness usage reporting benchmark (issue 6)")
    print(
        f"  machine   {m['nproc']} CPU · {m['cpu']} · Python {m['python']} · load average "
        f"(1 min) {load['before']:.2f} before the load test, {load['after']:.2f} after"
    )
    print(
        f"  server    gunicorn {report['gunicorn']} · {p['workers']} sync workers · "
        f"{report['database']} · cache {report['cache']}"
    )
    print(
        f"  load      {p['concurrency']} connections from a separate process · "
        f"{p['duration']:g} s per endpoint in {p['rounds']} alternating slices after "
        f"{WARMUP_SECONDS:g} s warm-up · uses spread over {p['licences']} licences"
    )
    print(f"  queries   usage: {q['usage']} per report · bare: {q['bare']} (authentication)")
    print()
    print(f"  {'endpoint':<10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'requests':>10}{'errors':>8}")
    for name in ("usage", "bare"):
        f = report[name]
        print(
            f"  {name:<10}{f['requests_per_second']:>9.1f}{f['p50_ms']:>9.1f}"
            f"{f['p95_ms']:>9.1f}{f['requests']:>10}{f['errors']:>8}"
        )
    print()
    verdict = "met" if report["goal"]["met"] else "NOT met"
    print(
        f"  ratio usage/bare  req/s {ratio['requests_per_second']:.2f} "
        f"(goal ≥ {GOAL_RPS_RATIO}: {verdict}) · p95 {ratio['p95']:.2f} x"
    )
    print(
        f"  stored    {s['stored']:,} of {s['accepted']:,} accepted uses · missing "
        f"{s['missing']} · duplicated {s['duplicated']}"
    )
    if "audit_chain" in report:
        a = report["audit_chain"]
        print(
            f"  audit     chain {'OK' if a['ok'] else 'BROKEN'}: {a['verified']:,} events "
            f"verified, {a['unsealed']} unsealed · the worker sealed the last one "
            f"{a['seal_lag_after_load_s']:.2f} s after the load stopped"
        )


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per endpoint")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--rounds", type=int, default=3, help="alternating slices per endpoint")
    parser.add_argument("--licences", type=int, default=4, help="licences the uses rotate over")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_django()
    world = seed(licences=args.licences)
    check_sizes(active_licences(world), {"licences": args.licences})
    queries = queries_per_request(world)
    from django.db import connection, connections

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")
    connections.close_all()
    load_before = os.getloadavg()[0]
    figures, accepted, lag = measure(args, world)
    load = {"before": load_before, "after": os.getloadavg()[0]}
    stored = stored_exactly_once(world, accepted)
    report = build_report(args, queries, figures, stored, load)
    report["audit_chain"] = audit_chain_after(lag)
    print_report(report)
    write_json(args.json, report)
    failed = [name for name, f in figures.items() if f.error_rate > MAX_ERROR_RATE]
    if failed:
        print(f"  FAILED: more than {MAX_ERROR_RATE:.1%} errors on {', '.join(failed)}")
    if stored["missing"] or stored["duplicated"]:
        print("  FAILED: accepted uses are missing or stored twice")
    if not report["audit_chain"]["ok"]:
        print("  FAILED: the audit chain does not verify")
    broken = not report["audit_chain"]["ok"]
    return 1 if failed or stored["missing"] or stored["duplicated"] or broken else 0


if __name__ == "__main__":
    sys.exit(main())
