"""The proof pages from outside: the brand submits and sees only a watermarked preview, the
model answers on one screen, side by side with the previous version; anybody else (another
brand, another model, the agency without the consent's leave) gets 404 or 403 and changes
nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from marketplace.approvals import services
from marketplace.approvals.models import Proof, ProofDecision, ProofVersion
from marketplace.core.models import AuditEvent
from marketplace.payments.models import UsageReport
from tests.approvals.conftest import picture
from tests.approvals.test_services import proof_input
from tests.factories import MembershipFactory, TalentFactory, TwinFactory, UserFactory

pytestmark = pytest.mark.django_db


def form_data(**overrides) -> dict:
    values = {
        "image": picture(),
        "media_type": "social",
        "territory": "DE",
        "publish_on": (timezone.localdate() + timedelta(days=2)).isoformat(),
        "caption": "Spring denim, look 4",
        "idempotency_key": uuid.uuid4().hex,
    }
    values.update(overrides)
    return values


@pytest.fixture
def proof(approval_licence, brand_manager) -> Proof:
    made, _ = services.submit_proof(
        by=brand_manager, reference=approval_licence.reference, data=proof_input(approval_licence)
    )
    return made


def snapshot() -> tuple:
    return (
        list(Proof.objects.values_list("pk", "status", "latest_id", "due_at").order_by("pk")),
        ProofVersion.objects.count(),
        ProofDecision.objects.count(),
        UsageReport.objects.count(),
        AuditEvent.objects.filter(target_type="approvals.proof").count(),
    )


def test_the_brand_submits_on_the_web_and_sees_a_watermarked_preview_only(
    approval_licence, brand_manager, login
):
    client = login(brand_manager.user)
    url = reverse("approvals:licence_proofs", args=[approval_licence.reference])

    form = client.get(url)
    sent = client.post(url, form_data())

    assert form.status_code == 200 and b'id="proof-form"' in form.content
    proof = Proof.objects.get()
    assert sent.status_code == 302
    assert sent["Location"] == reverse("approvals:detail", args=[proof.reference])
    page = client.get(sent["Location"])
    assert page.status_code == 200
    assert b'id="countdown"' in page.content and b"Answer due in" in page.content
    assert reverse("approvals:preview", args=[proof.reference, 1]).encode() in page.content
    assert reverse("approvals:image", args=[proof.reference, 1]).encode() not in page.content
    preview = client.get(reverse("approvals:preview", args=[proof.reference, 1]))
    assert preview.status_code == 200 and preview["Content-Type"] == "image/jpeg"
    assert preview["Cache-Control"] == "private, no-store"
    assert client.get(reverse("approvals:image", args=[proof.reference, 1])).status_code == 404


def test_a_non_image_is_refused_on_the_web_with_the_reason(approval_licence, brand_manager, login):
    from django.core.files.uploadedfile import SimpleUploadedFile

    client = login(brand_manager.user)
    fake = SimpleUploadedFile("look.jpg", b"GIF89a nothing", content_type="image/jpeg")

    response = client.post(
        reverse("approvals:licence_proofs", args=[approval_licence.reference]),
        form_data(image=fake),
    )

    assert response.status_code == 400
    assert b"not a readable image" in response.content
    assert Proof.objects.count() == 0


def test_a_licence_without_the_term_says_no_proof_is_needed(
    brand_manager, agency_manager, twin, login
):
    from tests.approvals.conftest import make_active

    licence = make_active(brand_manager=brand_manager, agency_manager=agency_manager, twin=twin)
    client = login(brand_manager.user)

    page = client.get(reverse("approvals:licence_proofs", args=[licence.reference]))
    posted = client.post(reverse("approvals:licence_proofs", args=[licence.reference]), form_data())

    assert b'id="no-approval"' in page.content
    assert posted.status_code == 400
    assert b"do not ask for the model&#x27;s approval" in posted.content
    assert Proof.objects.count() == 0


def test_the_model_answers_on_one_screen_side_by_side_with_the_previous_version(
    proof, approval_licence, brand_manager, login
):
    model = login(approval_licence.talent.user)
    detail = reverse("approvals:detail", args=[proof.reference])
    decide = reverse("approvals:decide", args=[proof.reference])

    page = model.get(detail)
    asked = model.post(
        decide, {"decision": "changes_requested", "version": "1", "note": "Warmer light."}
    )
    services.resubmit_proof(
        by=brand_manager,
        proof_reference=proof.reference,
        data=proof_input(approval_licence, key="v2", image=picture(seed=23)),
    )
    second = model.get(detail)
    approved = model.post(decide, {"decision": "approved", "version": "2", "note": ""})

    assert page.status_code == 200 and b'id="decide-form"' in page.content
    assert reverse("approvals:image", args=[proof.reference, 1]).encode() in page.content
    assert asked.status_code == 302
    assert b'class="proof-pair two"' in second.content
    assert reverse("approvals:image", args=[proof.reference, 1]).encode() in second.content
    assert reverse("approvals:image", args=[proof.reference, 2]).encode() in second.content
    assert b"Warmer light." in second.content
    assert approved.status_code == 302
    proof.refresh_from_db()
    assert proof.status == Proof.Status.APPROVED and proof.use is not None
    image = model.get(reverse("approvals:image", args=[proof.reference, 2]))
    assert image.status_code == 200


def test_an_answer_without_a_note_is_refused_with_the_reason(proof, approval_licence, login):
    model = login(approval_licence.talent.user)

    response = model.post(
        reverse("approvals:decide", args=[proof.reference]),
        {"decision": "rejected", "version": "1", "note": ""},
    )

    assert response.status_code == 400
    assert b"Say what is wrong" in response.content
    proof.refresh_from_db()
    assert proof.status == Proof.Status.PENDING


def _urls(proof: Proof) -> list[tuple[str, str]]:
    ref = proof.reference
    return [
        ("get", reverse("approvals:detail", args=[ref])),
        ("get", reverse("approvals:preview", args=[ref, 1])),
        ("get", reverse("approvals:image", args=[ref, 1])),
        ("post", reverse("approvals:decide", args=[ref])),
        ("post", reverse("approvals:resubmit", args=[ref])),
    ]


def _try_everything(client, proof: Proof) -> list[int]:
    codes = []
    for method, url in _urls(proof):
        if method == "get":
            codes.append(client.get(url).status_code)
        elif url.endswith("/decide/"):
            codes.append(client.post(url, {"decision": "approved", "version": "1"}).status_code)
        else:
            codes.append(client.post(url, form_data()).status_code)
    return codes


def test_another_brand_gets_404_everywhere_and_nothing_changes(
    proof, approval_licence, other_brand, login
):
    rival = MembershipFactory(organisation=other_brand, role="owner")
    client = login(rival.user)
    before = snapshot()

    codes = _try_everything(client, proof)
    listing = client.get(reverse("approvals:list"))
    licence_page = client.get(
        reverse("approvals:licence_proofs", args=[approval_licence.reference])
    )

    assert codes == [404, 404, 404, 404, 404]
    assert licence_page.status_code == 404
    assert proof.reference.encode() not in listing.content
    assert snapshot() == before


def test_another_model_gets_404_everywhere_and_nothing_changes(proof, login, other_agency):
    other = TalentFactory(agency=other_agency, user=UserFactory())
    TwinFactory(talent=other)
    client = login(other.user)
    before = snapshot()

    codes = _try_everything(client, proof)

    assert codes == [404, 404, 404, 404, 404]
    assert snapshot() == before


def test_the_agency_without_delegation_reads_but_cannot_answer(proof, agency_manager, login):
    client = login(agency_manager.user)
    before = snapshot()

    page = client.get(reverse("approvals:detail", args=[proof.reference]))
    image = client.get(reverse("approvals:image", args=[proof.reference, 1]))
    answer = client.post(
        reverse("approvals:decide", args=[proof.reference]),
        {"decision": "approved", "version": "1"},
    )

    assert page.status_code == 200 and b'id="decide-form"' not in page.content
    assert b"does not let the agency answer" in page.content
    assert image.status_code == 404
    assert answer.status_code == 403
    assert snapshot() == before


def test_the_brand_cannot_answer_its_own_proof(proof, brand_manager, login):
    client = login(brand_manager.user)
    before = snapshot()

    response = client.post(
        reverse("approvals:decide", args=[proof.reference]),
        {"decision": "approved", "version": "1"},
    )

    assert response.status_code == 403
    assert snapshot() == before


def test_an_anonymous_visitor_is_sent_to_sign_in(proof, client):
    for method, url in _urls(proof):
        response = getattr(client, method)(url)
        assert response.status_code == 302 and "/login" in response["Location"]


def test_the_list_has_a_helpful_empty_state(brand_manager, login):
    page = login(brand_manager.user).get(reverse("approvals:list"))

    assert page.status_code == 200
    assert b"No proof yet." in page.content
