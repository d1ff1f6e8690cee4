"""Dashboard figures, aggregated in SQL: a fixed number of queries whatever the volume."""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.paginator import Page, Paginator
from django.db.models import Count, Exists, F, Max, OuterRef, Prefetch, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth, TruncYear
from django.utils import timezone

from marketplace.accounts.models import Organisation
from marketplace.core.caching import db_key
from marketplace.licensing import selectors as licensing_selectors
from marketplace.licensing.models import Licence
from marketplace.payments import selectors as payments_selectors
from marketplace.payments.models import Charge, ConnectedAccount, Earning, UsageReport
from marketplace.provenance.models import CredentialedImage
from marketplace.talent.models import Talent, Twin

NET = F("amount") - F("reversed_amount")
ENDING_SOON_DAYS = 30


@dataclass
class Figures:
    """Money per currency, minor units."""

    earned: dict[str, int] = field(default_factory=dict)
    paid_out: dict[str, int] = field(default_factory=dict)
    pending_not_onboarded: dict[str, int] = field(default_factory=dict)
    pending_in_window: dict[str, int] = field(default_factory=dict)
    awaiting_brand_payment: dict[str, int] = field(default_factory=dict)

    @property
    def currencies(self) -> list[str]:
        keys: set[str] = set()
        for part in (
            self.earned,
            self.paid_out,
            self.pending_not_onboarded,
            self.pending_in_window,
            self.awaiting_brand_payment,
        ):
            keys |= set(part)
        return sorted(keys)

    def rows(self) -> list[dict[str, object]]:
        return [
            {
                "currency": c,
                "earned": self.earned.get(c, 0),
                "paid_out": self.paid_out.get(c, 0),
                "pending": self.pending_not_onboarded.get(c, 0) + self.pending_in_window.get(c, 0),
                "pending_not_onboarded": self.pending_not_onboarded.get(c, 0),
                "pending_in_window": self.pending_in_window.get(c, 0),
                "awaiting_brand_payment": self.awaiting_brand_payment.get(c, 0),
            }
            for c in self.currencies
        ]


def next_payout_at(now: datetime | None = None) -> datetime:
    now = now or timezone.now()
    today_run = now.replace(hour=settings.PAYOUT_HOUR_UTC, minute=0, second=0, microsecond=0)
    return today_run if now < today_run else today_run + timedelta(days=1)


def earning_figures(
    earnings: QuerySet[Earning], *, ready: bool, awaiting: dict[str, int]
) -> Figures:
    """earned = every earning net of refunds; paid out = PAID; the rest is pending: waiting
    for an onboarded payout account, or inside the 45-day window for the next payout run."""
    return _figures(earning_totals(earnings), ready=ready, awaiting=awaiting)


def _figures(
    totals: dict[str, dict[str, int]], *, ready: bool, awaiting: dict[str, int]
) -> Figures:
    pending = totals["pending"]
    return Figures(
        earned=totals["earned"],
        paid_out=totals["paid_out"],
        pending_not_onboarded={} if ready else pending,
        pending_in_window=pending if ready else {},
        awaiting_brand_payment=awaiting,
    )


def earning_totals(earnings: QuerySet[Earning]) -> dict[str, dict[str, int]]:
    """Earned, paid out and pending per currency, net of refunds."""
    paid = Q(status=Earning.Status.PAID)
    rows = (
        earnings.exclude(status=Earning.Status.REVERSED)
        .values("currency")
        .annotate(earned=Sum(NET), paid_out=Sum(NET, filter=paid), pending=Sum(NET, filter=~paid))
        .order_by("currency")
    )
    # One pass over the earnings; a currency with no paid (or no pending) earning is left
    # out of that figure, as a query per figure would leave it.
    figures: dict[str, dict[str, int]] = {"earned": {}, "paid_out": {}, "pending": {}}
    for row in rows:
        for name, per_currency in figures.items():
            if row[name] is not None:
                per_currency[row["currency"]] = row[name]
    return figures


def _talent_awaiting(talent: Talent) -> dict[str, int]:
    """Shares not earned yet because the brand has not paid: signed licences and unbilled or
    unpaid uses."""
    out: dict[str, int] = defaultdict(int)
    for quote, currency in (
        Licence.objects.for_talent(talent)
        .filter(status=Licence.Status.AWAITING_PAYMENT)
        .values_list("terms__quote", "terms__currency")
    ):
        out[currency] += int(quote["split"]["talent_share"])
    # The open statements by id first, so that both kinds of unpaid use are index lookups on
    # (talent, charge): joining on the statement's status reads every use the model ever had
    # (a busy model has 100,000) to keep this month's and last month's.
    open_statements = list(
        Charge.objects.filter(
            kind=Charge.Kind.USAGE,
            status=Charge.Status.OPEN,
            brand__in=Licence.objects.for_talent(talent).values("brand_id"),
        ).values_list("pk", flat=True)
    )
    for currency, total in (
        UsageReport.objects.for_talent(talent)
        .filter(Q(charge__isnull=True) | Q(charge__in=open_statements))
        .values("currency")
        .annotate(total=Sum("talent_share"))
        .values_list("currency", "total")
    ):
        out[currency] += total or 0
    return dict(out)


def talent_figures(
    talent: Talent,
    *,
    account: ConnectedAccount | None,
    summary: EarningsSummary | None = None,
    versions: Versions | None = None,
) -> Figures:
    """The model's figures; `account` is her payout account (payments' `connected_account_for`),
    which the caller usually shows as well; `summary` her `talent_earnings` and `versions` her
    `talent_versions`, if the caller has them already."""
    versions = versions or talent_versions(talent)
    awaiting = _cached(lambda: _talent_awaiting(talent), "awaiting", talent.pk, *versions)
    return _figures(
        (summary or talent_earnings(talent, version=versions.earnings)).totals,
        ready=bool(account and account.ready),
        awaiting=awaiting,
    )


# --- What the model's dashboard reads on every visit, cached under versions of its data ------
#
# A busy model has thousands of earnings and 100,000 uses: summing them on every visit costs
# more than the rest of the page. The sums are cached under a version read with one cheap
# query: the earnings' latest change and count (every write to an earning sets `updated_at`),
# and the uses counted on the model's licences (each recorded use adds one to its licence's
# `uses_count` in the same transaction). A new version is a new key, so a change shows on the
# next visit. The timeout bounds the one case a version can miss: a transaction that stamped
# an earning before, but committed after, a later stamp was read.

SUMMARY_CACHE_SECONDS = 120


def _cached(compute: Any, kind: str, talent_id: int, *version: object) -> Any:
    # The version (dates, filters) goes in as a digest: a key of plain characters any cache takes.
    digest = hashlib.blake2b(repr(version).encode(), digest_size=16).hexdigest()
    return cache.get_or_set(db_key("dash", kind, talent_id, digest), compute, SUMMARY_CACHE_SECONDS)


@dataclass(frozen=True)
class EarningsSummary:
    totals: dict[str, dict[str, int]]
    monthly: list[dict[str, object]]
    yearly: list[dict[str, object]]
    by_licence: list[dict[str, object]]
    by_brand: list[dict[str, object]]


@dataclass(frozen=True)
class Versions:
    """What the model's cached sums are keyed on, each read with one indexed query: her
    earnings' latest change and count, and her licences' uses (each recorded use adds one to
    its licence's `uses_count`), latest change and count (every status change saves the
    licence)."""

    earnings: tuple[str, int]
    licences: tuple[int, str, int]

    def __iter__(self) -> Any:
        return iter((*self.earnings, *self.licences))


def _stamp(value: datetime | None) -> str:
    return value.isoformat() if value else "-"


def earnings_version(talent: Talent) -> tuple[str, int]:
    v = Earning.objects.for_talent(talent).aggregate(latest=Max("updated_at"), n=Count("pk"))
    return (_stamp(v["latest"]), v["n"])


def licences_version(talent: Talent) -> tuple[int, str, int]:
    v = Licence.objects.for_talent(talent).aggregate(
        uses=Sum("uses_count"), latest=Max("updated_at"), n=Count("pk")
    )
    return (v["uses"] or 0, _stamp(v["latest"]), v["n"])


def talent_versions(talent: Talent) -> Versions:
    return Versions(earnings=earnings_version(talent), licences=licences_version(talent))


def talent_earnings(
    talent: Talent, *, today: date | None = None, version: tuple[str, int] | None = None
) -> EarningsSummary:
    today = today or timezone.localdate()
    earnings = Earning.objects.for_talent(talent)
    latest, count = version or earnings_version(talent)

    def compute() -> EarningsSummary:
        return EarningsSummary(
            totals=earning_totals(earnings),
            monthly=monthly(earnings, today=today),
            yearly=yearly(earnings),
            by_licence=by_licence(earnings),
            by_brand=by_brand(earnings),
        )

    return _cached(compute, "earnings", talent.pk, latest, count, today.isoformat())


USE_ROW_FIELDS = (
    "image",
    "used_on",
    "brand__name",
    "media_type",
    "territory",
    "asset_reference",
    "talent_share",
    "currency",
)


def talent_uses_page(
    talent: Talent,
    filters: dict[str, str],
    page: str | None,
    *,
    per_page: int = 25,
    version: tuple[int, str, int] | None = None,
) -> tuple[Page, list[tuple[str, str]]]:
    """A page of the model's uses (newest first) and the brands to filter them by. The
    number of uses matching the filters (for "page N of M") and the brands are cached, under
    `licences_version` (the caller's, if it has it)."""
    version = version or licences_version(talent)
    # What a row of the list shows (dashboards/_uses.html), and nothing more.
    uses = (
        talent_uses(talent, **filters)
        .select_related(None)
        .select_related("brand")
        .only(*USE_ROW_FIELDS)
        # Whether each picture's credentialed copy is made: one query for the page.
        .prefetch_related(
            Prefetch("credentialed_images", queryset=CredentialedImage.objects.only("id", "use"))
        )
    )
    paginator = Paginator(uses, per_page)
    wanted = sorted(filters.items())
    paginator.count = _cached(uses.count, "uses-count", talent.pk, version, wanted)
    brands = _cached(lambda: talent_use_brands(talent), "use-brands", talent.pk, version)
    return paginator.get_page(page), brands


# The dashboard's lists show a line per licence or twin: their fields only (the terms' JSON
# and the twin's wide row are costly to load twenty times over).
ACTIVE_LINE_FIELDS = (
    "reference",
    "ends_early_on",
    "brand__name",
    "terms__end_date",
    "terms__category__name",
)
CONSENT_LINE_FIELDS = (
    *ACTIVE_LINE_FIELDS,
    "terms__territory_label",
    "terms__start_date",
    "terms__quote",
    "terms__currency",
)


def talent_consent_lines(talent: Talent, *, limit: int = 10) -> QuerySet[Licence]:
    """The first licences waiting for the model's consent, as the dashboard lists them."""
    return (
        licensing_selectors.consent_inbox(talent)
        .select_related(None)
        .select_related("brand", "terms__category")
        .only(*CONSENT_LINE_FIELDS)[:limit]
    )


def talent_active_lines(talent: Talent, *, limit: int = 20) -> QuerySet[Licence]:
    """The model's active licences, soonest ending first, as the dashboard lists them."""
    return (
        Licence.objects.for_talent(talent)
        .filter(status=Licence.Status.ACTIVE)
        .select_related("brand", "terms__category")
        .only(*ACTIVE_LINE_FIELDS)
        .order_by("terms__end_date")[:limit]
    )


def talent_twin_links(talent: Talent) -> QuerySet[Twin]:
    """The model's twins by name (the talent too: the related manager sets it on each)."""
    return talent.twins.only("display_name", "talent")


def monthly(
    earnings: QuerySet[Earning], *, months: int = 12, today: date | None = None
) -> list[dict[str, object]]:
    """Net earnings per calendar month (of the brand's payment), oldest first, zero-filled."""
    today = today or timezone.localdate()
    index = today.year * 12 + today.month - 1 - (months - 1)
    first = date(index // 12, index % 12 + 1, 1)
    rows = (
        earnings.exclude(status=Earning.Status.REVERSED)
        .filter(brand_paid_at__date__gte=first)
        .annotate(month=TruncMonth("brand_paid_at"))
        .values("month", "currency")
        .annotate(total=Sum(NET))
        .order_by("month")
    )
    totals: dict[tuple[date, str], int] = {}
    currencies: set[str] = set()
    for row in rows:
        month = row["month"].date() if isinstance(row["month"], datetime) else row["month"]
        totals[(month, row["currency"])] = row["total"] or 0
        currencies.add(row["currency"])
    out = []
    cursor = first
    for _ in range(months):
        out.append(
            {"month": cursor, "values": {c: totals.get((cursor, c), 0) for c in sorted(currencies)}}
        )
        cursor = (cursor + timedelta(days=32)).replace(day=1)
    return out


def yearly(earnings: QuerySet[Earning]) -> list[dict[str, object]]:
    return list(
        earnings.exclude(status=Earning.Status.REVERSED)
        .annotate(year=TruncYear("brand_paid_at"))
        .values("year", "currency")
        .annotate(total=Sum(NET))
        .order_by("-year", "currency")
    )


def by_licence(earnings: QuerySet[Earning]) -> list[dict[str, object]]:
    return list(
        earnings.exclude(status=Earning.Status.REVERSED)
        .values(
            "licence__reference", "licence__brand__name", "licence__twin__display_name", "currency"
        )
        .annotate(total=Sum(NET))
        .order_by("-total")[:50]
    )


def by_brand(earnings: QuerySet[Earning]) -> list[dict[str, object]]:
    return list(
        earnings.exclude(status=Earning.Status.REVERSED)
        .values("licence__brand__name", "currency")
        .annotate(total=Sum(NET), licences=Count("licence", distinct=True))
        .order_by("-total")[:50]
    )


def talent_uses(
    talent: Talent, *, brand: str = "", media: str = "", territory: str = "", month: str = ""
) -> QuerySet[UsageReport]:
    qs = UsageReport.objects.for_talent(talent).select_related("brand", "licence")
    if brand:
        qs = qs.filter(brand__slug=brand)
    if media:
        qs = qs.filter(media_type=media)
    if territory:
        qs = qs.filter(territory=territory.upper())
    if month:
        try:
            year, mon = (int(part) for part in month.split("-"))
            qs = qs.filter(used_on__year=year, used_on__month=mon)
        except ValueError:
            qs = qs.none()
    return qs.order_by("-used_on", "-id")


def talent_use_brands(talent: Talent) -> list[tuple[str, str]]:
    """Brands that used the model's twins: those of her licences with a use (a use's brand
    and talent are its licence's). One index probe per licence, instead of reading the uses
    of every brand on the platform."""
    used = Licence.objects.for_talent(talent).filter(
        Exists(UsageReport.objects.filter(licence=OuterRef("pk")))
    )
    return list(
        Organisation.objects.filter(pk__in=used.values("brand_id"))
        .order_by("name")
        .values_list("slug", "name")
    )


# --- Agency ---------------------------------------------------------------------------------


def agency_overview(agency: Organisation) -> dict[str, object]:
    today = timezone.localdate()
    commission = Earning.objects.for_organisation(agency)
    account = payments_selectors.connected_account_for(organisation=agency)
    roster = (
        Twin.objects.for_agency(agency)
        .select_related("talent", "cover")
        .annotate(
            talent_earned=Sum(
                F("licences__earnings__amount") - F("licences__earnings__reversed_amount"),
                filter=Q(licences__earnings__talent__isnull=False)
                & ~Q(licences__earnings__status=Earning.Status.REVERSED),
            ),
            active_licences=Count(
                "licences", filter=Q(licences__status=Licence.Status.ACTIVE), distinct=True
            ),
        )
        .order_by("display_name")
    )
    ready_talent = ConnectedAccount.objects.filter(
        talent__agency=agency, payouts_enabled=True, details_submitted=True
    ).values("talent_id")
    return {
        "figures": earning_figures(commission, ready=bool(account and account.ready), awaiting={}),
        "roster": roster,
        "requests": Licence.objects.for_agency(agency)
        .filter(status=Licence.Status.REQUESTED)
        .select_related("brand", "twin", "terms")
        .order_by("reserved_until")[:20],
        "ending_soon": Licence.objects.for_agency(agency)
        .filter(
            status=Licence.Status.ACTIVE,
            terms__end_date__lte=today + timedelta(days=ENDING_SOON_DAYS),
        )
        .select_related("brand", "twin", "terms")
        .order_by("terms__end_date")[:20],
        "not_onboarded": Talent.objects.for_agency(agency)
        .exclude(pk__in=ready_talent)
        .order_by("full_name")[:50],
        "late": Earning.objects.for_agency(agency)
        .filter(flagged_late_at__isnull=False)
        .exclude(status=Earning.Status.PAID)
        .select_related("talent", "licence")
        .order_by("due_by")[:50],
        "monthly": monthly(commission),
    }


# --- Brand ----------------------------------------------------------------------------------


def brand_overview(brand: Organisation) -> dict[str, object]:
    licences = Licence.objects.for_brand(brand).select_related("twin", "terms", "terms__category")
    paid = Charge.objects.for_brand(brand).exclude(paid_at__isnull=True)
    spend = list(
        paid.annotate(month=TruncMonth("paid_at"))
        .values("month", "currency")
        .annotate(total=Sum(F("amount") - F("refunded_amount")))
        .order_by("month")
    )
    return {
        "active": licences.filter(status=Licence.Status.ACTIVE).order_by("terms__end_date"),
        "pending": licences.filter(status__in=Licence.OPEN).order_by("-updated_at")[:20],
        "awaiting_payment": licences.filter(status=Licence.Status.AWAITING_PAYMENT),
        "open_charges": Charge.objects.for_brand(brand).filter(status=Charge.Status.OPEN),
        "unbilled": list(
            UsageReport.objects.for_brand(brand)
            .filter(charge__isnull=True)
            .values("currency")
            .annotate(total=Sum("fee"), uses=Count("id"))
            .order_by("currency")
        ),
        "spend": spend,
        "spend_chart": _spend_chart(spend),
    }


def _spend_chart(spend: list[dict[str, Any]]) -> list[dict[str, object]]:
    by_month: dict[date, dict[str, int]] = defaultdict(dict)
    for row in spend:
        month = row["month"]
        key = month.date() if isinstance(month, datetime) else month
        by_month[key][str(row["currency"])] = int(row["total"] or 0)
    return [{"month": m, "values": v} for m, v in sorted(by_month.items())][-12:]
