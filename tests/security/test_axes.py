"""Brute force: five wrong passwords lock that login from that address out, right password too."""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.management import call_command
from django.urls import reverse

from tests.factories import PASSWORD, MembershipFactory

pytestmark = pytest.mark.django_db

LOGIN = "/accounts/login/"


@pytest.fixture(autouse=True)
def _own_rate_limit_cache(settings):
    # allauth also counts failures per address (10 a minute) in the cache: a fresh one per
    # test, so only axes decides here.
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"axes-{uuid.uuid4().hex}",
        }
    }


@pytest.fixture
def member():
    return MembershipFactory(role="manager").user


def sign_in(client, email: str, password: str, ip: str = "203.0.113.7"):
    return client.post(LOGIN, {"login": email, "password": password}, REMOTE_ADDR=ip)


def signed_in(client) -> bool:
    return "_auth_user_id" in client.session


def test_four_failures_still_let_the_right_password_in(client, member):
    for _ in range(4):
        assert sign_in(client, member.email, "wrong-password-1").status_code == 200
    response = sign_in(client, member.email, PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)


def test_five_failures_lock_out_even_the_right_password(client, member):
    responses = [sign_in(client, member.email, "wrong-password-1") for _ in range(5)]
    assert [r.status_code for r in responses] == [200, 200, 200, 200, 429]

    response = sign_in(client, member.email.upper(), PASSWORD)

    assert response.status_code == 429
    assert not signed_in(client)
    page = response.content.decode()
    assert "Sign-in locked" in page
    assert f"as <strong>{member.email}</strong>" in page
    assert "paused for 30 minutes" in page


def test_the_lock_holds_for_that_login_from_that_address_only(client, member):
    other = MembershipFactory(role="manager").user
    for _ in range(5):
        sign_in(client, member.email, "wrong-password-1")
    # the same person from another network, and another person from the same network
    assert sign_in(client, member.email, PASSWORD, ip="198.51.100.9").status_code == 302
    client.logout()
    assert sign_in(client, other.email, PASSWORD).status_code == 302


def test_axes_reset_lifts_the_lock(client, member):
    for _ in range(5):
        sign_in(client, member.email, "wrong-password-1")
    assert sign_in(client, member.email, PASSWORD).status_code == 429

    out = StringIO()
    call_command("axes_reset", stdout=out)

    assert sign_in(client, member.email, PASSWORD).status_code == 302
    assert signed_in(client)


def test_the_admin_is_behind_the_same_lock(client, member):
    # given staff locked out at the site's sign-in
    member.is_staff = True
    member.save()
    for _ in range(5):
        sign_in(client, member.email, "wrong-password-1")

    # the admin's login takes no password, and sends them to the sign-in that is locked
    admin_login = client.post(
        reverse("admin:login"),
        {"username": member.email, "password": PASSWORD},
        REMOTE_ADDR="203.0.113.7",
    )
    assert (admin_login.status_code, admin_login["Location"]) == (
        302,
        f"{LOGIN}?next=%2Fadmin%2F",
    )
    assert sign_in(client, member.email, PASSWORD).status_code == 429
    assert not signed_in(client)
    assert client.get("/admin/").status_code == 302
