"""Two-factor: open to everyone, required for owners and finance members before anything else."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp_auth
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, TOTP, generate_totp_secret
from django.urls import reverse

from tests.factories import PASSWORD, MembershipFactory
from tests.signin import current_code

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/totp/activate/"


@pytest.fixture(autouse=True)
def _two_factor_required(settings):
    settings.LIKENESS_REQUIRE_MFA_ROLES = ["owner", "finance"]


def test_an_owner_signing_in_sets_up_totp_before_anything_else(client):
    owner = MembershipFactory(role="owner").user

    response = client.post("/accounts/login/", {"login": owner.email, "password": PASSWORD})
    response = client.get(response["Location"])

    assert (response.status_code, response["Location"]) == (302, SETUP)
    # allauth asks for the password once more before changing two-factor settings
    response = client.get(SETUP)
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    client.post(response["Location"], {"password": PASSWORD})
    page = client.get(SETUP).content.decode()
    assert "needs two-factor authentication" in page
    assert 'src="data:image/svg+xml;base64,' in page  # the QR code to scan

    # when they enter their authenticator app's current code
    secret = client.session[SECRET_SESSION_KEY]
    client.post(SETUP, {"code": current_code(secret)})

    # then they have a TOTP authenticator and the site opens up
    assert Authenticator.objects.filter(user=owner, type=Authenticator.Type.TOTP).count() == 1
    assert client.get("/catalogue/").status_code == 200


@pytest.mark.parametrize("path", ["/catalogue/", "/team/", "/billing/", "/admin/"])
def test_every_page_redirects_a_finance_member_without_totp(client, path):
    client.force_login(MembershipFactory(role="finance").user)
    response = client.get(path)
    assert (response.status_code, response["Location"]) == (302, SETUP)


def test_setup_pages_sign_out_and_static_files_stay_reachable(client):
    client.force_login(MembershipFactory(role="owner").user)
    assert client.get(reverse("mfa_index")).status_code == 200
    assert client.get("/static/css/likeness.css").status_code in {200, 404}  # never redirected
    assert client.post(reverse("account_logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_htmx_and_api_requests_are_told_where_to_go(client):
    client.force_login(MembershipFactory(role="owner").user)
    htmx = client.get("/catalogue/", headers={"HX-Request": "true"})
    assert (htmx.status_code, htmx["HX-Redirect"]) == (204, SETUP)
    api = client.get("/api/v1/licences/")
    assert api.status_code == 403
    assert api.json()["setup_url"] == SETUP


def test_with_a_totp_authenticator_the_owner_gets_through(client):
    owner = MembershipFactory(role="owner").user
    TOTP.activate(owner, generate_totp_secret())
    client.force_login(owner)
    response = client.get("/")
    assert response.status_code != 302 or response["Location"] != SETUP


@pytest.mark.parametrize("role", ["manager", "member"])
def test_managers_and_members_are_not_asked(client, role):
    client.force_login(MembershipFactory(role=role).user)
    response = client.get("/catalogue/")
    assert response.status_code == 200
    assert Authenticator.objects.count() == 0


def test_the_requirement_can_be_switched_off(client, settings):
    settings.LIKENESS_REQUIRE_MFA_ROLES = []
    client.force_login(MembershipFactory(role="owner").user)
    assert client.get("/catalogue/").status_code == 200


def test_signing_in_with_totp_asks_for_the_code(client):
    manager = MembershipFactory(role="manager").user
    secret = generate_totp_secret()
    TOTP.activate(manager, secret)

    response = client.post("/accounts/login/", {"login": manager.email, "password": PASSWORD})

    # the password alone does not sign in: allauth asks for the authenticator's code
    assert (response.status_code, response["Location"]) == (302, reverse("mfa_authenticate"))
    assert "_auth_user_id" not in client.session
    wrong = client.post(reverse("mfa_authenticate"), {"code": "000000"})
    assert wrong.status_code == 200
    assert "_auth_user_id" not in client.session

    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})

    assert response.status_code == 302
    assert client.session["_auth_user_id"] == str(manager.pk)


@pytest.mark.parametrize(("steps_ago", "accepted"), [(1, True), (-1, True), (2, False)])
def test_a_code_from_the_step_next_to_the_servers_is_accepted_and_no_further(
    client, monkeypatch, steps_ago, accepted
):
    # A phone's clock drifts and people type the code as it turns over: the server takes the
    # code of the 30-second step before or after its own, no older or newer one.
    manager = MembershipFactory(role="manager").user
    secret = generate_totp_secret()
    TOTP.activate(manager, secret)
    server_time = 1_800_000_015.0  # the middle of a step
    monkeypatch.setattr(totp_auth, "time", SimpleNamespace(time=lambda: server_time))
    client.post("/accounts/login/", {"login": manager.email, "password": PASSWORD})

    client.post(
        reverse("mfa_authenticate"),
        {"code": current_code(secret, steps_ago=steps_ago, at=server_time)},
    )

    assert ("_auth_user_id" in client.session) is accepted


def test_the_header_links_everyone_to_two_factor_settings(client):
    client.force_login(MembershipFactory(role="member").user)
    page = client.get("/catalogue/").content.decode()
    assert f'<a href="{reverse("mfa_index")}">Two-factor</a>' in page
