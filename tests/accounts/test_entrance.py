"""The way in: sign-in says accounts come by invitation; two-factor set-up leads on."""

from __future__ import annotations

import pytest
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY
from django.template import Context, Template

from tests.factories import PASSWORD, MembershipFactory
from tests.signin import current_code

SETUP = "/accounts/2fa/totp/activate/"
RECOVERY_CODES = "/accounts/2fa/recovery-codes/"


@pytest.mark.django_db
def test_sign_in_says_accounts_are_by_invitation_and_offers_no_sign_up(client):
    html = client.get("/accounts/login/").content.decode()

    assert "Accounts are by invitation" in html
    assert "sign up" not in html.lower()
    assert "/accounts/signup/" not in html


@pytest.mark.django_db(transaction=True)  # allauth tells of the new authenticator on commit
def test_after_two_factor_set_up_the_recovery_codes_page_leads_on_to_the_page_asked_for(
    client, settings
):
    # given an owner (a role that needs two-factor) signed in, opening the team page
    settings.LIKENESS_REQUIRE_MFA_ROLES = ["owner", "finance"]
    owner = MembershipFactory(role="owner").user
    client.post("/accounts/login/", {"login": owner.email, "password": PASSWORD})
    assert client.get("/team/")["Location"] == SETUP

    # when she sets up her authenticator app
    client.post(client.get(SETUP)["Location"], {"password": PASSWORD})  # allauth asks again
    client.get(SETUP)
    activated = client.post(SETUP, {"code": current_code(client.session[SECRET_SESSION_KEY])})

    # then the recovery codes page shows, with a way on to the team page she asked for
    assert activated["Location"] == RECOVERY_CODES
    html = client.get(RECOVERY_CODES).content.decode()
    assert 'href="/team/">Continue</a>' in html
    assert client.get("/team/").status_code == 200


@pytest.mark.parametrize(
    ("asked_for", "continue_to"),
    [("https://evil.example/", "/"), ("//evil.example/", "/"), (None, "/"), ("/team/", "/team/")],
)
def test_the_way_on_is_a_page_of_ours_or_home(rf, asked_for, continue_to):
    request = rf.get(RECOVERY_CODES)
    request.session = {} if asked_for is None else {"likeness_after_mfa_setup": asked_for}

    rendered = Template(
        "{% load two_factor %}{% after_two_factor_setup_url as url %}{{ url }}"
    ).render(Context({"request": request}))

    assert rendered == continue_to
