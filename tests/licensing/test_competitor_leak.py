"""What a competing brand can learn about another brand's licences (security finding 3).

Public: exclusive licences, held or reserved, by category, territories and end date (the
catalogue's blind availability). Not public: non-exclusive licences, start dates, brands. A
quote (web or API) tells a brand only what is public; a refused exclusive request that meets
another brand's non-exclusive licence says so in one sentence without territories or dates."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.licensing import exclusivity, services
from marketplace.licensing.models import ExclusivityHold, Licence
from tests.api.conftest import issue_key, key_client
from tests.factories import BrandFactory, MembershipFactory
from tests.flows import consented_licence
from tests.licensing.conftest import make_terms
from tests.licensing.test_views import form_data

pytestmark = pytest.mark.django_db

NOT_EXCLUSIVE = (
    "This twin is already licensed to another brand in this category for part of these dates "
    "and territories, so an exclusive licence is not available. Ask for a non-exclusive one, "
    "or choose other dates, territories or category."
)


@pytest.fixture
def rival(db):
    """Brand B, the competitor whose licences Brand A must not learn about."""
    return MembershipFactory(organisation=BrandFactory(name="Brand B"), role="owner")


def non_exclusive_licence(rival, twin) -> Licence:
    """Brand B licenses the twin non-exclusively in FR and GB, in a window around the one
    Brand A asks for (days 10 to 99), so its own dates appear nowhere in A's pages."""
    return services.request_licence(
        by=rival, twin_id=twin.pk, terms=make_terms(territories=["FR", "GB"], **B_WINDOW)
    )


def web_quotes(client, twin, territories) -> list[str]:
    url = reverse("licensing:quote", args=[twin.slug])
    return [
        client.post(url, form_data(exclusive="on", territories=t)).content.decode()
        for t in territories
    ]


def api_quotes(client, twin, territories) -> list[dict]:
    url = f"/api/v1/catalogue/twins/{twin.slug}/quote"
    return [
        client.post(url, {**api_terms(), "territories": t, "exclusive": True}, format="json").json()
        for t in territories
    ]


def api_terms() -> dict:
    data = form_data()
    data.pop("ai_training_forbidden")
    return data


def catalogue_key(member) -> str:
    """A key of the member's brand that may only read the catalogue and quote."""
    owner = MembershipFactory(organisation=member.organisation, role="owner")
    return issue_key(owner, scopes=["catalogue:read"])


TODAY = timezone.localdate()
B_WINDOW = {"start_date": TODAY + timedelta(days=3), "end_date": TODAY + timedelta(days=120)}
PROBES = (["FR"], ["GB"], ["IT"], ["FR", "GB"], ["WORLDWIDE"])


def test_an_exclusive_request_over_a_non_exclusive_licence_names_no_territory_or_date(
    brand_manager, rival, twin
):
    held = non_exclusive_licence(rival, twin)

    with pytest.raises(services.ExclusivityConflict) as exc:
        services.request_licence(
            by=brand_manager,
            twin_id=twin.pk,
            terms=make_terms(territories=["WORLDWIDE"], exclusive=True),
        )

    assert exc.value.message == NOT_EXCLUSIVE
    assert exc.value.field == "exclusive"
    assert held.current_terms.end_date.isoformat() not in exc.value.message
    assert not Licence.objects.filter(brand=brand_manager.organisation).exists()


def test_the_live_quote_answers_alike_whether_a_non_exclusive_licence_exists_or_not(
    client, brand_manager, rival, twin
):
    client.force_login(brand_manager.user)
    before = web_quotes(client, twin, PROBES)

    non_exclusive_licence(rival, twin)
    after = web_quotes(client, twin, PROBES)

    assert after == before
    assert all("Available for these terms." in body for body in after)
    assert not any("FR, GB" in body or "Not available" in body for body in after)


def test_the_api_quote_answers_alike_whether_a_non_exclusive_licence_exists_or_not(
    brand_manager, rival, twin
):
    client = key_client(catalogue_key(brand_manager))
    before = api_quotes(client, twin, PROBES)

    non_exclusive_licence(rival, twin)
    after = api_quotes(client, twin, PROBES)

    assert after == before
    assert [body["available"] for body in after] == [True] * len(PROBES)
    assert [body["conflict"] for body in after] == [None] * len(PROBES)


def test_country_by_country_a_refused_request_always_says_the_same_sentence(
    client, brand_manager, rival, twin
):
    held = non_exclusive_licence(rival, twin)
    client.force_login(brand_manager.user)
    url = reverse("licensing:request", args=[twin.slug])

    bodies = [
        client.post(url, form_data(exclusive="on", territories=t)).content.decode()
        for t in (["FR"], ["GB"], ["FR", "GB", "IT"], ["WORLDWIDE"])
    ]

    for body in bodies:
        assert NOT_EXCLUSIVE.replace("'", "&#x27;") in body
        assert held.current_terms.end_date.isoformat() not in body
        assert held.current_terms.start_date.isoformat() not in body
        assert "Brand B" not in body
    assert not Licence.objects.filter(brand=brand_manager.organisation).exists()


def test_the_api_request_is_refused_with_the_same_sentence(brand_manager, rival, twin):
    held = non_exclusive_licence(rival, twin)
    token = issue_key(
        MembershipFactory(organisation=brand_manager.organisation, role="owner"),
        scopes=["licences:write"],
    )

    response = key_client(token).post(
        "/api/v1/licences",
        {**api_terms(), "twin": twin.slug, "territories": ["GB"], "exclusive": True},
        format="json",
    )

    error = response.json()["error"]
    assert response.status_code == 409
    assert (error["code"], error["field"], error["message"]) == (
        "exclusivity_conflict",
        "exclusive",
        NOT_EXCLUSIVE,
    )
    assert held.current_terms.end_date.isoformat() not in response.content.decode()
    assert not Licence.objects.filter(brand=brand_manager.organisation).exists()


def test_the_catalogue_shows_nothing_of_a_non_exclusive_licence(client, brand_manager, rival, twin):
    client.force_login(brand_manager.user)
    page = reverse("catalogue:detail", args=[twin.slug])
    api = key_client(catalogue_key(brand_manager))
    before = (
        client.get(page).context["availability"],
        api.get(f"/api/v1/catalogue/twins/{twin.slug}").json(),
    )

    non_exclusive_licence(rival, twin)

    after = (
        client.get(page).context["availability"],
        api.get(f"/api/v1/catalogue/twins/{twin.slug}").json(),
    )
    assert after == before
    assert after[0] == []


def test_a_refusal_over_an_exclusive_licence_says_what_the_catalogue_shows_and_no_more(
    client, brand_manager, agency_manager, rival, twin
):
    held = consented_licence(
        brand_member=rival, agency_member=agency_manager, twin=twin, exclusive=True, **B_WINDOW
    )
    services.activate_licence(licence_id=held.pk)
    end = held.current_terms.end_date
    client.force_login(brand_manager.user)

    catalogue = client.get(reverse("catalogue:detail", args=[twin.slug])).content.decode()
    quote = client.post(
        reverse("licensing:quote", args=[twin.slug]), form_data(territories=["FR", "IT"])
    ).content.decode()

    assert f"exclusive in <strong>Beauty and cosmetics</strong> · DE, FR · until {end}" in catalogue
    assert (
        f"Not available: Beauty and cosmetics in FR is held exclusively until {end}. "
        "Choose other dates, territories or category."
    ) in quote
    for body in (catalogue, quote):
        assert held.current_terms.start_date.isoformat() not in body
        assert held.reference not in body
        assert "Brand B" not in body


def test_a_pending_exclusive_request_is_described_as_reserved(client, brand_manager, rival, twin):
    pending = services.request_licence(by=rival, twin_id=twin.pk, terms=make_terms(exclusive=True))
    client.force_login(brand_manager.user)

    catalogue = client.get(reverse("catalogue:detail", args=[twin.slug])).content.decode()

    assert exclusivity.blind_availability(twin) == [
        exclusivity.Availability(
            category="Beauty and cosmetics",
            territories="DE, FR",
            until=pending.current_terms.end_date,
            reserved=True,
        )
    ]
    assert "Exclusive licences held or reserved" in catalogue
    assert "<em>reserved</em> by a pending request" in catalogue


def test_the_twin_s_agency_sees_every_licence_in_the_way(client, agency_manager, rival, twin):
    non_exclusive_licence(rival, twin)
    client.force_login(agency_manager.user)

    body = client.post(
        reverse("licensing:quote", args=[twin.slug]), form_data(exclusive="on", territories=["GB"])
    ).content.decode()

    assert NOT_EXCLUSIVE.replace("'", "&#x27;") in body


def test_one_overlap_query_decides_what_blocks(brand_manager, rival, twin):
    held = non_exclusive_licence(rival, twin)
    terms = held.current_terms

    def overlapping(**changes):
        window = {
            "twin": twin,
            "category": terms.category,
            "territories": ["GB"],
            "start": terms.start_date,
            "end": terms.end_date,
            **changes,
        }
        return list(
            ExclusivityHold.objects.overlapping(**window).values_list("territory", flat=True)
        )

    assert overlapping() == ["GB"]
    assert overlapping(start=terms.end_date, end=terms.end_date) == ["GB"]  # the last day
    day_after = terms.end_date + timedelta(days=1)
    assert overlapping(start=day_after, end=day_after + timedelta(days=30)) == []
    assert overlapping(territories=["IT"]) == []
    services.withdraw_licence(by=rival, reference=held.reference)
    assert overlapping() == []
