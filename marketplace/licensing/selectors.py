"""Scoped licence reads. Brands see only their own; nothing reveals another brand."""

from __future__ import annotations

from django.db.models import QuerySet

from marketplace.accounts.models import Membership
from marketplace.core.audit import events_for
from marketplace.core.history import HistoryEntry, describe
from marketplace.core.models import AuditEvent

from .exclusivity import Availability, blind_availability, conflicts_for_review
from .models import Licence

# The public and the agency's views of availability live with the rest of exclusivity.
__all__ = [
    "Availability",
    "agency_inbox",
    "blind_availability",
    "conflicts_for_review",
    "consent_inbox",
    "licence_for",
    "licence_history",
    "licences_for",
    "timeline",
]


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


def licence_history(licence: Licence) -> list[HistoryEntry]:
    """The timeline as sentences naming each party and the person who acted for it."""
    events = list(timeline(licence))
    actor_ids = {e.actor_id for e in events if e.actor_id}
    people = {
        m.user_id: f"{m.user.full_name or m.user.email}, {m.role}"
        for m in Membership.objects.filter(
            user_id__in=actor_ids, organisation_id__in=[licence.brand_id, licence.agency_id]
        ).select_related("user")
    }
    names = {
        "brand": licence.brand.name,
        "agency": licence.agency.name,
        "model": licence.talent.full_name,
        "twin": licence.twin.display_name,
        "currency": licence.terms.currency if licence.terms else "",
    }
    return describe(events, names=names, people=people)
