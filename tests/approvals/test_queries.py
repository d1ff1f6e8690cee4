"""The proof pages ask the database a fixed number of times, however many proofs there are
(10 or 1,000): the list is paged and its rows come with their licence, twin and latest
version; a proof's page loads its versions and answers in one query each."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from marketplace.approvals import services
from marketplace.approvals.models import Proof, ProofDecision, ProofVersion
from tests.api.conftest import issue_key, key_client
from tests.approvals.test_services import proof_input
from tests.caching import clear_own_keys
from tests.factories import MembershipFactory

pytestmark = pytest.mark.django_db


def grow_to(total: int, template: Proof) -> None:
    """Copies of `template` (rows only: they share its stored pictures) up to `total`, each
    with two versions and an answer on the first."""
    version = template.versions.get()
    model_user = template.talent.user
    assert model_user is not None
    have = Proof.objects.count()
    proofs = Proof.objects.bulk_create(
        [
            Proof(
                reference=f"PRF-B{n:07d}",
                licence_id=template.licence_id,
                brand_id=template.brand_id,
                agency_id=template.agency_id,
                talent_id=template.talent_id,
                submitted_by_id=template.submitted_by_id,
                idempotency_key=f"bulk-{n}",
                due_at=timezone.now() + timedelta(hours=72),
            )
            for n in range(have, total)
        ]
    )
    versions = []
    for proof in proofs:
        for number in (1, 2):
            versions.append(
                ProofVersion(
                    proof=proof,
                    number=number,
                    idempotency_key=f"{proof.reference}-{number}",
                    media_type=version.media_type,
                    territory=version.territory,
                    publish_on=version.publish_on,
                    caption=version.caption,
                    image=version.image.name,
                    preview=version.preview.name,
                    sha256=version.sha256,
                    width=version.width,
                    height=version.height,
                    submitted_by_id=version.submitted_by_id,
                )
            )
    ProofVersion.objects.bulk_create(versions)
    by_proof = {v.proof_id: v for v in versions if v.number == 2}
    first = {v.proof_id: v for v in versions if v.number == 1}
    for proof in proofs:
        proof.latest = by_proof[proof.pk]
    Proof.objects.bulk_update(proofs, ["latest"])
    ProofDecision.objects.bulk_create(
        [
            ProofDecision(
                proof=proof,
                version=first[proof.pk],
                decision=ProofDecision.Decision.CHANGES_REQUESTED,
                note="Warmer light.",
                decided_by=model_user,
                image_sha256=version.sha256,
                statement="",
            )
            for proof in proofs
        ]
    )


def queries(client, url: str) -> int:
    """Queries of the page with this database's cache empty: what is cached (the header's
    counts, per-user look-ups) is then read every time, so the figure does not depend on what
    expired or was cached by an earlier request, and what must not grow with the number of
    proofs is the page's own work."""
    clear_own_keys()
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url)
    assert response.status_code == 200
    return len(captured)


@pytest.fixture
def first_proof(approval_licence, brand_manager) -> Proof:
    proof, _ = services.submit_proof(
        by=brand_manager, reference=approval_licence.reference, data=proof_input(approval_licence)
    )
    return proof


@pytest.mark.parametrize("who", ["brand", "talent"])
def test_the_list_and_a_proof_s_page_cost_the_same_for_10_and_1000_proofs(
    first_proof, brand_manager, login, who
):
    user = brand_manager.user if who == "brand" else first_proof.talent.user
    client = login(user)
    bulk_page = reverse("approvals:detail", args=["PRF-B0000005"])
    grow_to(10, first_proof)
    client.get(reverse("approvals:list"))  # per-session look-ups cached, as for every page
    few = (queries(client, reverse("approvals:list")), queries(client, bulk_page))

    grow_to(1000, first_proof)
    many = (queries(client, reverse("approvals:list")), queries(client, bulk_page))

    print(f"\n{who}: queries (list, proof page) for 10 proofs {few}, for 1,000 {many}")
    assert few == many


def test_the_api_list_costs_the_same_for_10_and_1000_proofs(first_proof, brand):
    client = key_client(issue_key(MembershipFactory(organisation=brand, role="owner")))
    grow_to(10, first_proof)
    client.get("/api/v1/proofs")  # the key's per-key look-ups cached, as after any call
    few = queries(client, "/api/v1/proofs")

    grow_to(1000, first_proof)
    many = queries(client, "/api/v1/proofs")

    print(f"\nAPI list: queries for 10 proofs {few}, for 1,000 {many}")
    assert few == many
