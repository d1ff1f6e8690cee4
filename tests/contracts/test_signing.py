"""Signing in order on the exact bytes, refusals, tampering, decline, and the sealed copy."""

from __future__ import annotations

import io

import pytest
from pypdf import PdfReader

from marketplace.contracts import sealing, services
from marketplace.contracts.models import Contract, Signature
from marketplace.core.errors import PermissionDenied, TransitionError, ValidationFailed
from marketplace.core.models import AuditEvent
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Consent, Licence
from tests.contracts.conftest import CTX, consent_to, other_party, pdf_text, sign_as

pytestmark = pytest.mark.django_db
S = Contract.Status


@pytest.fixture
def contract(consented):
    return Contract.objects.get()


def _flip_a_byte(path, offset: int) -> None:
    with open(path, "r+b") as handle:
        handle.seek(offset)
        byte = handle.read(1)
        handle.seek(offset)
        handle.write(bytes([byte[0] ^ 0x01]))


def test_brand_then_agency_then_model_sign_and_the_licence_awaits_payment(
    contract, parties, django_capture_on_commit_callbacks, mailoutbox
):
    sign_as(contract, parties["brand"])
    sign_as(contract, parties["agency"])
    with django_capture_on_commit_callbacks(execute=True):
        sign_as(contract, parties["talent"], typed_name="  zoë   ŁUKASIEWICZ-okafor ")

    contract.refresh_from_db()
    assert contract.status == S.EXECUTED
    assert contract.licence.status == Licence.Status.AWAITING_PAYMENT
    rows = list(Signature.objects.order_by("signed_at", "id").values_list("role", "user_id"))
    assert rows == [
        ("brand", parties["brand"].user_id),
        ("agency", parties["agency"].user_id),
        ("talent", parties["talent"].user_id),
    ]
    first = Signature.objects.get(role="brand")
    assert (first.ip_address, first.user_agent, first.document_sha256) == (
        "203.0.113.9",
        "pytest-browser/1.0",
        contract.document_sha256,
    )
    assert first.organisation == parties["brand"].organisation
    executed = f"{contract.licence.reference}: the contract is signed by all parties"
    assert {m.to[0] for m in mailoutbox if m.subject == executed} == {
        parties["brand"].user.email,
        parties["agency"].user.email,
        parties["talent"].user.email,
    }


def test_executed_copy_has_a_certificate_and_a_seal_that_breaks_when_a_byte_changes(
    contract, parties, django_capture_on_commit_callbacks
):
    sign_as(contract, parties["brand"])
    sign_as(contract, parties["agency"])
    with django_capture_on_commit_callbacks(execute=True):
        sign_as(contract, parties["talent"])
    contract.refresh_from_db()
    data = contract.executed_document.open("rb").read()

    check = sealing.check_seal(data)
    assert (check.ok, check.intact, check.trusted, check.covers_whole_file) == (
        True,
        True,
        True,
        True,
    )
    text = pdf_text(data)
    assert "Signature certificate" in text
    assert f"SHA-256 {contract.document_sha256}" in text
    for signature in contract.signatures.all():
        assert signature.typed_name in text
        assert signature.user.email in text
    assert text.count("from IP 203.0.113.9") == 3
    # The exact signed original rides along as an attachment.
    attachments = PdfReader(io.BytesIO(data)).attachments
    assert attachments[f"{contract.reference}-signed.pdf"] == [contract.document.open("rb").read()]
    # A byte inside the first page's content stream: what a forger would change.
    offset = data.index(b"stream", data.index(b"/Contents")) + 40
    tampered = bytearray(data)
    tampered[offset] ^= 0x01
    broken = sealing.check_seal(bytes(tampered))
    assert (broken.ok, broken.intact) == (False, False)
    # Sealing again changes nothing.
    again = services.seal_contract(contract_id=contract.pk)
    assert again is not None
    assert again.executed_sha256 == contract.executed_sha256
    assert AuditEvent.objects.filter(verb="contract.executed").count() == 1


def test_signing_out_of_order_is_refused(contract, parties):
    for who in ("agency", "talent"):
        with pytest.raises(TransitionError, match="brand signs first"):
            sign_as(contract, parties[who])
    sign_as(contract, parties["brand"])
    with pytest.raises(TransitionError, match="agency signs first"):
        sign_as(contract, parties["talent"])
    with pytest.raises(TransitionError, match="already signed"):
        sign_as(contract, parties["brand"])

    assert list(Signature.objects.values_list("role", flat=True)) == ["brand"]


@pytest.mark.parametrize("role", ["finance", "member"])
def test_readers_of_a_party_cannot_sign(contract, role):
    reader = other_party(role, contract.licence.brand)

    with pytest.raises(PermissionDenied):
        sign_as(contract, reader)

    assert Signature.objects.count() == 0


def test_a_wrong_name_is_refused(contract, parties):
    with pytest.raises(ValidationFailed, match="Type your full name exactly as 'Bea Brandt'"):
        sign_as(contract, parties["brand"], typed_name="Someone Else")

    assert Signature.objects.count() == 0


def test_a_hash_the_signer_did_not_see_is_refused(contract, parties):
    with pytest.raises(ValidationFailed) as exc:
        sign_as(contract, parties["brand"], sha="0" * 64)

    assert exc.value.code == "document_changed"
    assert Signature.objects.count() == 0


def test_a_byte_changed_in_the_stored_pdf_is_detected_and_signing_refused(contract, parties):
    _flip_a_byte(contract.document.path, 200)

    with pytest.raises(services.DocumentTampered):
        sign_as(contract, parties["brand"])

    assert Signature.objects.count() == 0
    assert AuditEvent.objects.filter(
        verb="contract.tampering_detected", target_id=contract.pk
    ).exists()


def test_tampering_after_signing_stops_the_seal(
    contract, parties, django_capture_on_commit_callbacks
):
    sign_as(contract, parties["brand"])
    sign_as(contract, parties["agency"])
    sign_as(contract, parties["talent"])  # on_commit not run: sealing waits
    _flip_a_byte(contract.document.path, 300)

    with pytest.raises(services.DocumentTampered):
        services.seal_contract(contract_id=contract.pk)

    contract.refresh_from_db()
    assert (contract.status, contract.executed_sha256) == (S.SEALING, "")
    assert contract.licence.status == Licence.Status.CONSENTED


def test_no_signing_once_the_brand_withdrew(contract, parties):
    licensing.withdraw_licence(by=parties["brand"], reference=contract.licence.reference)

    with pytest.raises(TransitionError, match="withdrawn"):
        sign_as(contract, parties["brand"])


def test_declining_voids_the_contract_and_returns_the_licence_to_the_agency(
    contract, parties, twin, django_capture_on_commit_callbacks, mailoutbox
):
    sign_as(contract, parties["brand"])

    services.decline_contract(
        contract_id=contract.pk,
        user=parties["agency"].user,
        membership=parties["agency"],
        reason="The brand's counsel asked for a change to clause 6.",
        context=CTX,
    )

    contract.refresh_from_db()
    licence = contract.licence
    licence.refresh_from_db()
    assert contract.status == S.VOID
    assert contract.declined_role == "agency"
    assert licence.status == Licence.Status.REQUESTED
    assert licence.status_reason == (
        "The agency declined to sign the contract: "
        "The brand's counsel asked for a change to clause 6."
    )
    assert licence.terms.version == 2
    assert licensing.valid_consent(licence) is None
    # The agency approves again, the model consents again: a second contract.
    licensing.approve_licence(by=parties["agency"], reference=licence.reference)
    with django_capture_on_commit_callbacks(execute=True):
        consent_to(licence, parties["talent"])
    assert Consent.objects.count() == 2
    assert list(Contract.objects.order_by("pk").values_list("reference", "status")) == [
        (f"{licence.reference}-C1", S.VOID),
        (f"{licence.reference}-C2", S.AWAITING_SIGNATURES),
    ]


def test_declining_needs_a_reason_and_a_party_who_has_not_signed(contract, parties):
    with pytest.raises(ValidationFailed):
        services.decline_contract(
            contract_id=contract.pk,
            user=parties["agency"].user,
            membership=parties["agency"],
            reason="  ",
            context=CTX,
        )
    sign_as(contract, parties["brand"])
    with pytest.raises(TransitionError, match="already signed"):
        services.decline_contract(
            contract_id=contract.pk,
            user=parties["brand"].user,
            membership=parties["brand"],
            reason="Changed our mind",
            context=CTX,
        )

    contract.refresh_from_db()
    assert contract.status == S.AWAITING_SIGNATURES


def test_the_brand_cannot_withdraw_once_the_contract_is_being_signed(consented, parties):
    contract = consented.contracts.get()
    sign_as(contract, parties["brand"])

    with pytest.raises(TransitionError, match="being signed"):
        licensing.withdraw_licence(by=parties["brand"], reference=consented.reference)
    consented.refresh_from_db()
    assert consented.status == Licence.Status.CONSENTED


def test_the_licence_page_stops_offering_withdrawal_once_the_brand_has_signed(
    client, consented, parties
):
    client.force_login(parties["brand"].user)
    page = f"/licences/{consented.reference}/"
    assert "Withdraw this request" in client.get(page).content.decode()

    sign_as(consented.contracts.get(), parties["brand"])

    assert "Withdraw this request" not in client.get(page).content.decode()


def test_consent_renews_the_reservation_for_signing_and_payment(consented):
    from datetime import timedelta

    from django.utils import timezone

    assert consented.reserved_until > timezone.now() + timedelta(hours=71)


def test_the_consent_statement_shows_money_as_people_read_it(consented):
    statement = consented.consents.get().statement

    assert "My share is €2,160.00 of a licence fee of €3,000.00" in statement
