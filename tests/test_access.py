"""Every tenant page × every role. A foreign object answers 404 exactly like a missing one,
and the database is unchanged afterwards."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from marketplace.accounts.models import Invitation, Membership, User
from marketplace.core.models import AuditEvent
from marketplace.talent.demo_images import studio_portrait
from marketplace.talent.models import RateCardLine, Talent, Twin, TwinImage
from tests.factories import (
    AgencyFactory,
    BrandFactory,
    MembershipFactory,
    TalentFactory,
    TwinFactory,
    UserFactory,
)
from tests.pages import without_per_response_tokens

pytestmark = pytest.mark.django_db

ROLES = ["owner", "manager", "finance", "member"]


def snapshot() -> dict[str, list]:
    return {
        "twins": list(Twin.objects.order_by("pk").values()),
        "images": list(TwinImage.objects.order_by("pk").values()),
        "lines": list(RateCardLine.objects.order_by("pk").values()),
        "talent": list(Talent.objects.order_by("pk").values()),
        "audit": list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True)),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "invitations": list(Invitation.objects.order_by("pk").values()),
    }


@pytest.fixture
def world(db):
    """Agency A's twin (with an image) and everyone who might try to reach it."""
    agency_a, agency_b = AgencyFactory(name="Agency A"), AgencyFactory(name="Agency B")
    brand_a, brand_b = BrandFactory(name="Brand A"), BrandFactory(name="Brand B")
    people: dict[str, User | None] = {}
    for key, org in [
        ("agency_a", agency_a),
        ("agency_b", agency_b),
        ("brand_a", brand_a),
        ("brand_b", brand_b),
    ]:
        for role in ROLES:
            people[f"{key}_{role}"] = MembershipFactory(organisation=org, role=role).user
    talent_a = TalentFactory(agency=agency_a, user=UserFactory())
    talent_b = TalentFactory(agency=agency_b, user=UserFactory())
    people["talent_a"], people["talent_b"] = talent_a.user, talent_b.user
    people["anonymous"] = None
    twin = TwinFactory(talent=talent_a, with_image=True)
    draft = TwinFactory(talent=talent_a, status="draft")
    invitation = Invitation.objects.create(
        organisation=agency_a, email="x@example.test", token_hash="0" * 64
    )
    return {
        "people": people,
        "twin": twin,
        "draft": draft,
        "image": twin.cover,
        "invitation": invitation,
    }


def _agency_pages(w):
    t, i = w["twin"].pk, w["image"].pk
    return [
        ("get", f"/agency/twins/{t}/", {}),
        ("get", f"/agency/twins/{t}/edit/", {}),
        ("get", f"/agency/twins/{t}/rates/", {}),
        ("get", f"/agency/twins/{t}/images/status/", {}),
        ("post", f"/agency/twins/{t}/status/", {"action": "pause"}),
        ("post", f"/agency/twins/{t}/edit/", {"display_name": "Hijacked", "description": "x" * 40}),
        ("post", f"/agency/twins/{t}/rates/", {"base_social": "1", "exclusivity_premium_bps": "1"}),
        ("post", f"/agency/twins/{t}/images/", {"image": "IMAGE"}),
        ("post", f"/agency/twins/{t}/images/{i}/", {"action": "remove"}),
    ]


def _request(client, method, url, data):
    if data.get("image") == "IMAGE":
        data = {"image": SimpleUploadedFile("p.jpg", studio_portrait(1, (300, 400)), "image/jpeg")}
    return getattr(client, method)(url, data)


OUTSIDERS = (
    [f"agency_b_{r}" for r in ROLES]
    + [f"brand_a_{r}" for r in ROLES]
    + [f"brand_b_{r}" for r in ROLES]
    + ["talent_a", "talent_b"]
)


@pytest.mark.parametrize("who", OUTSIDERS)
def test_agency_pages_of_a_foreign_twin_are_404_and_change_nothing(client, world, who):
    client.force_login(world["people"][who])
    before = snapshot()

    for method, url, data in _agency_pages(world):
        response = _request(client, method, url, data)
        assert response.status_code == 404, (who, method, url)

    assert snapshot() == before


def test_anonymous_is_sent_to_sign_in_and_nothing_changes(client, world):
    before = snapshot()

    for method, url, data in _agency_pages(world):
        response = _request(client, method, url, data)
        assert response.status_code == 302, url
        assert response.url.startswith("/accounts/login/"), url

    assert snapshot() == before


def test_missing_twin_answers_exactly_like_a_foreign_one(client, world):
    client.force_login(world["people"]["agency_b_owner"])
    missing = client.get("/agency/twins/999999/")
    foreign = client.get(f"/agency/twins/{world['twin'].pk}/")

    assert (missing.status_code, foreign.status_code) == (404, 404)
    assert without_per_response_tokens(missing.content) == without_per_response_tokens(
        foreign.content
    )


@pytest.mark.parametrize("role", ["finance", "member"])
def test_readers_of_the_owning_agency_see_but_cannot_change(client, world, role):
    client.force_login(world["people"][f"agency_a_{role}"])
    before = snapshot()

    assert client.get(f"/agency/twins/{world['twin'].pk}/").status_code == 200
    for method, url, data in _agency_pages(world)[1:]:
        if url.endswith("/images/status/"):
            continue
        response = _request(client, method, url, data)
        assert response.status_code == 403, (role, method, url)

    assert snapshot() == before


@pytest.mark.parametrize("role", ["owner", "manager"])
def test_managers_of_the_owning_agency_reach_every_page(client, world, role):
    client.force_login(world["people"][f"agency_a_{role}"])

    for _, url, _ in _agency_pages(world)[:4]:
        assert client.get(url).status_code == 200, url


@pytest.mark.parametrize("who", [*OUTSIDERS, "agency_a_owner"])
def test_drafts_are_not_in_the_catalogue_for_anyone(client, world, who):
    client.force_login(world["people"][who])

    assert client.get(f"/catalogue/{world['draft'].slug}/").status_code == 404
    assert client.get(f"/catalogue/{world['twin'].slug}/").status_code == 200


@pytest.mark.parametrize("who", ["talent_b", "agency_a_owner", "brand_a_owner"])
def test_talent_pages_of_someone_else_are_404(client, world, who):
    client.force_login(world["people"][who])

    assert client.get(f"/me/twins/{world['twin'].pk}/").status_code == 404


def test_the_talent_sees_their_own_twin(client, world):
    client.force_login(world["people"]["talent_a"])

    assert client.get(f"/me/twins/{world['twin'].pk}/").status_code == 200
    assert client.get(f"/me/twins/{world['draft'].pk}/").status_code == 200


@pytest.mark.parametrize("who", ["agency_b_owner", "brand_a_owner", "brand_b_manager"])
def test_foreign_invitation_cannot_be_revoked(client, world, who):
    client.force_login(world["people"][who])
    before = snapshot()

    response = client.post(f"/team/invitations/{world['invitation'].pk}/revoke/")

    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("who", ["brand_a_owner", "talent_a", "anonymous"])
def test_agency_lists_are_not_for_brands_talent_or_strangers(client, world, who):
    if world["people"][who]:
        client.force_login(world["people"][who])

    for url in ["/agency/twins/", "/agency/talent/", "/agency/twins/new/"]:
        assert client.get(url).status_code in {404, 302}, url


def test_agency_b_list_never_shows_agency_a_twins(client, world):
    client.force_login(world["people"]["agency_b_owner"])

    page = client.get("/agency/twins/").content.decode()

    assert world["twin"].display_name not in page


def test_team_page_lists_only_own_members(client, world):
    client.force_login(world["people"]["brand_b_owner"])

    page = client.get("/team/").content.decode()

    assert world["people"]["brand_a_owner"].email not in page
    assert world["people"]["brand_b_member"].email in page


def test_switching_to_a_foreign_organisation_is_404(client, world):
    client.force_login(world["people"]["brand_b_owner"])
    brand_a = Membership.objects.get(user=world["people"]["brand_a_owner"]).organisation

    assert client.post("/switch/", {"organisation": brand_a.pk}).status_code == 404


def _admin_pages(w):
    victim = w["people"]["agency_a_owner"]
    return [
        ("get", "/admin/", {}),
        ("get", "/admin/login/", {}),
        ("get", "/admin/accounts/apikey/", {}),
        ("get", "/admin/accounts/user/", {}),
        ("get", f"/admin/accounts/user/{victim.pk}/change/", {}),
        ("get", f"/admin/talent/twin/{w['twin'].pk}/change/", {}),
        ("post", f"/admin/talent/twin/{w['twin'].pk}/delete/", {"post": "yes"}),
        ("post", f"/admin/accounts/user/{victim.pk}/change/", {"email": "x@evil.test"}),
        ("post", "/admin/login/", {"username": victim.email, "password": "correct-horse-battery"}),
    ]


@pytest.mark.parametrize("who", [f"agency_a_{r}" for r in ROLES] + OUTSIDERS)
def test_the_admin_does_not_exist_for_members_and_talent(client, world, who):
    client.force_login(world["people"][who])
    before = snapshot(), list(User.objects.order_by("pk").values())

    for method, url, data in _admin_pages(world):
        response = _request(client, method, url, data)
        if response.status_code == 302:  # the admin sends to its login, which is a 404 here
            assert response.url.startswith("/admin/login/"), (who, url)
            response = client.get(response.url)
        assert response.status_code == 404, (who, method, url)

    assert (snapshot(), list(User.objects.order_by("pk").values())) == before
    assert client.session["_auth_user_id"] == str(world["people"][who].pk)


def test_the_admin_sends_anonymous_visitors_to_the_site_sign_in(client, world):
    before = snapshot(), list(User.objects.order_by("pk").values())

    for method, url, data in _admin_pages(world):
        response = _request(client, method, url, data)
        if response.url.startswith("/admin/login/"):
            response = client.get(response.url)
        assert response.status_code == 302, url
        assert response.url.startswith("/accounts/login/?next=%2Fadmin%2F"), url

    assert (snapshot(), list(User.objects.order_by("pk").values())) == before
    assert "_auth_user_id" not in client.session


# --- Media: pictures are served by views that check who asks ------------------------------


def _picture_urls(image: TwinImage) -> list[str]:
    return [image.image.url, image.thumbnail.url]


@pytest.fixture
def draft_picture(world):
    """A picture of agency A's draft twin (with its thumbnail)."""
    draft = TwinFactory(talent=world["twin"].talent, status="draft", with_image=True)
    return draft.cover


# Everyone but the twin's agency and its model (talent_a, an outsider to agency pages).
PICTURE_OUTSIDERS = [who for who in OUTSIDERS if who != "talent_a"]


@pytest.mark.parametrize("who", [*PICTURE_OUTSIDERS, "anonymous"])
def test_a_drafts_pictures_are_404_to_outsiders_and_change_nothing(
    client, world, draft_picture, who
):
    if world["people"][who]:
        client.force_login(world["people"][who])
    before = snapshot()

    for url in _picture_urls(draft_picture):
        assert client.get(url).status_code == 404, (who, url)
        assert client.head(url).status_code == 404, (who, url)
        assert client.post(url).status_code == 405, (who, url)

    assert snapshot() == before


@pytest.mark.parametrize("who", [*(f"agency_a_{r}" for r in ROLES), "talent_a"])
def test_a_drafts_pictures_are_shown_to_every_role_of_its_agency_and_to_its_model(
    client, world, draft_picture, who
):
    client.force_login(world["people"][who])

    for url in _picture_urls(draft_picture):
        response = client.get(url)
        assert response.status_code == 200, (who, url)
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("who", [*OUTSIDERS, "agency_a_member", "anonymous"])
def test_a_bookable_twins_pictures_are_shown_to_everyone(client, world, who):
    if world["people"][who]:
        client.force_login(world["people"][who])

    for url in _picture_urls(world["image"]):
        response = client.get(url)
        assert response.status_code == 200, (who, url)
        assert response["Cache-Control"] == "public, max-age=300"
