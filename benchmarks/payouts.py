"""A payout run against Stripe's test-mode rate limit (issue 6).

What is measured: the wall time of one payout run, from `run_payouts_task` being enqueued to
the last payout marked paid, over `--earnings` available earnings owed to `--accounts`
connected accounts (talent and agencies), done by real `celery worker` processes over Redis
on PostgreSQL, against the local Stripe sandbox answering 429 beyond 25 requests/s (Stripe's
test-mode limit). The workers pace their Stripe calls at `--rate` requests/s between them
(settings.STRIPE_MAX_REQUESTS_PER_SECOND, shared through Redis). A run makes one transfer per
account, so it cannot take less than accounts / rate seconds; the figure of merit is what we
add to that: (elapsed - accounts / rate) / transfers. Checked afterwards: one transfer per
account and none twice (transfers grouped by `metadata.payout_id`), every earning paid, the
ledger balanced and `reconciliation.reconcile()` clean.

How:
1. Create the PostgreSQL database if missing, migrate, and empty it (the sandbox is new every
   run, so the last run's connected accounts and paid earnings mean nothing to it).
2. Start the sandbox with `--rate-limit 25` (lifted while seeding, which is not measured) and
   `--verbose`, whose request log is where 429s are counted.
3. Seed: agencies and talent with bulk inserts; each payee's Express account created through
   `ensure_connected_account` (by the model, or her agency's owner), onboarded at the sandbox
   and synced, from 8 threads; then
   earnings / accounts brand payments, each a real card charge at the sandbox with one earning
   per payee in it, booked in the ledger like `_book_payment` (bulk-inserted earnings).
4. Start `--workers` workers of `--concurrency` pool processes on a queue of this run, switch
   the sandbox's limit on, enqueue the run, and poll the database until every payout is paid.
5. Lift the limit again, verify, print the table (and `--json PATH`). Exit 1 if a check fails.

Run:  .venv/bin/python -m benchmarks.payouts [--accounts 1000 --earnings 100000 --rate 20
      --workers 2 --concurrency 2 --json out.json]
Needs PostgreSQL (DATABASE_URL, default the local `likeness_bench_payouts`) and Redis
(REDIS_URL, default the local one).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.harness import check_sizes, write_json

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/likeness_bench_payouts"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
STRIPE_TEST_MODE_LIMIT = 25
API_KEY = "sk_test_likeness_bench_payouts"
TALENT_PER_AGENCY = 9
SEED_THREADS = 8
SEED_BATCH = 5000


# --- Setup ---------------------------------------------------------------------------------


def configure(args: argparse.Namespace, sandbox_url: str, queue: str) -> None:
    """Environment for this process and the workers, then Django."""
    harness.configure_django(
        "config.settings",
        database_url=DEFAULT_DATABASE_URL,
        redis_url=DEFAULT_REDIS_URL,
        env={
            "LOG_LEVEL": "WARNING",
            "CELERY_TASK_ALWAYS_EAGER": "false",
            "CELERY_TASK_DEFAULT_QUEUE": queue,
            "STRIPE_API_BASE": sandbox_url,
            "STRIPE_SECRET_KEY": API_KEY,
            "STRIPE_MAX_REQUESTS_PER_SECOND": str(args.rate),
            # Payout emails are rendered and sent by the workers, to memory.
            "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
        },
    )


def migrate_and_empty() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)
    # CASCADE: tables a newer checkout migrated into this database refer to ours.
    call_command("flush", interactive=False, verbosity=0, allow_cascade=True)


# --- Seeding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    accounts: int
    earnings: int
    charges: int
    owed: int
    onboarding_seconds: float
    seconds: float


def seed(sandbox: Any, *, accounts: int, earnings: int) -> Seeded:
    from django.db import connections

    started = time.perf_counter()
    sandbox.configure(rate_limit=None)
    owners = create_payees(accounts)
    onboarding = time.perf_counter()
    with ThreadPoolExecutor(SEED_THREADS) as pool:
        connected = list(pool.map(lambda owner: onboard(sandbox, owner), owners))
    connections.close_all()
    onboarding_seconds = time.perf_counter() - onboarding
    charges, owed = create_earnings(sandbox, connected, earnings)
    return Seeded(
        accounts=len(connected),
        earnings=earnings,
        charges=charges,
        owed=owed,
        onboarding_seconds=onboarding_seconds,
        seconds=time.perf_counter() - started,
    )


def create_payees(count: int) -> list[dict[str, Any]]:
    """Agencies with TALENT_PER_AGENCY talent each, `count` payees in all."""
    from marketplace.accounts.models import Organisation
    from marketplace.talent.models import Talent

    n_agencies = max(1, round(count / (TALENT_PER_AGENCY + 1)))
    agencies = Organisation.objects.bulk_create(
        Organisation(
            kind=Organisation.Kind.AGENCY,
            name=f"Payout Agency {i}",
            slug=f"payout-agency-{i}",
            country="FR",
            commission_bps=2000,
        )
        for i in range(n_agencies)
    )
    talent = Talent.objects.bulk_create(
        Talent(
            agency=agencies[i % n_agencies],
            full_name=f"Payout Model {i}",
            email=f"model{i}@payouts.bench.test",
        )
        for i in range(count - n_agencies)
    )
    return [{"organisation": a} for a in agencies] + [{"talent": t} for t in talent]


def payout_actor(owner: dict[str, Any]) -> Any:
    """Who sets the payee's payouts up: the model herself, or her agency's owner."""
    from marketplace.accounts.models import Membership, Role, User

    if "talent" in owner:
        talent = owner["talent"]
        talent.user = User.objects.create(email=f"signin-{talent.email}")
        talent.save(update_fields=["user"])
        return talent.user
    agency = owner["organisation"]
    user = User.objects.create(email=f"owner@{agency.slug}.bench.test")
    return Membership.objects.create(user=user, organisation=agency, role=Role.OWNER)


def onboard(sandbox: Any, owner: dict[str, Any]) -> Any:
    from django.db import connection

    from marketplace.payments.services import onboarding

    try:
        account = onboarding.ensure_connected_account(by=payout_actor(owner))
        sandbox.complete_onboarding(account.stripe_id)
        return onboarding.sync_account(stripe_id=account.stripe_id)
    finally:
        connection.close()


def create_earnings(sandbox: Any, accounts: Sequence[Any], earnings: int) -> tuple[int, int]:
    """Earning i is owed to account i % accounts from brand payment i // accounts. Returns
    (payments, total owed)."""
    from django.db import transaction
    from django.utils import timezone

    from marketplace.accounts.models import Organisation
    from marketplace.payments import ledger
    from marketplace.payments.models import Charge, Earning, LedgerAccount
    from marketplace.payments.services import checkout

    K = LedgerAccount.Kind
    rng = random.Random(6)
    now = timezone.now()
    licence = bench_licence()
    brand = Organisation.objects.get(pk=licence.brand_id)
    client = sandbox.client()
    cash = ledger.account(K.CASH, "EUR")
    revenue = ledger.account(K.PLATFORM_REVENUE, "EUR")
    fees = ledger.account(K.PROCESSING_FEES, "EUR")
    payables = {
        a.pk: (
            ledger.account(K.TALENT_PAYABLE, "EUR", talent=a.talent)
            if a.talent_id
            else ledger.account(K.AGENCY_PAYABLE, "EUR", organisation=a.organisation)
        )
        for a in accounts
    }
    n = len(accounts)
    rows: list[Any] = []
    owed = 0
    payments = -(-earnings // n)
    for p in range(payments):
        payees = accounts[: min(n, earnings - p * n)]
        shares = {a.pk: rng.randint(500, 5_000) for a in payees}
        subtotal = sum(shares.values())
        amount = subtotal * 10 // 9  # the platform keeps a tenth
        paid = client.v1.charges.create(
            params={
                "amount": amount,
                "currency": "eur",
                # Paid days before the run: funds available, one transfer per payee.
                "source": "tok_bypassPending",
                "expand": ["balance_transaction"],
            }
        )
        with transaction.atomic():
            charge = Charge.objects.create(
                kind=Charge.Kind.USAGE,
                status=Charge.Status.PAID,
                brand=brand,
                amount=amount,
                currency="EUR",
                stripe_charge_id=paid.id,
                processing_fee=paid.balance_transaction.fee,
                paid_at=now,
            )
            ledger.post(
                key=f"charge-paid:{charge.pk}",
                kind="brand_payment",
                description="Usage payment (benchmark seed)",
                lines=[
                    ledger.Line(cash, amount),
                    ledger.Line(revenue, subtotal - amount),
                    *(ledger.Line(payables[pk], -share) for pk, share in shares.items()),
                ],
            )
            ledger.post(
                key=f"charge-fee:{charge.pk}",
                kind="processing_fee",
                description="Stripe processing fee",
                lines=[
                    ledger.Line(fees, charge.processing_fee),
                    ledger.Line(cash, -charge.processing_fee),
                ],
            )
        owed += subtotal
        rows += [
            Earning(
                talent_id=a.talent_id,
                organisation_id=a.organisation_id,
                licence=licence,
                charge=charge,
                source=Earning.Source.USAGE,
                amount=shares[a.pk],
                currency="EUR",
                brand_paid_at=now,
                due_by=now + timedelta(days=checkout.FWA_DAYS),
            )
            for a in payees
        ]
        if len(rows) >= SEED_BATCH:
            Earning.objects.bulk_create(rows, batch_size=SEED_BATCH)
            rows = []
    Earning.objects.bulk_create(rows, batch_size=SEED_BATCH)
    return payments, owed


def bench_licence() -> Any:
    """One active licence the earnings name (a payout looks only at the payee)."""
    from marketplace.accounts.models import Organisation, User
    from marketplace.licensing.models import Licence
    from marketplace.talent.models import Talent, Twin

    brand = Organisation.objects.create(
        kind=Organisation.Kind.BRAND, name="Payout Brand", slug="payout-brand", commission_bps=0
    )
    talent = Talent.objects.filter(agency__slug__startswith="payout-agency-").first()
    assert talent is not None
    twin = Twin.objects.create(
        talent=talent,
        agency_id=talent.agency_id,
        display_name="Payout Twin",
        slug="payout-twin",
        description="Benchmark twin.",
        status=Twin.Status.PUBLISHED,
    )
    user = User.objects.create_user(email="brand@payouts.bench.test", password=None)
    return Licence.objects.create(
        reference="BENCH-PAYOUTS",
        brand=brand,
        agency_id=talent.agency_id,
        twin=twin,
        talent=talent,
        requested_by=user,
        status=Licence.Status.ACTIVE,
    )


def owed_rows() -> dict[str, int]:
    """The payees' connected accounts able to receive payouts and the earnings owed to them,
    as the database holds them now (it was emptied before seeding)."""
    from marketplace.payments.models import ConnectedAccount, Earning

    return {
        "accounts": ConnectedAccount.objects.filter(payouts_enabled=True).count(),
        "earnings": Earning.objects.count(),
    }


# --- Workers -------------------------------------------------------------------------------


class Workers:
    """`celery worker` processes on this run's queue (and each on a queue of its own)."""

    def __init__(self, *, queue: str, count: int, concurrency: int, log: Any) -> None:
        celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
        self.processes: list[tuple[subprocess.Popen[bytes], str]] = []
        for i in range(count):
            own = f"{queue}-{i}"
            command = [
                celery,
                "-A",
                "config",
                "worker",
                "-Q",
                f"{queue},{own}",
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
                f"{own}@%h",
            ]
            proc = subprocess.Popen(
                command,
                cwd=harness.REPO_ROOT,
                env=dict(os.environ),
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
            self.processes.append((proc, own))

    def wait_until_consuming(self, timeout: float = 120) -> None:
        from marketplace.core.tasks import ping_task

        deadline = time.monotonic() + timeout
        for proc, own in self.processes:
            while True:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("a celery worker did not start")
                try:
                    if ping_task.apply_async(args=["up"], queue=own).get(timeout=5) == "pong:up":
                        break
                except Exception:
                    continue

    def stop(self) -> None:
        for proc, _ in self.processes:
            if proc.poll() is None:
                os.killpg(proc.pid, signal.SIGTERM)
        for proc, _ in self.processes:
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()


# --- CPU time, from /proc ------------------------------------------------------------------


def _cpu_of(pid: int, *, reaped_children: bool) -> float:
    """CPU seconds of one process (and of its children it has already reaped)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    # After the ")": state is field 3 of stat(5); utime 14, stime 15, cutime 16, cstime 17.
    ticks = int(fields[11]) + int(fields[12])
    if reaped_children:
        ticks += int(fields[13]) + int(fields[14])
    return ticks / os.sysconf("SC_CLK_TCK")


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.exists() else []


def cpu_seconds(pids: Sequence[int]) -> float:
    """CPU seconds used so far by these processes and all their pool processes."""
    return sum(
        _cpu_of(pid, reaped_children=True)
        + sum(_cpu_of(child, reaped_children=True) for child in _children(pid))
        for pid in pids
    )


# --- The measured run ----------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    elapsed: float
    planning: float
    first_paid: float
    requests: int
    rate_limited: int
    worker_cpu_seconds: float
    sandbox_cpu_seconds: float
    load_average_before: float
    load_average_after: float


def measure(sandbox: Any, workers: Workers, *, accounts: int, timeout: float) -> Run:
    from marketplace.payments.models import Payout, PayoutRun
    from marketplace.payments.tasks import run_payouts_task

    sandbox.configure(rate_limit=STRIPE_TEST_MODE_LIMIT)
    log_start = len(sandbox.output())
    worker_pids = [proc.pid for proc, _ in workers.processes]
    sandbox_pid = sandbox.process.pid
    cpu_before = cpu_seconds(worker_pids), cpu_seconds([sandbox_pid])
    load_before = os.getloadavg()[0]
    started = time.perf_counter()
    run_payouts_task.delay()
    planning = first_paid = 0.0
    while True:
        time.sleep(0.1)
        now = time.perf_counter() - started
        paid = Payout.objects.filter(status=Payout.Status.PAID).count()
        if not first_paid and paid:
            first_paid = now
        if not planning and PayoutRun.objects.exclude(status=PayoutRun.Status.PLANNING).exists():
            planning = now
        if paid >= accounts and not PayoutRun.objects.exclude(status="done").exists():
            elapsed = now
            break
        if now > timeout:
            raise RuntimeError(f"the run did not finish in {timeout:.0f} s ({paid} paid)")
    cpu_after = cpu_seconds(worker_pids), cpu_seconds([sandbox_pid])
    lines = [line for line in sandbox.output()[log_start:].splitlines() if '"' in line]
    sandbox.configure(rate_limit=None)
    return Run(
        elapsed=elapsed,
        planning=planning,
        first_paid=first_paid,
        requests=sum(" /v1/" in line for line in lines),
        rate_limited=sum('" 429 ' in line for line in lines),
        worker_cpu_seconds=cpu_after[0] - cpu_before[0],
        sandbox_cpu_seconds=cpu_after[1] - cpu_before[1],
        load_average_before=load_before,
        load_average_after=os.getloadavg()[0],
    )


def verify(sandbox: Any, *, accounts: int, earnings: int, owed: int) -> dict[str, Any]:
    from django.db.models import Sum

    from marketplace.payments import ledger, reconciliation
    from marketplace.payments.models import Earning, Payout

    transfers = sandbox.state("transfer", account="platform")
    per_payout = Counter(t["metadata"].get("payout_id") for t in transfers)
    paid = Payout.objects.filter(status=Payout.Status.PAID)
    unpaid_earnings = Earning.objects.exclude(status=Earning.Status.PAID).count()
    report = reconciliation.reconcile()
    checks = {
        "transfers": len(transfers),
        "payouts_paid": paid.count(),
        "duplicate_transfers": sum(n - 1 for n in per_payout.values()),
        "transferred": sum(t["amount"] for t in transfers),
        "owed": owed,
        "earnings_paid": Earning.objects.filter(status=Earning.Status.PAID).count(),
        "earnings_unpaid": unpaid_earnings,
        "paid_out": paid.aggregate(s=Sum("amount"))["s"] or 0,
        "unbalanced_ledger_transactions": len(ledger.unbalanced_transactions()),
        "reconciliation_differences": report.differences,
    }
    checks["ok"] = (
        checks["transfers"] == checks["payouts_paid"] == accounts
        and checks["duplicate_transfers"] == 0
        and checks["transferred"] == checks["paid_out"] == owed
        and checks["earnings_paid"] == earnings
        and unpaid_earnings == 0
        and checks["unbalanced_ledger_transactions"] == 0
        and not report.differences
    )
    return checks


# --- Report --------------------------------------------------------------------------------


def build_report(
    args: argparse.Namespace, seeded: Seeded, run: Run, checks: dict[str, Any]
) -> dict[str, Any]:
    from benchmarks.harness import database_version, machine

    minimum = checks["transfers"] / args.rate
    return {
        "benchmark": "payouts",
        "machine": machine(),
        "database": database_version(),
        "params": {
            "accounts": args.accounts,
            "earnings": args.earnings,
            "rate": args.rate,
            "stripe_rate_limit": STRIPE_TEST_MODE_LIMIT,
            "workers": args.workers,
            "concurrency": args.concurrency,
        },
        "seed": asdict(seeded),
        "run": asdict(run),
        "minimum_seconds": minimum,
        "minimum_seconds_at_stripe_limit": checks["transfers"] / STRIPE_TEST_MODE_LIMIT,
        "overhead_ms_per_transfer": (run.elapsed - minimum) / checks["transfers"] * 1000,
        "transfers_per_second": checks["transfers"] / run.elapsed,
        "worker_cpu_ms_per_transfer": run.worker_cpu_seconds / checks["transfers"] * 1000,
        "sandbox_cpu_ms_per_transfer": run.sandbox_cpu_seconds / checks["transfers"] * 1000,
        "checks": checks,
    }


def print_report(report: dict[str, Any]) -> None:
    m, p, s, r, c = (
        report["machine"],
        report["params"],
        report["seed"],
        report["run"],
        report["checks"],
    )
    print()
    print("Likeness payout benchmark (issue 6)")
    print(
        f"  machine      {m['nproc']} CPU · {m['cpu']} · Python {m['python']} · load average "
        f"(1 min) {r['load_average_before']:.2f} before the run, "
        f"{r['load_average_after']:.2f} after"
    )
    print(
        f"  database     {report['database']} · {s['earnings']:,} earnings from "
        f"{s['charges']} card payments for {s['accounts']:,} connected accounts "
        f"(seeded in {s['seconds']:.0f} s, {s['onboarding_seconds']:.0f} s of it onboarding)"
    )
    print(
        f"  workers      {p['workers']} celery worker(s) × {p['concurrency']} prefork "
        f"processes over Redis · client-side limit {p['rate']:g} req/s shared through Redis"
    )
    print(
        f"  Stripe       local sandbox · 429 beyond {p['stripe_rate_limit']} req/s "
        f"(Stripe's test mode)"
    )
    print()
    print(
        f"  transfers issued        {c['transfers']:>9,}   (accounts {p['accounts']:,}, "
        f"duplicates {c['duplicate_transfers']})"
    )
    print(
        f"  429s seen               {r['rate_limited']:>9,}   "
        f"({r['requests']:,} API requests in the run)"
    )
    print(
        f"  elapsed                 {r['elapsed']:>9.1f} s (planning done at "
        f"{r['planning']:.1f} s, first paid at {r['first_paid']:.1f} s)"
    )
    print(
        f"  minimum at {p['rate']:g}/s          {report['minimum_seconds']:>9.1f} s "
        f"(at Stripe's {p['stripe_rate_limit']}/s: "
        f"{report['minimum_seconds_at_stripe_limit']:.1f} s)"
    )
    print(
        f"  overhead per transfer   {report['overhead_ms_per_transfer']:>9.1f} ms  "
        f"({report['transfers_per_second']:.2f} transfers/s)"
    )
    print(
        f"  CPU per transfer        {report['worker_cpu_ms_per_transfer']:>9.1f} ms  "
        f"in the workers (planning included), "
        f"{report['sandbox_cpu_ms_per_transfer']:.1f} ms in the sandbox"
    )
    verdict = "clean" if not c["reconciliation_differences"] else "DIFFERENCES"
    print(
        f"  reconciliation          {verdict:>9}   ({len(c['reconciliation_differences'])} "
        f"differences · ledger unbalanced: {c['unbalanced_ledger_transactions']} · earnings "
        f"paid {c['earnings_paid']:,}, unpaid {c['earnings_unpaid']})"
    )
    if not c["ok"]:
        print("  FAILED: " + json.dumps({k: v for k, v in c.items() if k != "ok"})[:2000])


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--accounts", type=int, default=1_000)
    parser.add_argument("--earnings", type=int, default=100_000)
    parser.add_argument(
        "--rate", type=float, default=20.0, help="client-side Stripe requests/s (all workers)"
    )
    parser.add_argument("--workers", type=int, default=2, help="celery worker processes")
    parser.add_argument("--concurrency", type=int, default=2, help="pool processes per worker")
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    args = parser.parse_args(argv)
    if args.accounts < 2 or args.earnings < args.accounts or args.rate <= 0:
        parser.error("need at least 2 accounts, an earning per account and a positive rate")
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    from stripe_sandbox.testing import run_sandbox

    queue = f"likeness-bench-payouts-{uuid.uuid4().hex[:8]}"
    with (
        run_sandbox(args=["--verbose"]) as sandbox,
        tempfile.TemporaryFile() as worker_log,
    ):
        configure(args, sandbox.base_url, queue)
        migrate_and_empty()
        print(f"seeding {args.earnings:,} earnings for {args.accounts:,} accounts…", flush=True)
        seeded = seed(sandbox, accounts=args.accounts, earnings=args.earnings)
        check_sizes(owed_rows(), {"accounts": args.accounts, "earnings": args.earnings})
        workers = Workers(
            queue=queue, count=args.workers, concurrency=args.concurrency, log=worker_log
        )
        try:
            workers.wait_until_consuming()
            print("running the payouts…", flush=True)
            run = measure(
                sandbox, workers, accounts=args.accounts, timeout=20 * args.accounts / args.rate
            )
        except Exception:
            worker_log.seek(0)
            sys.stderr.write(worker_log.read().decode(errors="replace")[-4000:])
            raise
        finally:
            workers.stop()
        checks = verify(sandbox, accounts=args.accounts, earnings=args.earnings, owed=seeded.owed)
    report = build_report(args, seeded, run, checks)
    print_report(report)
    write_json(args.json, report)
    return 0 if checks["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
