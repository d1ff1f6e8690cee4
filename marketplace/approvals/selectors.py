"""Reads of proofs, scoped to who is looking: the brand that submitted them, the model they
show, her agency. Anyone else finds nothing, exactly as for a missing proof."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Prefetch, QuerySet
from django.utils import timezone

from marketplace.core.audit import events_for
from marketplace.core.models import AuditEvent
from marketplace.licensing.models import Licence
from marketplace.provenance.models import CredentialedImage
from marketplace.talent.models import Talent

from .models import Proof, ProofDecision, ProofVersion

PAGE_SIZE = 50


def proofs_visible_to(viewer: Any) -> QuerySet[Proof]:
    if not viewer.is_authenticated:
        return Proof.objects.none()
    return Proof.objects.visible_to(viewer)


def proof_list(viewer: Any, *, status: str = "", licence: str = "") -> QuerySet[Proof]:
    """The viewer's proofs, newest first, with what a row shows: a fixed number of queries
    however many there are."""
    proofs = (
        proofs_visible_to(viewer)
        .select_related("licence", "licence__twin", "latest", "brand")
        .order_by("-created_at", "-id")
    )
    if status in Proof.Status.values:
        proofs = proofs.filter(status=status)
    if licence:
        proofs = proofs.filter(licence__reference=licence)
    return proofs


@dataclass(frozen=True)
class AwaitingProofs:
    """The proofs waiting for the model's answer, soonest due first: the first `limit`, and
    whether there are more."""

    proofs: list[Proof]
    more: bool
    now: datetime


def proofs_awaiting_model(talent: Talent, *, limit: int = 10) -> AwaitingProofs:
    """The model's own proofs she may still answer (pending, not yet due), in one query
    however many there are."""
    now = timezone.now()
    rows = list(
        Proof.objects.for_talent(talent)
        .filter(status=Proof.Status.PENDING, due_at__gt=now)
        .select_related("brand", "licence", "licence__twin", "latest")
        .order_by("due_at", "id")[: limit + 1]
    )
    return AwaitingProofs(proofs=rows[:limit], more=len(rows) > limit, now=now)


def with_decisions(proofs: QuerySet[Proof]) -> QuerySet[Proof]:
    """The proofs with their answers (one more query for the lot)."""
    return proofs.prefetch_related(
        Prefetch(
            "decisions",
            queryset=ProofDecision.objects.select_related("version").order_by("created_at", "id"),
        )
    )


def may_answer(viewer: Any, proof: Proof) -> bool:
    """Whether the viewer may approve, reject or ask for changes (the service decides again)."""
    if viewer.is_talent and viewer.membership is None:
        return proof.talent_id == viewer.talent.pk
    if viewer.is_agency and viewer.can_manage:
        return (
            proof.agency_id == viewer.organisation.pk
            and proof.licence.current_terms.agency_may_answer
        )
    return False


def sees_full_picture(viewer: Any, proof: Proof) -> bool:
    """The model sees the picture itself; so does her agency when it may answer for her. The
    brand sees only the watermarked preview until approval (then its credentialed copy)."""
    return may_answer(viewer, proof) or (viewer.is_talent and proof.talent_id == viewer.talent.pk)


@dataclass(frozen=True)
class ProofPage:
    proof: Proof
    latest: ProofVersion
    previous: ProofVersion | None
    versions: list[ProofVersion]
    decisions: list[ProofDecision]
    credentialed: list[CredentialedImage]
    history: list[AuditEvent]
    may_answer: bool
    full_picture: bool
    now: datetime

    @property
    def seconds_left(self) -> int:
        return max(0, int((self.proof.due_at - self.now).total_seconds()))

    @property
    def overdue(self) -> bool:
        return self.proof.overdue(self.now)


def proof_page(viewer: Any, reference: str) -> ProofPage:
    """One proof with its versions, decisions, credentialed copy and audit trail, in a fixed
    number of queries. Raises Proof.DoesNotExist for anyone not party to it."""
    decisions: QuerySet[ProofDecision] = ProofDecision.objects.select_related(
        "decided_by", "on_behalf_of", "version"
    ).order_by("created_at", "id")
    proof = (
        proofs_visible_to(viewer)
        .select_related(
            "licence",
            "licence__terms",
            "licence__twin",
            "licence__brand",
            "licence__agency",
            "licence__talent",
            "latest",
            "use",
        )
        .prefetch_related(
            Prefetch("versions", queryset=ProofVersion.objects.order_by("number")),
            Prefetch("decisions", queryset=decisions),
        )
        .get(reference=reference)
    )
    versions = list(proof.versions.all())
    latest = proof.latest or versions[-1]
    previous = versions[-2] if len(versions) > 1 else None
    credentialed: list[CredentialedImage] = []
    if proof.use_id is not None:
        credentialed = list(CredentialedImage.objects.filter(use_id=proof.use_id).order_by("-id"))
    return ProofPage(
        proof=proof,
        latest=latest,
        previous=previous,
        versions=versions,
        decisions=list(proof.decisions.all()),
        credentialed=credentialed,
        history=list(events_for(proof)),
        may_answer=may_answer(viewer, proof),
        full_picture=sees_full_picture(viewer, proof),
        now=timezone.now(),
    )


def proof_picture(viewer: Any, reference: str, number: int, kind: str) -> str:
    """The stored name of a version's picture ("image") or preview ("preview"), if the
    viewer may see it. Raises ProofVersion.DoesNotExist otherwise."""
    version = (
        ProofVersion.objects.filter(
            proof__in=proofs_visible_to(viewer).values("pk"),
            proof__reference=reference,
            number=number,
        )
        .select_related("proof", "proof__licence__terms")
        .get()
    )
    if kind == "preview":
        return version.preview.name
    if kind == "image" and sees_full_picture(viewer, version.proof):
        return version.image.name
    raise ProofVersion.DoesNotExist


def licence_for_proofs(viewer: Any, reference: str) -> Licence:
    """The brand's licence to submit proofs under. Raises Licence.DoesNotExist."""
    if not viewer.is_brand:
        raise Licence.DoesNotExist
    return (
        Licence.objects.visible_to(viewer).select_related("terms", "twin").get(reference=reference)
    )
