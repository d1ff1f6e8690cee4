"""Contract generation throughput: contracts per minute with 1 and with 2 worker processes.

What is measured: the time real `celery worker` processes (prefork pool, concurrency 1, then
2) take to turn `--licences` consented licences into stored contract PDFs (render from the
Django template with fpdf2, SHA-256, atomic private file, row update, audit events and the
parties' emails, which the same workers send). The clock starts when the first generation task
is enqueued and stops when the last contract is stored, as seen in PostgreSQL. The figure of
merit is contracts per minute for each worker count and the ratio 2 workers / 1 worker (on a
2-core machine the ceiling is about 2).

How:
1. Create the PostgreSQL database if missing and migrate.
2. Seed (once) an agency, a brand, a model with a twin and `--licences` non-exclusive licences,
   each requested, approved and consented through the real services. The consent's
   after-commit hook, which would enqueue generation at once, is held back while seeding.
3. For each worker count: delete the contracts of the previous round (files too), start one
   `celery worker -c N` on a queue of its own over Redis, wait until it answers a ping,
   enqueue one generation task per licence and poll the database until every contract is
   stored. Stop the worker.
4. Print the table (and `--json PATH`); exit 1 if a contract is missing or duplicated.

Run:  .venv/bin/python -m benchmarks.contracts [--licences 40 --json out.json]
Needs DATABASE_URL pointing at PostgreSQL (default: the local `likeness_bench_contracts`
database) and REDIS_URL (default redis://127.0.0.1:6379/0).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

from benchmarks import harness
from benchmarks.harness import check_sizes, write_json

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/likeness_bench_contracts"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
BRAND_SLUG = "bench-contracts-brand"
AGENCY_SLUG = "bench-contracts-agency"
INTENDED_USE = (
    "Product detail pages and Instagram carousel posts for the autumn knitwear collection: "
    "eight looks, studio backgrounds, no voice, no nudity."
)


def configure_django(media_root: Path) -> None:
    harness.configure_django(
        "config.settings",
        database_url=DEFAULT_DATABASE_URL,
        redis_url=DEFAULT_REDIS_URL,
        env={"LIKENESS_MEDIA_ROOT": str(media_root)},
    )


# --- Seeding -------------------------------------------------------------------------------


def seed(count: int) -> list[int]:
    """`count` consented licences of the bench brand (created once, reused after)."""
    from django.core.management import call_command
    from django.utils import timezone

    from marketplace.accounts.models import Membership, Organisation, Role, User
    from marketplace.licensing import services
    from marketplace.licensing.models import Licence
    from marketplace.talent.models import Category, RateCard, RateCardLine, Talent, Twin

    call_command("migrate", interactive=False, verbosity=0)
    brand, _ = Organisation.objects.get_or_create(
        slug=BRAND_SLUG, defaults={"kind": "brand", "name": "Kestrel Bench", "commission_bps": 0}
    )
    agency, _ = Organisation.objects.get_or_create(
        slug=AGENCY_SLUG, defaults={"kind": "agency", "name": "Northlight Bench"}
    )
    existing = list(
        Licence.objects.filter(brand=brand, status=Licence.Status.CONSENTED)
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    if len(existing) >= count:
        return existing[:count]

    def user(email: str, name: str) -> Any:
        found = User.objects.filter(email=email).first()
        return found or User.objects.create_user(email, "likeness-bench", full_name=name)

    brand_member, _ = Membership.objects.get_or_create(
        user=user("manager@brand.bench.test", "Bea Brandt"),
        organisation=brand,
        defaults={"role": Role.MANAGER},
    )
    agency_member, _ = Membership.objects.get_or_create(
        user=user("manager@agency.bench.test", "Aki Agent"),
        organisation=agency,
        defaults={"role": Role.MANAGER},
    )
    talent_user = user("model@talent.bench.test", "Zoë Łukasiewicz-Okafor")
    talent, _ = Talent.objects.get_or_create(
        agency=agency,
        email=talent_user.email,
        defaults={"full_name": talent_user.full_name, "user": talent_user},
    )
    twin = Twin.objects.filter(slug="bench-contracts-twin").first()
    if twin is None:
        twin = Twin.objects.create(
            talent=talent,
            agency=agency,
            display_name="Zoë, studio twin",
            slug="bench-contracts-twin",
            description="A photoreal twin for the contracts benchmark.",
            status=Twin.Status.PUBLISHED,
            published_at=timezone.now(),
            currency="EUR",
            price_from=100_000,
        )
        card = RateCard.objects.create(twin=twin, currency="EUR")
        RateCardLine.objects.create(
            rate_card=card, media_type="social", base_fee=100_000, per_use_fee=1_000
        )
        RateCardLine.objects.create(
            rate_card=card, media_type="web", base_fee=150_000, per_use_fee=2_000
        )
        beauty, _ = Category.objects.get_or_create(
            slug="beauty", defaults={"name": "Beauty and cosmetics"}
        )
        twin.permitted_categories.add(beauty)

    held_back = services._after_consent
    services._after_consent = lambda licence_id: None  # seeding: no generation yet
    try:
        today = timezone.localdate()
        for _ in range(count - len(existing)):
            licence = services.request_licence(
                by=brand_member,
                twin_id=twin.pk,
                terms=services.TermsInput(
                    media_types=["social", "web"],
                    territories=["DE", "FR", "IT"],
                    start_date=today + timedelta(days=10),
                    end_date=today + timedelta(days=180),
                    category="beauty",
                    intended_use=INTENDED_USE,
                    max_uses=20,
                    alteration_limits=["no_face_change", "no_voice"],
                ),
            )
            services.approve_licence(by=agency_member, reference=licence.reference)
            licence.refresh_from_db()
            services.give_consent(
                talent=talent,
                user=talent_user,
                reference=licence.reference,
                typed_name=talent.full_name,
                terms_hash=licence.current_terms.terms_hash,
                context=services.RequestContext(ip_address="127.0.0.1", user_agent="bench"),
            )
            existing.append(licence.pk)
    finally:
        services._after_consent = held_back
    return existing[:count]


def consented_licences(licence_ids: list[int]) -> dict[str, int]:
    """The licences to generate contracts for, consented, as the database holds them now."""
    from marketplace.licensing.models import Licence

    licences = Licence.objects.filter(
        pk__in=licence_ids, brand__slug=BRAND_SLUG, status=Licence.Status.CONSENTED
    )
    return {"licences": licences.count()}


def reset_contracts(licence_ids: list[int]) -> None:
    from marketplace.contracts.models import Contract

    contracts = Contract.objects.filter(licence_id__in=licence_ids)
    for contract in contracts:
        if contract.document:
            contract.document.delete(save=False)
    contracts.delete()


# --- Workers -------------------------------------------------------------------------------


def start_worker(concurrency: int, queue: str, log: Any) -> subprocess.Popen:
    celery = shutil.which("celery", path=str(Path(sys.executable).parent)) or "celery"
    env = {
        **os.environ,
        "CELERY_TASK_DEFAULT_QUEUE": queue,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "EMAIL_BACKEND": "django.core.mail.backends.locmem.EmailBackend",
    }
    command = [celery, "-A", "config", "worker", "-Q", queue, "-c", str(concurrency)]
    command += ["--pool", "prefork", "--without-gossip", "--without-mingle"]
    command += ["--without-heartbeat", "-l", "WARNING", "-n", f"{queue}@%h"]
    return subprocess.Popen(
        command,
        cwd=harness.REPO_ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=log,
        start_new_session=True,
    )


def stop_worker(proc: subprocess.Popen) -> None:
    """Warm shutdown through the main process, which stops its pool; the group if it hangs."""
    try:
        os.kill(proc.pid, signal.SIGTERM)
        proc.wait(timeout=30)
    except ProcessLookupError:
        pass
    except subprocess.TimeoutExpired:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)


def measure(concurrency: int, licence_ids: list[int], timeout: float) -> dict[str, Any]:
    from config.celery import app
    from marketplace.contracts.models import Contract
    from marketplace.contracts.tasks import generate_contract_task
    from marketplace.core.tasks import ping_task

    reset_contracts(licence_ids)
    queue = f"bench-contracts-{uuid.uuid4().hex[:8]}"
    app.conf.task_default_queue = queue
    cpu_before = resource.getrusage(resource.RUSAGE_CHILDREN)
    log = tempfile.TemporaryFile()  # noqa: SIM115 (closed below, after the worker stopped)
    proc = start_worker(concurrency, queue, log)
    try:
        ping_task.apply_async(args=["ready"], queue=queue).get(timeout=60)
        started = time.perf_counter()
        for licence_id in licence_ids:
            generate_contract_task.delay(licence_id=licence_id)
        done = 0
        while time.perf_counter() - started < timeout:
            done = Contract.objects.filter(
                licence_id__in=licence_ids, status=Contract.Status.AWAITING_SIGNATURES
            ).count()
            if done >= len(licence_ids):
                break
            time.sleep(0.05)
        seconds = time.perf_counter() - started
    finally:
        stop_worker(proc)
    cpu_after = resource.getrusage(resource.RUSAGE_CHILDREN)
    # Every worker process, pool included, from start to stop (start-up too): robust to other
    # load on the machine, unlike wall-clock throughput.
    cpu = (cpu_after.ru_utime + cpu_after.ru_stime) - (cpu_before.ru_utime + cpu_before.ru_stime)
    contracts = Contract.objects.filter(licence_id__in=licence_ids)
    if done < len(licence_ids):
        log.seek(0)
        sys.stderr.write(log.read().decode(errors="replace")[-4000:])
    log.close()
    return {
        "workers": concurrency,
        "contracts": done,
        "rows": contracts.count(),
        "seconds": round(seconds, 2),
        "per_minute": round(done / seconds * 60, 1),
        "worker_cpu_seconds": round(cpu, 2),
        "mean_bytes": int(sum(c.document_size or 0 for c in contracts) / max(1, contracts.count())),
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--licences", type=int, default=40)
    parser.add_argument("--timeout", type=float, default=600)
    parser.add_argument("--json", type=Path, default=None)
    args = parser.parse_args(argv)

    media = Path(tempfile.mkdtemp(prefix="likeness-bench-contracts-")) / "media"
    media.mkdir(parents=True)
    configure_django(media)
    started = time.perf_counter()
    licence_ids = seed(args.licences)
    seeded = time.perf_counter() - started
    check_sizes(consented_licences(licence_ids), {"licences": args.licences})
    rows = [measure(n, licence_ids, args.timeout) for n in (1, 2)]
    reset_contracts(licence_ids)
    shutil.rmtree(media.parent, ignore_errors=True)

    ratio = rows[1]["per_minute"] / rows[0]["per_minute"] if rows[0]["per_minute"] else 0.0
    print(f"Contracts: {args.licences} consented licences, PostgreSQL + Redis, prefork workers")
    print(f"(seeded in {seeded:.1f} s; {os.cpu_count()} CPUs, Python {platform.python_version()})")
    print()
    print(
        "| worker processes | contracts | seconds | contracts/min | worker CPU s | mean PDF bytes |"
    )
    print("|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        print(
            f"| {row['workers']} | {row['contracts']} | {row['seconds']:.2f} "
            f"| {row['per_minute']:.1f} | {row['worker_cpu_seconds']:.1f} "
            f"| {row['mean_bytes']:,} |"
        )
    print()
    print(f"2 workers / 1 worker: {ratio:.2f}×")
    load = os.getloadavg()[0]
    print(f"load average during the run: {load:.2f} on {os.cpu_count()} CPUs")
    write_json(
        args.json,
        {
            "licences": args.licences,
            "rows": rows,
            "ratio_2_over_1": round(ratio, 3),
            "load_average": os.getloadavg()[0],
        },
    )
    complete = all(r["contracts"] == r["rows"] == args.licences for r in rows)
    if not complete:
        print("FAIL: a contract is missing or duplicated", file=sys.stderr)
    return 0 if complete else 1


if __name__ == "__main__":
    sys.exit(main())
