from __future__ import annotations

from pathlib import Path

import pytest

from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from tests import flows
from tests.factories import MembershipFactory
from tests.licensing.conftest import make_terms

CTX = licensing.RequestContext(ip_address="203.0.113.9", user_agent="pytest-browser/1.0")


@pytest.fixture(autouse=True)
def _seal_key_dir(settings, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One platform seal per test session, never the developer's own var/keys."""
    folder = tmp_path_factory.getbasetemp() / "seal-keys"
    settings.SIGNING_KEY_DIR = folder
    return folder


@pytest.fixture(autouse=True)
def _categories(request):
    """The categories the twins offer. A transactional test (worker tests here and elsewhere)
    flushes the rows the migrations wrote, so they are put back when missing."""
    if "django_db" not in {m.name for m in request.node.iter_markers()}:
        return
    request.getfixturevalue("db")
    from marketplace.talent.models import Category

    for slug, name in {"fast-fashion": "Fast fashion", "beauty": "Beauty and cosmetics"}.items():
        Category.objects.update_or_create(slug=slug, defaults={"name": name})


@pytest.fixture
def parties(twin, brand_manager, agency_manager):
    """The three signatories, with real names to type."""
    brand_manager.user.full_name = "Bea Brandt"
    brand_manager.user.save()
    agency_manager.user.full_name = "Aki Agent"
    agency_manager.user.save()
    twin.talent.full_name = "Zoë Łukasiewicz-Okafor"
    twin.talent.save()
    return {"brand": brand_manager, "agency": agency_manager, "talent": twin.talent}


def consent_to(licence: Licence, talent) -> None:
    flows.consent_to(licence, talent, context=CTX)


@pytest.fixture
def consented(parties, twin, django_capture_on_commit_callbacks):
    """A licence the agency approved and the model consented to; the contract task ran."""
    licence = licensing.request_licence(
        by=parties["brand"],
        twin_id=twin.pk,
        terms=make_terms(exclusive=True, max_uses=12, alteration_limits=["no_face_change"]),
    )
    licensing.approve_licence(by=parties["agency"], reference=licence.reference)
    with django_capture_on_commit_callbacks(execute=True):
        consent_to(licence, parties["talent"])
    licence.refresh_from_db()
    return licence


def other_party(role: str, organisation):
    return MembershipFactory(organisation=organisation, role=role)


def pdf_text(data: bytes) -> str:
    """The PDF's text with whitespace collapsed, as a reader would search it."""
    import io

    from pypdf import PdfReader

    text = " ".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(data)).pages)
    return " ".join(text.split())


def sign_as(contract, who, *, typed_name=None, sha=None):
    """Sign through the service as `who` (a Membership, or the Talent)."""
    from marketplace.contracts import services

    if hasattr(who, "organisation"):
        user, membership, name = who.user, who, who.user.full_name
    else:
        user, membership, name = who.user, None, who.full_name
    return services.sign_contract(
        contract_id=contract.pk,
        user=user,
        membership=membership,
        typed_name=typed_name if typed_name is not None else name,
        document_sha256=sha if sha is not None else contract.document_sha256,
        context=CTX,
    )
