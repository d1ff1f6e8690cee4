"""Proofs through the services: every transition and every refusal, with what is stored,
counted, announced and audited."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from marketplace.approvals import services
from marketplace.approvals.models import Proof, ProofDecision, ProofVersion
from marketplace.core.errors import PermissionDenied, TransitionError, ValidationFailed
from marketplace.core.models import AuditEvent, Notification
from marketplace.licensing.models import Licence, LicenceTerms
from marketplace.payments.models import UsageReport
from marketplace.provenance.models import CredentialedImage
from marketplace.talent.models import Twin
from marketplace.webhooks import services as webhooks
from marketplace.webhooks.models import WebhookDelivery
from tests.approvals.conftest import make_active, picture, require_approval
from tests.factories import MembershipFactory, TalentFactory, UserFactory

pytestmark = pytest.mark.django_db


def proof_input(licence: Licence, key: str = "p1", **overrides) -> services.ProofInput:
    values: dict[str, Any] = {
        "media_type": "social",
        "territory": "DE",
        "publish_on": timezone.localdate() + timedelta(days=3),
        "caption": "Spring denim, look 4",
        "image": picture(),
        "idempotency_key": key,
    }
    values.update(overrides)
    return services.ProofInput(**values)


def submit(licence, by, **overrides) -> Proof:
    proof, created = services.submit_proof(
        by=by, reference=licence.reference, data=proof_input(licence, **overrides)
    )
    assert created
    return proof


def decide(proof: Proof, decision: str, note: str = "", **who) -> Proof:
    if not who:
        who = {"talent": proof.talent}
        user = proof.talent.user
    else:
        user = who["member"].user
    return services.decide_proof(
        user=user,
        proof_reference=proof.reference,
        version=proof.versions.count(),
        decision=decision,
        note=note,
        **who,
    )


def state(licence: Licence) -> tuple:
    licence.refresh_from_db()
    return (
        Proof.objects.count(),
        ProofVersion.objects.count(),
        ProofDecision.objects.count(),
        UsageReport.objects.count(),
        licence.uses_count,
    )


# --- Submitting -----------------------------------------------------------------------------


def test_a_proof_waits_for_the_model_who_is_told(approval_licence, brand_manager):
    before = timezone.now()

    proof = submit(approval_licence, brand_manager)

    assert proof.status == Proof.Status.PENDING
    assert before + timedelta(hours=72) <= proof.due_at <= timezone.now() + timedelta(hours=72)
    version = proof.versions.get()
    stored = version.image.read()
    assert version.sha256 == hashlib.sha256(stored).hexdigest()
    assert version.preview.read() != stored  # the brand's preview is not the picture
    told = Notification.objects.filter(user=approval_licence.talent.user, url__contains="/proofs/")
    assert [n.title for n in told] == [
        f"{approval_licence.twin.display_name}: Brand A asks you to approve an image "
        f"({proof.reference})"
    ]
    event = AuditEvent.objects.get(verb="proof.submitted")
    assert event.data["sha256"] == version.sha256
    assert event.data["caption"] == "Spring denim, look 4"
    assert UsageReport.objects.count() == 0  # not a use until approved


def test_the_same_submission_again_is_the_same_proof(approval_licence, brand_manager):
    first = submit(approval_licence, brand_manager)

    again, created = services.submit_proof(
        by=brand_manager, reference=approval_licence.reference, data=proof_input(approval_licence)
    )

    assert (again.pk, created) == (first.pk, False)
    assert ProofVersion.objects.count() == 1


def test_the_same_key_for_another_proof_is_refused(approval_licence, brand_manager):
    submit(approval_licence, brand_manager)

    with pytest.raises(ValidationFailed, match="different proof") as refused:
        services.submit_proof(
            by=brand_manager,
            reference=approval_licence.reference,
            data=proof_input(approval_licence, territory="FR"),
        )
    assert refused.value.code == "idempotency_conflict"
    assert Proof.objects.count() == 1


def test_a_proof_under_a_licence_without_approval_is_refused(brand_manager, agency_manager, twin):
    licence = make_active(brand_manager=brand_manager, agency_manager=agency_manager, twin=twin)

    with pytest.raises(ValidationFailed, match="do not ask for the model's approval") as refused:
        submit(licence, brand_manager)
    assert refused.value.code == "approval_not_required"
    assert state(licence) == (0, 0, 0, 0, 0)


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"territory": "IT"}, "territory_not_licensed"),
        ({"media_type": "print"}, "media_not_licensed"),
        ({"publish_on": "after"}, "outside_window"),
    ],
)
def test_a_proof_outside_the_terms_is_refused_before_the_model_sees_it(
    approval_licence, brand_manager, overrides, code
):
    if overrides.get("publish_on") == "after":
        overrides["publish_on"] = approval_licence.current_terms.end_date + timedelta(days=1)

    with pytest.raises(ValidationFailed) as refused:
        submit(approval_licence, brand_manager, **overrides)

    assert refused.value.code == code
    assert state(approval_licence) == (0, 0, 0, 0, 0)
    assert not Notification.objects.filter(url__contains="/proofs/").exists()


def test_a_proof_under_a_licence_at_its_use_cap_is_refused(approval_licence, brand_manager):
    Licence.objects.filter(pk=approval_licence.pk).update(uses_count=5)
    LicenceTerms.objects.filter(pk=approval_licence.terms_id).update(max_uses=5)
    approval_licence.refresh_from_db()

    with pytest.raises(ValidationFailed) as refused:
        submit(approval_licence, brand_manager)

    assert refused.value.code == "use_cap_reached"
    assert Proof.objects.count() == 0


def test_a_non_image_is_refused(approval_licence, brand_manager):
    fake = SimpleUploadedFile("look.jpg", b"%PDF-1.7 not a picture", content_type="image/jpeg")

    with pytest.raises(ValidationFailed, match="not a readable image"):
        submit(approval_licence, brand_manager, image=fake)
    assert state(approval_licence) == (0, 0, 0, 0, 0)


def test_a_member_who_may_not_commit_fees_cannot_submit(approval_licence, brand):
    finance = MembershipFactory(organisation=brand, role="finance")

    with pytest.raises(PermissionDenied):
        submit(approval_licence, finance)
    assert Proof.objects.count() == 0


def test_another_brand_cannot_submit_under_the_licence(approval_licence, other_brand):
    rival = MembershipFactory(organisation=other_brand, role="owner")

    with pytest.raises(Licence.DoesNotExist):
        submit(approval_licence, rival)
    assert Proof.objects.count() == 0


# --- Answering ------------------------------------------------------------------------------


def test_approval_records_the_use_with_its_credentialed_copy(
    approval_licence, brand_manager, django_capture_on_commit_callbacks
):
    proof = submit(approval_licence, brand_manager)
    version = proof.versions.get()

    with django_capture_on_commit_callbacks(execute=True):
        decide(proof, "approved")

    proof.refresh_from_db()
    assert proof.status == Proof.Status.APPROVED
    use = proof.use
    assert use is not None
    assert (use.fee, use.media_type, use.territory) == (1_000, "social", "DE")
    assert use.used_on == version.publish_on
    assert use.talent_share > 0
    assert hashlib.sha256(use.image.read()).hexdigest() == version.sha256
    approval_licence.refresh_from_db()
    assert approval_licence.uses_count == 1
    record = ProofDecision.objects.get()
    assert record.image_sha256 == version.sha256
    assert version.sha256 in record.statement
    assert CredentialedImage.objects.filter(use=use).count() == 1
    assert AuditEvent.objects.get(verb="proof.approved").data["sha256"] == version.sha256
    assert Notification.objects.filter(
        user=brand_manager.user, title__contains=f"proof {proof.reference} approved"
    ).exists()


@pytest.mark.parametrize("decision", ["rejected", "changes_requested"])
def test_a_refusal_needs_a_note(approval_licence, brand_manager, decision):
    proof = submit(approval_licence, brand_manager)

    with pytest.raises(ValidationFailed, match="Say what is wrong"):
        decide(proof, decision, note="  ")

    proof.refresh_from_db()
    assert proof.status == Proof.Status.PENDING
    assert ProofDecision.objects.count() == 0


def test_rejection_is_final_and_records_no_use(approval_licence, brand_manager):
    proof = submit(approval_licence, brand_manager)

    decide(proof, "rejected", note="Not this pose, please.")

    proof.refresh_from_db()
    assert proof.status == Proof.Status.REJECTED
    assert UsageReport.objects.count() == 0
    assert AuditEvent.objects.get(verb="proof.rejected").data["note"] == "Not this pose, please."
    with pytest.raises(TransitionError):
        services.resubmit_proof(
            by=brand_manager,
            proof_reference=proof.reference,
            data=proof_input(approval_licence, key="v2"),
        )
    with pytest.raises(TransitionError):
        decide(proof, "approved")


def test_changes_then_a_new_version_then_approval(approval_licence, brand_manager):
    proof = submit(approval_licence, brand_manager)
    decide(proof, "changes_requested", note="Warmer light, no filter.")

    proof, created = services.resubmit_proof(
        by=brand_manager,
        proof_reference=proof.reference,
        data=proof_input(approval_licence, key="v2", image=picture(seed=22), caption="Look 4, v2"),
    )

    assert created
    assert proof.status == Proof.Status.PENDING
    assert [v.number for v in proof.versions.all()] == [1, 2]
    again, replayed = services.resubmit_proof(
        by=brand_manager,
        proof_reference=proof.reference,
        data=proof_input(approval_licence, key="v2", image=picture(seed=22), caption="Look 4, v2"),
    )
    assert (again.pk, replayed) == (proof.pk, False)
    assert ProofVersion.objects.count() == 2

    decide(proof, "approved")

    proof.refresh_from_db()
    assert proof.status == Proof.Status.APPROVED
    assert proof.use is not None
    assert proof.use.asset_reference.endswith("Look 4, v2")
    verbs = list(
        AuditEvent.objects.filter(target_type="approvals.proof")
        .order_by("id")
        .values_list("verb", flat=True)
    )
    assert verbs == [
        "proof.submitted",
        "proof.changes_requested",
        "proof.resubmitted",
        "proof.approved",
    ]


def test_an_answer_on_a_stale_version_is_refused(approval_licence, brand_manager):
    proof = submit(approval_licence, brand_manager)
    decide(proof, "changes_requested", note="Crop tighter.")
    services.resubmit_proof(
        by=brand_manager,
        proof_reference=proof.reference,
        data=proof_input(approval_licence, key="v2", image=picture(seed=5)),
    )

    with pytest.raises(ValidationFailed, match="newer version"):
        services.decide_proof(
            user=proof.talent.user,
            talent=proof.talent,
            proof_reference=proof.reference,
            version=1,
            decision="approved",
        )
    assert UsageReport.objects.count() == 0


def test_another_model_finds_no_proof(approval_licence, brand_manager):
    proof = submit(approval_licence, brand_manager)
    other = TalentFactory(agency=approval_licence.agency, user=UserFactory())

    with pytest.raises(Proof.DoesNotExist):
        services.decide_proof(
            user=other.user,
            talent=other,
            proof_reference=proof.reference,
            version=1,
            decision="approved",
        )
    assert state(approval_licence) == (1, 1, 0, 0, 0)


def test_the_agency_without_the_consent_s_leave_cannot_answer(
    approval_licence, brand_manager, agency_manager
):
    proof = submit(approval_licence, brand_manager)

    with pytest.raises(PermissionDenied, match="does not let the agency"):
        decide(proof, "approved", member=agency_manager)
    assert state(approval_licence) == (1, 1, 0, 0, 0)


def test_another_agency_finds_no_proof(approval_licence, brand_manager, other_agency):
    proof = submit(approval_licence, brand_manager)
    stranger = MembershipFactory(organisation=other_agency, role="owner")

    with pytest.raises(Proof.DoesNotExist):
        decide(proof, "approved", member=stranger)


def test_the_agency_answers_for_the_model_when_her_consent_says_so(
    brand_manager, agency_manager, twin
):
    require_approval(twin, agency_may_answer=True)
    licence = make_active(brand_manager=brand_manager, agency_manager=agency_manager, twin=twin)
    proof = submit(licence, brand_manager)

    decide(proof, "approved", member=agency_manager)

    record = ProofDecision.objects.get()
    assert record.on_behalf_of == licence.agency
    assert record.statement.startswith(f"{licence.agency.name}, for {licence.talent.full_name}")
    assert UsageReport.objects.count() == 1


@pytest.mark.parametrize("ending", ["expired", "revoked"])
def test_an_answer_on_an_ended_licence_is_refused(approval_licence, brand_manager, ending):
    proof = submit(approval_licence, brand_manager)
    if ending == "expired":
        Licence.objects.filter(pk=approval_licence.pk).update(status=Licence.Status.EXPIRED)
    else:
        Twin.objects.filter(pk=approval_licence.twin_id).update(consent_revoked_at=timezone.now())

    with pytest.raises(TransitionError, match="can no longer be answered"):
        decide(proof, "approved")
    assert state(approval_licence)[2:] == (0, 0, 0)


def test_silence_is_never_an_approval(approval_licence, brand_manager):
    proof = submit(approval_licence, brand_manager)
    Proof.objects.filter(pk=proof.pk).update(due_at=timezone.now() - timedelta(minutes=1))

    with pytest.raises(TransitionError, match="answer time ran out"):
        decide(proof, "approved")
    lapsed = services.lapse_overdue_proofs()
    again = services.lapse_overdue_proofs()

    proof.refresh_from_db()
    assert (lapsed, again) == (1, 0)
    assert proof.status == Proof.Status.LAPSED
    assert UsageReport.objects.count() == 0
    assert AuditEvent.objects.filter(verb="proof.lapsed").count() == 1
    # The brand may send it again, with a fresh answer time.
    proof, _ = services.resubmit_proof(
        by=brand_manager,
        proof_reference=proof.reference,
        data=proof_input(approval_licence, key="again"),
    )
    assert proof.status == Proof.Status.PENDING
    assert proof.due_at > timezone.now() + timedelta(hours=71)


def test_decisions_reach_the_brand_s_webhooks_only(
    approval_licence, brand_manager, other_brand, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    webhooks.create_endpoint(by=brand_manager, url="http://127.0.0.1:9/hooks")
    rival = MembershipFactory(organisation=other_brand, role="owner")
    webhooks.create_endpoint(by=rival, url="http://127.0.0.1:9/rival")
    proof = submit(approval_licence, brand_manager)

    decide(proof, "changes_requested", note="Crop tighter.")

    delivery = WebhookDelivery.objects.get()
    assert delivery.endpoint.brand_id == approval_licence.brand_id
    assert delivery.event_type == "proof.changes_requested"
    assert delivery.payload["data"]["proof"]["reference"] == proof.reference
    assert delivery.payload["data"]["note"] == "Crop tighter."


def test_a_decision_by_the_brand_itself_is_refused(approval_licence, brand_manager):
    proof = submit(approval_licence, brand_manager)

    with pytest.raises(Proof.DoesNotExist):
        decide(proof, "approved", member=brand_manager)
    assert state(approval_licence) == (1, 1, 0, 0, 0)
