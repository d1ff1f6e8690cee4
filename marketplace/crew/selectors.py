"""Scoped reads of crew members and credits."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet

from marketplace.accounts.models import Invitation, Organisation
from marketplace.talent.models import Twin

from .models import Credit, CrewMember, CrewRole


@dataclass(frozen=True)
class CrewOnTwin:
    """One credit on the agency's twin page, with where its person's login stands."""

    credit: Credit
    login: str  # "joined" | "invited" | "not invited"
    invited_until: datetime | None


def twin_credits(agency: Organisation, twin: Twin) -> list[CrewOnTwin]:
    """The credits of the agency's twin (empty for another agency's twin), with each person's
    login state: joined, invited (until when), or not invited."""
    credits = list(
        Credit.objects.for_agency(agency)
        .filter(twin=twin)
        .select_related("crew_member")
        .order_by("role", "crew_member__full_name", "id")
    )
    people = {c.crew_member_id for c in credits if c.crew_member.user_id is None}
    waiting: dict[int, datetime] = {}
    for crew_member_id, expires_at in (
        Invitation.objects.for_organisation(agency)
        .pending()
        .filter(crew_member_id__in=people)
        .values_list("crew_member_id", "expires_at")
    ):
        if crew_member_id is not None:
            waiting[crew_member_id] = max(expires_at, waiting.get(crew_member_id, expires_at))
    rows = []
    for credit in credits:
        person = credit.crew_member
        if person.user_id is not None:
            rows.append(CrewOnTwin(credit, "joined", None))
        elif person.pk in waiting:
            rows.append(CrewOnTwin(credit, "invited", waiting[person.pk]))
        else:
            rows.append(CrewOnTwin(credit, "not invited", None))
    return rows


def agency_crew(agency: Organisation) -> QuerySet[CrewMember]:
    return CrewMember.objects.for_agency(agency).order_by("full_name", "id")


def public_credits(twin: Twin) -> list[dict[str, str]]:
    """The twin's credits as anyone may read them: name and role only, never an email. The
    caller has already found the twin through the catalogue's scope."""
    return [
        {"name": name, "role": CrewRole(role).label}
        for name, role in Credit.objects.for_agency(twin.agency_id)
        .filter(twin=twin)
        .order_by("role", "crew_member__full_name", "id")
        .values_list("crew_member__full_name", "role")
    ]


def crew_home_credits(user: Any) -> QuerySet[Credit]:
    """Every credit of the signed-in person's crew profiles, at every agency."""
    return (
        Credit.objects.for_user(user)
        .select_related("twin", "twin__agency", "crew_member")
        .order_by("-work_date", "twin__display_name", "role", "id")
    )
