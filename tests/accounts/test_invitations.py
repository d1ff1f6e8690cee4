from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.accounts import services
from marketplace.accounts.models import Invitation, Membership, User
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.talent.services import create_talent

pytestmark = pytest.mark.django_db


def _token(url: str) -> str:
    match = re.search(r"/invite/([^/]+)/", url)
    assert match is not None
    return match.group(1)


def test_owner_invites_a_colleague_who_joins_with_the_role(
    agency_owner, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        issued = services.invite_member(
            by=agency_owner, email="Booker@Example.test", role="manager"
        )
    token = _token(issued.url)
    assert mailoutbox[0].to == ["booker@example.test"]
    assert issued.url in mailoutbox[0].body
    assert Invitation.objects.get().token_hash != token  # only the hash is stored

    response = client.post(
        f"/invite/{token}/", {"full_name": "Bo Oker", "password": "a-long-passphrase-9"}
    )

    assert response.status_code == 302
    user = User.objects.get(email="booker@example.test")
    assert Membership.objects.get(user=user).role == "manager"
    assert client.get("/").status_code == 302  # signed in: sent to their home page


def test_an_invitation_works_once(agency_owner, client):
    token = _token(
        services.invite_member(by=agency_owner, email="x@example.test", role="member").url
    )
    services.accept_invitation(token=token, full_name="X", password="a-long-passphrase-9")

    response = client.get(f"/invite/{token}/")

    assert response.status_code == 404
    with pytest.raises(ValidationFailed):
        services.accept_invitation(token=token, full_name="X", password="a-long-passphrase-9")


def test_expired_invitation_is_refused(agency_owner):
    token = _token(
        services.invite_member(by=agency_owner, email="x@example.test", role="member").url
    )
    Invitation.objects.update(expires_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(ValidationFailed, match="expired"):
        services.accept_invitation(token=token, full_name="X", password="a-long-passphrase-9")
    assert not User.objects.filter(email="x@example.test").exists()


def test_weak_password_is_refused_and_nothing_is_created(agency_owner, client):
    token = _token(
        services.invite_member(by=agency_owner, email="x@example.test", role="member").url
    )

    response = client.post(f"/invite/{token}/", {"full_name": "X", "password": "1234567890"})

    assert response.status_code == 200
    assert "too common" in response.content.decode() or "numeric" in response.content.decode()
    assert not User.objects.filter(email="x@example.test").exists()
    assert Invitation.objects.get().accepted_at is None


def test_only_owners_invite(agency_manager):
    with pytest.raises(PermissionDenied):
        services.invite_member(by=agency_manager, email="x@example.test", role="member")


def test_talent_claims_their_profile(
    agency_manager, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        talent = create_talent(by=agency_manager, full_name="Maja Berg", email="maja@example.test")
    token = _token(mailoutbox[0].body)

    client.post(f"/invite/{token}/", {"full_name": "Maja Berg", "password": "a-long-passphrase-9"})

    talent.refresh_from_db()
    assert talent.user is not None
    assert talent.user.email == "maja@example.test"
    assert not Membership.objects.filter(user=talent.user).exists()
    assert client.get("/").url == "/me/dashboard/"


def test_open_signup_is_closed(client):
    response = client.post(
        "/accounts/signup/", {"email": "a@b.test", "password1": "x" * 12, "password2": "x" * 12}
    )

    assert not User.objects.filter(email="a@b.test").exists()
    assert response.status_code == 200
