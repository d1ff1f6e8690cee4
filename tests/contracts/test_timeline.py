"""The licence's timeline says who signed, for which party; its label whose turn it is."""

from __future__ import annotations

import pytest

from marketplace.contracts.models import Contract
from marketplace.licensing import selectors
from marketplace.licensing.models import Licence
from tests.contracts.conftest import sign_as

pytestmark = pytest.mark.django_db


def test_the_licence_timeline_names_each_party_and_who_acted(consented, parties):
    brand, agency, talent = parties["brand"], parties["agency"], parties["talent"]
    contract = Contract.objects.get(licence=consented)
    before = Licence.objects.get(pk=consented.pk).state.label
    sign_as(contract, brand)
    sign_as(contract, agency)
    licence = Licence.objects.get(pk=consented.pk)

    sentences = [e.sentence for e in selectors.licence_history(licence)]

    assert sentences == [
        f"{brand.organisation.name} requested the licence (Bea Brandt, manager)",
        f"{agency.organisation.name} approved the request; the model's consent is next "
        "(Aki Agent, manager)",
        f"{talent.full_name} consented to these terms",
        f"The contract was generated: {brand.organisation.name} signs first",
        f"{brand.organisation.name} signed the contract (Bea Brandt, manager)",
        f"{agency.organisation.name} signed the contract (Aki Agent, manager)",
    ]
    assert before == f"Awaiting {brand.organisation.name}'s signature (the brand)"
    assert licence.state.label == f"Awaiting {talent.full_name}'s signature (the model)"


def test_the_licence_page_shows_sentences_not_codes(client, consented, parties):
    client.force_login(parties["brand"].user)

    page = client.get(f"/licences/{consented.reference}/").content.decode()

    assert f"{parties['talent'].full_name} consented to these terms." in page
    assert "contract_ready" not in page and "<strong>consented</strong>" not in page
