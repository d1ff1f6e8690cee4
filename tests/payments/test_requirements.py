"""What Stripe still needs from a payee, shown in plain words, never as Stripe's field names."""

from __future__ import annotations

import re

import pytest

from marketplace.payments import requirements
from marketplace.payments.models import ConnectedAccount
from marketplace.payments.services import onboarding
from tests.factories import AgencyFactory, MembershipFactory
from tests.payments.conftest import payout_actor

pytestmark = pytest.mark.django_db

# Stripe's names for what an account still needs (as Stripe lists them on an Express account).
STRIPE_FIELD = re.compile(
    r"\b(?:individual|representative|company|business_profile|tos_acceptance|external_account"
    r"|business_type|requirements)[._]"
)


def test_each_known_field_reads_as_one_thing_to_do():
    assert requirements.sentences_for(
        [
            "individual.dob.day",
            "individual.dob.month",
            "individual.dob.year",
            "tos_acceptance.date",
            "tos_acceptance.ip",
            "external_account",
            "individual.verification.document",
            "business_profile.url",
            "individual.address.line1",
            "individual.address.postal_code",
        ]
    ) == [
        "Add your date of birth.",
        "Accept Stripe's terms of service.",
        "Add the bank account your earnings are paid into.",
        "Upload a photo of your identity document.",
        "Add your website or a social media profile that shows your work.",
        "Add your home address.",
    ]


def test_an_unknown_field_or_reason_reads_as_the_generic_sentence():
    assert requirements.sentences_for(["person_1AbC.dob.day", "something.new"]) == [
        "Stripe needs more information: finish setting up your payout account."
    ]
    assert requirements.disabled_sentence("a_new_reason") == (
        "Stripe has paused payouts to this account. "
        "Stripe needs more information: finish setting up your payout account."
    )
    assert requirements.disabled_sentence("") == ""


def test_past_due_and_eventually_due_are_kept_apart_from_what_is_due_now(stripe_env, talent):
    account = onboarding.ensure_connected_account(by=payout_actor(talent=talent))

    account.refresh_from_db()
    assert account.requirements_due  # the sandbox's unfinished Express account
    assert account.disabled_reason == "requirements.past_due"
    assert set(account.requirements_eventually_due).isdisjoint(account.requirements_due)


def page_text(client, user) -> str:
    client.force_login(user)
    response = client.get("/payouts/")
    assert response.status_code == 200
    return response.content.decode()


def test_the_model_reads_what_is_missing_in_words(client, stripe_env, talent):
    onboarding.ensure_connected_account(by=payout_actor(talent=talent))

    page = page_text(client, talent.user)

    assert "Payouts are paused until the information below is added." in page
    assert "<li>Accept Stripe&#x27;s terms of service.</li>" in page
    assert "<li>Add the bank account your earnings are paid into.</li>" in page
    assert "<li>Add your website or a social media profile that shows your work.</li>" in page
    assert "Continue setting up payouts" in page
    assert STRIPE_FIELD.findall(page) == []


def test_the_agency_owner_reads_it_and_another_agency_does_not(client, stripe_env, agency):
    owner = MembershipFactory(organisation=agency, role="owner")
    onboarding.ensure_connected_account(by=owner)

    page = page_text(client, owner.user)
    assert "<li>Accept Stripe&#x27;s terms of service.</li>" in page
    assert "Continue setting up payouts" in page
    assert STRIPE_FIELD.findall(page) == []

    other = page_text(client, MembershipFactory(organisation=AgencyFactory(), role="owner").user)
    assert "terms of service" not in other
    assert "Set up payouts with Stripe" in other
    assert ConnectedAccount.objects.count() == 1


def test_a_brand_has_no_payouts_page(client, stripe_env, agency, brand):
    onboarding.ensure_connected_account(by=MembershipFactory(organisation=agency, role="owner"))
    client.force_login(MembershipFactory(organisation=brand, role="owner").user)

    assert client.get("/payouts/").status_code == 404
    assert ConnectedAccount.objects.count() == 1
