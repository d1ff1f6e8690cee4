"""Scoped reads for agencies and talent."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Q, QuerySet

from marketplace.accounts.models import Membership, Organisation
from marketplace.core.audit import events_for
from marketplace.core.history import HistoryEntry, describe

from .models import Category, Talent, Twin, TwinImage


def agency_twins(agency: Organisation, *, status: str = "") -> QuerySet[Twin]:
    qs = Twin.objects.for_agency(agency).select_related("talent", "cover")
    if status:
        qs = qs.filter(status=status)
    return qs.order_by("display_name", "id")


def agency_twin(agency: Organisation, twin_id: int) -> Twin:
    """Raises Twin.DoesNotExist for a twin of another agency, exactly as for a missing one."""
    return (
        Twin.objects.for_agency(agency)
        .select_related("talent", "cover", "rate_card")
        .prefetch_related(
            "tags",
            "permitted_categories",
            "images",
            "rate_card__lines",
            "talent__restricted_categories",
        )
        .get(pk=twin_id)
    )


def agency_roster(agency: Organisation) -> QuerySet[Talent]:
    return (
        Talent.objects.for_agency(agency)
        .annotate(
            twin_count=Count("twins"),
            published_count=Count("twins", filter=Q(twins__status=Twin.Status.PUBLISHED)),
        )
        .select_related("user")
        .order_by("full_name")
    )


def agency_status_counts(agency: Organisation) -> dict[str, int]:
    rows = Twin.objects.for_agency(agency).values_list("status").annotate(n=Count("id"))
    return dict(rows)


def talent_twins(talent: Talent) -> QuerySet[Twin]:
    return (
        Twin.objects.for_talent(talent)
        .select_related("agency", "cover", "rate_card")
        .prefetch_related("permitted_categories", "rate_card__lines")
        .order_by("display_name")
    )


@dataclass(frozen=True)
class Picture:
    """A stored picture the viewer may see; `public` when anyone may (and caches may keep it)."""

    name: str
    public: bool


def twin_picture(viewer: Any, name: str) -> Picture:
    """The ready picture or thumbnail stored under `name`. Anyone may see a bookable twin's;
    a paused one's only signed-in users (who browse the catalogue); a draft, retired or revoked
    twin's only its agency's members, its model and platform staff. One query for a bookable
    twin's picture. Raises TwinImage.DoesNotExist for everyone else, as for a missing picture;
    a picture still processing (the raw upload) is never shown."""
    image = (
        TwinImage.objects.filter(Q(image=name) | Q(thumbnail=name), status=TwinImage.Status.READY)
        .select_related("twin__talent")
        .only(
            "twin__status",
            "twin__consent_revoked_at",
            "twin__agency",
            "twin__talent__user",
        )
        .first()
    )
    if image is None:
        raise TwinImage.DoesNotExist
    twin = image.twin
    if twin.is_bookable:
        return Picture(name=name, public=True)
    if viewer.is_authenticated and (
        twin.is_listed
        or viewer.user.is_staff
        or (viewer.is_agency and viewer.organisation.pk == twin.agency_id)
        or twin.talent.user_id == viewer.user.pk
    ):
        return Picture(name=name, public=False)
    raise TwinImage.DoesNotExist


def category_slugs() -> list[str]:
    """Every category a licence or a catalogue filter may name."""
    return list(Category.objects.values_list("slug", flat=True))


def twin_history(twin: Twin, *, limit: int = 20) -> list[HistoryEntry]:
    """The twin's latest events as sentences, naming who acted for the agency."""
    events = list(events_for(twin).order_by("-created_at", "-id")[:limit])
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
        "currency": twin.currency,
    }
    return describe(events, names=names, people=people)
