"""API keys: made and revoked by owners, shown once, stored hashed, scoped; the browser's
session with CSRF; talent without keys."""

from __future__ import annotations

import re

import pytest
from rest_framework.test import APIClient

from marketplace.accounts import services as accounts
from marketplace.accounts.models import ApiKey, Membership, hash_token
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.core.models import AuditEvent
from tests.api.conftest import issue_key, key_client, session_client

pytestmark = pytest.mark.django_db


def test_an_owner_creates_a_key_that_is_stored_only_as_a_hash(world):
    owner = world.members["brand_a_owner"]

    issued = accounts.create_api_key(by=owner, name="DAM sync", scopes=["catalogue:read"])

    key = ApiKey.objects.get(pk=issued.api_key.pk)
    assert re.fullmatch(r"lk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", issued.token)
    assert issued.token.split("_")[1] == key.prefix
    assert key.key_hash == hash_token(issued.token)
    assert issued.token not in str(list(ApiKey.objects.values()))
    assert key.scopes == ["catalogue:read"]
    assert key.organisation == owner.organisation
    assert AuditEvent.objects.filter(verb="api_key.created", target_id=key.pk).count() == 1


def test_the_key_s_service_user_cannot_sign_in_and_is_no_member(world):
    issued = accounts.create_api_key(
        by=world.members["brand_a_owner"], name="DAM", scopes=["catalogue:read"]
    )
    user = issued.api_key.service_user

    assert user.is_active is False
    assert user.has_usable_password() is False
    assert not Membership.objects.filter(user=user).exists()


@pytest.mark.parametrize("role", ["manager", "finance", "member"])
def test_only_owners_create_keys(world, role):
    with pytest.raises(PermissionDenied):
        accounts.create_api_key(
            by=world.members[f"brand_a_{role}"], name="x", scopes=["catalogue:read"]
        )


@pytest.mark.parametrize("scopes", [[], ["catalogue:write"], ["catalogue:read", "root"]])
def test_unknown_or_no_scopes_are_refused(world, scopes):
    with pytest.raises(ValidationFailed):
        accounts.create_api_key(by=world.members["brand_a_owner"], name="x", scopes=scopes)


def test_a_key_calls_the_api_as_its_organisation(world):
    response = key_client(world.tokens["brand_a"]).get("/api/v1/me")

    assert response.status_code == 200
    body = response.json()
    assert body["kind"] == "api_key"
    assert body["organisation"]["name"] == "Brand A"
    assert body["role"] == "manager"


@pytest.mark.parametrize(
    "header",
    [
        "Bearer lk_00000000_nope",
        "Bearer not-a-key",
        "Bearer",
        "Bearer a b",
    ],
)
def test_a_wrong_key_is_401_in_the_error_format(world, header):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=header)

    response = client.get("/api/v1/me")

    assert response.status_code == 401
    assert response.json()["error"]["code"] == "authentication_failed"
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="api"'


def test_a_key_with_a_right_prefix_and_a_wrong_secret_is_refused(world):
    token = world.tokens["brand_a"]
    forged = token[:-4] + ("AAAA" if not token.endswith("AAAA") else "BBBB")

    assert key_client(forged).get("/api/v1/me").status_code == 401


def test_a_wrong_key_is_not_read_as_the_session(world):
    client = session_client(world.user("brand_a_manager"))
    client.credentials(HTTP_AUTHORIZATION="Bearer lk_00000000_nope")

    assert client.get("/api/v1/me").status_code == 401


def test_anonymous_is_401(world):
    response = APIClient().get("/api/v1/licences")

    assert response.status_code == 401
    assert response.json() == {
        "error": {
            "code": "not_authenticated",
            "message": "Authentication credentials were not provided.",
            "field": None,
        }
    }


def test_a_revoked_key_stops_working_at_once(world):
    owner = world.members["brand_a_owner"]
    issued = accounts.create_api_key(by=owner, name="Old", scopes=["catalogue:read"])
    client = key_client(issued.token)
    assert client.get("/api/v1/me").status_code == 200

    accounts.revoke_api_key(by=owner, api_key_id=issued.api_key.pk)

    assert client.get("/api/v1/me").status_code == 401


def test_another_organisation_s_key_cannot_be_revoked(world):
    foreign = ApiKey.objects.get(organisation=world.orgs["brand_b"])

    with pytest.raises(ApiKey.DoesNotExist):
        accounts.revoke_api_key(by=world.members["brand_a_owner"], api_key_id=foreign.pk)

    foreign.refresh_from_db()
    assert foreign.revoked_at is None


def test_a_key_without_the_scope_gets_403_missing_scope(world):
    token = issue_key(world.members["brand_a_owner"], scopes=["catalogue:read"])
    client = key_client(token)

    response = client.get("/api/v1/licences")

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "missing_scope"
    assert client.get("/api/v1/catalogue/twins").status_code == 200


def test_last_use_is_noted(world):
    key = ApiKey.objects.get(organisation=world.orgs["brand_a"])
    assert key.last_used_at is None

    key_client(world.tokens["brand_a"]).get("/api/v1/me")

    key.refresh_from_db()
    assert key.last_used_at is not None


# --- The browser's session ---------------------------------------------------------------


def test_the_session_works_for_reads_and_needs_csrf_for_writes(world):
    user = world.user("brand_a_manager")
    client = APIClient(enforce_csrf_checks=True)
    client.force_login(user)

    assert client.get("/api/v1/me").json()["kind"] == "member"
    response = client.post("/api/v1/webhooks/endpoints", {"url": "http://127.0.0.1:9/"})

    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    assert "CSRF" in response.json()["error"]["message"]


def test_talent_use_the_session_and_there_are_no_keys_for_them(world):
    client = session_client(world.user("talent_a"))

    assert client.get("/api/v1/me").json() == {
        "kind": "talent",
        "organisation": None,
        "role": None,
        "scopes": None,
        "key_prefix": None,
    }


# --- The web page -----------------------------------------------------------------------


def test_the_owner_s_page_shows_a_new_key_once(world, client):
    client.force_login(world.user("agency_a_owner"))

    created = client.post(
        "/team/api-keys/", {"name": "Booking system", "scopes": ["licences:read"]}
    )
    listed = client.get("/team/api-keys/")

    match = re.search(r"lk_[0-9a-f]{8}_[A-Za-z0-9_-]{43}", created.content.decode())
    assert match is not None
    token = match.group(0)
    key = ApiKey.objects.get(name="Booking system")
    assert created.status_code == 200
    assert created["Cache-Control"] == "no-store"
    assert key.key_hash == hash_token(token)
    assert token not in listed.content.decode()
    assert key.display_prefix in listed.content.decode()
    assert key_client(token).get("/api/v1/licences").status_code == 200


@pytest.mark.parametrize("role", ["manager", "finance", "member"])
def test_only_owners_reach_the_keys_page(world, client, role):
    client.force_login(world.user(f"brand_a_{role}"))
    before = ApiKey.objects.count()

    assert client.get("/team/api-keys/").status_code == 403
    assert (
        client.post("/team/api-keys/", {"name": "x", "scopes": ["catalogue:read"]}).status_code
        == 403
    )
    assert ApiKey.objects.count() == before


def test_the_owner_revokes_on_the_page_and_a_foreign_key_is_404(world, client):
    client.force_login(world.user("brand_a_owner"))
    own = ApiKey.objects.get(organisation=world.orgs["brand_a"])
    foreign = ApiKey.objects.get(organisation=world.orgs["brand_b"])

    assert client.post(f"/team/api-keys/{foreign.pk}/revoke/").status_code == 404
    assert client.post(f"/team/api-keys/{own.pk}/revoke/").status_code == 302

    own.refresh_from_db()
    foreign.refresh_from_db()
    assert own.revoked_at is not None
    assert foreign.revoked_at is None
