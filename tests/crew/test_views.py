"""The crew pages from outside: every new URL × every role. A foreign twin, credit or crew
member answers 404 exactly like a missing one and changes nothing; readers of the owning
agency get 403; brands and the model get 404; strangers are sent to sign in."""

from __future__ import annotations

import re
from typing import Any

import pytest

from marketplace.accounts.models import Invitation
from marketplace.core.models import AuditEvent
from marketplace.crew.models import Credit, CrewMember
from tests.factories import (
    AgencyFactory,
    BrandFactory,
    CreditFactory,
    CrewMemberFactory,
    MembershipFactory,
    TalentFactory,
    TwinFactory,
    UserFactory,
)
from tests.pages import without_per_response_tokens

pytestmark = pytest.mark.django_db

ROLES = ["owner", "manager", "finance", "member"]
PASSWORD = "a-long-passphrase-9"


def snapshot() -> dict[str, list]:
    return {
        "crew": list(CrewMember.objects.order_by("pk").values()),
        "credits": list(Credit.objects.order_by("pk").values()),
        "invitations": list(Invitation.objects.order_by("pk").values()),
        "audit": list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True)),
    }


@pytest.fixture
def world(db):
    agency_a, agency_b = AgencyFactory(name="Agency A"), AgencyFactory(name="Agency B")
    brand = BrandFactory(name="Brand A")
    people: dict[str, Any] = {}
    for key, org in [("agency_a", agency_a), ("agency_b", agency_b), ("brand", brand)]:
        for role in ROLES:
            people[f"{key}_{role}"] = MembershipFactory(organisation=org, role=role).user
    twin = TwinFactory(talent=TalentFactory(agency=agency_a, user=UserFactory()), with_image=True)
    people["talent_a"] = twin.talent.user
    photographer = CrewMemberFactory(agency=agency_a, full_name="Ana Pereira", user=UserFactory())
    people["crew_a"] = photographer.user
    stylist = CrewMemberFactory(agency=agency_a, full_name="Sam Stylist")
    credit = CreditFactory(twin=twin, crew_member=photographer)
    CreditFactory(twin=twin, crew_member=stylist, role="stylist")
    Invitation.objects.create(
        organisation=agency_a, email=stylist.email, crew_member=stylist, token_hash="2" * 64
    )
    return {"people": people, "twin": twin, "credit": credit, "stylist": stylist}


def _pages(w):
    t, c, s = w["twin"].pk, w["credit"].pk, w["stylist"].pk
    new_person = {"full_name": "Eve", "email": "eve@x.test", "role": "hair", "work": "Scan"}
    return [
        ("get", f"/agency/twins/{t}/credits/", {}),
        ("post", f"/agency/twins/{t}/credits/", new_person),
        ("post", f"/agency/twins/{t}/credits/{c}/remove/", {}),
        ("post", f"/agency/twins/{t}/crew/{s}/invite/", {}),
        ("post", f"/agency/twins/{t}/crew/{s}/cancel-invitation/", {}),
    ]


OUTSIDERS = [f"agency_b_{r}" for r in ROLES] + [f"brand_{r}" for r in ROLES] + ["talent_a"]


@pytest.mark.parametrize("who", [*OUTSIDERS, "crew_a"])
def test_agency_credit_pages_of_a_foreign_twin_are_404_and_change_nothing(client, world, who):
    client.force_login(world["people"][who])
    before = snapshot()

    for method, url, data in _pages(world):
        assert getattr(client, method)(url, data).status_code == 404, (who, method, url)

    assert snapshot() == before


def test_anonymous_is_sent_to_sign_in_and_nothing_changes(client, world):
    before = snapshot()

    for method, url, data in [*_pages(world), ("get", "/crew/", {})]:
        response = getattr(client, method)(url, data)
        assert response.status_code == 302, url
        assert response.url.startswith("/accounts/login/"), url

    assert snapshot() == before


@pytest.mark.parametrize("role", ["finance", "member"])
def test_readers_of_the_owning_agency_see_credits_but_cannot_change_them(client, world, role):
    client.force_login(world["people"][f"agency_a_{role}"])
    before = snapshot()

    page = client.get(f"/agency/twins/{world['twin'].pk}/").content.decode()
    assert "Ana Pereira" in page and "Remove credit" not in page
    for method, url, data in _pages(world):
        assert getattr(client, method)(url, data).status_code == 403, (role, method, url)

    assert snapshot() == before


def test_agency_b_cannot_use_its_own_twin_to_reach_agency_a_crew_or_credits(client, world):
    own_twin = TwinFactory(talent__agency=AgencyFactory())
    manager = MembershipFactory(organisation=own_twin.agency, role="manager")
    client.force_login(manager.user)
    before = snapshot()
    t, c, s = own_twin.pk, world["credit"].pk, world["stylist"].pk

    assert client.post(f"/agency/twins/{t}/credits/{c}/remove/").status_code == 404
    assert client.post(f"/agency/twins/{t}/crew/{s}/invite/").status_code == 404
    assert client.post(f"/agency/twins/{t}/crew/{s}/cancel-invitation/").status_code == 404
    response = client.post(
        f"/agency/twins/{t}/credits/",
        {"crew_member": s, "role": "hair", "work": "Scan"},
    )
    assert response.status_code == 400  # not one of its crew: not a choice of the form

    assert snapshot() == before


def test_a_missing_twin_answers_exactly_like_a_foreign_one(client, world):
    client.force_login(world["people"]["agency_b_owner"])

    missing = client.get("/agency/twins/999999/credits/")
    foreign = client.get(f"/agency/twins/{world['twin'].pk}/credits/")

    assert (missing.status_code, foreign.status_code) == (404, 404)
    assert without_per_response_tokens(missing.content) == without_per_response_tokens(
        foreign.content
    )


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_managers_credit_a_new_person_from_the_twin_page(client, world, role, mailoutbox):
    client.force_login(world["people"][f"agency_a_{role}"])
    twin = world["twin"]

    response = client.post(
        f"/agency/twins/{twin.pk}/credits/",
        {
            "full_name": "Eve Hair",
            "email": "eve@hair.test",
            "role": "hair",
            "work": "SS26 scan",
            "work_date": "2026-03-14",
            "invite": "on",
        },
        follow=True,
    )

    assert response.redirect_chain[-1][0] == f"/agency/twins/{twin.pk}/#credits"
    page = response.content.decode()
    assert "Eve Hair credited as Hair; their invitation is on its way." in page
    assert re.search(r"Eve Hair</strong> · Hair", page)
    assert Invitation.objects.filter(crew_member__email="eve@hair.test").count() == 1


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"role": "hair", "work": "Scan"}, "Give the new person&#x27;s name"),
        ({"full_name": "Eve", "email": "not-an-email", "role": "hair", "work": "Scan"}, "valid"),
        ({"full_name": "Eve", "email": "e@x.test", "role": "boss", "work": "Scan"}, "valid"),
        ({"full_name": "Eve", "email": "e@x.test", "role": "hair", "work": ""}, "required"),
    ],
)
def test_bad_input_is_a_form_error_and_changes_nothing(client, world, data, error):
    client.force_login(world["people"]["agency_a_manager"])
    before = snapshot()

    response = client.post(f"/agency/twins/{world['twin'].pk}/credits/", data)

    assert response.status_code == 400
    assert error in response.content.decode()
    assert snapshot() == before


def test_choosing_a_person_and_naming_a_new_one_is_a_form_error(client, world):
    client.force_login(world["people"]["agency_a_manager"])
    data = {
        "crew_member": world["stylist"].pk,
        "full_name": "Eve",
        "email": "e@x.test",
        "role": "hair",
        "work": "Scan",
    }

    response = client.post(f"/agency/twins/{world['twin'].pk}/credits/", data)

    assert response.status_code == 400
    assert "not both" in response.content.decode()


def test_crediting_the_same_person_and_role_twice_is_a_form_error(client, world):
    client.force_login(world["people"]["agency_a_manager"])
    data = {"crew_member": world["stylist"].pk, "role": "stylist", "work": "Again"}

    response = client.post(f"/agency/twins/{world['twin'].pk}/credits/", data)

    assert response.status_code == 400
    assert "already credited on this twin as Stylist" in response.content.decode()


def test_inviting_twice_says_so_and_cancelling_lets_a_new_one_go(client, world):
    client.force_login(world["people"]["agency_a_manager"])
    t, s = world["twin"].pk, world["stylist"].pk

    first = client.post(f"/agency/twins/{t}/crew/{s}/invite/", follow=True).content.decode()
    client.post(f"/agency/twins/{t}/crew/{s}/cancel-invitation/")
    again = client.post(f"/agency/twins/{t}/crew/{s}/invite/", follow=True).content.decode()

    assert "already has an invitation waiting" in first
    assert f"Invitation sent to {world['stylist'].email}" in again
    assert Invitation.objects.pending().filter(crew_member_id=s).count() == 1


def test_removing_a_credit_from_the_page(client, world):
    client.force_login(world["people"]["agency_a_manager"])
    twin = world["twin"]

    response = client.post(
        f"/agency/twins/{twin.pk}/credits/{world['credit'].pk}/remove/", follow=True
    )

    page = response.content.decode()
    assert "Ana Pereira is no longer credited as Photographer." in page
    assert "removed the credit of Ana Pereira, Photographer" in page  # the twin's history


def test_the_twin_page_has_a_helpful_empty_state(client, agency_manager):
    twin = TwinFactory(talent__agency=agency_manager.organisation)
    client.force_login(agency_manager.user)

    page = client.get(f"/agency/twins/{twin.pk}/").content.decode()

    assert "No crew credited yet." in page
    assert f"/agency/twins/{twin.pk}/credits/" in page


# --- The crew's own page and the public twin page -----------------------------------------


def test_a_crew_member_lands_on_their_credits(client, world):
    client.force_login(world["people"]["crew_a"])

    assert client.get("/").url == "/crew/"
    page = client.get("/crew/").content.decode()

    twin = world["twin"]
    assert twin.display_name in page and twin.agency.name in page
    assert "Photographer" in page and "SS26 studio scan" in page
    assert "Sam Stylist" not in page  # someone else's credit
    assert "per use" not in page.lower() and "paid" not in page.lower()


def test_a_crew_member_without_credits_sees_the_empty_state(client, world):
    Credit.objects.filter(crew_member__user=world["people"]["crew_a"]).delete()
    client.force_login(world["people"]["crew_a"])

    assert "No credits yet." in client.get("/crew/").content.decode()


@pytest.mark.parametrize("who", ["agency_a_owner", "brand_manager", "talent_a"])
def test_the_crew_page_does_not_exist_for_others(client, world, who):
    client.force_login(world["people"][who])

    assert client.get("/crew/").status_code == 404


def test_a_crew_member_sees_credits_from_every_agency_and_no_one_elses(client, world):
    user = world["people"]["crew_a"]
    elsewhere = TwinFactory(talent__agency=AgencyFactory(name="Agency C"))
    CreditFactory(twin=elsewhere, crew_member=CrewMemberFactory(agency=elsewhere.agency, user=user))
    stranger_twin = TwinFactory(talent__agency=AgencyFactory(name="Agency D"))
    CreditFactory(twin=stranger_twin)
    client.force_login(user)

    page = client.get("/crew/").content.decode()

    assert elsewhere.display_name in page and "Agency C" in page
    assert stranger_twin.display_name not in page


def test_the_catalogue_page_lists_the_credits_by_name_and_role_only(client, world):
    client.force_login(world["people"]["brand_manager"])

    page = client.get(f"/catalogue/{world['twin'].slug}/").content.decode()

    assert "Ana Pereira" in page and "Photographer" in page
    assert "Sam Stylist" in page and "Stylist" in page
    assert world["stylist"].email not in page
