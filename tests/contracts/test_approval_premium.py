"""The contract names the image-approval term and its premium, as the quote priced it."""

from __future__ import annotations

import pytest

from marketplace.contracts.models import Contract
from marketplace.licensing import services as licensing
from marketplace.talent.models import RateCard
from tests.contracts.conftest import consent_to, pdf_text
from tests.licensing.conftest import make_terms

pytestmark = pytest.mark.django_db


def test_the_contract_names_approval_and_its_premium(
    parties, twin, django_capture_on_commit_callbacks
):
    RateCard.objects.filter(twin=twin).update(approval_premium_bps=1_250)
    twin.image_approval = True
    twin.save(update_fields=["image_approval"])
    licence = licensing.request_licence(
        by=parties["brand"], twin_id=twin.pk, terms=make_terms(exclusive=True)
    )
    licensing.approve_licence(by=parties["agency"], reference=licence.reference)
    with django_capture_on_commit_callbacks(execute=True):
        consent_to(licence, parties["talent"])

    text = pdf_text(Contract.objects.get().document.open("rb").read())

    for expected in [
        "Every image needs the model's approval before use",
        "The licence fee includes an image-approval premium of €375.00 (+ 12.5 %).",
        # 1,000 × 2 × 1 × 1.5 = 3,000.00; + 12.5 % = 375.00.
        "Image-approval premium (+ 12.5 % of the fee above; clause 2, image approval) + €375.00",
        "Licence fee payable by the Brand €3,375.00",
        # Platform 337.50; agency 20 % of 3,037.50 = 607.50; model 2,430.00.
        "The Model's share €2,430.00",
        "Platform fee (10 %) €337.50",
    ]:
        assert expected in text, expected
