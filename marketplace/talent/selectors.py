"""Scoped reads for agencies and talent."""

from __future__ import annotations

from django.db.models import Count, Q, QuerySet

from marketplace.accounts.models import Organisation

from .models import Talent, Twin


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
