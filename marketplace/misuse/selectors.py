"""Scoped reads: sightings and cases to the model and her agency only (a brand, even the
licensee, reaches none), refused uses next to them, and a case's history in sentences."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from marketplace.accounts.models import Membership
from marketplace.core.history import HistoryEntry, describe
from marketplace.core.models import AuditEvent
from marketplace.payments import selectors as payments_selectors
from marketplace.payments.models import RefusedUse
from marketplace.talent.models import Twin

from .models import Sighting, TakedownCase


def _reporter(viewer: Any) -> Any:
    """Whom the viewer reports for: the agency (any member), else the model herself."""
    organisation = viewer.organisation
    if organisation is not None and organisation.is_agency:
        return organisation
    return None


def sightings_visible_to(viewer: Any, *, finding: str = "") -> QuerySet[Sighting]:
    """The viewer's sightings, newest first; only those with `finding` when given."""
    agency = _reporter(viewer)
    if agency is not None:
        sightings = Sighting.objects.for_agency(agency)
    elif viewer.talent is not None:
        sightings = Sighting.objects.for_talent(viewer.talent)
    else:
        sightings = Sighting.objects.none()
    if finding:
        sightings = sightings.filter(finding=finding)
    return sightings.select_related("twin", "licence", "case").order_by("-created_at", "-id")


def cases_visible_to(viewer: Any, *, status: str = "") -> QuerySet[TakedownCase]:
    """The viewer's takedown cases, newest first; only those in `status` when given."""
    agency = _reporter(viewer)
    if agency is not None:
        cases = TakedownCase.objects.for_agency(agency)
    elif viewer.talent is not None:
        cases = TakedownCase.objects.for_talent(viewer.talent)
    else:
        cases = TakedownCase.objects.none()
    if status:
        cases = cases.filter(status=status)
    return cases.select_related("sighting__twin", "sighting__licence").order_by(
        "-created_at", "-id"
    )


def twins_to_report(viewer: Any) -> QuerySet[Twin]:
    agency = _reporter(viewer)
    if agency is not None:
        return Twin.objects.for_agency(agency).order_by("display_name")
    if viewer.talent is not None:
        return Twin.objects.for_talent(viewer.talent).order_by("display_name")
    return Twin.objects.none()


def refused_uses(viewer: Any) -> QuerySet[RefusedUse]:
    """Refused attempts on the viewer's licences (agency or model; a brand's own elsewhere)."""
    if _reporter(viewer) is None and viewer.talent is None:
        return RefusedUse.objects.none()
    return payments_selectors.refused_uses(viewer).select_related("licence__twin", "brand")


def case_history(case: TakedownCase) -> list[HistoryEntry]:
    events = list(
        AuditEvent.objects.filter(
            target_type=TakedownCase._meta.label_lower, target_id=case.pk
        ).order_by("created_at", "id")
    )
    sighting = case.sighting
    twin = sighting.twin
    actor_ids = {e.actor_id for e in events if e.actor_id}
    people = {
        m.user_id: f"{m.user.full_name or m.user.email}, {m.role}"
        for m in Membership.objects.filter(
            user_id__in=actor_ids, organisation_id=twin.agency_id
        ).select_related("user")
    }
    names = {
        "agency": twin.agency.name,
        "model": twin.talent.full_name,
        "twin": twin.display_name,
        "host": sighting.host or "the host",
    }
    if twin.talent.user_id:
        people.setdefault(twin.talent.user_id, twin.talent.full_name)
    return describe(events, names=names, people=people)
