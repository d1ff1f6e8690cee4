"""The image-approval term: the model's setting on her twin, copied into each licence's terms
when they are written (and consented, hashed and stated), and the use a brand reports
without an approved proof refused with the reason."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.core.errors import ValidationFailed
from marketplace.core.models import AuditEvent
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from marketplace.payments.models import UsageReport
from marketplace.payments.services import usage
from marketplace.talent import services as talent_services
from marketplace.talent.models import Twin
from tests.api.conftest import issue_key, key_client
from tests.approvals.conftest import make_active, require_approval
from tests.factories import MembershipFactory, TalentFactory, TwinFactory, UserFactory
from tests.licensing.conftest import make_terms

pytestmark = pytest.mark.django_db


def use(licence: Licence, key: str = "k1") -> usage.UsageInput:
    return usage.UsageInput(
        used_on=timezone.localdate(),
        media_type="social",
        territory="DE",
        asset_reference="ss27/look-04.jpg",
        idempotency_key=key,
    )


def test_the_twin_setting_is_copied_into_new_terms_and_stated_in_the_consent(
    brand_manager, agency_manager, twin
):
    require_approval(twin, hours=48, agency_may_answer=True)

    licence = make_active(brand_manager=brand_manager, agency_manager=agency_manager, twin=twin)

    terms = licence.current_terms
    assert (terms.image_approval, terms.approval_hours, terms.agency_may_answer) == (
        True,
        48,
        True,
    )
    statement = licence.consents.get().statement
    assert "Every image needs the model's approval before use" in statement
    assert "within 48 hours" in statement
    assert "her agency" in statement


def test_terms_without_approval_say_nothing_of_it(brand_manager, agency_manager, twin):
    licence = make_active(brand_manager=brand_manager, agency_manager=agency_manager, twin=twin)

    assert licence.current_terms.image_approval is False
    assert "approval" not in licence.consents.get().statement


def test_changing_the_twin_setting_never_touches_consented_licences(
    brand_manager, agency_manager, twin
):
    licence = make_active(brand_manager=brand_manager, agency_manager=agency_manager, twin=twin)
    hash_before = licence.current_terms.terms_hash

    talent_services.set_image_approval(
        talent=twin.talent, twin_id=twin.pk, required=True, hours=96, agency_may_answer=False
    )

    licence.refresh_from_db()
    assert licence.current_terms.image_approval is False
    assert licence.current_terms.terms_hash == hash_before
    twin.refresh_from_db()
    assert (twin.image_approval, twin.approval_hours) == (True, 96)
    # ...and the use under the licence consented without it is still accepted.
    report, created = usage.record_usage(
        by=brand_manager, reference=licence.reference, data=use(licence)
    )
    assert created and report.pk


def test_a_brand_cannot_waive_the_model_s_approval(brand_manager, twin):
    require_approval(twin)

    with pytest.raises(ValidationFailed, match="cannot waive"):
        licensing.request_licence(
            by=brand_manager, twin_id=twin.pk, terms=make_terms(image_approval=False)
        )
    assert Licence.objects.count() == 0


def test_the_agency_may_set_approval_per_licence_in_a_counter_offer(
    brand_manager, agency_manager, twin
):
    licence = licensing.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms())

    licensing.counter_licence(
        by=agency_manager,
        reference=licence.reference,
        terms=make_terms(image_approval=True, approval_hours=24, agency_may_answer=False),
    )

    licence.refresh_from_db()
    assert licence.current_terms.image_approval is True
    assert licence.current_terms.approval_hours == 24


@pytest.mark.parametrize("hours", [0, 23, 337])
def test_an_answer_time_out_of_bounds_is_refused(talent, twin, hours):
    with pytest.raises(ValidationFailed, match="between 24 and 336 hours"):
        talent_services.set_image_approval(
            talent=talent, twin_id=twin.pk, required=True, hours=hours, agency_may_answer=False
        )
    twin.refresh_from_db()
    assert twin.image_approval is False


def test_only_the_model_sets_her_twin_s_approval(twin):
    other = TalentFactory(agency=twin.agency, user=UserFactory())

    with pytest.raises(Twin.DoesNotExist):
        talent_services.set_image_approval(
            talent=other, twin_id=twin.pk, required=True, hours=72, agency_may_answer=False
        )
    twin.refresh_from_db()
    assert twin.image_approval is False


def test_a_use_without_an_approved_proof_is_refused_with_the_reason(
    approval_licence, brand_manager
):
    with pytest.raises(ValidationFailed, match="needs the model's approval") as refused:
        usage.record_usage(
            by=brand_manager, reference=approval_licence.reference, data=use(approval_licence)
        )

    assert refused.value.code == "approval_required"
    assert UsageReport.objects.count() == 0
    approval_licence.refresh_from_db()
    assert approval_licence.uses_count == 0


def test_a_batch_without_approved_proofs_is_refused_use_by_use(approval_licence, brand_manager):
    outcomes = usage.record_usage_batch(
        by=brand_manager,
        reference=approval_licence.reference,
        uses=[use(approval_licence, "a"), use(approval_licence, "b")],
    )

    assert [o.outcome for o in outcomes] == ["refused", "refused"]
    assert {o.error.code for o in outcomes if o.error} == {"approval_required"}
    assert UsageReport.objects.count() == 0


def test_the_api_refuses_a_use_without_an_approved_proof(approval_licence, brand):
    owner = MembershipFactory(organisation=brand, role="owner")
    client = key_client(issue_key(owner))

    response = client.post(
        f"/api/v1/licences/{approval_licence.reference}/uses",
        {
            "used_on": timezone.localdate().isoformat(),
            "media_type": "social",
            "territory": "DE",
            "asset_reference": "look-04.jpg",
        },
        format="json",
    )

    assert response.status_code == 400
    assert response.json()["error"]["code"] == "approval_required"
    assert UsageReport.objects.count() == 0


def test_the_web_usage_page_says_why_and_refuses_a_use(approval_licence, brand_manager, login):
    client = login(brand_manager.user)
    url = reverse("payments:report_usage", args=[approval_licence.reference])

    page = client.get(url)
    posted = client.post(
        url,
        {
            "used_on": timezone.localdate().isoformat(),
            "media_type": "social",
            "territory": "DE",
            "asset_reference": "look-04.jpg",
            "idempotency_key": "web-1",
        },
    )

    assert b"submit it as a proof. The use is recorded when she approves it" in page.content
    assert posted.status_code == 400
    assert b"needs the model&#x27;s approval before use" in posted.content
    assert UsageReport.objects.count() == 0


def test_the_model_sets_her_default_on_her_twin_page(talent, twin, login):
    client = login(talent.user)
    url = reverse("talent:my_twin", args=[twin.pk])

    response = client.post(
        url, {"image_approval": "on", "approval_hours": "48", "agency_may_answer": ""}
    )

    assert response.status_code == 302
    twin.refresh_from_db()
    assert (twin.image_approval, twin.approval_hours, twin.agency_may_answer) == (True, 48, False)
    assert AuditEvent.objects.filter(verb="twin.image_approval_set").count() == 1


def test_another_model_gets_404_and_nothing_changes(twin, login):
    other = TalentFactory(agency=twin.agency, user=UserFactory())
    TwinFactory(talent=other)
    client = login(other.user)

    response = client.post(
        reverse("talent:my_twin", args=[twin.pk]),
        {"image_approval": "on", "approval_hours": "48"},
    )

    assert response.status_code == 404
    twin.refresh_from_db()
    assert twin.image_approval is False


def test_the_request_page_tells_the_brand_before_it_asks(brand_manager, twin, login):
    require_approval(twin, hours=72)
    client = login(brand_manager.user)

    page = client.get(reverse("licensing:request", args=[twin.slug]))

    assert b'id="approval-term"' in page.content
    assert b"within 72 hours" in page.content


def test_the_licence_page_states_the_term(approval_licence, brand_manager, login):
    page = login(brand_manager.user).get(
        reverse("licensing:detail", args=[approval_licence.reference])
    )

    assert b'id="terms-approval"' in page.content
    assert b"no answer is never an approval" in page.content
