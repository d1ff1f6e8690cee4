"""Cost of a licence request as exclusivity holds pile up (issue 3).

What is measured: the wall time of `services.request_licence` (one transaction: per-twin lock,
checks, quote, licence and terms, the exclusivity pre-check, the hold rows, the audit event)
and, separately, of the pre-check query alone (`exclusivity.blocking_holds`), on PostgreSQL
holding 1k, 100k and 1M existing `ExclusivityHold` rows. Two kinds of terms:

- free:      an exclusive request on the target twin whose window lies after every existing
             hold; the pre-check walks every active hold of those territories and finds none.
- conflict:  an exclusive request overlapping another brand's active exclusive hold on the
             target twin; the service raises ExclusivityConflict and rolls back.

The figure of merit is the ratio of the median request time at the largest size to the
smallest; the goal is at most 2x. Server-side execution time and buffers of the pre-check
(EXPLAIN ANALYZE) are printed beside it: unlike wall time they do not depend on how busy
the machine is.

How:
1. Each size lives in a database of its own, named after DATABASE_URL's with the size
   appended (`likeness_bench_excl_holds_1000`, ...), created if missing and migrated like
   the product's, so no size can read another's rows whatever DATABASE_URL names.
2. Seed each size's database once (reused by later runs while size, share and date match; `--reseed`
   forces it): agencies, `--twins` other twins, a target twin with a rate card, brands and
   the benchmarking brand with a manager; then holds with `INSERT ... SELECT
   generate_series`, with the exclusion constraint and secondary indexes dropped and built
   again after the load (which re-validates the constraint). Holds are spread across the
   twins, nine categories, 40 countries and windows from three years ago to two years
   ahead; about `--target-share` of them belong to the target twin. Past windows are
   released (inactive), as `expire_licences` leaves them; some current ones are withdrawn.
   The data satisfy the exclusion rules by construction: within one twin and category, each
   block of five countries is held by one brand only. VACUUM (ANALYZE) after the load.
3. Measure in `--rounds` rounds, visiting the sizes in alternating order (1k 100k 1M, then
   1M 100k 1k, ...) so that background load drifting during the run weighs on every size
   alike. Each visit warms up, then times `--requests / --rounds` calls of each kind,
   interleaved; the holds a free request wrote are deleted after the call (untimed) and
   free requests rotate over the categories, so every call sees the same data.
4. Count the holds each size's database holds, print them beside the sizes named and fail
   (before timing, and again before reporting) unless each is exactly its size, in a
   database of its own. Print the table, the ratios and EXPLAIN (ANALYZE, BUFFERS) of the
   pre-check at the largest size; `--json PATH` writes the figures. Exit 1 when the goal is
   missed.

Run:  .venv/bin/python -m benchmarks.exclusivity [--sizes 1000,100000,1000000
      --requests 200 --rounds 4 --twins 5000 --target-share 0.01 --reseed --json out.json]
Needs DATABASE_URL pointing at PostgreSQL (default: the local `likeness_bench_excl`), whose
user may create databases.
"""

from __future__ import annotations

import argparse
import contextlib
import importlib
import os
import platform
import re
import statistics
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from benchmarks import harness

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/likeness_bench_excl"
DEFAULT_SIZES = (1_000, 100_000, 1_000_000)
GOAL_RATIO = 2.0
PREFIX = "bx-"
# 40 countries in eight blocks of five; a seeded licence's territories come from one block.
BLOCKS = (
    ("DE", "FR", "IT", "ES", "NL"), ("BE", "AT", "CH", "PL", "SE"),
    ("DK", "FI", "NO", "PT", "IE"), ("GB", "US", "CA", "MX", "BR"),
    ("JP", "KR", "AU", "NZ", "CN"), ("IN", "SG", "AE", "ZA", "TR"),
    ("GR", "CZ", "HU", "RO", "SK"), ("SI", "HR", "BG", "LT", "LV"),
)  # fmt: skip
COUNTRIES = [code for block in BLOCKS for code in block]
BLOCK = len(BLOCKS[0])
CATEGORIES = (
    "fast-fashion",
    "luxury",
    "sportswear",
    "beauty",
    "swimwear",
    "lingerie",
    "eyewear",
    "jewellery",
    "footwear",
)
SEED_CHUNK = 100_000
WARMUP = 10
INTENDED_USE = (
    "Product detail pages and Instagram carousel posts for the autumn knitwear "
    "collection: eight looks, studio backgrounds, no voice, no nudity."
)
COLUMNS = ("request_free", "request_conflict", "precheck_free", "precheck_conflict")


# --- Setup ---------------------------------------------------------------------------------


def configure_django() -> None:
    harness.configure_django(
        "config.settings",
        database_url=DEFAULT_DATABASE_URL,
        env={
            # Follow-up email runs inline into a dummy backend: no broker, nothing leaves
            # the machine.
            "CELERY_TASK_ALWAYS_EAGER": "true",
            "EMAIL_BACKEND": "django.core.mail.backends.dummy.EmailBackend",
        },
    )


def database_for(size: int) -> str:
    """The database of one size: DATABASE_URL's name with the size appended."""
    base = harness.database_config(os.environ["DATABASE_URL"])["NAME"]
    return f"{base}_holds_{size}"


def use_database(name: str) -> None:
    """Point the default connection at one size's database (reconnects on the next query)."""
    from django.db import connection

    if connection.settings_dict["NAME"] != name:
        connection.close()
        connection.settings_dict["NAME"] = name


def current_database() -> str:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        return str(cursor.fetchone()[0])


@dataclass(frozen=True)
class World:
    target_twin_id: int
    other_twin_ids: list[int]
    brand_ids: list[int]
    category_ids: list[int]
    user_id: int
    bench_membership_id: int


def build_world(*, twins: int, brands: int = 300) -> World:
    """Agencies, twins and brands, created once per database and reused."""
    from django.db import transaction

    from marketplace.accounts.models import Membership, Organisation, Role, User
    from marketplace.talent.models import Category, RateCard, RateCardLine, Talent, Twin

    categories = list(Category.objects.filter(slug__in=CATEGORIES).order_by("pk"))
    if len(categories) != len(CATEGORIES):
        sys.exit("the talent categories are missing: run the migrations")
    with transaction.atomic():
        agencies = list(Organisation.objects.filter(slug__startswith=f"{PREFIX}agency-"))
        if not agencies:
            agencies = Organisation.objects.bulk_create(
                Organisation(
                    kind=Organisation.Kind.AGENCY,
                    name=f"Bench Agency {i}",
                    slug=f"{PREFIX}agency-{i}",
                    commission_bps=2000,
                )
                for i in range(20)
            )
        have = Twin.objects.filter(slug__startswith=f"{PREFIX}twin-").count()
        if have < twins:
            talent = Talent.objects.bulk_create(
                Talent(
                    agency=agencies[i % len(agencies)],
                    full_name=f"Bench Model {i}",
                    email=f"model{i}@bench.test",
                )
                for i in range(have, twins)
            )
            Twin.objects.bulk_create(
                Twin(
                    talent=person,
                    agency_id=person.agency_id,
                    display_name=f"Bench Twin {i}",
                    slug=f"{PREFIX}twin-{i}",
                    description="Benchmark twin.",
                    status=Twin.Status.PUBLISHED,
                    currency="EUR",
                )
                for i, person in zip(range(have, twins), talent, strict=True)
            )
        target = Twin.objects.filter(slug=f"{PREFIX}target").first()
        if target is None:
            # Its agency has no members: no notification email is rendered per request.
            person = Talent.objects.create(
                agency=agencies[0], full_name="Bench Target", email="target@bench.test"
            )
            target = Twin.objects.create(
                talent=person,
                agency=agencies[0],
                display_name="Bench Target",
                slug=f"{PREFIX}target",
                description="The twin every request asks for.",
                status=Twin.Status.PUBLISHED,
                currency="EUR",
            )
            card = RateCard.objects.create(twin=target, currency="EUR")
            RateCardLine.objects.create(
                rate_card=card, media_type="social", base_fee=100_000, per_use_fee=1_000
            )
            target.permitted_categories.set(categories)
        brand_orgs = list(
            Organisation.objects.filter(slug__startswith=f"{PREFIX}brand-").order_by("pk")
        )
        if not brand_orgs:
            brand_orgs = Organisation.objects.bulk_create(
                Organisation(
                    kind=Organisation.Kind.BRAND,
                    name=f"Bench Brand {i}",
                    slug=f"{PREFIX}brand-{i}",
                    commission_bps=0,
                )
                for i in range(brands)
            )
        bench_brand, _ = Organisation.objects.get_or_create(
            slug=f"{PREFIX}bench-brand",
            defaults={
                "kind": Organisation.Kind.BRAND,
                "name": "Bench Requester",
                "commission_bps": 0,
            },
        )
        user = User.objects.filter(email="requester@bench.test").first()
        if user is None:
            user = User.objects.create_user(
                email="requester@bench.test", password=None, full_name="Bench Requester"
            )
        membership, _ = Membership.objects.get_or_create(
            user=user, organisation=bench_brand, defaults={"role": Role.MANAGER}
        )
    other_ids = list(
        Twin.objects.filter(slug__startswith=f"{PREFIX}twin-")
        .order_by("pk")
        .values_list("pk", flat=True)[:twins]
    )
    return World(
        target_twin_id=target.pk,
        other_twin_ids=other_ids,
        brand_ids=[b.pk for b in brand_orgs],
        category_ids=[c.pk for c in categories],
        user_id=user.pk,
        bench_membership_id=membership.pk,
    )


# --- Seeding -------------------------------------------------------------------------------

# Licence number 1 is always a rival: an active exclusive hold on the target twin's first
# category and first block, from ten days ago for 200 days. The conflicting terms hit it.
SEED_PLAN = """
CREATE TEMP TABLE bx_seed ON COMMIT DROP AS
WITH raw AS (
    SELECT i,
           CASE WHEN i = 1 OR random() < %(share)s THEN %(target)s
                ELSE (%(others)s::bigint[])[1 + floor(random() * %(n_others)s)::int]
           END AS twin_id,
           CASE WHEN i = 1 THEN (%(categories)s::bigint[])[1]
                ELSE (%(categories)s::bigint[])[1 + floor(random() * %(n_categories)s)::int]
           END AS category_id,
           CASE WHEN i = 1 THEN 0 ELSE floor(random() * %(n_blocks)s)::int END AS block,
           CASE WHEN i = 1 THEN 0 ELSE floor(random() * %(block)s)::int END AS "offset",
           CASE WHEN i = 1 THEN %(block)s ELSE 1 + floor(random() * %(block)s)::int END AS n,
           CASE WHEN i = 1 THEN current_date - 10
                ELSE current_date - 1095 + floor(random() * 1396)::int END AS start_date,
           CASE WHEN i = 1 THEN 200 ELSE 30 + floor(random() * 336)::int END AS days,
           i = 1 OR random() < 0.4 AS exclusive,
           CASE WHEN i = 1 THEN 1.0 ELSE random() END AS fate
    FROM generate_series(%(first)s, %(last)s) AS i
), counted AS (
    SELECT raw.*, sum(n) OVER (ORDER BY i) - n AS before FROM raw
)
SELECT c.i, c.twin_id, c.category_id, c.block, c."offset",
       least(c.n, %(rows)s - c.before)::int AS n,
       c.start_date, c.start_date + c.days - 1 AS end_date, c.exclusive,
       -- One brand per twin, category and block of countries: no two brands ever meet.
       (%(brands)s::bigint[])[1 + ((c.twin_id * 31 + c.category_id * 7 + c.block * 13)
                                   %% %(n_brands)s)::int] AS brand_id,
       (c.start_date + c.days - 1 >= current_date AND c.fate >= 0.15) AS active,
       CASE WHEN c.start_date + c.days - 1 < current_date THEN 'expired'
            WHEN c.fate < 0.15 THEN 'withdrawn'
            WHEN c.start_date <= current_date THEN 'active'
            ELSE 'awaiting_consent' END AS status
FROM counted c WHERE c.before < %(rows)s
"""
SEED_LICENCES = """
INSERT INTO licensing_licence (reference, brand_id, agency_id, twin_id, talent_id,
    requested_by_id, status, terms_id, reserved_until, status_reason, uses_count,
    created_at, updated_at)
SELECT 'BX-' || s.i, s.brand_id, t.agency_id, s.twin_id, t.talent_id, %(user)s, s.status, NULL,
       CASE WHEN s.status = 'awaiting_consent' THEN now() + interval '30 days' END, '', 0,
       now(), now()
FROM bx_seed s JOIN talent_twin t ON t.id = s.twin_id
"""
SEED_HOLDS = """
INSERT INTO licensing_exclusivityhold (licence_id, twin_id, brand_id, category_id, territory,
    start_date, end_date, exclusive, active)
SELECT l.id, s.twin_id, s.brand_id, s.category_id,
       (%(countries)s::text[])[1 + s.block * %(block)s + (s."offset" + j) %% %(block)s],
       s.start_date, s.end_date, s.exclusive, s.active
FROM bx_seed s JOIN licensing_licence l ON l.reference = 'BX-' || s.i
CROSS JOIN LATERAL generate_series(0, s.n - 1) AS j
"""
LOADED_TABLES = ("licensing_licence", "licensing_exclusivityhold")


def seed_label(size: int, share: float, twins: int) -> str:
    return f"likeness exclusivity bench: {size} holds, share {share}, {twins} twins, " + (
        f"seeded {date.today().isoformat()}"
    )


def seeded_as() -> str | None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT obj_description(to_regclass('licensing_exclusivityhold'), 'pg_class')"
        )
        return cursor.fetchone()[0]


def seed(size: int, world: World, *, share: float, label: str) -> None:
    """Replace this database's licences with `size` seeded holds."""
    from django.db import connection, transaction

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE licensing_licence CASCADE")
        cursor.execute("DELETE FROM core_auditevent WHERE target_type LIKE 'licensing.%'")
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        superuser = cursor.fetchone()[0]
    have, first = 0, 1
    with bulk_load():
        while have < size:
            rows = min(SEED_CHUNK, size - have)
            params: dict[str, Any] = {
                "share": share,
                "target": world.target_twin_id,
                "others": world.other_twin_ids,
                "n_others": len(world.other_twin_ids),
                "categories": world.category_ids,
                "n_categories": len(world.category_ids),
                "n_blocks": len(BLOCKS),
                "block": BLOCK,
                "rows": rows,
                "first": first,
                "last": first + rows - 1,
                "brands": world.brand_ids,
                "n_brands": len(world.brand_ids),
                "user": world.user_id,
                "countries": COUNTRIES,
            }
            with transaction.atomic(), connection.cursor() as cursor:
                if superuser:
                    # Rows reference only rows just read: skip the per-row foreign-key
                    # triggers, as pg_restore does.
                    cursor.execute("SET LOCAL session_replication_role = replica")
                for statement in (SEED_PLAN, SEED_LICENCES, SEED_HOLDS):
                    cursor.execute(statement, params)
            first += rows  # every licence has at least one hold: numbers are never reused
            have += rows
    with connection.cursor() as cursor:
        cursor.execute("VACUUM (ANALYZE) licensing_exclusivityhold")
        cursor.execute("VACUUM (ANALYZE) licensing_licence")
        cursor.execute(f"COMMENT ON TABLE licensing_exclusivityhold IS '{label}'")


@contextlib.contextmanager
def bulk_load() -> Iterator[None]:
    """Drop the exclusion constraint and every index not backing a constraint on the loaded
    tables, then build them again exactly as they were (re-validating the rows against the
    constraint of migration 0002). Building an index once is much cheaper than growing it."""
    from django.db import connection

    migration = importlib.import_module(
        "marketplace.licensing.migrations.0002_exclusivity_constraint"
    )
    with connection.cursor() as cursor:
        cursor.execute(migration.DROP)
        cursor.execute(
            """SELECT i.indexname, i.indexdef FROM pg_indexes i
               WHERE i.schemaname = current_schema() AND i.tablename = ANY(%s)
                 AND NOT EXISTS (SELECT 1 FROM pg_constraint c
                                 WHERE c.conindid = (quote_ident(i.indexname))::regclass)""",
            [list(LOADED_TABLES)],
        )
        indexes = cursor.fetchall()
        for name, _ in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SET maintenance_work_mem = '256MB'")
            for _, definition in indexes:
                cursor.execute(definition)
            cursor.execute(migration.CREATE)
            cursor.execute("RESET maintenance_work_mem")


def hold_count(target_twin_id: int) -> tuple[int, int, int]:
    """(all holds, active holds, holds of the target twin)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*), count(*) FILTER (WHERE active), "
            "count(*) FILTER (WHERE twin_id = %s) FROM licensing_exclusivityhold",
            [target_twin_id],
        )
        return cursor.fetchone()


# --- Measuring -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Scenario:
    """The terms of each kind. Free requests rotate over the categories so that the holds
    they write (deleted after each call) leave few dead index entries in any one range."""

    free: list[Any]  # TermsInput per category
    conflict: Any  # TermsInput


def scenario(world: World) -> Scenario:
    """Free terms after every seeded window, and terms overlapping a rival's exclusive hold."""
    from marketplace.licensing import services
    from marketplace.licensing.models import ExclusivityHold
    from marketplace.talent.models import Category

    today = date.today()
    categories = list(Category.objects.filter(pk__in=world.category_ids).order_by("pk"))

    def terms(category: Any, countries: list[str], start: date, days: int) -> Any:
        return services.TermsInput(
            media_types=["social"],
            territories=countries,
            start_date=start,
            end_date=start + timedelta(days=days - 1),
            category=category.slug,
            intended_use=INTENDED_USE,
            exclusive=True,
        )

    free = [terms(c, COUNTRIES[:3], today + timedelta(days=700), 61) for c in categories]
    rival = (
        ExclusivityHold.objects.filter(
            twin_id=world.target_twin_id,
            category=categories[0],
            active=True,
            exclusive=True,
            territory__in=COUNTRIES[:BLOCK],
            end_date__gte=today + timedelta(days=10),
        )
        .order_by("start_date", "pk")
        .first()
    )
    if rival is None:
        sys.exit("seeding left no rival exclusive hold on the target twin")
    others = [c for c in COUNTRIES[:BLOCK] if c != rival.territory][:2]
    start = max(today + timedelta(days=1), rival.start_date)
    return Scenario(free=free, conflict=terms(categories[0], [rival.territory, *others], start, 61))


class Probes:
    """The four timed calls on one size's data."""

    def __init__(self, world: World) -> None:
        from marketplace.accounts.models import Membership
        from marketplace.licensing import terms
        from marketplace.talent.models import Twin

        self.by = Membership.objects.select_related("organisation", "user").get(
            pk=world.bench_membership_id
        )
        twin = Twin.objects.select_related("agency", "rate_card").get(pk=world.target_twin_id)
        self.twin_id = twin.pk
        self.terms = scenario(world)
        self.checked_free = [terms.check_terms(twin, t) for t in self.terms.free]
        self.checked_conflict = terms.check_terms(twin, self.terms.conflict)
        self.calls = 0

    def all(self) -> dict[str, Callable[[], float | None]]:
        return {
            "request_free": self.request_free,
            "request_conflict": self.request_conflict,
            "precheck_free": self.precheck_free,
            "precheck_conflict": self.precheck_conflict,
        }

    def request_free(self) -> float:
        from marketplace.licensing import services
        from marketplace.licensing.models import ExclusivityHold

        self.calls += 1
        free = self.terms.free[self.calls % len(self.terms.free)]
        licence = services.request_licence(by=self.by, twin_id=self.twin_id, terms=free)
        stop = time.perf_counter()
        ExclusivityHold.objects.filter(licence=licence).delete()  # untimed: same data each time
        return stop

    def request_conflict(self) -> None:
        from marketplace.licensing import services

        try:
            services.request_licence(by=self.by, twin_id=self.twin_id, terms=self.terms.conflict)
        except services.ExclusivityConflict:
            return
        raise AssertionError("the conflicting terms were granted")

    def precheck_free(self) -> None:
        if self.precheck(self.checked_free[self.calls % len(self.checked_free)]):
            raise AssertionError("the pre-check found holds blocking the free terms")

    def precheck_conflict(self) -> None:
        if not self.precheck(self.checked_conflict):
            raise AssertionError("the pre-check found nothing blocking the conflicting terms")

    def precheck(self, checked: Any) -> list[Any]:
        from marketplace.licensing import exclusivity

        qs = exclusivity.blocking_holds(
            twin_id=self.twin_id, brand_id=self.by.organisation_id, checked=checked
        )
        return list(qs[:200])

    def statements(self) -> dict[str, int]:
        """SQL statements of one request of each kind (untimed)."""
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from marketplace.licensing import services
        from marketplace.licensing.models import ExclusivityHold

        with CaptureQueriesContext(connection) as free:
            licence = services.request_licence(
                by=self.by, twin_id=self.twin_id, terms=self.terms.free[0]
            )
        ExclusivityHold.objects.filter(licence=licence).delete()
        with (
            CaptureQueriesContext(connection) as conflict,
            contextlib.suppress(services.ExclusivityConflict),
        ):
            services.request_licence(by=self.by, twin_id=self.twin_id, terms=self.terms.conflict)
        return {"request_free": len(free), "request_conflict": len(conflict)}

    def explain(self) -> dict[str, dict[str, Any]]:
        """EXPLAIN (ANALYZE, BUFFERS) of the pre-check for both kinds of terms."""
        from marketplace.licensing import exclusivity

        plans = {}
        for kind, checked in (("free", self.checked_free[0]), ("conflict", self.checked_conflict)):
            qs = exclusivity.blocking_holds(
                twin_id=self.twin_id, brand_id=self.by.organisation_id, checked=checked
            )[:200]
            plan = qs.explain(analyze=True, buffers=True)
            execution = re.search(r"Execution Time: ([\d.]+) ms", plan)
            buffers = re.search(r"Buffers: shared hit=(\d+)(?: read=(\d+))?", plan)
            plans[kind] = {
                "plan": plan,
                "indexes": indexes_in(plan),
                "execution_ms": float(execution.group(1)) if execution else None,
                "buffers": sum(int(b or 0) for b in buffers.groups()) if buffers else None,
            }
        return plans


def remove_bench_licences(world: World) -> None:
    """Remove what the benchmarking brand's requests left (licences, terms, audit events)."""
    from django.db import connection, transaction

    from marketplace.accounts.models import Membership

    brand_id = Membership.objects.get(pk=world.bench_membership_id).organisation_id
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "CREATE TEMP TABLE bx_gone ON COMMIT DROP AS "
            "SELECT id FROM licensing_licence WHERE brand_id = %s",
            [brand_id],
        )
        for statement in (
            "UPDATE licensing_licence SET terms_id = NULL WHERE id IN (SELECT id FROM bx_gone)",
            "DELETE FROM licensing_exclusivityhold WHERE licence_id IN (SELECT id FROM bx_gone)",
            "DELETE FROM licensing_licenceterms WHERE licence_id IN (SELECT id FROM bx_gone)",
            "DELETE FROM core_auditevent WHERE target_type = 'licensing.licence' "
            "AND target_id IN (SELECT id FROM bx_gone)",
            "DELETE FROM licensing_licence WHERE id IN (SELECT id FROM bx_gone)",
        ):
            cursor.execute(statement)


@dataclass(frozen=True)
class Figures:
    median_ms: float
    p95_ms: float
    samples: int


def percentile(sorted_values: Sequence[float], fraction: float) -> float:
    index = max(0, min(len(sorted_values) - 1, round(fraction * (len(sorted_values) - 1))))
    return sorted_values[index]


def summarise(samples: list[float]) -> Figures:
    ordered = sorted(samples)
    return Figures(
        median_ms=round(statistics.median(ordered) * 1000, 3),
        p95_ms=round(percentile(ordered, 0.95) * 1000, 3),
        samples=len(ordered),
    )


def visit(world: World, calls: int) -> dict[str, list[float]]:
    """Warm up, then time `calls` calls of each kind, interleaved."""
    probes = Probes(world)
    for _ in range(WARMUP):
        for probe in probes.all().values():
            probe()
    samples: dict[str, list[float]] = {name: [] for name in COLUMNS}
    for _ in range(calls):
        for name, probe in probes.all().items():
            started = time.perf_counter()
            stopped = probe()  # a probe that cleans up after itself returns its own stop time
            samples[name].append((stopped or time.perf_counter()) - started)
    remove_bench_licences(world)
    return samples


def indexes_in(plan: str) -> list[str]:
    return sorted(set(re.findall(r"Index (?:Only )?Scan (?:Backward )?(?:using|on) (\w+)", plan)))


# --- Report --------------------------------------------------------------------------------


def human(n: int) -> str:
    if n >= 1_000_000 and n % 1_000_000 == 0:
        return f"{n // 1_000_000}M"
    if n >= 1000 and n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


def print_report(report: dict[str, Any]) -> None:
    print()
    print(
        f"Licence request cost vs existing exclusivity holds: PostgreSQL "
        f"{report['postgresql']}, {report['requests']} timed calls of each kind per size "
        f"in {report['rounds']} alternating rounds."
    )
    print(
        f"About {report['target_share']:.0%} of the holds are on the requested twin, the rest "
        f"on {report['twins']:,} others. Wall times in ms, median / p95. 'SQL': statements "
        "per request, free / conflict. 'server': EXPLAIN ANALYZE of the pre-check, execution "
        "ms and buffers, free / conflict."
    )
    print()
    head = (
        f"{'holds':>6} {'active':>8} {'on twin':>7} {'SQL':>7} | "
        + " | ".join(f"{c.replace('_', ' '):>17}" for c in COLUMNS)
        + f" | {'server':>26}"
    )
    print(head)
    print("-" * len(head))
    for row in report["sizes"]:
        figures, sql, plans = row["figures"], row["statements_per_request"], row["explain"]
        cells = " | ".join(
            f"{figures[c]['median_ms']:>7.2f} / {figures[c]['p95_ms']:>7.2f}" for c in COLUMNS
        )
        server = " / ".join(
            f"{plans[k]['execution_ms']:.3f} ms {plans[k]['buffers']:>3} b"
            for k in ("free", "conflict")
        )
        print(
            f"{human(row['holds']):>6} {row['active']:>8,} {row['target_twin_holds']:>7,} "
            f"{sql['request_free']:>3} / {sql['request_conflict']:<3}| {cells} | {server:>26}"
        )
    print()
    first, last = report["sizes"][0], report["sizes"][-1]
    label = f"{human(last['holds'])} / {human(first['holds'])}"
    for name, ratio in report["ratios"].items():
        goal = ""
        if name.startswith("request"):
            verdict = "met" if ratio["median"] <= GOAL_RATIO else "MISSED"
            goal = f"   (goal <= {GOAL_RATIO:g}x: {verdict})"
        print(
            f"ratio {label}  {name.replace('_', ' '):<17}  median {ratio['median']:.2f}x, "
            f"p95 {ratio['p95']:.2f}x{goal}"
        )
    for kind, explained in last["explain"].items():
        print()
        print(
            f"EXPLAIN (ANALYZE, BUFFERS) of the pre-check at {human(last['holds'])}, {kind} "
            f"terms; index used: {', '.join(explained['indexes']) or 'none'}"
        )
        print(explained["plan"])


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument(
        "--sizes",
        default=",".join(str(s) for s in DEFAULT_SIZES),
        help="comma-separated hold counts, ascending (default: %(default)s)",
    )
    parser.add_argument(
        "--requests",
        type=int,
        default=200,
        help="timed calls of each kind per size (default: %(default)s)",
    )
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="alternating passes over the sizes (default: %(default)s)",
    )
    parser.add_argument(
        "--twins",
        type=int,
        default=5000,
        help="other twins the holds are spread across (default: %(default)s)",
    )
    parser.add_argument(
        "--target-share",
        type=float,
        default=0.01,
        help="fraction of holds on the requested twin (default: %(default)s)",
    )
    parser.add_argument("--reseed", action="store_true", help="seed even if the data exist")
    parser.add_argument("--json", metavar="PATH", help="also write the figures as JSON")
    args = parser.parse_args(argv)
    args.sizes = [int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()]
    if not args.sizes or args.sizes != sorted(set(args.sizes)) or args.sizes[0] < 1:
        parser.error("--sizes must be positive, distinct and ascending")
    if args.rounds < 1 or args.requests < args.rounds:
        parser.error("--requests must be at least --rounds, and --rounds at least 1")
    return args


def prepare(size: int, args: argparse.Namespace) -> World:
    """Migrate the size's database and seed it unless it already holds exactly these data."""
    name = database_for(size)
    harness.ensure_database(os.environ["DATABASE_URL"], name)
    use_database(name)
    harness.migrate()
    world = build_world(twins=args.twins)
    remove_bench_licences(world)
    label = seed_label(size, args.target_share, args.twins)
    if args.reseed or seeded_as() != label:
        started = time.perf_counter()
        seed(size, world, share=args.target_share, label=label)
        log(f"{name}: seeded {size:,} holds in {time.perf_counter() - started:.1f} s")
    else:
        log(f"{name}: reusing {size:,} seeded holds")
    return world


def check_holds(worlds: dict[int, World]) -> dict[int, tuple[str, tuple[int, int, int]]]:
    """Each size's database and (holds, active, on the target twin), after checking that
    every size holds exactly its number of holds in a database of its own."""
    found = {}
    for size, world in worlds.items():
        use_database(database_for(size))
        found[size] = (current_database(), hold_count(world.target_twin_id))
    harness.check_sizes(
        {human(size): counts[0] for size, (_, counts) in found.items()},
        {human(size): size for size in worlds},
        places={human(size): place for size, (place, _) in found.items()},
    )
    return found


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_django()
    started = time.perf_counter()
    worlds = {size: prepare(size, args) for size in args.sizes}
    check_holds(worlds)
    samples: dict[int, dict[str, list[float]]] = {
        size: {c: [] for c in COLUMNS} for size in args.sizes
    }
    per_round = [
        args.requests // args.rounds + (r < args.requests % args.rounds) for r in range(args.rounds)
    ]
    for round_no, calls in enumerate(per_round):
        order = args.sizes if round_no % 2 == 0 else args.sizes[::-1]
        for size in order:
            use_database(database_for(size))
            for name, values in visit(worlds[size], calls).items():
                samples[size][name].extend(values)
        log(f"round {round_no + 1}/{args.rounds} done")
    rows: list[dict[str, Any]] = []
    plans = {}
    for size in args.sizes:
        use_database(database_for(size))
        world = worlds[size]
        probes = Probes(world)
        plans[size] = (probes.statements(), probes.explain())
        remove_bench_licences(world)
    for size, (database, (holds, active, target)) in check_holds(worlds).items():
        statements, explain = plans[size]
        rows.append(
            {
                "database": database,
                "holds": holds,
                "active": active,
                "target_twin_holds": target,
                "statements_per_request": statements,
                "figures": {c: asdict(summarise(samples[size][c])) for c in COLUMNS},
                "explain": explain,
            }
        )
    first, last = rows[0]["figures"], rows[-1]["figures"]
    ratios = {
        c: {
            "median": round(last[c]["median_ms"] / first[c]["median_ms"], 2),
            "p95": round(last[c]["p95_ms"] / first[c]["p95_ms"], 2),
        }
        for c in COLUMNS
    }
    report = {
        "benchmark": "exclusivity",
        "postgresql": harness.database_version().removeprefix("PostgreSQL "),
        "python": platform.python_version(),
        "machine": platform.machine(),
        "cpus": os.cpu_count(),
        "load_average": os.getloadavg(),
        "requests": args.requests,
        "rounds": args.rounds,
        "twins": args.twins,
        "target_share": args.target_share,
        "sizes": rows,
        "ratios": ratios,
        "goal_ratio": GOAL_RATIO,
        "goal_met": all(ratios[c]["median"] <= GOAL_RATIO for c in COLUMNS[:2]),
        "seconds": round(time.perf_counter() - started, 1),
    }
    print_report(report)
    log(f"total {report['seconds']:.0f} s")
    harness.write_json(args.json, report)
    return 0 if report["goal_met"] else 1


if __name__ == "__main__":
    raise SystemExit(main())
