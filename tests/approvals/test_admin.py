"""Staff look proofs up in the admin: found by reference, licence and picture hash, with their
versions and decisions; never added, changed or deleted there."""

from __future__ import annotations

import pytest

from marketplace.approvals import services
from marketplace.approvals.models import Proof, ProofVersion
from tests.approvals.test_services import proof_input
from tests.factories import UserFactory
from tests.signin import sign_in_with_totp

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff_client(client):
    return sign_in_with_totp(client, UserFactory(is_staff=True, is_superuser=True))


@pytest.fixture
def proof(approval_licence, brand_manager) -> Proof:
    made, _ = services.submit_proof(
        by=brand_manager, reference=approval_licence.reference, data=proof_input(approval_licence)
    )
    return made


def test_proofs_are_found_by_reference_licence_and_picture_hash(staff_client, proof):
    sha = ProofVersion.objects.get(proof=proof).sha256
    for query in (proof.reference, proof.licence.reference, sha):
        page = staff_client.get("/admin/approvals/proof/", {"q": query})
        assert page.status_code == 200
        assert proof.reference in page.content.decode(), query
    assert (
        "0 proofs" in staff_client.get("/admin/approvals/proof/", {"q": "nothing"}).content.decode()
    )


def test_a_proof_shows_its_versions_and_cannot_be_added_changed_or_deleted(staff_client, proof):
    before = list(Proof.objects.values_list("pk", "status", "latest_id"))
    page = staff_client.get(f"/admin/approvals/proof/{proof.pk}/change/")
    assert page.status_code == 200
    html = page.content.decode()
    assert ProofVersion.objects.get(proof=proof).sha256 in html
    assert 'name="_save"' not in html  # nothing to save: view only

    assert staff_client.get("/admin/approvals/proof/add/").status_code == 403
    assert (
        staff_client.post(
            f"/admin/approvals/proof/{proof.pk}/change/", {"status": "approved"}
        ).status_code
        == 403
    )
    assert (
        staff_client.post(f"/admin/approvals/proof/{proof.pk}/delete/", {"post": "yes"}).status_code
        == 403
    )
    assert list(Proof.objects.values_list("pk", "status", "latest_id")) == before
