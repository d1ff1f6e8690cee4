"""Catalogue text search at 10,000 and 1,000,000 twins (issue 21).

What is measured, on PostgreSQL databases holding `--sizes` listed twins (default 10k and 1M):
1. The search's own work, in process, per query of a mix (a full name, a misspelt surname, a
   stemmed look, a tag and a look together, a broad word): what the catalogue page asks the
   database for a search (`catalogue_results`: the count of matches, capped at 1,000+ and
   uncached, then page 1's ids and cards, ranked when no more than 1,000 match). p50 and
   p95 per size; the figure of merit is p95 at the largest size over p95 at the smallest
   (goal: at most 2x). Beside it, the same searches as they ran before the
   full-text index (every word a `LIKE '%word%'` on the search document, newest first):
   the scan, timed on fewer calls since each reads the whole catalogue.
2. At the largest size, requests per second of the search page (`/catalogue/?q=…`, the same
   mix, signed in, served by gunicorn) beside the query-free bare page (`/bench/bare/?q=…`),
   in alternating slices after a warm-up of both; goal: a ratio of at least 0.4. Counts are
   cached per query for a minute there, as the product does.

How:
1. Each size lives in a database of its own (DATABASE_URL's name plus `_search_<size>`),
   created and migrated if missing, and seeded once (reused while its label matches;
   `--reseed` forces it) in SQL: `INSERT … SELECT generate_series` for talent, twins (names
   from 30 first names and 13,824 surnames; descriptions naming one of four styles; hair,
   eyes, prices, heights, three tags, three to six categories, a shared cover picture), with
   the foreign-key triggers skipped as pg_restore does, then VACUUM (ANALYZE).
2. Count each size's listed bench twins, print them beside the sizes named and fail
   (before measuring and again before reporting) unless each is exactly its size, in a
   database of its own (`harness.check_sizes`).
3. Measure in `--rounds` rounds, the sizes in alternating order, so that background load
   drifting during the run weighs on every size alike. Print the tables, the ratios and the
   plan of the broadest search at the largest size; `--json PATH` writes the figures. Exit 1
   when a goal is missed.

Run:  .venv/bin/python -m benchmarks.search [--sizes 10000,1000000 --calls 30 --scan-calls 3
      --rounds 3 --duration 12 --concurrency 8 --workers 2 --reseed --json out.json]
Needs PostgreSQL (DATABASE_URL, default the local `likeness_bench`) whose user may
create databases.
"""

from __future__ import annotations

import argparse
import itertools
import os
import random
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict
from datetime import date
from typing import Any

from benchmarks import harness

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/likeness_bench"
DEFAULT_SIZES = "10000,1000000"
GOAL_P95_RATIO = 2.0
GOAL_RPS_RATIO = 0.4
AGENCIES = 100
AGENCY_PREFIX = "bs-agency-"
SYLLABLES = (
    "ka", "lo", "mi", "ra", "no", "vi", "sa", "te", "du", "ri", "na", "be",
    "zo", "fa", "li", "gu", "ve", "mo", "ta", "ren", "sol", "ber", "vik", "dal",
)  # fmt: skip
STYLES = ("e-commerce", "campaign", "social", "editorial")


# --- Databases -----------------------------------------------------------------------------


def configure_django() -> None:
    harness.configure_django(
        database_url=DEFAULT_DATABASE_URL,
        env={"EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend"},
    )


def database_for(size: int) -> str:
    base = harness.database_config(os.environ["DATABASE_URL"])["NAME"]
    return f"{base}_search_{size}"


def url_for(size: int) -> str:
    """DATABASE_URL with one size's database in place of its own (for gunicorn)."""
    base, mark, options = os.environ["DATABASE_URL"].partition("?")
    return base.rsplit("/", 1)[0] + "/" + database_for(size) + mark + options


def use_database(name: str) -> None:
    from django.db import connection

    harness.ensure_database(os.environ["DATABASE_URL"], name)
    if connection.settings_dict["NAME"] != name:
        connection.close()
        connection.settings_dict["NAME"] = name


def scalar(sql: str, params: Sequence[Any] = ()) -> Any:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()[0]


# --- Seeding -------------------------------------------------------------------------------

SEED_ROWS = """
CREATE TEMP TABLE bs_seed ON COMMIT DROP AS
SELECT i,
       (%(first)s::text[])[1 + (i * 7 + i / 31) %% %(n_first)s] AS first,
       initcap((%(syl)s::text[])[1 + (i * 13) %% 24] || (%(syl)s::text[])[1 + (i / 24 * 5) %% 24]
               || (%(syl)s::text[])[1 + (i / 576 * 11 + i) %% 24]) AS surname,
       (%(agencies)s::bigint[])[1 + i %% %(n_agencies)s] AS agency_id,
       (%(agency_names)s::text[])[1 + i %% %(n_agencies)s] AS agency_name,
       (%(currencies)s::text[])[1 + i %% %(n_agencies)s] AS currency,
       (%(styles)s::text[])[1 + (i * 3 + i / 7) %% 4] AS style,
       (%(hair)s::text[])[1 + (i * 11 + i / 5) %% 5] AS hair,
       (%(eyes)s::text[])[1 + (i * 17 + i / 3) %% 5] AS eyes,
       1 + (i * 5) %% %(n_tags)s AS t1,
       1 + (i * 5 + 1 + i %% 3) %% %(n_tags)s AS t2,
       1 + (i * 5 + 5 + i %% 4) %% %(n_tags)s AS t3,
       CASE WHEN i %% 50 = 7 THEN 'paused' ELSE 'published' END AS status,
       now() - make_interval(mins => ((i::bigint * 7919) %% (2 * 365 * 24 * 60))::int)
           AS published_at,
       160 + (i * 37) %% 36 AS height_cm,
       (8 + (i * 29) %% 33) * 100 AS price
FROM generate_series(1, %(size)s) AS i
"""
SEED_TALENT = """
INSERT INTO talent_talent (id, created_at, updated_at, full_name, email, agency_id)
SELECT i, now(), now(), first || ' ' || surname, 'talent' || i || '@bench.test', agency_id
FROM bs_seed
"""
SEED_TWINS = """
INSERT INTO talent_twin (id, created_at, updated_at, display_name, slug, description, status,
    published_at, height_cm, bust_cm, waist_cm, hips_cm, dress_size_eu, hair, eyes, price_from,
    currency, search_document, search_tags, agency_id, talent_id, cover_id, agency_may_answer,
    approval_hours, image_approval)
SELECT s.i, now(), now(), s.first || ' ' || s.surname, 'bs-twin-' || s.i,
       'Photoreal digital twin of ' || s.first || ', scanned in studio and approved by '
       || s.first || '. Suited to ' || s.style || ' imagery; posing and styling follow the '
       || 'model''s own guidelines.',
       s.status, s.published_at, s.height_cm, 86, 62, 90, 38, s.hair, s.eyes,
       s.price * (CASE WHEN s.currency = 'JPY' THEN 100 ELSE 1 END), s.currency,
       lower(s.first || ' ' || s.surname || ' photoreal digital twin of ' || s.first
             || ', scanned in studio and approved by ' || s.first || '. suited to ' || s.style
             || ' imagery; posing and styling follow the model''s own guidelines. ' || s.hair
             || ' ' || s.eyes || ' ' || s.first || ' ' || s.surname || ' ' || s.agency_name
             || ' ' || (%(tag_names)s::text[])[s.t1] || ' ' || (%(tag_names)s::text[])[s.t2]
             || ' ' || (%(tag_names)s::text[])[s.t3]),
       (%(tag_names)s::text[])[s.t1] || ' ' || (%(tag_names)s::text[])[s.t2] || ' '
       || (%(tag_names)s::text[])[s.t3],
       s.agency_id, s.i, s.i, false, 72, false
FROM bs_seed s
"""
SEED_LINKS = [
    """INSERT INTO talent_twinimage (id, created_at, updated_at, image, width, height, thumbnail,
           alt_text, position, status, twin_id)
       SELECT i, now(), now(), 'twins/bench/cover.jpg', 1600, 2000, 'twins/bench/thumb.jpg',
              first || '''s twin, look 1', 1, 'ready', i FROM bs_seed""",
    """INSERT INTO talent_twin_tags (twin_id, styletag_id)
       SELECT DISTINCT i, (%(tags)s::bigint[])[t] FROM bs_seed, LATERAL (VALUES (t1), (t2), (t3))
       AS v(t)""",
    """INSERT INTO talent_twin_permitted_categories (twin_id, category_id)
       SELECT DISTINCT i, (%(categories)s::bigint[])[1 + (i + k * 3) %% %(n_categories)s]
       FROM bs_seed, generate_series(0, 2 + i %% 4) AS k""",
]


def seed_label(size: int) -> str:
    return f"likeness search bench: {size} twins, seeded {date.today().isoformat()}"


def seed(size: int) -> None:
    """Replace this database's catalogue with `size` bench twins."""
    from django.db import connection, transaction

    from benchmarks.catalogue import write_thumbnail
    from marketplace.accounts.models import Organisation
    from marketplace.talent.management.commands.load_demo import EYES, FIRST, HAIR, TAGS
    from marketplace.talent.models import Category, StyleTag
    from marketplace.talent.services import unique_tag_slug

    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(
                "TRUNCATE talent_twin, talent_talent, talent_twinimage, talent_twin_tags, "
                "talent_twin_permitted_categories CASCADE"
            )
        Organisation.objects.filter(slug__startswith=AGENCY_PREFIX).delete()
        currencies = ["EUR", "EUR", "EUR", "GBP", "GBP", "USD", "SEK", "CHF", "JPY"]
        agencies = Organisation.objects.bulk_create(
            Organisation(
                kind=Organisation.Kind.AGENCY,
                name=f"{['North', 'Meridian', 'Atelier', 'Lumen'][i % 4]} Models {i + 1}",
                slug=f"{AGENCY_PREFIX}{i:04d}",
                currency=currencies[i % len(currencies)],
                commission_bps=1500,
            )
            for i in range(AGENCIES)
        )
        tags = [
            StyleTag.objects.get_or_create(slug=unique_tag_slug(name), defaults={"name": name})[0]
            for name in TAGS
        ]
        categories = [c.pk for c in Category.objects.filter(sensitive=False).order_by("pk")]
        params: dict[str, Any] = {
            "size": size,
            "first": list(FIRST),
            "n_first": len(FIRST),
            "syl": list(SYLLABLES),
            "agencies": [a.pk for a in agencies],
            "agency_names": [a.name for a in agencies],
            "currencies": [a.currency for a in agencies],
            "n_agencies": len(agencies),
            "styles": list(STYLES),
            "hair": HAIR,
            "eyes": EYES,
            "tags": [t.pk for t in tags],
            "tag_names": [t.name for t in tags],
            "n_tags": len(tags),
            "categories": categories,
            "n_categories": len(categories),
        }
        with connection.cursor() as cursor:
            # Rows reference only rows written in this transaction: skip the per-row
            # foreign-key triggers, as pg_restore does.
            cursor.execute("SET LOCAL session_replication_role = replica")
            cursor.execute("SET LOCAL maintenance_work_mem = '256MB'")
            # Build the twin table's indexes (the GIN ones above all) once after the load,
            # not row by row during it.
            cursor.execute(
                """SELECT i.indexname, i.indexdef FROM pg_indexes i
                   WHERE i.schemaname = current_schema() AND i.tablename = 'talent_twin'
                     AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                     WHERE c.conindid = (quote_ident(i.indexname))::regclass)"""
            )
            indexes = cursor.fetchall()
            for name, _ in indexes:
                cursor.execute(f'DROP INDEX "{name}"')
            for statement in (SEED_ROWS, SEED_TALENT, SEED_TWINS, *SEED_LINKS):
                cursor.execute(statement, params)
            for _, definition in indexes:
                cursor.execute(definition)
            for table in ("talent_talent", "talent_twin", "talent_twinimage"):
                cursor.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            cursor.execute(f"COMMENT ON TABLE talent_twin IS '{seed_label(size)}'")
    write_thumbnail()
    harness.vacuum_analyse()


def listed_twins() -> int:
    from marketplace.talent.models import Twin

    return Twin.objects.in_catalogue().filter(slug__startswith="bs-twin-").count()


def prepare(size: int, reseed: bool) -> None:
    use_database(database_for(size))
    harness.migrate()
    label = scalar("SELECT obj_description('talent_twin'::regclass, 'pg_class')")
    if reseed or label != seed_label(size) or scalar("SELECT count(*) FROM talent_twin") != size:
        started = time.perf_counter()
        seed(size)
        log(f"{database_for(size)}: seeded {size:,} twins in {time.perf_counter() - started:.0f} s")
    else:
        log(f"{database_for(size)}: reusing {size:,} seeded twins")


def check_twins(sizes: Sequence[int]) -> dict[int, int]:
    """Every twin of each size's database (the listed ones are printed beside), after
    checking that each database holds exactly its size, in a database of its own."""
    measured, places, listed = {}, {}, {}
    for size in sizes:
        use_database(database_for(size))
        measured[human(size)] = scalar("SELECT count(*) FROM talent_twin")
        places[human(size)] = scalar("SELECT current_database()")
        listed[size] = listed_twins()
    harness.check_sizes(measured, {human(size): size for size in sizes}, places=places)
    return listed


# --- Searches ------------------------------------------------------------------------------


def search_mix(size: int) -> dict[str, str]:
    """The searches measured, named by kind; the same words at every size (names present
    in both sizes' data: the seed is deterministic, the smaller a prefix of the larger)."""
    from marketplace.talent.models import Twin

    use_database(database_for(size))
    twin = Twin.objects.get(slug="bs-twin-321")
    first, surname = twin.display_name.split()
    misspelt = surname[:3] + surname[2] + surname[3:]  # one letter doubled
    return {
        "full name": f"{first} {surname}",
        "misspelt surname": misspelt,
        "stemmed look": "campaigns blonde",
        "tag and look": "petite green",
        "broad word": "editorial",
    }


def search_now(text: str) -> Callable[[], int]:
    """The catalogue page's database work for a search (`catalogue_results`): the count of
    matches (capped; uncached here: a new catalogue version each call), then page 1's cards,
    ranked when the matches are few enough."""
    from django.conf import settings

    from marketplace.catalogue.selectors import CatalogueQuery, PageByKeys, catalogue_results

    calls = itertools.count()

    def run() -> int:
        results = catalogue_results(CatalogueQuery(text=text), f"bench-{next(calls)}")
        page = PageByKeys(results.twins)[0 : settings.CATALOGUE_PAGE_SIZE]
        return results.count + len(page)

    return run


def search_before(text: str) -> Callable[[], int]:
    """The same, as the catalogue searched before the full-text index: every word a
    substring of the search document (`LIKE '%word%'`), newest first."""
    from django.conf import settings

    from marketplace.catalogue.selectors import PageByKeys, catalogue_order
    from marketplace.talent.models import Twin

    def run() -> int:
        twins = Twin.objects.in_catalogue()
        for word in text.lower().split()[:8]:
            twins = twins.filter(search_document__contains=word)
        twins = (
            twins.select_related("agency", "cover")
            .prefetch_related("tags")
            .order_by(*catalogue_order("newest"))
        )
        count = twins.count()
        page = PageByKeys(twins)[0 : settings.CATALOGUE_PAGE_SIZE]
        return count + len(page)

    return run


def timed(call: Callable[[], int], times: int) -> list[float]:
    samples = []
    for _ in range(times):
        started = time.perf_counter()
        call()
        samples.append(time.perf_counter() - started)
    return samples


def matches(size: int, mix: dict[str, str]) -> dict[str, int]:
    """Every twin each search matches (uncapped; close names when the words match none)."""
    from marketplace.catalogue.selectors import CatalogueQuery, catalogue_twins, searched

    use_database(database_for(size))
    return {
        kind: catalogue_twins(searched(CatalogueQuery(text=t))).count() for kind, t in mix.items()
    }


def figures(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "p50_ms": statistics.median(ordered) * 1000,
        "p95_ms": harness.percentile(ordered, 0.95) * 1000,
        "n": len(ordered),
    }


def explain_broadest(size: int, text: str) -> str:
    from marketplace.catalogue.selectors import CatalogueQuery, catalogue_results

    use_database(database_for(size))
    twins = catalogue_results(CatalogueQuery(text=text), "bench-explain").twins
    keys = twins.select_related(None).prefetch_related(None).values_list("pk", flat=True)
    return str(keys[:24].explain(analyze=True, buffers=True))


# --- The page under load -------------------------------------------------------------------


def page_load(size: int, mix: dict[str, str], args: argparse.Namespace) -> dict[str, Any]:
    """Search page beside the bare page, served from the largest size's database."""
    from urllib.parse import urlencode

    from django.db import connections

    from benchmarks.catalogue import brand_session_cookie

    use_database(database_for(size))
    cookie = brand_session_cookie()
    queries = [f"?{urlencode({'q': text})}" for text in mix.values()]
    search_paths = [f"/catalogue/{q}" for q in queries]
    bare_paths = [f"/bench/bare/{q}" for q in queries]
    counted = harness.queries_per_request(search_paths, cookie)
    connections.close_all()
    pair = [("search", search_paths, cookie), ("bare", bare_paths, "")]
    phases = harness.alternating_phases(pair, duration=args.duration, rounds=args.rounds)
    own_url = os.environ["DATABASE_URL"]
    os.environ["DATABASE_URL"] = url_for(size)  # what gunicorn's workers connect to
    try:
        with harness.serving(workers=args.workers) as (port, _log):
            collected = harness.generate_load(
                port=port, phases=phases, concurrency=args.concurrency
            )
    finally:
        os.environ["DATABASE_URL"] = own_url  # each size's database is named after it
    result = {name: harness.summarise(*value) for name, value in collected.items()}
    search, bare = result["search"], result["bare"]
    return {
        "search": asdict(search),
        "bare": asdict(bare),
        "queries": counted,
        "ratio": {
            "requests_per_second": search.requests_per_second / bare.requests_per_second,
            "p95": search.p95_ms / bare.p95_ms,
        },
    }


# --- Report --------------------------------------------------------------------------------


def human(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def print_report(report: dict[str, Any]) -> None:
    sizes = report["sizes"]
    print()
    print("Likeness catalogue search benchmark (issue 21)")
    m = report["machine"]
    print(
        f"  machine   {m['nproc']} CPU · {m['cpu']} · Python {m['python']} · {report['database']}"
    )
    print(f"  searches  {', '.join(f'{k}: {v!r}' for k, v in report['mix'].items())}")
    print()
    head = f"  {'search':<18}" + "".join(
        f"{human(s) + ' matches':>14}{'p50 ms':>9}{'p95 ms':>9}" for s in sizes
    )
    for kind in ("now", "before"):
        print(f"  {'indexed (now)' if kind == 'now' else 'scan (before: LIKE)'}")
        print(head)
        for name in [*report["mix"], "all"]:
            cells = ""
            for s in sizes:
                row = report["figures"][kind][str(s)][name]
                found = report["matches"][str(s)].get(name, "")
                cells += f"{found:>14,}" if found != "" else f"{'':>14}"
                cells += f"{row['p50_ms']:>9.1f}{row['p95_ms']:>9.1f}"
            print(f"  {name:<18}{cells}")
        print()
    r = report["ratios"]
    small, large = human(sizes[0]), human(sizes[-1])
    verdict = "met" if report["goal"]["p95_met"] else "NOT met"
    print(
        f"  ratio {large}/{small} p95, all searches: now {r['now']:.2f}x (goal ≤ "
        f"{GOAL_P95_RATIO:g}x: {verdict}) · before {r['before']:.2f}x"
    )
    for name, value in r["now_per_search"].items():
        print(f"        {name:<18} now {value:.2f}x · before {r['before_per_search'][name]:.2f}x")
    load = report.get("page")
    if load:
        s, b = load["search"], load["bare"]
        print()
        print(
            f"  page at {large}: search {s['requests_per_second']:.1f} req/s (p50 "
            f"{s['p50_ms']:.1f} ms, p95 {s['p95_ms']:.1f} ms, {s['errors']} errors) · bare "
            f"{b['requests_per_second']:.1f} req/s (p95 {b['p95_ms']:.1f} ms) · queries per "
            f"page {sorted(set(load['queries'].values()))}"
        )
        verdict = "met" if report["goal"]["rps_met"] else "NOT met"
        print(
            f"  ratio search/bare req/s {load['ratio']['requests_per_second']:.2f} (goal ≥ "
            f"{GOAL_RPS_RATIO}: {verdict})"
        )
    print()
    print(f"  plan of the broad word's page at {large}:")
    print("    " + report["explain"].replace("\n", "\n    "))


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("--sizes", default=DEFAULT_SIZES, help="comma-separated twin counts")
    parser.add_argument("--calls", type=int, default=30, help="timed calls per search and size")
    parser.add_argument(
        "--scan-calls", type=int, default=3, help="timed calls of the old scan per search"
    )
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--duration", type=float, default=12.0, help="seconds per page")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--skip-page", action="store_true", help="no load test of the page")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--json", default="")
    args = parser.parse_args(argv)
    args.sizes = harness.distinct_sizes([int(s.replace("_", "")) for s in args.sizes.split(",")])
    return args


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_django()
    for size in args.sizes:
        prepare(size, args.reseed)
    check_twins(args.sizes)
    mix = search_mix(args.sizes[0])
    found = {str(size): matches(size, mix) for size in args.sizes}
    samples: dict[str, dict[int, dict[str, list[float]]]] = {
        kind: {size: {name: [] for name in mix} for size in args.sizes}
        for kind in ("now", "before")
    }
    rng = random.Random(21)
    for round_no in range(args.rounds):
        order = args.sizes if round_no % 2 == 0 else args.sizes[::-1]
        for size in order:
            use_database(database_for(size))
            names = list(mix)
            rng.shuffle(names)
            for name in names:
                run = search_now(mix[name])
                run()  # warm
                samples["now"][size][name] += timed(run, max(1, args.calls // args.rounds))
                before = search_before(mix[name])
                calls = max(1, args.scan_calls // args.rounds + (round_no == 0))
                samples["before"][size][name] += timed(before, calls)
        log(f"round {round_no + 1}/{args.rounds} done")
    table: dict[str, dict[str, dict[str, dict[str, float]]]] = {}
    for kind, per_size in samples.items():
        table[kind] = {}
        for size, per_name in per_size.items():
            rows = {name: figures(values) for name, values in per_name.items()}
            rows["all"] = figures([v for values in per_name.values() for v in values])
            table[kind][str(size)] = rows
    small, large = str(args.sizes[0]), str(args.sizes[-1])

    def ratio(kind: str, name: str) -> float:
        return table[kind][large][name]["p95_ms"] / table[kind][small][name]["p95_ms"]

    report: dict[str, Any] = {
        "benchmark": "search",
        "machine": harness.machine(),
        "database": harness.database_version(),
        "sizes": args.sizes,
        "mix": mix,
        "matches": found,
        "figures": table,
        "ratios": {
            "now": ratio("now", "all"),
            "before": ratio("before", "all"),
            "now_per_search": {name: ratio("now", name) for name in mix},
            "before_per_search": {name: ratio("before", name) for name in mix},
        },
        "explain": explain_broadest(args.sizes[-1], mix["broad word"]),
        "params": {k: v for k, v in vars(args).items() if k != "json"},
    }
    if not args.skip_page:
        report["page"] = page_load(args.sizes[-1], mix, args)
    check_twins(args.sizes)  # again: nothing measured may have changed the sizes
    report["goal"] = {
        "p95_ratio_at_most": GOAL_P95_RATIO,
        "p95_met": report["ratios"]["now"] <= GOAL_P95_RATIO,
        "rps_ratio_at_least": GOAL_RPS_RATIO,
        "rps_met": (
            report["page"]["ratio"]["requests_per_second"] >= GOAL_RPS_RATIO
            if "page" in report
            else None
        ),
    }
    report["goal"]["met"] = (
        bool(report["goal"]["p95_met"]) and report["goal"]["rps_met"] is not False
    )
    print_report(report)
    harness.write_json(args.json, report)
    return 0 if report["goal"]["met"] else 1


if __name__ == "__main__":
    sys.exit(main())
