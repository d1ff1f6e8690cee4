"""The model's consent over the API: the licences awaiting it with their full terms, consent
with the typed full name, refusal. The same services as the consent page, with the request's
address and browser recorded; only the licence's own model, signed in, may decide."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from marketplace.core.models import AuditEvent
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Consent, Licence
from tests.api.conftest import issue_key, key_client, session_client
from tests.licensing.conftest import make_terms

pytestmark = pytest.mark.django_db

BROWSER = "Mozilla/5.0 (X11; Linux x86_64) Likeness-test"
ADDRESS = "203.0.113.44"


def awaiting(world, twin=None, brand="brand_a", agency="agency_a", **terms) -> Licence:
    """Requested by the brand and approved by the agency: the model is asked to consent."""
    twin = twin or world.twin
    licence = licensing.request_licence(
        by=world.members[f"{brand}_manager"], twin_id=twin.pk, terms=make_terms(**terms)
    )
    licensing.approve_licence(by=world.members[f"{agency}_manager"], reference=licence.reference)
    licence.refresh_from_db()
    assert licence.status == Licence.Status.AWAITING_CONSENT
    return licence


def model_client(world, who: str = "talent_a") -> APIClient:
    client = session_client(world.user(who))
    client.defaults.update(HTTP_USER_AGENT=BROWSER, REMOTE_ADDR=ADDRESS)
    return client


def consent_body(licence: Licence, **overrides) -> dict:
    body = {
        "terms_hash": licence.current_terms.terms_hash,
        "typed_name": licence.talent.full_name,
        "confirm": True,
    }
    body.update(overrides)
    return body


# --- The list -------------------------------------------------------------------------------


def test_the_model_lists_the_licences_awaiting_their_consent_with_the_full_terms(world):
    mine = awaiting(world, territories=["IT"], max_uses=3)
    licensing.request_licence(  # not yet approved: not the model's to decide
        by=world.members["brand_b_manager"], twin_id=world.twin.pk, terms=make_terms()
    )
    awaiting(world, twin=world.other_twin, agency="agency_b")  # another model's

    response = model_client(world).get("/api/v1/consent-requests")

    assert response.status_code == 200
    body = response.json()
    assert [r["reference"] for r in body["results"]] == [mine.reference]
    assert body["next"] is None
    item = body["results"][0]
    terms = mine.current_terms
    assert item["status"] == "awaiting_consent"
    assert item["brand"] == {"slug": world.orgs["brand_a"].slug, "name": "Brand A"}
    assert item["terms_hash"] == terms.terms_hash == item["terms"]["terms_hash"]
    assert item["statement"] == licensing.consent_statement(mine)
    assert item["terms"]["territories"] == ["IT"]
    assert item["terms"]["max_uses"] == 3
    assert item["terms"]["intended_use"] == terms.intended_use
    assert item["terms"]["total_fee"] == terms.total_fee
    assert item["terms"]["split"]["talent_share"] == terms.quote["split"]["talent_share"]


def test_the_list_pages_with_a_cursor(world):
    refs = [awaiting(world, territories=[c]).reference for c in ("IT", "ES", "PT")]
    client = model_client(world)

    first = client.get("/api/v1/consent-requests?page_size=2").json()
    second = client.get(first["next"]).json()

    seen = [r["reference"] for r in first["results"] + second["results"]]
    assert sorted(seen) == sorted(refs)
    assert len(first["results"]) == 2 and second["next"] is None


def test_another_model_sees_none_of_them(world):
    awaiting(world)

    response = model_client(world, "talent_b").get("/api/v1/consent-requests")

    assert response.status_code == 200
    assert response.json()["results"] == []


@pytest.mark.parametrize(
    "who", ["brand_a_manager", "brand_a_owner", "agency_a_manager", "agency_a_owner"]
)
def test_brands_and_agencies_have_no_consent_list(world, who):
    awaiting(world)

    response = session_client(world.user(who)).get("/api/v1/consent-requests")

    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("org", ["brand_a", "agency_a"])
def test_organisation_keys_have_no_consent_list(world, org):
    awaiting(world)

    with_scope = key_client(world.tokens[org]).get("/api/v1/consent-requests")
    narrow = key_client(issue_key(world.members[f"{org}_owner"], scopes=["catalogue:read"]))

    assert with_scope.status_code == 404
    assert narrow.get("/api/v1/consent-requests").json()["error"]["code"] == "missing_scope"


def test_anonymous_callers_are_asked_to_sign_in(world):
    response = APIClient().get("/api/v1/consent-requests")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "not_authenticated"


# --- Consent --------------------------------------------------------------------------------


def test_the_model_consents_with_their_typed_name_and_the_request_is_recorded(world):
    licence = awaiting(world)
    talent = world.talent["talent_a"]

    response = model_client(world).post(
        f"/api/v1/licences/{licence.reference}/consent",
        consent_body(licence, typed_name=f"  {talent.full_name.upper()} "),
        format="json",
    )

    assert response.status_code == 201, response.content
    consent = Consent.objects.get()
    assert consent.decision == Consent.Decision.GIVEN
    assert consent.talent == talent
    assert consent.user == talent.user
    assert consent.typed_name == talent.full_name.upper()
    assert consent.terms_hash == licence.current_terms.terms_hash
    assert consent.statement == licensing.consent_statement(licence)
    assert consent.ip_address == ADDRESS
    assert consent.user_agent == BROWSER
    licence.refresh_from_db()
    assert licence.status == Licence.Status.CONSENTED
    assert AuditEvent.objects.filter(
        verb="licence.consented", target_id=licence.pk, actor=talent.user
    ).exists()
    body = response.json()
    assert body["decision"] == "given"
    assert body["terms_hash"] == consent.terms_hash
    assert body["licence"]["reference"] == licence.reference
    assert body["licence"]["status"] == "consented"


@pytest.mark.parametrize(
    ("overrides", "field", "code"),
    [
        ({"typed_name": "Somebody Else"}, "typed_name", "invalid"),
        ({"typed_name": ""}, "typed_name", "invalid"),
        ({"confirm": False}, "confirm", "invalid"),
        ({"confirm": "true"}, "confirm", "invalid"),
        ({"terms_hash": "0" * 64}, None, "terms_changed"),
    ],
)
def test_consent_without_the_signature_or_to_other_terms_is_refused(world, overrides, field, code):
    licence = awaiting(world)

    response = model_client(world).post(
        f"/api/v1/licences/{licence.reference}/consent",
        consent_body(licence, **overrides),
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == code
    assert response.json()["error"]["field"] == field
    assert not Consent.objects.exists()
    licence.refresh_from_db()
    assert licence.status == Licence.Status.AWAITING_CONSENT


def test_a_missing_confirmation_is_refused(world):
    licence = awaiting(world)
    body = consent_body(licence)
    del body["confirm"]

    response = model_client(world).post(
        f"/api/v1/licences/{licence.reference}/consent", body, format="json"
    )

    assert response.status_code == 400
    assert response.json()["error"]["field"] == "confirm"
    assert not Consent.objects.exists()


def test_consent_given_once_cannot_be_given_again(world):
    licence = awaiting(world)
    client = model_client(world)
    url = f"/api/v1/licences/{licence.reference}/consent"
    client.post(url, consent_body(licence), format="json")

    again = client.post(url, consent_body(licence), format="json")

    assert again.status_code == 409
    assert again.json()["error"]["code"] == "invalid_transition"
    assert Consent.objects.count() == 1


def test_a_licence_not_yet_approved_cannot_be_consented(world):
    licence = licensing.request_licence(
        by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
    )

    response = model_client(world).post(
        f"/api/v1/licences/{licence.reference}/consent", consent_body(licence), format="json"
    )

    assert response.status_code == 409
    assert not Consent.objects.exists()


# --- Refusal --------------------------------------------------------------------------------


def test_the_model_refuses_with_a_reason(world):
    licence = awaiting(world)
    talent = world.talent["talent_a"]

    response = model_client(world).post(
        f"/api/v1/licences/{licence.reference}/refuse",
        {"reason": "Not for this product."},
        format="json",
    )

    assert response.status_code == 201
    consent = Consent.objects.get()
    assert consent.decision == Consent.Decision.REFUSED
    assert consent.reason == "Not for this product."
    assert (consent.ip_address, consent.user_agent) == (ADDRESS, BROWSER)
    licence.refresh_from_db()
    assert licence.status == Licence.Status.REFUSED
    assert licence.status_reason == "Not for this product."
    assert AuditEvent.objects.filter(
        verb="licence.refused", target_id=licence.pk, actor=talent.user
    ).exists()
    assert response.json()["licence"]["status"] == "refused"
    assert response.json()["decision"] == "refused"


def test_a_refusal_needs_no_reason(world):
    licence = awaiting(world)

    response = model_client(world).post(
        f"/api/v1/licences/{licence.reference}/refuse", {}, format="json"
    )

    assert response.status_code == 201
    licence.refresh_from_db()
    assert licence.status == Licence.Status.REFUSED


def test_a_refused_licence_cannot_then_be_consented(world):
    licence = awaiting(world)
    client = model_client(world)
    client.post(f"/api/v1/licences/{licence.reference}/refuse", {}, format="json")

    response = client.post(
        f"/api/v1/licences/{licence.reference}/consent", consent_body(licence), format="json"
    )

    assert response.status_code == 409
    assert list(Consent.objects.values_list("decision", flat=True)) == ["refused"]


def test_the_schema_documents_the_model_s_endpoints(db):
    paths = APIClient().get("/api/schema/?format=json").json()["paths"]

    assert "get" in paths["/api/v1/consent-requests"]
    consent = paths["/api/v1/licences/{reference}/consent"]["post"]
    assert set(consent["responses"]) >= {"201", "400", "401", "403", "404", "409", "429"}
    assert "post" in paths["/api/v1/licences/{reference}/refuse"]
