"""A use the licence refuses at the model's approval (its cap reached since the proof was
sent) is kept like every refused use, while nothing is decided and the proof still waits."""

from __future__ import annotations

import pytest

from marketplace.approvals.models import Proof, ProofDecision
from marketplace.core.errors import ValidationFailed
from marketplace.licensing.models import LicenceTerms
from marketplace.payments.models import RefusedUse, UsageReport
from tests.approvals.test_services import decide, submit

pytestmark = pytest.mark.django_db


def test_a_use_refused_at_approval_is_recorded_and_the_proof_still_waits(
    approval_licence, brand_manager
):
    LicenceTerms.objects.filter(pk=approval_licence.terms_id).update(max_uses=1)
    first = submit(approval_licence, brand_manager, key="p1")
    second = submit(approval_licence, brand_manager, key="p2")
    decide(first, "approved")

    with pytest.raises(ValidationFailed) as refused:
        decide(second, "approved")
    with pytest.raises(ValidationFailed):
        decide(second, "approved")  # she tries again: the same attempt, kept once

    second.refresh_from_db()
    assert refused.value.code == "use_cap_reached"
    assert (second.status, second.use_id) == (Proof.Status.PENDING, None)
    assert ProofDecision.objects.filter(proof=second).count() == 0
    assert UsageReport.objects.count() == 1
    row = RefusedUse.objects.get()
    assert (row.licence_id, row.brand_id, row.talent_id) == (
        approval_licence.pk,
        approval_licence.brand_id,
        approval_licence.talent_id,
    )
    assert row.reported_by == brand_manager.user
    assert row.code == "use_cap_reached"
    assert row.reason == "The use cap is reached (1 of 1)."
    assert row.idempotency_key == f"approved-proof:{second.reference}"
    assert row.asset_reference.startswith(f"{second.reference} v1")
    assert (row.media_type, row.territory) == ("social", "DE")


def test_an_approval_the_licence_accepts_records_no_refusal(approval_licence, brand_manager):
    decide(submit(approval_licence, brand_manager), "approved")

    assert UsageReport.objects.count() == 1
    assert not RefusedUse.objects.exists()
