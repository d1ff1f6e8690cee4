"""Talent dashboard throughput beside a query-free ceiling (issue 7).

What is measured: requests per second and latency (p50, p95) of the model's dashboard
(`/me/dashboard/`: earnings figures, monthly chart, totals per licence, brand and year, the
first page of every use and a few filtered or later pages) for a model with `--uses` uses
and about `--earnings` earnings across 24 months, served by gunicorn from PostgreSQL, and,
in the same run on the same server, of `/bench/bare-dashboard/`: a view rendering the same
`dashboards/talent.html` from an in-memory copy of the context the real view built for that
model, without a single query (benchmarks/dashboard_urls.py). The figure of merit is the ratio
dashboard / bare for requests per second; the goal is at least 0.3. Both endpoints get the
same duration and concurrency, in alternating slices (ABBA...) after a warm-up of both.

How:
1. Create the PostgreSQL database if missing, migrate, and seed (skipped when the data of the
   requested size are there and date from this month; `--reseed` forces it): an agency,
   `--brands` brands in EUR, GBP and USD, the model (with a user, two twins, two refused
   categories and a ready payout account) holding enough licences to earn about `--earnings`
   times over 24 months, plus `--background-talents` other models of the agency sharing
   `--background-uses` uses, so that the model's rows are a part of each table. Uses are
   spread over each licence's window, media, territories; they are billed in one statement
   per brand and month (paid, except last month's, still open; this month's are unbilled).
   Each paid statement and licence fee leaves the model's and the agency's earnings (paid out
   after 35 days, a few refunded). Uses go in with COPY, the rest with bulk inserts; then
   VACUUM (ANALYZE), as autovacuum would have.
2. In process: count the SQL queries of one request per URL with CaptureQueriesContext,
   time each query of the first page server-side (EXPLAIN ANALYZE), capture the real view's
   context for the bare view, and check that the bare view makes no query and renders the
   same page (apart from the CSRF token).
3. Start gunicorn (sync workers, settings `benchmarks.dashboard_settings`), load it from a
   separate process with `--concurrency` connections (benchmarks/harness.py)
   cycling through the URL mix; every non-200 answer or failed request counts as an error.
4. Print the table (and `--json PATH`); exit 1 when more than 0.1 % of requests failed.

Run:  .venv/bin/python -m benchmarks.dashboard [--uses 100000 --earnings 2000 --duration 15
      --concurrency 8 --workers 2 --explain --json out.json]
Needs DATABASE_URL pointing at PostgreSQL (default: the local `likeness_bench_dashboard`
database); REDIS_URL defaults to the local Redis, as the product runs.
"""

from __future__ import annotations

import argparse
import os
import pickle
import random
import re
import sys
import tempfile
import time
import types
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
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

DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/likeness_bench_dashboard"
DEFAULT_REDIS_URL = "redis://127.0.0.1:6379/0"
SETTINGS_MODULE = "benchmarks.dashboard_settings"
TEMPLATE = "dashboards/talent.html"
GOAL_RPS_RATIO = 0.3
MAX_ERROR_RATE = 0.001

AGENCY_SLUG = "bench-dash-agency"
BRAND_SLUG_PREFIX = "bench-dash-brand-"
EMAIL_DOMAIN = "dashboard.bench"
TALENT_EMAIL = f"amara@{EMAIL_DOMAIN}"
REPORTER_EMAIL = f"reporter@{EMAIL_DOMAIN}"
MONTHS = 24  # of history, the last one being the current month
PAID_OUT_AFTER_DAYS = 35
BRANDS = [
    ("Kestrel", "EUR"),
    ("Maison Arlo", "EUR"),
    ("Nordvik", "GBP"),
    ("Solenne", "USD"),
    ("Greyhound & Co", "GBP"),
    ("Atelier Nine", "EUR"),
    ("Brightwater", "USD"),
    ("Lumière Paris", "EUR"),
    ("Hale Studio", "GBP"),
    ("Verano", "EUR"),
]
MEDIA_FEES = {  # per-use fee in minor units, and how often brands use each medium
    "social": (4_000, 50),
    "web": (6_000, 30),
    "print": (15_000, 8),
    "video": (25_000, 6),
    "ooh": (20_000, 4),
    "in_store": (8_000, 2),
}
TERRITORIES = ["DE", "FR", "GB", "US", "IT", "ES", "NL", "SE"]
PLATFORM_FEE_BPS = 1000
AGENCY_COMMISSION_BPS = 2000

# What a model does: mostly the first page, then a later page and the filters.
QUERY_STRINGS = [
    "",
    "",
    "?page=2",
    "",
    "?media=social",
    "",
    "?brand={brand}",
    "?month={month}",
]


# --- Seeding -------------------------------------------------------------------------------


@dataclass
class LicencePlan:
    """One licence of one model: its window in months (0 = the oldest) and status."""

    talent: int  # index: 0 is the benchmarked model
    brand: int
    twin: int
    start_month: int
    end_month: int | None  # None: runs on after today
    status: str = "active"
    fee: int = 0
    media: list[str] = field(default_factory=list)
    territories: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class SeedReport:
    uses: int
    earnings: int
    licences: int
    brands: int
    background_talents: int
    background_uses: int
    seeded_now: bool
    seconds: float


def month_start(today: date, month: int) -> date:
    """First day of month `month` of the history (MONTHS - 1 is today's month)."""
    index = today.year * 12 + today.month - 1 - (MONTHS - 1 - month)
    return date(index // 12, index % 12 + 1, 1)


def month_end(today: date, month: int) -> date:
    return (month_start(today, month) + timedelta(days=32)).replace(day=1) - timedelta(days=1)


def plan_licences(args: argparse.Namespace) -> list[LicencePlan]:
    """The benchmarked model's licences (enough for about `--earnings` earnings: one per
    licence fee and one per month of paid usage statement), a few still open, then two per
    background model."""
    rng = random.Random(7)
    media = list(MEDIA_FEES)
    plans: list[LicencePlan] = []

    def add(talent: int, i: int, status: str = "active") -> LicencePlan:
        start = (i * 7) % 14
        end = min(start + 8 + i % 6, MONTHS - 3) if i % 6 == 5 else None
        plan = LicencePlan(
            talent=talent,
            brand=(i + talent) % args.brands,
            twin=i % 2 if talent == 0 else 0,
            start_month=start,
            end_month=end,
            status="expired" if end is not None else status,
            fee=250_000 * (1 + i % 4),
            media=sorted(rng.sample(media[:4], k=2 + i % 3)),
            territories=sorted(rng.sample(TERRITORIES, k=2 + i % 5)),
        )
        plans.append(plan)
        return plan

    earnings, i = 0, 0
    while earnings < args.earnings:
        plan = add(0, i)
        last_paid = min(plan.end_month if plan.end_month is not None else MONTHS, MONTHS - 3)
        earnings += 1 + max(0, last_paid - plan.start_month + 1)
        i += 1
    for status in ("awaiting_consent", "awaiting_consent", "awaiting_payment", "requested"):
        plan = add(0, i, status)
        plan.start_month, plan.end_month, plan.status = MONTHS - 1, None, status
        i += 1
    for talent in range(1, args.background_talents + 1):
        for j in range(2):
            add(talent, talent * 3 + j)
    return plans


def seed(args: argparse.Namespace) -> SeedReport:
    """Make the database hold the dashboard's data at the requested size (or keep them)."""
    from django.db import transaction
    from django.db.models import Max
    from django.utils import timezone

    from marketplace.accounts.models import Organisation
    from marketplace.payments.models import Earning, UsageReport
    from marketplace.talent.models import Talent

    started = time.perf_counter()
    plans = plan_licences(args)
    talent = Talent.objects.filter(email=TALENT_EMAIL, agency__slug=AGENCY_SLUG).first()
    if talent and not args.reseed:
        bench_talent = Talent.objects.filter(agency__slug=AGENCY_SLUG)
        uses = UsageReport.objects.filter(talent__in=bench_talent)
        have = (
            uses.filter(talent=talent).count(),
            uses.exclude(talent=talent).count(),
            bench_talent.count() - 1,
            talent.licences.count(),
            Organisation.objects.filter(slug__startswith=BRAND_SLUG_PREFIX).count(),
        )
        want = (
            args.uses,
            args.background_uses,
            args.background_talents,
            sum(1 for p in plans if p.talent == 0),
            args.brands,
        )
        latest = uses.filter(talent=talent).aggregate(m=Max("used_on"))["m"]
        today = timezone.localdate()
        if have == want and latest and (latest.year, latest.month) == (today.year, today.month):
            earned = Earning.objects.filter(talent=talent).count()
            return report(args, plans, earned, seeded_now=False, seconds=0.0)
    with transaction.atomic():
        wipe()
        earned = insert(args, plans)
    return report(args, plans, earned, seeded_now=True, seconds=time.perf_counter() - started)


def report(
    args: argparse.Namespace, plans: list[LicencePlan], earned: int, **how: Any
) -> SeedReport:
    return SeedReport(
        uses=args.uses,
        earnings=earned,
        licences=sum(1 for p in plans if p.talent == 0),
        brands=args.brands,
        background_talents=args.background_talents,
        background_uses=args.background_uses,
        **how,
    )


def seeded_rows() -> dict[str, int]:
    """The model's uses, the other models of the agency and theirs, as the database holds
    them now."""
    from marketplace.payments.models import UsageReport
    from marketplace.talent.models import Talent

    bench_talent = Talent.objects.filter(agency__slug=AGENCY_SLUG)
    uses = UsageReport.objects.filter(talent__in=bench_talent)
    return {
        "the model's uses": uses.filter(talent__email=TALENT_EMAIL).count(),
        "other models": bench_talent.exclude(email=TALENT_EMAIL).count(),
        "their uses": uses.exclude(talent__email=TALENT_EMAIL).count(),
    }


def wipe() -> None:
    """Delete every row a previous seeding made, in the order the foreign keys allow."""
    from marketplace.accounts.models import Membership, Organisation, User
    from marketplace.licensing.models import Licence, LicenceTerms
    from marketplace.payments.models import Charge, ConnectedAccount, Earning, UsageReport
    from marketplace.talent.models import Talent, Twin

    talent = Talent.objects.filter(agency__slug=AGENCY_SLUG)
    licences = Licence.objects.filter(agency__slug=AGENCY_SLUG)
    UsageReport.objects.filter(talent__in=talent).delete()
    Earning.objects.filter(licence__in=licences).delete()
    ConnectedAccount.objects.filter(talent__in=talent).delete()
    Charge.objects.filter(brand__slug__startswith=BRAND_SLUG_PREFIX).delete()
    licences.update(terms=None)
    LicenceTerms.objects.filter(licence__in=licences).delete()
    licences.delete()
    Twin.objects.filter(agency__slug=AGENCY_SLUG).delete()
    Talent.restricted_categories.through.objects.filter(talent__in=talent).delete()
    talent.delete()
    Membership.objects.filter(user__email__endswith=f"@{EMAIL_DOMAIN}").delete()
    Organisation.objects.filter(slug=AGENCY_SLUG).delete()
    Organisation.objects.filter(slug__startswith=BRAND_SLUG_PREFIX).delete()
    User.objects.filter(email__endswith=f"@{EMAIL_DOMAIN}").delete()


def insert(args: argparse.Namespace, plans: list[LicencePlan]) -> int:
    """Insert the seed; returns the benchmarked model's number of earnings."""
    from django.contrib.auth.hashers import make_password
    from django.utils import timezone

    from marketplace.accounts.models import Membership, Organisation, Role, User
    from marketplace.payments.models import ConnectedAccount
    from marketplace.talent.models import Category, Talent, Twin

    today = timezone.localdate()
    agency = Organisation.objects.create(
        kind=Organisation.Kind.AGENCY,
        name="Northlight Models",
        slug=AGENCY_SLUG,
        currency="EUR",
        commission_bps=AGENCY_COMMISSION_BPS,
    )
    brands = Organisation.objects.bulk_create(
        Organisation(
            kind=Organisation.Kind.BRAND,
            name=name,
            slug=f"{BRAND_SLUG_PREFIX}{i:02d}",
            currency=currency,
            commission_bps=0,
        )
        for i, (name, currency) in enumerate(BRANDS[: args.brands])
    )
    reporter = User.objects.create(email=REPORTER_EMAIL, full_name="Bench Reporter")
    Membership.objects.create(user=reporter, organisation=brands[0], role=Role.MANAGER)
    user = User.objects.create(
        email=TALENT_EMAIL, full_name="Amara Okafor", password=make_password(None)
    )
    people = Talent.objects.bulk_create(
        [Talent(agency=agency, user=user, full_name="Amara Okafor", email=TALENT_EMAIL)]
        + [
            Talent(agency=agency, full_name=f"Bench Model {n}", email=f"model{n}@{EMAIL_DOMAIN}")
            for n in range(1, args.background_talents + 1)
        ]
    )
    refused = Category.objects.filter(sensitive=True).order_by("slug")[:2]
    people[0].restricted_categories.set(refused)
    ConnectedAccount.objects.create(
        talent=people[0],
        stripe_id="acct_bench_dashboard",
        charges_enabled=True,
        payouts_enabled=True,
        details_submitted=True,
    )
    now = timezone.now()
    twins = Twin.objects.bulk_create(
        Twin(
            talent=person,
            agency=agency,
            display_name=f"{person.full_name.split()[0]} — {look} twin",
            slug=f"bench-dash-twin-{n}-{k}",
            status=Twin.Status.PUBLISHED,
            published_at=now - timedelta(days=MONTHS * 31),
            height_cm=176,
            hair="brown",
            eyes="green",
            price_from=250_000,
            currency="EUR",
        )
        for n, person in enumerate(people)
        for k, look in enumerate(["studio", "editorial"] if n == 0 else ["studio"])
    )
    twin_of = defaultdict(list)
    for twin in twins:
        twin_of[twin.talent_id].append(twin)
    categories = list(Category.objects.filter(sensitive=False).order_by("slug"))
    licences = create_licences(plans, people, brands, twin_of, categories, reporter, today)
    uses = plan_uses(args, plans, today)
    charges = create_charges(plans, licences, brands, uses, today)
    copy_uses(plans, licences, people, brands, reporter, uses, charges, today)
    return create_earnings(plans, licences, agency, people, charges, uses, today)


def create_licences(
    plans: Sequence[LicencePlan],
    people: Sequence[Any],
    brands: Sequence[Any],
    twin_of: dict[int, list[Any]],
    categories: Sequence[Any],
    reporter: Any,
    today: date,
) -> list[Any]:
    from django.utils import timezone

    from marketplace.licensing.models import Licence, LicenceTerms
    from marketplace.licensing.quotes import split_fee

    licences = Licence.objects.bulk_create(
        Licence(
            reference=f"LK-BD-{p.talent:03d}-{n:04d}",
            brand=brands[p.brand],
            agency=people[p.talent].agency,
            twin=twin_of[people[p.talent].pk][p.twin],
            talent=people[p.talent],
            requested_by=reporter,
            status=p.status,
            activated_at=timezone.make_aware(
                datetime.combine(month_start(today, p.start_month), clock(10))
            )
            if p.status in ("active", "expired")
            else None,
        )
        for n, p in enumerate(plans)
    )
    terms = LicenceTerms.objects.bulk_create(
        LicenceTerms(
            licence=licence,
            version=1,
            proposed_by=LicenceTerms.Proposer.BRAND,
            media_types=p.media,
            territories=p.territories,
            territory_label=", ".join(p.territories),
            start_date=month_start(today, p.start_month),
            end_date=month_end(today, p.end_month)
            if p.end_month is not None
            else today + timedelta(days=30 + (n * 37) % 300),
            category=categories[n % len(categories)],
            intended_use="Campaign and e-commerce imagery for the season's collections.",
            quote={
                "platform_fee_bps": PLATFORM_FEE_BPS,
                "agency_commission_bps": AGENCY_COMMISSION_BPS,
                "lines": [{"media_type": m, "per_use_fee": MEDIA_FEES[m][0]} for m in p.media],
                "split": asdict(
                    split_fee(
                        p.fee,
                        platform_fee_bps=PLATFORM_FEE_BPS,
                        agency_commission_bps=AGENCY_COMMISSION_BPS,
                    )
                ),
            },
            currency=brands[p.brand].currency,
            total_fee=p.fee,
            terms_hash="0" * 64,
        )
        for n, (p, licence) in enumerate(zip(plans, licences, strict=True))
    )
    for licence, written in zip(licences, terms, strict=True):
        licence.terms = written
    Licence.objects.bulk_update(licences, ["terms"])
    return licences


Use = tuple[int, date, str, str]  # (licence index, day, media type, territory)


def plan_uses(args: argparse.Namespace, plans: Sequence[LicencePlan], today: date) -> list[Use]:
    """Every use: the benchmarked model's `--uses` over her licences, the background ones'
    over theirs; each on a day inside its licence's window, up to today; oldest first."""
    rng = random.Random(11)
    weights = [weight for _, weight in MEDIA_FEES.values()]
    own = [n for n, p in enumerate(plans) if p.talent == 0 and p.status in ("active", "expired")]
    others = [n for n, p in enumerate(plans) if p.talent != 0]
    uses: list[Use] = []
    for count, pool in ((args.uses, own), (args.background_uses, others)):
        for k in range(count if pool else 0):
            n = pool[k % len(pool)]
            p = plans[n]
            first = month_start(today, p.start_month)
            last = month_end(today, p.end_month) if p.end_month is not None else today
            day = first + timedelta(days=rng.randrange((min(last, today) - first).days + 1))
            offered = [m for m in MEDIA_FEES if m in p.media]
            media = rng.choices(
                offered, weights=[weights[list(MEDIA_FEES).index(m)] for m in offered]
            )
            uses.append((n, day, media[0], rng.choice(p.territories)))
    # In the order brands report them, as the table holds them: this month's uses last.
    uses.sort(key=lambda use: use[1])
    return uses


def month_of(today: date, day: date) -> int:
    return MONTHS - 1 - ((today.year - day.year) * 12 + today.month - day.month)


def create_charges(
    plans: Sequence[LicencePlan],
    licences: Sequence[Any],
    brands: Sequence[Any],
    uses: Sequence[Use],
    today: date,
) -> dict[tuple[Any, ...], Any]:
    """Licence fees, paid when the licence started (open for the one awaiting payment), and
    one usage statement per brand and month: paid early the next month, except last month's,
    still open; this month's uses are not billed yet."""
    from django.utils import timezone

    from marketplace.payments.models import Charge

    def at(day: date, hour: int) -> datetime:
        return timezone.make_aware(datetime.combine(day, clock(hour)))

    rows: dict[tuple[Any, ...], Any] = {}
    for n, (p, licence) in enumerate(zip(plans, licences, strict=True)):
        if p.status in ("active", "expired", "awaiting_payment"):
            paid = p.status != "awaiting_payment"
            rows[("fee", n)] = Charge(
                kind=Charge.Kind.LICENCE_FEE,
                status=Charge.Status.PAID if paid else Charge.Status.OPEN,
                brand=brands[p.brand],
                licence=licence,
                amount=p.fee,
                currency=brands[p.brand].currency,
                paid_at=at(month_start(today, p.start_month) + timedelta(days=2), 10)
                if paid
                else None,
            )
    totals: dict[tuple[int, int], int] = defaultdict(int)
    for n, day, media, _ in uses:
        month = month_of(today, day)
        if month < MONTHS - 1:
            totals[(plans[n].brand, month)] += MEDIA_FEES[media][0]
    for (brand, month), amount in sorted(totals.items()):
        paid = month < MONTHS - 2
        rows[("usage", brand, month)] = Charge(
            kind=Charge.Kind.USAGE,
            status=Charge.Status.PAID if paid else Charge.Status.OPEN,
            brand=brands[brand],
            amount=amount,
            currency=brands[brand].currency,
            paid_at=at(month_start(today, month + 1) + timedelta(days=4), 9) if paid else None,
        )
    Charge.objects.bulk_create(rows.values(), batch_size=2000)
    return rows


def shares(fee: int) -> tuple[int, int]:
    from marketplace.licensing.quotes import split_fee

    split = split_fee(
        fee, platform_fee_bps=PLATFORM_FEE_BPS, agency_commission_bps=AGENCY_COMMISSION_BPS
    )
    return split.talent_share, split.agency_commission


def copy_uses(
    plans: Sequence[LicencePlan],
    licences: Sequence[Any],
    people: Sequence[Any],
    brands: Sequence[Any],
    reporter: Any,
    uses: Sequence[Use],
    charges: dict[tuple[Any, ...], Any],
    today: date,
) -> None:
    """COPY every use in, and set each licence's use counter as record_usage keeps it."""
    from django.db import connection
    from django.utils import timezone

    from marketplace.licensing.models import Licence

    split = {m: shares(fee) for m, (fee, _) in MEDIA_FEES.items()}
    columns = (
        "created_at, updated_at, idempotency_key, used_on, media_type, territory, "
        "asset_reference, image, fee, talent_share, agency_share, currency, brand_id, "
        "charge_id, licence_id, reported_by_id, talent_id"
    )
    counts: dict[int, int] = defaultdict(int)
    with (
        connection.cursor() as cursor,
        cursor.cursor.copy(f"COPY payments_usagereport ({columns}) FROM STDIN") as copy,
    ):
        for k, (n, day, media, territory) in enumerate(uses):
            p, licence = plans[n], licences[n]
            brand = brands[p.brand]
            charge = charges.get(("usage", p.brand, month_of(today, day)))
            reported = timezone.make_aware(datetime.combine(day, clock(17)))
            counts[n] += 1
            copy.write_row(
                (
                    reported,
                    reported,
                    f"use-{k}",
                    day,
                    media,
                    territory,
                    f"https://cdn.{brand.slug}.example/looks/{day:%Y/%m}/{licence.reference}"
                    f"-{k}.jpg",
                    "usage/bench/look.jpg" if k % 10 == 0 else "",
                    MEDIA_FEES[media][0],
                    split[media][0],
                    split[media][1],
                    brand.currency,
                    brand.pk,
                    charge.pk if charge else None,
                    licence.pk,
                    reporter.pk,
                    people[p.talent].pk,
                )
            )
    for n, licence in enumerate(licences):
        licence.uses_count = counts.get(n, 0)
    Licence.objects.bulk_update(licences, ["uses_count"], batch_size=2000)


def create_earnings(
    plans: Sequence[LicencePlan],
    licences: Sequence[Any],
    agency: Any,
    people: Sequence[Any],
    charges: dict[tuple[Any, ...], Any],
    uses: Sequence[Use],
    today: date,
) -> int:
    """The model's and the agency's earning from each paid charge, per licence, as
    `_book_payment` writes them; paid out after 35 days, one in 61 refunded, one in 43 partly.
    Returns the benchmarked model's count."""
    from django.utils import timezone

    from marketplace.payments.models import Charge, Earning

    split = {m: shares(fee) for m, (fee, _) in MEDIA_FEES.items()}
    owed: dict[tuple[tuple[Any, ...], int], list[int]] = defaultdict(lambda: [0, 0])
    for n, p in enumerate(plans):
        if ("fee", n) in charges:
            owed[(("fee", n), n)] = list(shares(p.fee))
    for n, day, media, _ in uses:
        key = ("usage", plans[n].brand, month_of(today, day))
        if key in charges:
            pair = owed[(key, n)]
            pair[0] += split[media][0]
            pair[1] += split[media][1]
    now = timezone.now()
    rows: list[Earning] = []
    own = 0
    for (key, n), (talent_share, commission) in owed.items():
        charge = charges[key]
        if charge.status != Charge.Status.PAID:
            continue
        for payee, amount in (
            ({"talent": people[plans[n].talent]}, talent_share),
            ({"organisation": agency}, commission),
        ):
            serial = len(rows)
            refunded = serial % 61 == 60
            paid_out = charge.paid_at < now - timedelta(days=PAID_OUT_AFTER_DAYS)
            status = Earning.Status.PAID if paid_out else Earning.Status.AVAILABLE
            rows.append(
                Earning(
                    **payee,
                    licence=licences[n],
                    charge=charge,
                    source=Earning.Source.LICENCE_FEE if key[0] == "fee" else Earning.Source.USAGE,
                    amount=amount,
                    reversed_amount=amount if refunded else amount // 3 if serial % 43 == 42 else 0,
                    currency=charge.currency,
                    status=Earning.Status.REVERSED if refunded else status,
                    brand_paid_at=charge.paid_at,
                    due_by=charge.paid_at + timedelta(days=45),
                )
            )
            own += 1 if "talent" in payee and plans[n].talent == 0 else 0
    Earning.objects.bulk_create(rows, batch_size=2000)
    return own


def talent_cookie() -> str:
    from marketplace.accounts.models import User

    return session_cookie(User.objects.get(email=TALENT_EMAIL))


def url_mix() -> tuple[list[str], list[str]]:
    """The dashboard URLs in rotation, and the bare view's with the same query strings."""
    from django.utils import timezone

    from marketplace.accounts.models import Organisation

    brand = Organisation.objects.filter(slug__startswith=BRAND_SLUG_PREFIX).order_by("slug")[0]
    month = (timezone.localdate().replace(day=1) - timedelta(days=1)).strftime("%Y-%m")
    strings = [q.format(brand=brand.slug, month=month) for q in QUERY_STRINGS]
    return [f"/me/dashboard/{q}" for q in strings], [f"/bench/bare-dashboard/{q}" for q in strings]


# --- In process: profile, capture, check ---------------------------------------------------


def slowest_queries(path: str, cookie: str, *, explain: bool) -> list[dict[str, Any]]:
    """Every query of one request to `path`, timed server-side with EXPLAIN ANALYZE, slowest
    first (the plan text too when `explain`)."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    client = Client()
    client.cookies.load(cookie)
    client.get(path)
    with CaptureQueriesContext(connection) as captured:
        client.get(path)
    timed = []
    with connection.cursor() as cursor:
        for query in captured.captured_queries:
            sql = query["sql"]
            if not sql.lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) {sql}")
            plan = cursor.fetchone()[0][0]
            row: dict[str, Any] = {
                "ms": round(plan["Execution Time"], 2),
                "rows": plan["Plan"].get("Actual Rows"),
                "sql": sql,
            }
            if explain:
                cursor.execute(f"EXPLAIN (ANALYZE, BUFFERS) {sql}")
                row["plan"] = "\n".join(line for (line,) in cursor.fetchall())
            timed.append(row)
    return sorted(timed, key=lambda r: -r["ms"])


PROCESSOR_KEYS = {
    "True",
    "False",
    "None",
    "request",
    "user",
    "perms",
    "messages",
    "DEFAULT_MESSAGE_LEVELS",
    "csrf_token",
}


def capture_context(path: str, cookie: str, target: Path) -> None:
    """Pickle to `target` the context the real view rendered `TEMPLATE` with: querysets as
    the lists they evaluated to, the lazy unread count as its value, the page of uses as its
    rows and the paginator's count."""
    from django.core.paginator import Page
    from django.db.models import QuerySet
    from django.test import Client
    from django.test.signals import template_rendered
    from django.test.utils import setup_test_environment, teardown_test_environment

    seen: dict[str, dict[str, Any]] = {}

    def grab(sender: Any, template: Any, context: Any, **kwargs: Any) -> None:
        if template.name == TEMPLATE and not seen:
            seen["context"] = context.flatten()

    setup_test_environment()
    template_rendered.connect(grab)
    try:
        client = Client()
        client.cookies.load(cookie)
        if client.get(path).status_code != 200:
            sys.exit(f"{path} did not answer 200 in process; not benchmarking")
    finally:
        template_rendered.disconnect(grab)
        teardown_test_environment()
    context: dict[str, Any] = {}
    for key, value in seen["context"].items():
        if key in PROCESSOR_KEYS or key in ("filters", "params"):
            continue
        if isinstance(value, QuerySet):
            value = list(value)
        elif isinstance(value, types.FunctionType):
            value = value()
        context[key] = value
    page: Page = context.pop("uses")  # type: ignore[type-arg]
    state = {
        "context": context,
        "uses": list(page.object_list),
        "uses_count": page.paginator.count,
    }
    target.write_bytes(pickle.dumps(state))


def compare_pages(real: str, bare: str, cookie: str) -> dict[str, Any]:
    """Size of each page, and whether they are the same apart from the CSRF token (and the
    per-response CSP nonce)."""
    from django.test import Client

    client = Client()
    client.cookies.load(cookie)
    one = client.get(real).content.decode()
    two = Client().get(bare).content.decode()
    token = re.compile(r'("X-CSRFToken": "|name="csrfmiddlewaretoken" value="|nonce=")[^"]+')
    return {
        "real_bytes": len(one.encode()),
        "bare_bytes": len(two.encode()),
        "identical_but_csrf": token.sub(r"\1", one) == token.sub(r"\1", two),
    }


# --- Load ----------------------------------------------------------------------------------


def plan(args: argparse.Namespace, cookie: str, paths: list[str], bare: list[str]) -> list[Phase]:
    """Warm-up, then the two endpoints in alternating slices (ABBA…), as the catalogue's."""
    pair = [("dashboard", paths, cookie), ("bare", bare, "")]
    return alternating_phases(pair, duration=args.duration, rounds=args.rounds)


def measure(args: argparse.Namespace, phases: list[Phase]) -> dict[str, Figures]:
    with serving(workers=args.workers, settings_module=SETTINGS_MODULE) as (port, _log):
        collected = generate_load(port=port, phases=phases, concurrency=args.concurrency)
    return {name: summarise(*result) for name, result in collected.items()}


# --- Report --------------------------------------------------------------------------------


def print_report(report: dict[str, Any], *, explain: bool) -> None:
    m, p, s, q = report["machine"], report["params"], report["seed"], report["queries"]
    seeded = f"seeded in {s['seconds']:.1f} s" if s["seeded_now"] else "already seeded"
    load, page = m["load_average_1m"], report["page"]
    per_path = sorted(set(q["dashboard"].values()))
    print()
    print("Likeness talent dashboard benchmark (issue 7)")
    print(
        f"  machine   {m['nproc']} CPU · {m['cpu']} · Python {m['python']} · load average "
        f"(1 min) {load['before']:.2f} before the load test, {load['after']:.2f} after"
    )
    print(
        f"  database  {report['database']} · the model: {s['uses']:,} uses, {s['earnings']:,} "
        f"earnings, {s['licences']} licences with {s['brands']} brands over {MONTHS} months · "
        f"{s['background_talents']} other models: {s['background_uses']:,} uses ({seeded})"
    )
    print(
        f"  server    gunicorn {report['gunicorn']} · {p['workers']} sync workers · "
        f"cache {report['cache']}"
    )
    print(
        f"  load      {p['concurrency']} connections from a separate process · "
        f"{p['duration']:g} s per endpoint in {p['rounds']} alternating slices after "
        f"{WARMUP_SECONDS:g} s warm-up · {len(QUERY_STRINGS)} URLs in rotation"
    )
    same = "same page" if page["identical_but_csrf"] else "PAGES DIFFER"
    print(
        f"  page      {page['real_bytes'] / 1024:.1f} kB real, {page['bare_bytes'] / 1024:.1f} kB "
        f"bare ({same} apart from the CSRF token)"
    )
    print(
        f"  queries   dashboard page 1: {q['dashboard_page_1']} · across the mix: "
        f"{per_path[0]} to {per_path[-1]} · bare: {max(q['bare'].values())}"
    )
    slow = report["slowest_queries"]
    total = sum(r["ms"] for r in slow)
    print(f"  SQL time  page 1, server side: {total:.1f} ms in all; slowest:")
    for row in slow[:4]:
        print(f"            {row['ms']:>7.2f} ms  {row['sql'][:84]}")
    print()
    print(f"  {'endpoint':<12}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'requests':>10}{'errors':>8}")
    for name in ("dashboard", "bare"):
        f = report[name]
        print(
            f"  {name:<12}{f['requests_per_second']:>9.1f}{f['p50_ms']:>9.1f}"
            f"{f['p95_ms']:>9.1f}{f['requests']:>10}{f['errors']:>8}"
        )
    print()
    ratio = report["ratio"]
    verdict = "met" if report["goal"]["met"] else "NOT met"
    print(
        f"  ratio dashboard/bare  req/s {ratio['requests_per_second']:.2f} "
        f"(goal ≥ {GOAL_RPS_RATIO}: {verdict}) · p95 {ratio['p95']:.2f} x"
    )
    if explain:
        for row in slow[:3]:
            print(f"\n  EXPLAIN ANALYZE ({row['ms']:.2f} ms): {row['sql']}\n{row['plan']}")


def build_report(
    args: argparse.Namespace,
    seeded: SeedReport,
    queries: dict[str, Any],
    slow: list[dict[str, Any]],
    page: dict[str, Any],
    figures: dict[str, Figures],
    load: dict[str, float],
) -> dict[str, Any]:
    from django.conf import settings

    dash, bare = figures["dashboard"], figures["bare"]
    ratio = dash.requests_per_second / bare.requests_per_second
    return {
        "benchmark": "dashboard",
        "machine": {**machine(), "load_average_1m": load},
        "database": database_version(),
        "gunicorn": version("gunicorn"),
        "cache": settings.CACHES["default"]["BACKEND"].rsplit(".", 1)[-1],
        "params": {
            "uses": args.uses,
            "earnings": args.earnings,
            "brands": args.brands,
            "background_talents": args.background_talents,
            "background_uses": args.background_uses,
            "duration": args.duration,
            "concurrency": args.concurrency,
            "workers": args.workers,
            "rounds": args.rounds,
            "urls": QUERY_STRINGS,
        },
        "seed": asdict(seeded),
        "queries": queries,
        "slowest_queries": [
            {key: row[key] for key in ("ms", "rows", "sql")} | {"plan": row.get("plan")}
            for row in slow
        ],
        "page": page,
        "dashboard": asdict(dash),
        "bare": asdict(bare),
        "ratio": {"requests_per_second": ratio, "p95": dash.p95_ms / bare.p95_ms},
        "goal": {
            "requests_per_second_ratio_at_least": GOAL_RPS_RATIO,
            "met": ratio >= GOAL_RPS_RATIO,
        },
    }


# --- Main ----------------------------------------------------------------------------------


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--uses", type=int, default=100_000, help="the model's uses")
    parser.add_argument("--earnings", type=int, default=2_000, help="the model's, about")
    parser.add_argument("--brands", type=int, default=8, choices=range(1, len(BRANDS) + 1))
    parser.add_argument("--background-talents", type=int, default=40, help="other models")
    parser.add_argument("--background-uses", type=int, default=100_000, help="theirs, in all")
    parser.add_argument("--duration", type=float, default=15.0, help="seconds per endpoint")
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn sync workers")
    parser.add_argument("--rounds", type=int, default=3, help="alternating slices per endpoint")
    parser.add_argument("--reseed", action="store_true", help="seed even if the data exist")
    parser.add_argument(
        "--explain", action="store_true", help="print the plans of the three slowest queries"
    )
    parser.add_argument("--json", type=Path, help="also write the figures here as JSON")
    return parser.parse_args(argv)


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    configure_django(
        SETTINGS_MODULE, database_url=DEFAULT_DATABASE_URL, redis_url=DEFAULT_REDIS_URL
    )
    migrate()
    seeded = seed(args)
    check_sizes(
        seeded_rows(),
        {
            "the model's uses": args.uses,
            "other models": args.background_talents,
            "their uses": args.background_uses,
        },
    )
    vacuum_analyse()
    cookie = talent_cookie()
    paths, bare_paths = url_mix()
    from benchmarks.dashboard_urls import CONTEXT_ENV

    with tempfile.TemporaryDirectory() as folder:
        os.environ[CONTEXT_ENV] = str(Path(folder) / "context.pickle")
        capture_context(paths[0], cookie, Path(os.environ[CONTEXT_ENV]))
        per_path = queries_per_request(paths, cookie)
        queries: dict[str, Any] = {
            "dashboard_page_1": per_path[paths[0]],
            "dashboard": per_path,
            "bare": queries_per_request(bare_paths),
        }
        if any(queries["bare"].values()):
            sys.exit(
                f"The bare view made queries {queries['bare']}: something in the captured "
                "context reads the database lazily; see benchmarks/dashboard_urls.py"
            )
        slow = slowest_queries(paths[0], cookie, explain=args.explain)
        page = compare_pages(paths[0], bare_paths[0], cookie)
        from django.db import connections

        connections.close_all()
        load_before = os.getloadavg()[0]
        figures = measure(args, plan(args, cookie, paths, bare_paths))
        load = {"before": load_before, "after": os.getloadavg()[0]}
    report = build_report(args, seeded, queries, slow, page, figures, load)
    print_report(report, explain=args.explain)
    write_json(args.json, report, default=str)
    failed = [name for name, f in figures.items() if f.error_rate > MAX_ERROR_RATE]
    if failed:
        print(f"  FAILED: more than {MAX_ERROR_RATE:.1%} errors on {', '.join(failed)}")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
