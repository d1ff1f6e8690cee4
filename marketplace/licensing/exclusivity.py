"""Exclusivity: what a licence occupies, what overlaps it, and what others may learn of it.

One row per territory of a licence's window (`ExclusivityHold`). Exclusive rows conflict with
every overlapping row of another brand; non-exclusive rows only with exclusive ones.

What a competing brand may learn is what the catalogue's blind availability shows: exclusive
licences, held or reserved, by category, territories and end date, never by whom. A refusal
says no more than that. Non-exclusive licences are not public: an exclusive request that meets
one is refused with one generic sentence, without territories or dates, and the live quote does
not look at them at all, so probing quotes tells a competitor nothing about them.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from marketplace.core.errors import DomainError
from marketplace.talent.models import Twin

from . import territories
from .models import ExclusivityHold, ExclusivityHoldQuerySet, Licence

if TYPE_CHECKING:
    from .terms import CheckedTerms

NOT_EXCLUSIVE = (
    "This twin is already licensed to another brand in this category for part of these dates "
    "and territories, so an exclusive licence is not available. Ask for a non-exclusive one, "
    "or choose other dates, territories or category."
)
CHOOSE_OTHER = "Choose other dates, territories or category."
MAX_ROWS = 5000  # holds read to word a refusal: every country of several licences


class ExclusivityConflict(DomainError):
    code = "exclusivity_conflict"


@dataclass(frozen=True)
class Availability:
    """Blind availability: what is held, never by whom."""

    category: str
    territories: str
    until: date
    reserved: bool = False  # a pending request, not yet a licence in force


def _grouped(
    rows: Iterable[tuple[str, date, str, str]],
) -> list[Availability]:
    """(category, end date, territory, licence status) rows → one line per category, end date
    and state, as the catalogue shows them."""
    grouped: dict[tuple[str, date, bool], set[str]] = {}
    for category, until, territory, status in rows:
        reserved = status != Licence.Status.ACTIVE
        grouped.setdefault((category, until, reserved), set()).add(territory)
    return [
        Availability(category=c, territories=territories.describe(sorted(t)), until=u, reserved=r)
        for (c, u, r), t in sorted(grouped.items())
    ]


def blind_availability(twin: Twin) -> list[Availability]:
    """Public: exclusive holds that block now or later, by category, end date and state."""
    return _grouped(
        ExclusivityHold.objects.filter(
            twin=twin, active=True, exclusive=True, end_date__gte=timezone.localdate()
        ).values_list("category__name", "end_date", "territory", "licence__status")
    )


def overlapping(checked: CheckedTerms, *, twin_id: int) -> ExclusivityHoldQuerySet:
    return ExclusivityHold.objects.overlapping(
        twin=twin_id,
        category=checked.category,
        territories=checked.countries,
        start=checked.start_date,
        end=checked.end_date,
    )


def blocking_holds(
    *,
    twin_id: int,
    brand_id: int | None,
    checked: CheckedTerms,
    exclude_licence_id: int | None = None,
) -> ExclusivityHoldQuerySet:
    """Active holds that overlap the terms and where at least one side is exclusive: of
    other brands than `brand_id`, or of every brand when it is None (the agency's view)."""
    qs = overlapping(checked, twin_id=twin_id)
    if brand_id is not None:
        qs = qs.exclude(brand_id=brand_id)
    if not checked.exclusive:
        qs = qs.filter(exclusive=True)
    if exclude_licence_id:
        qs = qs.exclude(licence_id=exclude_licence_id)
    return qs


def conflict_error(checked: CheckedTerms, blockers: ExclusivityHoldQuerySet) -> ExclusivityConflict:
    """The refusal for these blockers, worded as the blind availability words them."""
    exclusive = _grouped(
        blockers.filter(exclusive=True).values_list(
            "category__name", "end_date", "territory", "licence__status"
        )[:MAX_ROWS]
    )
    if not exclusive:
        return ExclusivityConflict(NOT_EXCLUSIVE, field="exclusive")
    parts = [
        f"{a.category} in {a.territories} is "
        f"{'reserved by a pending exclusive request' if a.reserved else 'held exclusively'} "
        f"until {a.until:%Y-%m-%d}"
        for a in exclusive
    ]
    return ExclusivityConflict(
        f"Not available: {'; '.join(parts)}. {CHOOSE_OTHER}", field="territories"
    )


def preview(*, twin_id: int, checked: CheckedTerms, brand_id: int | None) -> str | None:
    """Why the terms would be refused, or None. For a brand, only public (exclusive) holds of
    other brands count; the agency (brand_id None) sees every licence of its twin."""
    blockers = blocking_holds(twin_id=twin_id, brand_id=brand_id, checked=checked)
    if brand_id is not None:
        blockers = blockers.filter(exclusive=True)
    if not blockers.exists():
        return None
    return conflict_error(checked, blockers).message


def hold(licence: Licence, checked: CheckedTerms) -> None:
    """Occupy the slot. Raises ExclusivityConflict."""
    blockers = blocking_holds(
        twin_id=licence.twin_id,
        brand_id=licence.brand_id,
        checked=checked,
        exclude_licence_id=licence.pk,
    )
    if blockers.exists():
        raise conflict_error(checked, blockers)
    ExclusivityHold.objects.filter(licence=licence).delete()
    rows = [
        ExclusivityHold(
            licence=licence,
            twin_id=licence.twin_id,
            brand_id=licence.brand_id,
            category=checked.category,
            territory=country,
            start_date=checked.start_date,
            end_date=checked.end_date,
            exclusive=checked.exclusive,
        )
        for country in checked.countries
    ]
    try:
        with transaction.atomic():
            ExclusivityHold.objects.bulk_create(rows, batch_size=500)
    except IntegrityError as exc:
        # PostgreSQL's exclusion constraint caught a hold committed since the check; it is
        # visible now, so the refusal is worded from it like any other.
        if blockers.exists():
            raise conflict_error(checked, blockers) from exc
        raise ExclusivityConflict(
            f"Not available: another licence took part of these dates and territories a "
            f"moment ago. {CHOOSE_OTHER}",
            field="territories",
        ) from exc


def release(licence: Licence) -> None:
    ExclusivityHold.objects.filter(licence=licence, active=True).update(active=False)


def shorten(licence: Licence, ends: date) -> None:
    """The licence ends early: its holds stop blocking after `ends`."""
    ExclusivityHold.objects.filter(licence=licence, active=True, end_date__gt=ends).update(
        end_date=ends
    )


def conflicts_for_review(licence: Licence) -> list[Availability]:
    """For the agency reviewing a request: other brands' holds that touch its terms.

    The agency manages both sides, so it may see references; brands never do."""
    terms = licence.current_terms
    holds = (
        ExclusivityHold.objects.overlapping(
            twin=licence.twin_id,
            category=terms.category_id,
            territories=terms.territories,
            start=terms.start_date,
            end=terms.end_date,
        )
        .exclude(licence=licence)
        .exclude(brand_id=licence.brand_id)
    )
    grouped: dict[tuple[str, date], set[str]] = {}
    for hold_row in holds.select_related("licence")[:2000]:
        key = (
            f"{hold_row.licence.reference} "
            f"({'exclusive' if hold_row.exclusive else 'non-exclusive'})",
            hold_row.end_date,
        )
        grouped.setdefault(key, set()).add(hold_row.territory)
    return [
        Availability(category=k[0], territories=territories.describe(sorted(v)), until=k[1])
        for k, v in sorted(grouped.items())
    ]
