"""A contract that cannot be rendered: retried by the worker, then shown as failed with a
retry for the brand's and agency's managers and staff, never a silent stall."""

from __future__ import annotations

import pytest

from marketplace.contracts import rendering, services
from marketplace.contracts.models import Contract
from marketplace.contracts.tasks import RENDER_RETRY_DELAYS
from marketplace.core.errors import PermissionDenied, TransitionError
from marketplace.core.models import AuditEvent
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from tests.contracts.conftest import consent_to
from tests.factories import BrandFactory, MembershipFactory, UserFactory
from tests.licensing.conftest import make_terms

pytestmark = pytest.mark.django_db

SENTENCE = "The contract could not be generated; we have been notified."


@pytest.fixture
def broken_renderer(monkeypatch):
    """The renderer fails for every contract, as it did for a worldwide licence."""
    calls = []
    real = rendering.render_contract

    def failing(contract):
        calls.append(contract.pk)
        raise ValueError("The row with index 1 is too high and cannot be rendered")

    monkeypatch.setattr(rendering, "render_contract", failing)
    yield calls
    monkeypatch.setattr(rendering, "render_contract", real)


@pytest.fixture
def failed(parties, twin, broken_renderer, mailoutbox, django_capture_on_commit_callbacks):
    staff = UserFactory(is_staff=True, email="ops@likeness.test")
    licence = licensing.request_licence(by=parties["brand"], twin_id=twin.pk, terms=make_terms())
    licensing.approve_licence(by=parties["agency"], reference=licence.reference)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        consent_to(licence, parties["talent"])
    licence.refresh_from_db()
    return {"licence": licence, "staff": staff, "renders": broken_renderer}


def _viewer(user, membership=None):
    from marketplace.accounts.tenancy import Viewer

    return Viewer(user=user, membership=membership)


def test_a_failing_render_is_retried_then_the_contract_is_marked_failed(failed, mailoutbox):
    contract = Contract.objects.get()

    assert contract.status == Contract.Status.FAILED
    assert len(failed["renders"]) == 1 + len(RENDER_RETRY_DELAYS)
    assert contract.render_attempts == 1 + len(RENDER_RETRY_DELAYS)
    assert "too high and cannot be rendered" in contract.generation_error
    assert contract.document_sha256 == ""
    assert failed["licence"].status == Licence.Status.CONSENTED
    [event] = AuditEvent.objects.filter(verb="contract.generation_failed")
    assert event.target_id == contract.pk
    assert event.data["attempts"] == 1 + len(RENDER_RETRY_DELAYS)
    staff_mail = [m for m in mailoutbox if m.to == ["ops@likeness.test"]]
    assert [m.subject for m in staff_mail] == [
        f"Contract {contract.reference} could not be generated"
    ]
    assert "too high" in staff_mail[0].body


def test_the_parties_see_the_failure_and_managers_get_a_retry_button(client, failed, parties):
    ref = failed["licence"].reference
    reader = MembershipFactory(organisation=failed["licence"].brand, role="member").user
    pages = {}
    for who, user in {
        "brand manager": parties["brand"].user,
        "agency manager": parties["agency"].user,
        "model": parties["talent"].user,
        "brand member": reader,
    }.items():
        client.force_login(user)
        pages[who] = client.get(f"/licences/{ref}/").content.decode()

    for who, page in pages.items():
        assert SENTENCE in page, who
        assert "Generating…" not in page, who
        assert 'hx-trigger="every 2s"' not in page, who
        assert "too high" not in page, who  # the error itself is for staff
    retry = f'action="/licences/{ref}/contract/retry/"'
    assert {who: retry in page for who, page in pages.items()} == {
        "brand manager": True,
        "agency manager": True,
        "model": False,
        "brand member": False,
    }


def test_the_signing_page_sends_back_to_the_licence_with_the_failure(client, failed, parties):
    ref = failed["licence"].reference
    client.force_login(parties["brand"].user)

    response = client.get(f"/licences/{ref}/contract/sign/", follow=True)

    assert response.redirect_chain == [(f"/licences/{ref}/", 302)]
    assert response.content.decode().count(SENTENCE) == 2  # the message and the panel


def test_retry_after_the_fix_produces_the_contract(
    client, failed, parties, django_capture_on_commit_callbacks, monkeypatch
):
    ref = failed["licence"].reference
    monkeypatch.undo()  # the renderer is fixed
    client.force_login(parties["agency"].user)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/licences/{ref}/contract/retry/")

    assert response.status_code == 302
    contract = Contract.objects.get()
    assert contract.status == Contract.Status.AWAITING_SIGNATURES
    assert contract.generation_error == ""
    assert contract.document.open("rb").read().startswith(b"%PDF-")
    [retried] = AuditEvent.objects.filter(verb="contract.generation_retried")
    assert retried.actor_id == parties["agency"].user.pk
    page = client.get(f"/licences/{ref}/").content.decode()
    assert SENTENCE not in page and "Awaiting signatures 0/3" in page


def test_staff_may_retry(failed, django_capture_on_commit_callbacks, monkeypatch):
    monkeypatch.undo()

    with django_capture_on_commit_callbacks(execute=True):
        services.retry_contract_generation(
            licence_id=failed["licence"].pk, by=_viewer(failed["staff"])
        )

    assert Contract.objects.get().status == Contract.Status.AWAITING_SIGNATURES


def test_a_retry_that_fails_again_is_failed_again(
    failed, parties, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.retry_contract_generation(
            licence_id=failed["licence"].pk, by=_viewer(parties["brand"].user, parties["brand"])
        )

    contract = Contract.objects.get()
    assert contract.status == Contract.Status.FAILED
    assert len(failed["renders"]) == 2 * (1 + len(RENDER_RETRY_DELAYS))
    assert AuditEvent.objects.filter(verb="contract.generation_failed").count() == 2


def test_members_the_model_and_other_tenants_may_not_retry(client, failed, parties):
    licence = failed["licence"]
    member = MembershipFactory(organisation=licence.brand, role="member")
    rival = MembershipFactory(organisation=BrandFactory(), role="owner")
    before = list(Contract.objects.values())

    with pytest.raises(PermissionDenied):
        services.retry_contract_generation(licence_id=licence.pk, by=_viewer(member.user, member))
    with pytest.raises(PermissionDenied):
        services.retry_contract_generation(
            licence_id=licence.pk, by=_viewer(parties["talent"].user)
        )
    with pytest.raises(Licence.DoesNotExist):
        services.retry_contract_generation(licence_id=licence.pk, by=_viewer(rival.user, rival))
    client.force_login(rival.user)
    assert client.post(f"/licences/{licence.reference}/contract/retry/").status_code == 404
    client.force_login(member.user)
    client.post(f"/licences/{licence.reference}/contract/retry/")

    assert list(Contract.objects.values()) == before
    assert not AuditEvent.objects.filter(verb="contract.generation_retried").exists()


def test_only_a_failed_contract_is_retried(consented, parties):
    with pytest.raises(TransitionError):
        services.retry_contract_generation(
            licence_id=consented.pk, by=_viewer(parties["brand"].user, parties["brand"])
        )

    assert Contract.objects.get().status == Contract.Status.AWAITING_SIGNATURES
