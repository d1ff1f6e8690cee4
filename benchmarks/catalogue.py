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

Run:  .venv/bin/python -m benchmarks.catalogue [--twins 10000 --agencies 100 --duration 15
      --concurrency 8 --workers 2 --json out.json]
Needs DATABASE_URL pointing at PostgreSQL (default: the local `likeness_bench` database).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import timedelta
from importlib.metadata import version
from pathlib import Path
from typing import Any

from benchmarks.harness import (
    WARMUP_SECONDS,
    Figures,
    Phase,
    alternating_phases,
    check_sizes,
    configure_django,
    database_version,
    generate_load,
    machine,
    migrate,
    queries_per_request,
    serving,
    session_cookie,
    summarise,
    vacuum_analyse,
    write_json,
)

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/likeness_bench"
AGENCY_SLUG_PREFIX = "bench-agency-"
BRAND_SLUG = "bench-brand"
BRAND_EMAIL = "brand@bench.test"
BRAND_PASSWORD = "likeness-bench"
GOAL_RPS_RATIO = 0.4
MAX_ERROR_RATE = 0.001
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
        twin.search_tags = " ".join(t.name for t in twin.bench_tags)  # type: ignore[attr-defined]
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
    folder = Path(storages["media"].path("twins/bench"))
    folder.mkdir(parents=True, exist_ok=True)
    for name, size in (("thumb.jpg", (480, 600)), ("cover.jpg", (1600, 2000))):
        if not (folder / name).exists():
            Image.new("RGB", size, (214, 205, 196)).save(folder / name, "JPEG", quality=70)


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


def bench_rows() -> dict[str, int]:
    """The bench agencies and their twins, as the database holds them now."""
    from marketplace.accounts.models import Organisation
    from marketplace.talent.models import Twin

    agencies = Organisation.objects.filter(slug__startswith=AGENCY_SLUG_PREFIX)
    return {
        "twins": Twin.objects.filter(agency__in=agencies).count(),
        "agencies": agencies.count(),
    }


# --- Report --------------------------------------------------------------------------------


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
    return alternating_phases(pair, duration=duration, rounds=rounds)


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
    configure_django(database_url=DEFAULT_DATABASE_URL)
    migrate()
    seeded = seed(twins=args.twins, agencies=args.agencies)
    check_sizes(bench_rows(), {"twins": args.twins, "agencies": args.agencies})
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
    write_json(args.json, report)
    failed = [name for name, f in figures.items() if f.error_rate > MAX_ERROR_RATE]
    if failed:
        print(f"  FAILED: more than {MAX_ERROR_RATE:.1%} errors on {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
