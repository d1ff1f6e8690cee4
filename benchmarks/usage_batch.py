"""A 10,000-use batch on PostgreSQL: seconds, and queries per batch at 100 and 10,000 uses
(issue 15).

What is measured: `record_usage_batch`, in process, for one licence: each use checked as a
single report is (window, media, territory, consent, state, cap, idempotency key), then
counted, stored with its fee split and audited. The figures are the SQL queries of a batch
of `--small` and of `--uses` new uses (goal: equal), and the seconds of a batch of `--uses`
(the median of `--rounds`; goal: at most 3 s). Sealing the audit events into the hash chain
is the worker's job after the commit and is timed apart (`seal_seconds`).

How: the usage benchmark's database set-up and seed (a brand and one active licence, for
social media in DE and FR from today), one warm batch of 10, then the measured batches, each
of new keys. Prints the table (and `--json PATH`); exit 1 when a goal is not met or a use
was not created.

Run:  .venv/bin/python -m benchmarks.usage_batch [--uses 10000 --small 100 --rounds 3
      --json out.json]
Needs PostgreSQL (DATABASE_URL, default the local `likeness_bench_usage_batch`).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/likeness_bench_usage_batch"
GOAL_SECONDS = 3.0


def run_batch(owner: Any, reference: str, used_on: str, prefix: str, size: int) -> tuple:
    """(queries, seconds, created, cpu seconds) of one batch of `size` new uses; the CPU
    seconds are this process's plus its PostgreSQL server process's (None when the server is
    not on this machine)."""
    from datetime import date

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from benchmarks.harness import backend_cpu_seconds
    from marketplace.payments.services import usage

    uses = [
        usage.UsageInput(
            used_on=date.fromisoformat(used_on),
            media_type="social",
            territory="DE",
            asset_reference=f"campaign/{prefix}-{n}.jpg",
            idempotency_key=f"{prefix}-{n}",
        )
        for n in range(size)
    ]
    server_before = backend_cpu_seconds()
    with CaptureQueriesContext(connection) as captured:
        client_before = time.process_time()
        started = time.perf_counter()
        outcomes = usage.record_usage_batch(by=owner, reference=reference, uses=uses)
        seconds = time.perf_counter() - started
        client = time.process_time() - client_before
    server_after = backend_cpu_seconds()
    cpu = (
        client + server_after - server_before
        if server_before is not None and server_after is not None
        else None
    )
    created = sum(o.outcome == "created" for o in outcomes)
    return len(captured.captured_queries), seconds, created, cpu


def check_batches(brand_id: int, *, small: int, large: int, rounds: int) -> None:
    """Count the uses each batch stored (by its keys' prefix) and fail (harness.check_sizes)
    unless the small batch and every large one stored exactly their size: the query counts
    of two sizes are compared, never of one size with itself."""
    from benchmarks.harness import check_sizes
    from marketplace.payments.models import UsageReport

    stored = UsageReport.objects.filter(brand_id=brand_id)
    measured = {"small": stored.filter(idempotency_key__startswith="small-").count()}
    named = {"small": small}
    for n in range(rounds):
        measured[f"large {n + 1}"] = stored.filter(idempotency_key__startswith=f"large{n}-").count()
        named[f"large {n + 1}"] = large
    check_sizes(measured, named)
    check_sizes(
        {"small": measured["small"], "large": measured["large 1"]},
        {"small": small, "large": large},
        places={"small": "keys small-*", "large": "keys large0-*"},
    )


def measure(args: argparse.Namespace) -> dict[str, Any]:
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    # Its own queue: the sealing tasks this run queues wait for no worker of another run.
    os.environ["CELERY_TASK_DEFAULT_QUEUE"] = "likeness-bench-usage-batch"
    from benchmarks.usage import configure_django, seed

    configure_django()
    world = seed(licences=1)
    from benchmarks.harness import database_version, machine
    from marketplace.accounts.models import Membership, Role
    from marketplace.core import audit

    owner = Membership.objects.select_related("user", "organisation").get(
        organisation_id=world.brand_id, role=Role.OWNER
    )
    reference = world.references[0]
    run_batch(owner, reference, world.used_on, "warm", 10)
    small_queries, small_seconds, small_created, _ = run_batch(
        owner, reference, world.used_on, "small", args.small
    )
    rounds = [
        run_batch(owner, reference, world.used_on, f"large{n}", args.uses)
        for n in range(args.rounds)
    ]
    check_batches(world.brand_id, small=args.small, large=args.uses, rounds=args.rounds)
    started = time.perf_counter()
    audit.seal_pending()
    seal_seconds = time.perf_counter() - started
    large_queries = {r[0] for r in rounds}
    seconds = statistics.median(r[1] for r in rounds)
    cpu = [r[3] for r in rounds if r[3] is not None]
    cpu_seconds = statistics.median(cpu) if cpu else None
    all_created = small_created == args.small and all(r[2] == args.uses for r in rounds)
    return {
        "benchmark": "usage_batch",
        "machine": {**machine(), "load_average_1m": os.getloadavg()[0]},
        "database": database_version(),
        "params": {"uses": args.uses, "small": args.small, "rounds": args.rounds},
        "queries": {"small": small_queries, "large": sorted(large_queries)},
        "seconds": {
            "large_median": seconds,
            "large_rounds": [r[1] for r in rounds],
            "small": small_seconds,
        },
        "cpu_seconds_median": cpu_seconds,
        "uses_per_second": args.uses / seconds,
        "seal_seconds": seal_seconds,
        "all_created": all_created,
        "goal": {
            "equal_queries": large_queries == {small_queries},
            "seconds_at_most": GOAL_SECONDS,
            "met": large_queries == {small_queries} and seconds <= GOAL_SECONDS and all_created,
        },
    }


def print_report(report: dict[str, Any]) -> None:
    m, p, q, s = report["machine"], report["params"], report["queries"], report["seconds"]
    print()
    print("Likeness usage batch benchmark (issue 15)")
    print(
        f"  machine   {m['nproc']} CPU · {m['cpu']} · Python {m['python']} · load average "
        f"(1 min) {m['load_average_1m']:.2f} · {report['database']}"
    )
    print(
        f"  queries   {q['small']} per batch of {p['small']:,} uses · "
        f"{', '.join(map(str, q['large']))} per batch of {p['uses']:,}"
    )
    print(
        f"  time      {s['large_median']:.2f} s per batch of {p['uses']:,} (median of "
        f"{p['rounds']}: {', '.join(f'{x:.2f}' for x in s['large_rounds'])}) · "
        f"{report['uses_per_second']:,.0f} uses/s · {s['small'] * 1000:.0f} ms for "
        f"{p['small']:,} · sealing the audit chain afterwards {report['seal_seconds']:.2f} s"
    )
    if report["cpu_seconds_median"] is not None:
        print(
            f"  cpu       {report['cpu_seconds_median']:.2f} s per batch of {p['uses']:,} "
            "(this process and its PostgreSQL server process, median): the batch's own cost, "
            "which the wall-clock time approaches on an idle machine"
        )
    verdict = "met" if report["goal"]["met"] else "NOT met"
    print(f"  goal      equal query counts and ≤ {GOAL_SECONDS:g} s: {verdict}")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--uses", type=int, default=10_000, help="uses in the large batch")
    parser.add_argument("--small", type=int, default=100, help="uses in the small batch")
    parser.add_argument("--rounds", type=int, default=3, help="large batches timed")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    report = measure(args)
    print_report(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    return 0 if report["goal"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
