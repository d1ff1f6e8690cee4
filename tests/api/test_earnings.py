"""Earnings over the API: the model's own (browser session), an agency's commission."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.payments.models import Charge, Earning
from tests.api.conftest import active_licence, issue_key, key_client, session_client
from tests.api.test_usage import use

pytestmark = pytest.mark.django_db


@pytest.fixture
def paid(world):
    """An active licence of talent A whose fee brand A has paid: earnings for A's model and
    agency, and two uses reported."""
    licence = active_licence(
        brand_manager=world.members["brand_a_manager"],
        agency_manager=world.members["agency_a_manager"],
        twin=world.twin,
        start_date=timezone.localdate(),
    )
    now = timezone.now()
    charge = Charge.objects.create(
        kind=Charge.Kind.LICENCE_FEE,
        status=Charge.Status.PAID,
        brand=world.orgs["brand_a"],
        licence=licence,
        amount=licence.current_terms.total_fee,
        currency="EUR",
        paid_at=now,
    )
    split = licence.current_terms.quote["split"]
    for payee, amount in (
        ({"talent": world.talent["talent_a"]}, split["talent_share"]),
        ({"organisation": world.orgs["agency_a"]}, split["agency_commission"]),
    ):
        Earning.objects.create(
            charge=charge,
            licence=licence,
            source=Earning.Source.LICENCE_FEE,
            amount=amount,
            currency="EUR",
            brand_paid_at=now,
            due_by=now + timedelta(days=45),
            **payee,
        )
    client = key_client(world.tokens["brand_a"])
    for n in range(2):
        client.post(f"/api/v1/licences/{licence.reference}/uses", use(n), format="json")
    return licence, split


def test_the_model_reads_their_earnings(world, paid):
    licence, split = paid

    body = session_client(world.user("talent_a")).get("/api/v1/earnings").json()

    assert body["payee"] == "talent"
    assert body["figures"][0]["currency"] == "EUR"
    assert body["figures"][0]["earned"] == split["talent_share"]
    assert body["by_licence"][0]["reference"] == licence.reference
    assert len(body["monthly"]) == 12


def test_the_model_reads_every_use_of_their_twins(world, paid):
    client = session_client(world.user("talent_a"))

    everything = client.get("/api/v1/earnings/uses").json()["results"]
    filtered = client.get("/api/v1/earnings/uses?territory=fr").json()["results"]
    bad = client.get("/api/v1/earnings/uses?month=2026-13")

    assert [u["asset_reference"] for u in everything] == ["dam://asset/1", "dam://asset/0"]
    assert everything[0]["brand"] == "Brand A"
    assert filtered == []
    assert bad.status_code == 400


def test_another_model_sees_none_of_it(world, paid):
    client = session_client(world.user("talent_b"))

    assert client.get("/api/v1/earnings").json()["figures"] == []
    assert client.get("/api/v1/earnings/uses").json()["results"] == []


def test_an_agency_key_reads_its_commission(world, paid):
    _, split = paid
    token = issue_key(world.members["agency_a_owner"], scopes=["earnings:read"])

    body = key_client(token).get("/api/v1/earnings").json()

    assert body["payee"] == "agency"
    assert body["figures"][0]["earned"] == split["agency_commission"]
    assert body["by_licence"] == []
    assert key_client(token).get("/api/v1/earnings/uses").status_code == 404


def test_brands_have_no_earnings(world, paid):
    assert key_client(world.tokens["brand_a"]).get("/api/v1/earnings").status_code == 404
