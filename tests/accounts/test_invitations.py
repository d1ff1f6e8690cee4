from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.accounts import services
from marketplace.accounts.models import Invitation, Membership, User
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.talent.services import create_talent
from tests.factories import MembershipFactory, TalentFactory, UserFactory

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


# --- An e-mail that already has a login elsewhere ------------------------------------------


def _state() -> dict[str, list]:
    from marketplace.core.models import AuditEvent
    from marketplace.talent.models import Talent

    return {
        "users": list(User.objects.order_by("pk").values()),
        "talent": list(Talent.objects.order_by("pk").values()),
        "memberships": list(Membership.objects.order_by("pk").values()),
        "invitations": list(Invitation.objects.order_by("pk").values()),
        "audit": list(AuditEvent.objects.order_by("pk").values_list("pk", flat=True)),
    }


@pytest.fixture
def other_agencys_model(other_agency):
    """A model agency B represents, who has claimed her login there."""
    user = UserFactory(email="nadia@example.test")
    return TalentFactory(agency=other_agency, email=user.email, user=user)


def test_another_agency_s_model_is_invited_like_anyone(agency_manager, other_agencys_model, login):
    # the inviting agency learns nothing about who represents whom
    client = login(agency_manager.user)

    response = client.post(
        "/agency/talent/new/",
        {"full_name": "Nadia K", "email": "Nadia@Example.test", "invite": "on"},
    )

    assert response.status_code == 302
    assert Invitation.objects.get().email == "nadia@example.test"


def test_her_login_cannot_claim_a_second_profile_and_nothing_changes(
    agency_manager, other_agencys_model, client, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        create_talent(by=agency_manager, full_name="Nadia K", email="nadia@example.test")
    token = _token(mailoutbox[0].body)
    before = _state()

    response = client.post(f"/invite/{token}/", {"full_name": "Nadia K", "password": ""})

    assert response.status_code == 200
    assert "already belongs to a talent profile" in response.content.decode()
    assert _state() == before
    assert "_auth_user_id" not in client.session


def test_the_service_refuses_her_login_too(agency_manager, other_agencys_model, mailoutbox):
    issued = services.invite_talent(
        by=agency_manager,
        talent=create_talent(
            by=agency_manager, full_name="Nadia K", email="nadia@example.test", invite=False
        ),
    )
    before = _state()

    with pytest.raises(ValidationFailed, match="already belongs to a talent profile"):
        services.accept_invitation(token=_token(issued.url), full_name="Nadia K", password="")

    assert _state() == before


def test_the_same_talent_twice_is_a_form_error(agency_manager, login):
    client = login(agency_manager.user)
    data = {"full_name": "Maja Berg", "email": "maja@example.test", "invite": "on"}
    client.post("/agency/talent/new/", data)
    before = _state()

    response = client.post("/agency/talent/new/", {**data, "email": "MAJA@example.test"})

    assert response.status_code == 200
    assert "already represents someone with that email" in response.content.decode()
    assert _state() == before


def test_a_member_of_another_organisation_joins_this_one_too(agency_owner, other_agency, client):
    # one login may belong to several organisations (the organisation switcher)
    elsewhere = MembershipFactory(organisation=other_agency, role="owner").user
    token = _token(
        services.invite_member(by=agency_owner, email=elsewhere.email.upper(), role="member").url
    )
    client.force_login(elsewhere)

    response = client.post(f"/invite/{token}/", {"full_name": "X", "password": ""})

    assert response.status_code == 302
    assert sorted(
        Membership.objects.filter(user=elsewhere).values_list("organisation__name", "role")
    ) == [("Agency A", "member"), ("Agency B", "owner")]


def test_inviting_a_member_twice_is_a_form_error(agency_owner, login):
    client = login(agency_owner.user)
    client.post("/team/", {"email": "bo@example.test", "role": "member"})
    before = _state()

    response = client.post("/team/", {"email": "Bo@Example.test", "role": "manager"})

    assert response.status_code == 200
    assert "already has a pending invitation" in response.content.decode()
    assert _state() == before
