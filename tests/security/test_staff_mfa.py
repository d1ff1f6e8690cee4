"""Platform staff sign in where everyone does, with the second factor; the admin has no form."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.urls import reverse

from marketplace.accounts.models import User
from tests.factories import PASSWORD, MembershipFactory, UserFactory
from tests.signin import current_code, give_totp, sign_in_with_totp

pytestmark = pytest.mark.django_db

SETUP = "/accounts/2fa/totp/activate/"
STAFF_ONLY = ["/admin/", "/admin/accounts/apikey/", "/admin/accounts/user/"]


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, is_superuser=True)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_the_admin_login_takes_no_password_and_sends_to_the_site_sign_in(client, staff):
    give_totp(staff)

    response = client.post(
        "/admin/login/?next=/admin/accounts/apikey/",
        {"username": staff.email, "password": PASSWORD},
    )

    assert (response.status_code, response["Location"]) == (
        302,
        "/accounts/login/?next=%2Fadmin%2Faccounts%2Fapikey%2F",
    )
    assert not signed_in(client)
    assert client.get("/admin/").status_code == 302
    assert client.get("/accounts/2fa/")["Location"].startswith("/accounts/login/")


def test_the_admin_login_refuses_a_foreign_next(client):
    response = client.get("/admin/login/?next=https://evil.example/")

    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_password_and_code_at_the_site_sign_in_open_the_admin(client, staff):
    secret = give_totp(staff)

    password_only = client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    assert (password_only.status_code, password_only["Location"]) == (
        302,
        "/accounts/2fa/authenticate/",
    )
    assert client.get("/admin/").status_code == 302
    client.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})

    for path in STAFF_ONLY:
        assert client.get(path).status_code == 200, path
    assert client.get("/accounts/2fa/").status_code == 200


@pytest.mark.parametrize(
    "path", [*STAFF_ONLY, "/accounts/2fa/", "/accounts/2fa/totp/deactivate/", "/catalogue/"]
)
def test_a_staff_session_that_skipped_the_code_is_signed_out(client, staff, path):
    # given a session made without the second factor (before this rule, or any other way in)
    give_totp(staff)
    client.force_login(staff)

    response = client.get(path)

    assert (response.status_code, response["Location"]) == (
        302,
        f"{reverse('account_login')}?next={path.replace('/', '%2F')}",
    )
    assert not signed_in(client)
    assert Authenticator.objects.filter(user=staff).count() == 1


def test_the_api_answers_401_to_such_a_session(client, staff):
    give_totp(staff)
    client.force_login(staff)

    response = client.get("/api/v1/licences/")

    assert response.status_code == 401
    assert not signed_in(client)


@pytest.mark.parametrize("flags", [{"is_staff": True}, {"is_superuser": True}])
def test_staff_without_an_authenticator_set_one_up_first(client, flags):
    # given staff with no authenticator, and two-factor required for no membership role
    user = UserFactory(**flags)
    client.post("/accounts/login/", {"login": user.email, "password": PASSWORD})
    assert signed_in(client)

    for path in [*STAFF_ONLY, "/catalogue/"]:
        response = client.get(path)
        assert (response.status_code, response["Location"]) == (302, SETUP), path


@pytest.mark.django_db(transaction=True)  # allauth tells of the new authenticator on commit
def test_staff_who_set_up_totp_reach_the_admin_in_that_session(client, staff):
    client.post("/accounts/login/", {"login": staff.email, "password": PASSWORD})
    reauthenticate = client.get(SETUP)["Location"]
    client.post(reauthenticate, {"password": PASSWORD})
    client.get(SETUP)

    client.post(SETUP, {"code": current_code(client.session[SECRET_SESSION_KEY])})

    assert Authenticator.objects.filter(user=staff, type="totp").count() == 1
    assert client.get("/admin/").status_code == 200
    assert signed_in(client)


def test_a_member_with_totp_and_no_code_step_is_left_alone(client):
    # the rule is for staff: a member's session (e.g. from an accepted invitation) goes on
    member = MembershipFactory(role="manager").user
    give_totp(member)
    client.force_login(member)

    assert client.get("/catalogue/").status_code == 200


def test_staff_signed_in_properly_are_not_asked_again(client, staff):
    sign_in_with_totp(client, staff)

    assert client.get("/admin/accounts/user/").status_code == 200
    assert User.objects.get(pk=staff.pk).is_staff
