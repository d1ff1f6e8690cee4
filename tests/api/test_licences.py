"""Licences over the API: the web's services and rules, in the API's error format."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from tests.api.conftest import issue_key, key_client, session_client
from tests.licensing.conftest import INTENDED_USE, make_terms

pytestmark = pytest.mark.django_db


def terms_json(**overrides) -> dict:
    today = timezone.localdate()
    body = {
        "media_types": ["social"],
        "territories": ["DE", "FR"],
        "start_date": (today + timedelta(days=10)).isoformat(),
        "end_date": (today + timedelta(days=99)).isoformat(),
        "category": "beauty",
        "intended_use": INTENDED_USE,
    }
    body.update(overrides)
    return body


@pytest.fixture
def requested(world) -> Licence:
    return licensing.request_licence(
        by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
    )


def test_a_brand_key_requests_a_licence(world):
    response = key_client(world.tokens["brand_a"]).post(
        "/api/v1/licences", {"twin": world.twin.slug, **terms_json()}, format="json"
    )

    assert response.status_code == 201, response.content
    body = response.json()
    licence = Licence.objects.get(reference=body["reference"])
    assert licence.brand == world.orgs["brand_a"]
    assert licence.status == body["status"] == "requested"
    assert licence.requested_by == licence.brand.api_keys.get().service_user
    assert body["terms"]["territories"] == ["DE", "FR"]
    assert body["terms"]["total_fee"] == licence.current_terms.total_fee
    assert body["brand"] == {"slug": world.orgs["brand_a"].slug, "name": "Brand A"}


def test_the_service_s_rules_come_back_as_coded_errors(world):
    client = key_client(world.tokens["brand_a"])

    vague = client.post(
        "/api/v1/licences",
        {"twin": world.twin.slug, **terms_json(intended_use="marketing")},
        format="json",
    )
    category = client.post(
        "/api/v1/licences",
        {"twin": world.twin.slug, **terms_json(category="alcohol")},
        format="json",
    )

    assert vague.status_code == 400
    assert vague.json()["error"]["field"] == "intended_use"
    assert category.status_code == 400
    assert category.json()["error"]["field"] == "category"
    assert not Licence.objects.exists()


def test_malformed_input_is_400_invalid_with_every_field(world):
    response = key_client(world.tokens["brand_a"]).post(
        "/api/v1/licences",
        {"twin": world.twin.slug, "media_types": ["billboard"], "start_date": "soon"},
        format="json",
    )

    error = response.json()["error"]
    assert response.status_code == 400
    assert error["code"] == "invalid"
    assert error["field"] == "media_types.0"
    assert set(error["details"]) >= {"media_types", "start_date", "end_date", "territories"}


def test_an_exclusivity_conflict_is_409_and_names_no_brand(world):
    licensing.request_licence(
        by=world.members["brand_b_manager"],
        twin_id=world.twin.pk,
        terms=make_terms(exclusive=True),
    )

    response = key_client(world.tokens["brand_a"]).post(
        "/api/v1/licences", {"twin": world.twin.slug, **terms_json()}, format="json"
    )

    error = response.json()["error"]
    assert response.status_code == 409
    assert error["code"] == "exclusivity_conflict"
    assert error["field"] == "territories"
    assert "Brand B" not in error["message"]


def test_a_repeated_request_with_an_idempotency_key_creates_one_licence(world):
    client = key_client(world.tokens["brand_a"])
    body = {"twin": world.twin.slug, **terms_json()}

    first = client.post("/api/v1/licences", body, format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    again = client.post("/api/v1/licences", body, format="json", HTTP_IDEMPOTENCY_KEY="req-1")

    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert Licence.objects.count() == 1


@pytest.mark.parametrize("role", ["finance", "member"])
def test_a_colleague_who_may_not_request_is_refused_not_replayed(world, role):
    # given a manager's request, answered and stored under an Idempotency-Key
    body = {"twin": world.twin.slug, **terms_json()}
    first = session_client(world.user("brand_a_manager")).post(
        "/api/v1/licences", body, format="json", HTTP_IDEMPOTENCY_KEY="req-1"
    )

    # when a colleague without the role sends the same request with the same key
    replay = session_client(world.user(f"brand_a_{role}")).post(
        "/api/v1/licences", body, format="json", HTTP_IDEMPOTENCY_KEY="req-1"
    )

    # then she is refused as without a key, and shown nothing of the stored response
    assert first.status_code == 201
    assert replay.status_code == 403
    assert replay.json()["error"]["code"] == "permission_denied"
    assert "Idempotent-Replayed" not in replay.headers
    assert first.json()["reference"] not in replay.content.decode()
    assert Licence.objects.count() == 1


def test_a_refused_colleague_does_not_spoil_the_key_for_a_manager(world):
    # given a member without the role who tried first with a key
    body = {"twin": world.twin.slug, **terms_json()}
    refused = session_client(world.user("brand_a_member")).post(
        "/api/v1/licences", body, format="json", HTTP_IDEMPOTENCY_KEY="req-1"
    )

    # when the manager sends the same request with the same key
    response = session_client(world.user("brand_a_manager")).post(
        "/api/v1/licences", body, format="json", HTTP_IDEMPOTENCY_KEY="req-1"
    )

    # then the request runs for her: the refusal was not stored under the key
    assert refused.status_code == 403
    assert response.status_code == 201
    assert "Idempotent-Replayed" not in response.headers
    assert Licence.objects.get().reference == response.json()["reference"]


def test_a_key_without_the_write_scope_is_refused_not_replayed(world):
    # given a request answered under an Idempotency-Key, and a second key of the same brand
    # that may only read
    body = {"twin": world.twin.slug, **terms_json()}
    first = key_client(world.tokens["brand_a"]).post(
        "/api/v1/licences", body, format="json", HTTP_IDEMPOTENCY_KEY="req-1"
    )
    reader = issue_key(world.members["brand_a_owner"], scopes=["licences:read"], name="Reader")

    # when the read-only key sends the same request with the same key
    replay = key_client(reader).post(
        "/api/v1/licences", body, format="json", HTTP_IDEMPOTENCY_KEY="req-1"
    )

    # then it is refused for its scope
    assert first.status_code == 201
    assert replay.status_code == 403
    assert replay.json()["error"]["code"] == "missing_scope"
    assert "Idempotent-Replayed" not in replay.headers


@pytest.mark.parametrize("role", ["finance", "member"])
def test_roles_that_may_not_commit_the_brand_get_403(world, role):
    response = session_client(world.user(f"brand_a_{role}")).post(
        "/api/v1/licences", {"twin": world.twin.slug, **terms_json()}, format="json"
    )

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert not Licence.objects.exists()


def test_an_agency_cannot_request(world):
    response = key_client(world.tokens["agency_a"]).post(
        "/api/v1/licences", {"twin": world.twin.slug, **terms_json()}, format="json"
    )

    assert response.status_code == 403
    assert not Licence.objects.exists()


def test_lists_show_each_party_its_own_licences(world, requested):
    other = licensing.request_licence(
        by=world.members["brand_b_manager"], twin_id=world.other_twin.pk, terms=make_terms()
    )

    def listed(client) -> list[str]:
        return [lic["reference"] for lic in client.get("/api/v1/licences").json()["results"]]

    assert listed(key_client(world.tokens["brand_a"])) == [requested.reference]
    assert listed(key_client(world.tokens["agency_a"])) == [requested.reference]
    assert listed(key_client(world.tokens["brand_b"])) == [other.reference]
    assert listed(key_client(world.tokens["agency_b"])) == [other.reference]
    assert listed(session_client(world.user("talent_a"))) == [requested.reference]
    assert listed(session_client(world.user("talent_b"))) == [other.reference]


def test_the_list_filters_by_status_and_pages_with_a_cursor(world):
    manager = world.members["brand_a_manager"]
    references = []
    for n in range(5):
        licence = licensing.request_licence(
            by=manager,
            twin_id=world.twin.pk,
            terms=make_terms(
                start_date=timezone.localdate() + timedelta(days=10 + n),
                end_date=timezone.localdate() + timedelta(days=20 + n),
            ),
        )
        references.append(licence.reference)
    licensing.withdraw_licence(by=manager, reference=references[0])
    client = key_client(world.tokens["brand_a"])

    first = client.get("/api/v1/licences?status=requested&page_size=3").json()
    second = client.get(first["next"]).json()
    withdrawn = client.get("/api/v1/licences?status=withdrawn").json()

    paged = [lic["reference"] for lic in first["results"] + second["results"]]
    assert paged == list(reversed(references[1:]))
    assert second["next"] is None
    assert [lic["reference"] for lic in withdrawn["results"]] == [references[0]]


def test_the_detail_has_versions_and_timeline(world, requested):
    body = key_client(world.tokens["agency_a"]).get(f"/api/v1/licences/{requested.reference}")

    assert body.status_code == 200
    assert [v["version"] for v in body.json()["versions"]] == [1]
    assert [e["event"] for e in body.json()["timeline"]] == ["licence.requested"]


def test_the_whole_negotiation_over_the_api(world, requested):
    agency = key_client(world.tokens["agency_a"])
    brand = key_client(world.tokens["brand_a"])
    ref = requested.reference

    countered = agency.post(
        f"/api/v1/licences/{ref}/counter", terms_json(media_types=["social", "web"]), format="json"
    )
    accepted = brand.post(f"/api/v1/licences/{ref}/accept-counter", format="json")

    assert countered.status_code == 200, countered.content
    assert countered.json()["status"] == "countered"
    assert countered.json()["terms"]["proposed_by"] == "agency"
    assert accepted.json()["status"] == "awaiting_consent"


def test_approve_decline_and_withdraw(world, requested):
    agency = key_client(world.tokens["agency_a"])
    brand = key_client(world.tokens["brand_a"])
    second = licensing.request_licence(
        by=world.members["brand_a_manager"],
        twin_id=world.twin.pk,
        terms=make_terms(territories=["IT"]),
    )

    approved = agency.post(f"/api/v1/licences/{requested.reference}/approve")
    no_reason = agency.post(f"/api/v1/licences/{second.reference}/decline", {}, format="json")
    declined = agency.post(
        f"/api/v1/licences/{second.reference}/decline", {"reason": "Booked"}, format="json"
    )
    withdrawn = brand.post(f"/api/v1/licences/{requested.reference}/withdraw", format="json")

    assert approved.json()["status"] == "awaiting_consent"
    assert no_reason.status_code == 400
    assert no_reason.json()["error"]["field"] == "reason"
    assert declined.json()["status"] == "declined"
    assert declined.json()["status_reason"] == "Booked"
    assert withdrawn.json()["status"] == "withdrawn"


def test_an_impossible_transition_is_409(world, requested):
    licensing.withdraw_licence(by=world.members["brand_a_manager"], reference=requested.reference)

    response = key_client(world.tokens["agency_a"]).post(
        f"/api/v1/licences/{requested.reference}/approve"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "invalid_transition"


def test_the_other_party_s_action_is_403(world, requested):
    brand_approves = key_client(world.tokens["brand_a"]).post(
        f"/api/v1/licences/{requested.reference}/approve"
    )
    model_withdraws = session_client(world.user("talent_a")).post(
        f"/api/v1/licences/{requested.reference}/withdraw"
    )

    assert brand_approves.status_code == model_withdraws.status_code == 403
    requested.refresh_from_db()
    assert requested.status == "requested"


def test_a_quote_for_a_brand_and_its_agency(world):
    client = key_client(world.tokens["brand_a"])

    response = client.post(
        f"/api/v1/catalogue/twins/{world.twin.slug}/quote", terms_json(), format="json"
    )

    body = response.json()
    assert response.status_code == 200
    assert body["currency"] == "EUR"
    assert body["territories"] == ["DE", "FR"]
    assert (
        body["split"]["platform_fee"]
        + body["split"]["agency_commission"]
        + body["split"]["talent_share"]
        == body["total"]
    )
    assert body["available"] is True
    assert body["conflict"] is None
    assert not Licence.objects.exists()
    own_agency = key_client(world.tokens["agency_a"]).post(
        f"/api/v1/catalogue/twins/{world.twin.slug}/quote", terms_json(), format="json"
    )
    other_agency = key_client(world.tokens["agency_b"]).post(
        f"/api/v1/catalogue/twins/{world.twin.slug}/quote", terms_json(), format="json"
    )
    assert own_agency.status_code == 200
    assert other_agency.status_code == 404


def test_a_quote_tells_a_taken_slot_blindly(world):
    licensing.request_licence(
        by=world.members["brand_b_manager"],
        twin_id=world.twin.pk,
        terms=make_terms(exclusive=True),
    )

    body = (
        key_client(world.tokens["brand_a"])
        .post(f"/api/v1/catalogue/twins/{world.twin.slug}/quote", terms_json(), format="json")
        .json()
    )

    assert body["available"] is False
    assert "Beauty" in body["conflict"]
    assert "Brand B" not in body["conflict"]


def test_the_quote_states_the_image_approval_premium(world):
    from marketplace.talent.models import RateCard

    RateCard.objects.filter(twin=world.twin).update(approval_premium_bps=1_250)
    world.twin.image_approval = True
    world.twin.save(update_fields=["image_approval"])

    body = (
        key_client(world.tokens["brand_a"])
        .post(f"/api/v1/catalogue/twins/{world.twin.slug}/quote", terms_json(), format="json")
        .json()
    )

    # Social 1,000.00 × 2 (region) = 2,000.00, + 12.5 % = 250.00.
    assert (body["approval_premium_bps"], body["approval_premium"], body["total"]) == (
        1_250,
        25_000,
        225_000,
    )
    assert body["split"] == {
        "platform_fee": 22_500,
        "agency_commission": 40_500,
        "talent_share": 162_000,
    }
    assert body["image_approval"].startswith("Every image needs the model's approval")
