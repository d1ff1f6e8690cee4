"""Catalogue throughput beside a query-free ceiling (issue 2).

What is measured: requests per second and latency (p50, p95) of the brand catalogue
(`/catalogue/`, page 1 and a mix of realistic filtered, searched, sorted and deep-page URLs)
served by gunicorn from PostgreSQL holding `--twins` published twins across `--agencies`
agencies, and, in the same run on the same server, of `/bench/bare/`: a view rendering the
same full page (same template, same 24-card page, same form and facets, same query strings)
from in-memory objects without a single query. The figure of merit is the ratio
catalogue / bare for requests per second; the goal is at least 0.4. Both endpoints get the
same duration and concurrency, in alternating slices (ABBA...) after a warm-up of both,
so that background load drifting during the run weighs on both alike.

How:
1. Create the PostgreSQL database if missing, migrate, and seed with bulk inserts (skipped
   when the catalogue already has the requested size): agencies, talent, twins with prices,
   search text, comp card, tags and permitted categories, and a ready cover image whose
   thumbnail is one small shared file. Then VACUUM (ANALYZE), as autovacuum would have.
   A brand user is created and a session for them is written straight to the session
   store; its cookie is what the load generator sends (to both endpoints).
2. Count the SQL queries of one catalogue request per URL, in process, with
   CaptureQueriesContext (and check the bare view makes none).
3. Start gunicorn (sync workers, settings `benchmarks.bench_settings`) on a free port and
   wait for `/health/`.
4. From a separate process, `--concurrency` threads each hold one HTTP connection (sync
   workers close it after each response; it is reopened) and send requests back to back,
   cycling through the URL mix; every non-200 answer or failed request counts as an error.
   Latency is measured per request, from sending to the last byte of the body.
5. Print the table (and `--json PATH`); exit 1 when more than 0.1 % of requests failed.

Run:  .venv/bin/python benchmarks/catalogue.py [--twins 10000 --agencies 100 --duration 15
      --concurrency 8 --workers 2 --json out.json]
Needs DATABASE_URL pointing at PostgreSQL (default: the local `likeness_bench` database).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import math
import multiprocessing
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time
import warnings
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from importlib.metadata import version
from multiprocessing.connection import Connection
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/likeness_bench"
SETTINGS_MODULE = "benchmarks.bench_settings"
AGENCY_SLUG_PREFIX = "bench-agency-"
BRAND_SLUG = "bench-brand"
BRAND_EMAIL = "brand@bench.test"
BRAND_PASSWORD = "likeness-bench"
GOAL_RPS_RATIO = 0.4
MAX_ERROR_RATE = 0.001
WARMUP_SECONDS = 3.0
SEED_BATCH = 2000

# What brands do: mostly the first page, then searches, filters, sorts and deep pages.
QUERY_STRINGS = [
    "",
    "",
    "?q=editorial",
    "?category=beauty&sort=price_asc",
    "?page=37",
    "",
    "?q=amara+blonde",
    "?tag=streetwear&hair=blonde",
    "?currency=EUR&price_min=1000&price_max=3000&sort=price_desc",
    "?height_min=175&available=on&sort=height",
    "?category=swimwear&tag=athletic&page=2",
    "?sort=name&page=120",
]
CATALOGUE_PATHS = [f"/catalogue/{q}" for q in QUERY_STRINGS]
BARE_PATHS = [f"/bench/bare/{q}" for q in QUERY_STRINGS]


# --- Setup ---------------------------------------------------------------------------------


def configure_django(settings_module: str = SETTINGS_MODULE) -> None:
    """Point Django at the benchmark settings and the benchmark database, then set it up."""
    sys.path.insert(0, str(REPO_ROOT))
    os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    os.environ["DJANGO_SETTINGS_MODULE"] = settings_module
    os.environ.setdefault("LOG_LEVEL", "WARNING")
    ensure_database(os.environ["DATABASE_URL"])
    import django

    django.setup()


def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in `url` if it does not exist yet."""
    import dj_database_url
    import psycopg
    from psycopg import sql
    from psycopg.conninfo import make_conninfo

    config = dj_database_url.parse(url)
    if "postgresql" not in config["ENGINE"]:
        sys.exit(f"DATABASE_URL must point at PostgreSQL, not {config['ENGINE']}")
    server = make_conninfo(
        dbname="postgres",
        host=config["HOST"] or None,
        port=config["PORT"] or None,
        user=config["USER"] or None,
        password=config["PASSWORD"] or None,
    )
    with psycopg.connect(server, autocommit=True) as conn:
        name = config["NAME"]
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return
        conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


def migrate() -> None:
    from django.core.management import call_command

    call_command("migrate", interactive=False, verbosity=0)


# --- Seeding -------------------------------------------------------------------------------


@dataclass(frozen=True)
class SeedReport:
    twins: int
    agencies: int
    seeded_now: bool
    seconds: float


def seed(*, twins: int, agencies: int) -> SeedReport:
    """Make the catalogue hold exactly `twins` bench twins across `agencies` bench agencies."""
    from django.db import transaction

    from marketplace.accounts.models import Organisation
    from marketplace.talent.models import Twin

    started = time.perf_counter()
    bench_agencies = Organisation.objects.filter(slug__startswith=AGENCY_SLUG_PREFIX)
    have_agencies = bench_agencies.count()
    have_twins = Twin.objects.filter(agency__in=bench_agencies).count()
    if (have_agencies, have_twins) == (agencies, twins):
        return SeedReport(twins, agencies, seeded_now=False, seconds=0.0)
    with transaction.atomic():
        wipe_bench_catalogue()
        insert_bench_catalogue(twins=twins, agencies=agencies)
    return SeedReport(twins, agencies, seeded_now=True, seconds=time.perf_counter() - started)


def wipe_bench_catalogue() -> None:
    """Delete every row a previous seeding made (twins first: talent and agencies protect)."""
    from marketplace.accounts.models import Organisation
    from marketplace.talent.models import Talent, Twin, TwinImage

    bench_agencies = Organisation.objects.filter(slug__startswith=AGENCY_SLUG_PREFIX)
    Twin.objects.filter(agency__in=bench_agencies).update(cover=None)
    TwinImage.objects.filter(twin__agency__in=bench_agencies).delete()
    Twin.objects.filter(agency__in=bench_agencies).delete()
    Talent.objects.filter(agency__in=bench_agencies).delete()
    bench_agencies.delete()


def insert_bench_catalogue(*, twins: int, agencies: int) -> None:
    from marketplace.talent.management.commands.load_demo import TAGS
    from marketplace.talent.models import Category, StyleTag
    from marketplace.talent.services import unique_tag_slug

    rng = random.Random(2)
    tags = [
        StyleTag.objects.get_or_create(slug=unique_tag_slug(name), defaults={"name": name})[0]
        for name in TAGS
    ]
    categories = list(Category.objects.all())
    agency_rows = create_agencies(agencies, rng)
    talent_rows = create_talent(agency_rows, twins, rng)
    twin_rows = create_twins(talent_rows, tags, rng)
    link_tags(twin_rows)
    link_categories(twin_rows, talent_rows, categories, rng)
    create_covers(twin_rows)
    write_thumbnail()


def create_agencies(count: int, rng: random.Random) -> list[Any]:
    from marketplace.accounts.models import Organisation

    currencies = ["EUR", "EUR", "EUR", "GBP", "GBP", "USD", "SEK", "CHF", "JPY"]
    words = ["North", "Meridian", "Atelier", "Lumen", "Vanta", "Solace", "Harbour", "Ember"]
    return Organisation.objects.bulk_create(
        Organisation(
            kind=Organisation.Kind.AGENCY,
            name=f"{rng.choice(words)} Models {i + 1}",
            slug=f"{AGENCY_SLUG_PREFIX}{i:04d}",
            currency=rng.choice(currencies),
            country=rng.choice(["FR", "GB", "DE", "SE", "IT", "US", "JP"]),
            commission_bps=1500,
        )
        for i in range(count)
    )


def create_talent(agencies: Sequence[Any], count: int, rng: random.Random) -> list[Any]:
    from marketplace.talent.management.commands.load_demo import FIRST, LAST
    from marketplace.talent.models import Talent

    rows = []
    for i in range(count):
        first, last = rng.choice(FIRST), rng.choice(LAST)
        rows.append(
            Talent(
                agency=agencies[i % len(agencies)],
                full_name=f"{first} {last}",
                email=f"talent{i}@bench.test",
            )
        )
    return Talent.objects.bulk_create(rows, batch_size=SEED_BATCH)


def create_twins(talent: Sequence[Any], tags: Sequence[Any], rng: random.Random) -> list[Any]:
    from django.utils import timezone

    from marketplace.talent.models import Twin

    now = timezone.now()
    rows = []
    for i, person in enumerate(talent):
        twin = bench_twin(i, person, rng)
        twin.published_at = now - timedelta(minutes=rng.randint(0, 2 * 365 * 24 * 60))
        # Tags are chosen here so they can go into the search text; linked afterwards.
        twin.bench_tags = rng.sample(list(tags), k=3)  # type: ignore[attr-defined]
        twin.search_document = search_document(twin, person)
        rows.append(twin)
    return Twin.objects.bulk_create(rows, batch_size=SEED_BATCH)


def bench_twin(i: int, person: Any, rng: random.Random) -> Any:
    from marketplace.talent.management.commands.load_demo import EYES, HAIR
    from marketplace.talent.models import Twin

    first = person.full_name.split()[0]
    agency = person.agency
    unit = 1 if agency.currency == "JPY" else 100
    style = rng.choice(["e-commerce", "campaign", "social", "editorial"])
    return Twin(
        talent=person,
        agency=agency,
        slug=f"bench-twin-{i:06d}",
        display_name=f"{person.full_name.split()[0]} {person.full_name.split()[-1][0]}. "
        "— digital twin",
        description=(
            f"Photoreal digital twin of {first}, scanned in studio and approved by "
            f"{first}. Suited to {style} imagery; posing and styling follow the "
            "model's own guidelines."
        ),
        status=Twin.Status.PAUSED if i % 50 == 7 else Twin.Status.PUBLISHED,
        height_cm=rng.randint(160, 195),
        bust_cm=rng.randint(78, 95),
        waist_cm=rng.randint(58, 75),
        hips_cm=rng.randint(84, 100),
        dress_size_eu=rng.choice([34, 36, 38, 40, 42]),
        shoe_size_eu=rng.choice([37, 39, 41]),
        hair=rng.choice(HAIR),
        eyes=rng.choice(EYES),
        price_from=rng.randint(8, 40) * 100 * unit,
        currency=agency.currency,
    )


def search_document(twin: Any, person: Any) -> str:
    """The same text `talent.services` maintains: names, description, looks and tags."""
    parts = [
        twin.display_name,
        twin.description,
        twin.hair,
        twin.eyes,
        person.full_name,
        twin.agency.name,
        *(t.name for t in twin.bench_tags),
    ]
    return " ".join(p for p in parts if p).lower()


def link_tags(twins: Sequence[Any]) -> None:
    from marketplace.talent.models import Twin

    through = Twin.tags.through
    through.objects.bulk_create(
        (through(twin_id=twin.pk, styletag_id=tag.pk) for twin in twins for tag in twin.bench_tags),
        batch_size=SEED_BATCH * 3,
    )


def link_categories(
    twins: Sequence[Any], talent: Sequence[Any], categories: Sequence[Any], rng: random.Random
) -> None:
    """Agencies permit 3 to 6 ordinary categories; each talent refuses 1 to 3 sensitive ones."""
    from marketplace.talent.models import Talent, Twin

    ordinary = [c for c in categories if not c.sensitive]
    sensitive = [c for c in categories if c.sensitive]
    permitted = Twin.permitted_categories.through
    permitted.objects.bulk_create(
        (
            permitted(twin_id=twin.pk, category_id=c.pk)
            for twin in twins
            for c in rng.sample(ordinary, k=rng.randint(3, 6))
        ),
        batch_size=SEED_BATCH * 3,
    )
    refused = Talent.restricted_categories.through
    refused.objects.bulk_create(
        (
            refused(talent_id=person.pk, category_id=c.pk)
            for person in talent
            for c in rng.sample(sensitive, k=rng.randint(1, 3))
        ),
        batch_size=SEED_BATCH * 3,
    )


def create_covers(twins: Sequence[Any]) -> None:
    """One ready image per twin, all sharing one small thumbnail file, set as the cover."""
    from django.db.models import OuterRef, Subquery

    from marketplace.talent.models import Twin, TwinImage

    TwinImage.objects.bulk_create(
        (
            TwinImage(
                twin_id=twin.pk,
                image="twins/bench/cover.jpg",
                thumbnail="twins/bench/thumb.jpg",
                width=1600,
                height=2000,
                position=1,
                status=TwinImage.Status.READY,
                alt_text=f"{twin.display_name.split()[0]}'s twin, look 1",
            )
            for twin in twins
        ),
        batch_size=SEED_BATCH,
    )
    first_image = TwinImage.objects.filter(twin_id=OuterRef("pk")).order_by("id").values("pk")
    Twin.objects.filter(pk__in=[t.pk for t in twins]).update(cover=Subquery(first_image[:1]))


def write_thumbnail() -> None:
    from django.core.files.storage import storages
    from PIL import Image

    # Where the twins' pictures are stored (private, served by the picture view).
    folder = Path(storages["media"].location) / "twins" / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    for name, size in (("thumb.jpg", (480, 600)), ("cover.jpg", (1600, 2000))):
        if not (folder / name).exists():
            Image.new("RGB", size, (214, 205, 196)).save(folder / name, "JPEG", quality=70)


def vacuum_analyse() -> None:
    """Bring the database to the steady state autovacuum keeps a live one in: planner
    statistics for every column (a freshly added one has none, and is then misestimated)
    and a visibility map for index-only scans. Runs every time, seeded now or not."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE)")


def brand_session_cookie() -> str:
    """A signed-in session for the bench brand's manager (the role that browses and books;
    owners and finance must first set up two-factor), as a Cookie header value."""
    from django.contrib.auth.hashers import make_password

    from marketplace.accounts.models import Membership, Organisation, Role, User

    user, _ = User.objects.update_or_create(
        email=BRAND_EMAIL,
        defaults={"full_name": "Bench Brand Manager"},
        create_defaults={
            "full_name": "Bench Brand Manager",
            "password": make_password(BRAND_PASSWORD),
        },
    )
    brand, _ = Organisation.objects.get_or_create(
        slug=BRAND_SLUG,
        defaults={"kind": Organisation.Kind.BRAND, "name": "Bench Brand", "commission_bps": 0},
    )
    Membership.objects.update_or_create(
        user=user, organisation=brand, defaults={"role": Role.MANAGER}
    )
    return session_cookie(user)


def session_cookie(user: Any) -> str:
    """A signed-in session for `user`, written straight to the store, as a Cookie value."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import (
        BACKEND_SESSION_KEY,
        HASH_SESSION_KEY,
        SESSION_KEY,
        load_backend,
    )

    # As Client.force_login: the first backend that can load users (not e.g. django-axes').
    backend = next(
        path for path in settings.AUTHENTICATION_BACKENDS if hasattr(load_backend(path), "get_user")
    )
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = backend
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return f"{settings.SESSION_COOKIE_NAME}={store.session_key}"


# --- Queries per request -------------------------------------------------------------------


def queries_per_request(paths: Sequence[str], cookie: str = "") -> dict[str, int]:
    """SQL queries of one request to each path, measured in process after one warm call."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    # No collectstatic for a benchmark; WhiteNoise warns once per handler about it.
    warnings.filterwarnings("ignore", message="No directory at")
    client = Client()
    if cookie:
        client.cookies.load(cookie)
    counts = {}
    for path in paths:
        client.get(path)
        with CaptureQueriesContext(connection) as captured:
            response = client.get(path)
        if response.status_code != 200:
            sys.exit(f"{path} answered {response.status_code} in process; not benchmarking")
        counts[path] = len(captured.captured_queries)
    return counts


# --- Server --------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start_gunicorn(
    *, port: int, workers: int, log: Any, settings_module: str = SETTINGS_MODULE
) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "config.wsgi:application",
        "--workers",
        str(workers),
        "--worker-class",
        "sync",
        "--bind",
        f"127.0.0.1:{port}",
        "--log-level",
        "warning",
    ]
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": settings_module}
    return subprocess.Popen(command, cwd=REPO_ROOT, env=env, stdout=log, stderr=log)


def wait_until_ready(server: subprocess.Popen[bytes], port: int, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"gunicorn exited with {server.returncode}")
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/health/")
            if conn.getresponse().status == 200:
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("gunicorn did not answer /health/ in time")


@contextlib.contextmanager
def serving(
    *, workers: int, settings_module: str = SETTINGS_MODULE
) -> Iterator[tuple[int, IO[bytes]]]:
    """gunicorn on a free port, ready to answer: yields (port, log). Its log's tail goes to
    stderr if the body fails; the server is stopped afterwards."""
    port = free_port()
    with tempfile.TemporaryFile() as log:
        server = start_gunicorn(
            port=port, workers=workers, log=log, settings_module=settings_module
        )
        try:
            wait_until_ready(server, port)
            yield port, log
        except Exception:
            log.seek(0)
            sys.stderr.write(log.read().decode(errors="replace")[-4000:])
            raise
        finally:
            stop(server)


def stop(server: subprocess.Popen[bytes]) -> None:
    server.terminate()
    try:
        server.wait(timeout=15)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()


# --- Load generation (runs in a separate process) ------------------------------------------

Sample = tuple[float, int]  # (seconds, HTTP status or 0 for a failed request)


@dataclass(frozen=True)
class Phase:
    name: str
    paths: list[str]
    cookie: str  # empty for the bare view: no session, so authentication never queries
    seconds: float
    recorded: bool


def client_loop(
    port: int,
    paths: Sequence[str],
    cookie: str,
    deadline: float,
    offset: int,
    samples: list[Sample],
) -> None:
    """Send requests back to back on one connection (reopened whenever the server closes)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    headers = {"Accept": "text/html", **({"Cookie": cookie} if cookie else {})}
    n = offset
    while time.perf_counter() < deadline:
        path = paths[n % len(paths)]
        n += 1
        started = time.perf_counter()
        try:
            conn.request("GET", path, headers=headers)
            response = conn.getresponse()
            response.read()
            status = response.status
        except (OSError, http.client.HTTPException):
            conn.close()
            status = 0
        samples.append((time.perf_counter() - started, status))
    conn.close()


def run_phase(port: int, phase: Phase, concurrency: int) -> tuple[list[Sample], float]:
    samples: list[Sample] = []  # list.append is atomic under the GIL
    started = time.perf_counter()
    deadline = started + phase.seconds
    threads = [
        threading.Thread(
            target=client_loop, args=(port, phase.paths, phase.cookie, deadline, i * 5, samples)
        )
        for i in range(concurrency)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples, time.perf_counter() - started


def load_process(results: Connection, port: int, phases: list[Phase], concurrency: int) -> None:
    """Entry point of the load-generating process: run each phase, send back its samples."""
    for phase in phases:
        samples, elapsed = run_phase(port, phase, concurrency)
        if phase.recorded:
            results.send((phase.name, samples, elapsed))
    results.close()


def generate_load(
    *, port: int, phases: list[Phase], concurrency: int
) -> dict[str, tuple[list[Sample], float]]:
    context = multiprocessing.get_context("spawn")
    receiver, sender = context.Pipe(duplex=False)
    process = context.Process(target=load_process, args=(sender, port, phases, concurrency))
    process.start()
    sender.close()
    collected: dict[str, tuple[list[Sample], float]] = {}
    for _ in [p for p in phases if p.recorded]:
        name, samples, elapsed = receiver.recv()
        so_far, seconds = collected.get(name, ([], 0.0))
        collected[name] = (so_far + samples, seconds + elapsed)
    process.join()
    if process.exitcode != 0:
        raise RuntimeError(f"the load generator exited with {process.exitcode}")
    return collected


# --- Figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Figures:
    requests: int
    errors: int
    requests_per_second: float
    p50_ms: float
    p95_ms: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 1.0


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile of an ascending sequence."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(fraction * len(sorted_values)))
    return sorted_values[rank - 1]


def summarise(samples: list[Sample], elapsed: float, *, ok_status: int = 200) -> Figures:
    """Throughput and latency; every answer but `ok_status` counts as an error."""
    latencies = sorted(seconds for seconds, _ in samples)
    return Figures(
        requests=len(samples),
        errors=sum(1 for _, status in samples if status != ok_status),
        requests_per_second=len(samples) / elapsed,
        p50_ms=percentile(latencies, 0.50) * 1000,
        p95_ms=percentile(latencies, 0.95) * 1000,
    )


def machine() -> dict[str, Any]:
    model = "unknown"
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    nproc = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return {"nproc": nproc, "cpu": model, "python": sys.version.split()[0]}


def database_version() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW server_version")
        return f"PostgreSQL {cursor.fetchone()[0]}"


def print_report(report: dict[str, Any]) -> None:
    m, p, s, q = report["machine"], report["params"], report["seed"], report["queries"]
    cat, bare, ratio = report["catalogue"], report["bare"], report["ratio"]
    seeded = f"seeded in {s['seconds']:.1f} s" if s["seeded_now"] else "already seeded"
    per_path = sorted(set(q["catalogue"].values()))
    print()
    print("Likeness catalogue benchmark (issue 2)")
    load = m["load_average_1m"]
    print(
        f"  machine   {m['nproc']} CPU · {m['cpu']} · Python {m['python']} · load average "
        f"(1 min) {load['before']:.2f} before the load test, {load['after']:.2f} after"
    )
    print(
        f"  database  {report['database']} · {s['twins']:,} twins across "
        f"{s['agencies']} agencies ({seeded})"
    )
    print(
        f"  server    gunicorn {report['gunicorn']} · {p['workers']} sync workers · "
        f"cache {report['cache']}"
    )
    print(
        f"  load      {p['concurrency']} connections from a separate process · "
        f"{p['duration']:g} s per endpoint in {p['rounds']} alternating slices after "
        f"{WARMUP_SECONDS:g} s warm-up · "
        f"{len(QUERY_STRINGS)} URLs in rotation"
    )
    print(
        f"  queries   catalogue page 1: {q['catalogue_page_1']} · across the mix: "
        f"{per_path[0]} to {per_path[-1]} · bare: {max(q['bare'].values())}"
    )
    print()
    print(f"  {'endpoint':<12}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'requests':>10}{'errors':>8}")
    for name, f in (("catalogue", cat), ("bare", bare)):
        print(
            f"  {name:<12}{f['requests_per_second']:>9.1f}{f['p50_ms']:>9.1f}"
            f"{f['p95_ms']:>9.1f}{f['requests']:>10}{f['errors']:>8}"
        )
    print()
    verdict = "met" if ratio["requests_per_second"] >= GOAL_RPS_RATIO else "NOT met"
    print(
        f"  ratio catalogue/bare  req/s {ratio['requests_per_second']:.2f} "
        f"(goal ≥ {GOAL_RPS_RATIO}: {verdict}) · p95 {ratio['p95']:.2f} x"
    )


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--twins", type=int, default=10_000)
    parser.add_argument("--agencies", type=int, default=100)
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per endpoint")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument(
        "--rounds",
        type=int,
        default=3,
        help="alternating slices per endpoint the duration is split into",
    )
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    return parser.parse_args(argv)


def plan(duration: float, rounds: int, cookie: str) -> list[Phase]:
    """Warm-up, then the two endpoints in alternating slices (ABBA…), so that a change in
    background load during the run weighs on both alike."""
    pair = [("catalogue", CATALOGUE_PATHS, cookie), ("bare", BARE_PATHS, "")]
    phases = [Phase(name, paths, sent, WARMUP_SECONDS / 2, False) for name, paths, sent in pair]
    for n in range(rounds):
        for name, paths, sent in pair if n % 2 == 0 else reversed(pair):
            phases.append(Phase(name, paths, sent, duration / rounds, recorded=True))
    return phases


def measure(args: argparse.Namespace, cookie: str) -> dict[str, Figures]:
    phases = plan(args.duration, args.rounds, cookie)
    with serving(workers=args.workers) as (port, _log):
        collected = generate_load(port=port, phases=phases, concurrency=args.concurrency)
    return {name: summarise(*result) for name, result in collected.items()}


def build_report(
    args: argparse.Namespace,
    seeded: SeedReport,
    queries: dict[str, dict[str, int]],
    figures: dict[str, Figures],
    load: dict[str, float],
) -> dict[str, Any]:
    from django.conf import settings

    cat, bare = figures["catalogue"], figures["bare"]
    return {
        "benchmark": "catalogue",
        "machine": {**machine(), "load_average_1m": load},
        "database": database_version(),
        "gunicorn": version("gunicorn"),
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "params": {
            "twins": args.twins,
            "agencies": args.agencies,
            "duration": args.duration,
            "concurrency": args.concurrency,
            "workers": args.workers,
            "rounds": args.rounds,
            "urls": QUERY_STRINGS,
        },
        "seed": asdict(seeded),
        "queries": {"catalogue_page_1": queries["catalogue"][CATALOGUE_PATHS[0]], **queries},
        "catalogue": asdict(cat),
        "bare": asdict(bare),
        "ratio": {
            "requests_per_second": cat.requests_per_second / bare.requests_per_second,
            "p95": cat.p95_ms / bare.p95_ms,
        },
        "goal": {
            "requests_per_second_ratio_at_least": GOAL_RPS_RATIO,
            "met": cat.requests_per_second / bare.requests_per_second >= GOAL_RPS_RATIO,
        },
    }


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_django()
    migrate()
    seeded = seed(twins=args.twins, agencies=args.agencies)
    vacuum_analyse()
    cookie = brand_session_cookie()
    queries = {
        "catalogue": queries_per_request(CATALOGUE_PATHS, cookie),
        "bare": queries_per_request(BARE_PATHS),
    }
    if any(queries["bare"].values()):
        sys.exit(
            f"The bare view made queries {queries['bare']}: a context processor or the "
            "template reads the database; supply that value in benchmarks/bench_urls.py"
        )
    from django.db import connections

    connections.close_all()
    load_before = os.getloadavg()[0]
    figures = measure(args, cookie)
    load = {"before": load_before, "after": os.getloadavg()[0]}
    report = build_report(args, seeded, queries, figures, load)
    print_report(report)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(report, indent=2) + "\n")
    failed = [name for name, f in figures.items() if f.error_rate > MAX_ERROR_RATE]
    if failed:
        print(f"  FAILED: more than {MAX_ERROR_RATE:.1%} errors on {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
