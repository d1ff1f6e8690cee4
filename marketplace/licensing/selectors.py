"""Scoped licence reads. Brands see only their own; nothing reveals another brand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.db.models import QuerySet
from django.utils import timezone

from marketplace.core.audit import events_for
from marketplace.core.models import AuditEvent
from marketplace.talent.models import Twin

from . import territories
from .models import ExclusivityHold, Licence


def licences_for(viewer, *, statuses: tuple[str, ...] | None = None) -> QuerySet[Licence]:
    qs = Licence.objects.visible_to(viewer).select_related(
        "terms", "terms__category", "twin", "twin__cover", "brand", "agency", "talent"
    )
    if statuses:
        qs = qs.filter(status__in=statuses)
    return qs.order_by("-updated_at", "-id")


def licence_for(viewer, reference: str) -> Licence:
    """Raises Licence.DoesNotExist for another party's licence, exactly as for a missing one."""
    return licences_for(viewer).get(reference=reference)


def agency_inbox(agency) -> QuerySet[Licence]:
    return (
        Licence.objects.for_agency(agency)
        .filter(status=Licence.Status.REQUESTED)
        .select_related("terms", "terms__category", "twin", "brand")
        .order_by("reserved_until", "id")
    )


def consent_inbox(talent) -> QuerySet[Licence]:
    return (
        Licence.objects.for_talent(talent)
        .filter(status=Licence.Status.AWAITING_CONSENT)
        .select_related("terms", "terms__category", "twin", "brand")
        .order_by("reserved_until", "id")
    )


def timeline(licence: Licence) -> QuerySet[AuditEvent]:
    return events_for(licence).order_by("created_at", "id")


@dataclass(frozen=True)
class Availability:
    """Blind availability: what is held, never by whom."""

    category: str
    territories: str
    until: date


def blind_availability(twin: Twin) -> list[Availability]:
    """Exclusive holds that block now or later, grouped by category and end date."""
    grouped: dict[tuple[str, date], set[str]] = {}
    for category, until, territory in ExclusivityHold.objects.filter(
        twin=twin,
        active=True,
        exclusive=True,
        end_date__gte=timezone.localdate(),
    ).values_list("category__name", "end_date", "territory"):
        grouped.setdefault((category, until), set()).add(territory)
    return [
        Availability(category=c, territories=territories.describe(sorted(t)), until=u)
        for (c, u), t in sorted(grouped.items())
    ]


def conflicts_for_review(licence: Licence) -> list[Availability]:
    """For the agency reviewing a request: other brands' holds that touch its terms.

    The agency manages both sides, so it may see references; brands never do."""
    terms = licence.current_terms
    holds = (
        ExclusivityHold.objects.filter(
            twin_id=licence.twin_id,
            category=terms.category,
            territory__in=terms.territories,
            active=True,
            start_date__lte=terms.end_date,
            end_date__gte=terms.start_date,
        )
        .exclude(licence=licence)
        .exclude(brand_id=licence.brand_id)
    )
    grouped: dict[tuple[str, date], set[str]] = {}
    for hold in holds.select_related("licence")[:2000]:
        key = (
            f"{hold.licence.reference} ({'exclusive' if hold.exclusive else 'non-exclusive'})",
            hold.end_date,
        )
        grouped.setdefault(key, set()).add(hold.territory)
    return [
        Availability(category=k[0], territories=territories.describe(sorted(v)), until=k[1])
        for k, v in sorted(grouped.items())
    ]
