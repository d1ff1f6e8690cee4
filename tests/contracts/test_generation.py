"""The contract a worker renders from the consented terms: complete, once, with its hash."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest

from marketplace.contracts import services
from marketplace.contracts.models import Contract
from marketplace.contracts.tasks import generate_contract_task
from marketplace.core.models import AuditEvent
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from tests.contracts.conftest import consent_to, pdf_text
from tests.licensing.conftest import INTENDED_USE, make_terms

pytestmark = pytest.mark.django_db


def test_consent_generates_one_contract_with_its_sha256(consented):
    contract = Contract.objects.get()
    data = contract.document.open("rb").read()

    assert contract.status == Contract.Status.AWAITING_SIGNATURES
    assert contract.licence == consented
    assert contract.consent.terms == consented.terms
    assert contract.reference == f"{consented.reference}-C1"
    assert contract.document_sha256 == hashlib.sha256(data).hexdigest()
    assert contract.document_size == len(data)
    assert data.startswith(b"%PDF-")
    assert contract.render_attempts == 1


def test_contract_states_every_term_the_fees_the_split_and_the_duties(consented):
    contract = Contract.objects.get()
    terms = consented.terms
    text = pdf_text(contract.document.open("rb").read())

    for expected in [
        # Parties and twin, names in full (non-Latin-1 letters included).
        "Brand A (GB), the licensee",
        "Agency A (GB), acting for the Model",
        "Zoë Łukasiewicz-Okafor",
        consented.twin.display_name,
        # Every term.
        "Social media",
        "Germany (DE), France (FR)",
        f"{terms.start_date:%-d %B %Y} to {terms.end_date:%-d %B %Y} inclusive (90 days)",
        "Beauty and cosmetics",
        "Exclusive: no other brand may license the Twin",
        "At most 12 published uses",
        "No change to facial features, skin tone or age",
        "Forbidden: no image of the Twin",
        # The intended use, verbatim.
        " ".join(INTENDED_USE.split()),
        # Fees and split: 1,000 × 2 × 1 × 1.5; platform 10 %; agency 20 % of the rest.
        "Licence fee payable by the Brand €3,000.00",
        "The Model's share €2,160.00",
        "€540.00",
        "Platform fee (10 %) €300.00",
        # Payment deadlines.
        "within 14 days of the last signature",
        "within 30 days of receiving each payment",
        # The model's consent statement and the AI Act labelling duty.
        contract.consent.statement[:120],
        "article 50(4) of Regulation (EU) 2024/1689",
        "must disclose clearly and visibly that such content has been artificially generated",
        # Governing terms and the terms fingerprint.
        "Likeness Marketplace Terms",
        "laws of England and Wales",
        terms.terms_hash,
        "Brand, then Agency, then Model",
    ]:
        assert expected in text, expected


def test_running_the_task_again_yields_the_same_single_document(consented):
    before = Contract.objects.get()

    generate_contract_task.delay(licence_id=consented.pk)
    generate_contract_task.delay(licence_id=consented.pk)

    after = Contract.objects.get()
    assert (after.pk, after.document.name, after.document_sha256) == (
        before.pk,
        before.document.name,
        before.document_sha256,
    )
    assert AuditEvent.objects.filter(verb="contract.generated").count() == 1
    assert after.render_attempts == 1
    folder = Path(after.document.path).parent
    assert sorted(p.name for p in folder.iterdir()) == [f"{after.reference}.pdf"]


def test_rendering_is_reproducible_from_the_snapshot(consented):
    from marketplace.contracts import rendering

    contract = Contract.objects.get()

    assert hashlib.sha256(rendering.render_contract(contract)).hexdigest() == (
        contract.document_sha256
    )


def test_the_task_returns_quietly_for_a_missing_or_moved_on_licence(consented):
    Licence.objects.filter(pk=consented.pk).update(status=Licence.Status.WITHDRAWN)

    assert generate_contract_task.delay(licence_id=consented.pk).get() == ""
    assert generate_contract_task.delay(licence_id=999_999).get() == ""
    assert services.generate_contract(licence_id=999_999) is None


def test_parties_are_emailed_when_the_contract_is_ready(
    parties, twin, mailoutbox, django_capture_on_commit_callbacks
):
    licence = licensing.request_licence(by=parties["brand"], twin_id=twin.pk, terms=make_terms())
    licensing.approve_licence(by=parties["agency"], reference=licence.reference)
    mailoutbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        consent_to(licence, parties["talent"])

    subjects = {(m.to[0], m.subject) for m in mailoutbox}
    ready = f"{twin.display_name}: {licence.reference}: the contract is ready to sign"
    turn = f"{twin.display_name}: {licence.reference}: your signature on the contract is needed"
    assert (parties["brand"].user.email, turn) in subjects
    assert (parties["agency"].user.email, ready) in subjects
    assert (parties["talent"].user.email, ready) in subjects


# --- Long content flows across pages ------------------------------------------------------

LONG_USE = " ".join(
    f"Look {n}: studio portrait for the autumn knitwear catalogue, printed and online."
    for n in range(1, 26)
)


@pytest.fixture
def worldwide(parties, twin, django_capture_on_commit_callbacks):
    """A worldwide licence (every country) with an intended use of 2,000 characters."""
    licence = licensing.request_licence(
        by=parties["brand"],
        twin_id=twin.pk,
        terms=make_terms(territories=["WORLDWIDE"], intended_use=LONG_USE[:2000]),
    )
    licensing.approve_licence(by=parties["agency"], reference=licence.reference)
    with django_capture_on_commit_callbacks(execute=True):
        consent_to(licence, parties["talent"])
    licence.refresh_from_db()
    return licence


def _body_text(data: bytes) -> str:
    """The pages' text without the running header and footer, as one flowing text."""
    import io

    from pypdf import PdfReader

    lines = [
        line
        for page in PdfReader(io.BytesIO(data)).pages
        for line in (page.extract_text() or "").splitlines()
        if not line.startswith("likeness") and "Terms SHA-256" not in line
    ]
    return " ".join(" ".join(lines).split())


def test_a_worldwide_licence_gets_a_contract_listing_every_country(worldwide):
    import io

    from pypdf import PdfReader

    from marketplace.licensing import territories

    contract = Contract.objects.get(licence=worldwide)
    data = contract.document.open("rb").read()
    text = pdf_text(data)
    names = territories.country_names()

    assert contract.status == Contract.Status.AWAITING_SIGNATURES
    assert len(worldwide.terms.territories) == len(names) > 240
    assert len(PdfReader(io.BytesIO(data)).pages) > 1
    assert f"Worldwide: {len(names)} countries" in text
    listed = _body_text(data)
    missing = [c for c in worldwide.terms.territories if f"{names[c]} ({c})" not in listed]
    assert missing == []
    assert " ".join(LONG_USE[:2000].split()) in text
