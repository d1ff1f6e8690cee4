"""Writes for proofs: the brand submits (and after a request for changes resubmits) an image
with its intended placement; the model, or her agency where her consent lets it, answers.
An approval records the use through payments' usage service, in the same transaction.

Every submission, version, decision and note is in the audit trail; an approval holds the
SHA-256 of the picture approved. The brand hears of decisions in-app, by e-mail and through
its webhooks; the model hears of each proof waiting for her."""

from __future__ import annotations

import hashlib
import logging
import secrets
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from marketplace.accounts.models import Membership
from marketplace.core import audit
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import PermissionDenied, TransitionError, ValidationFailed
from marketplace.licensing.models import Licence
from marketplace.licensing.services import RequestContext
from marketplace.licensing.usage_rules import check_cap, check_usage
from marketplace.payments import refusals
from marketplace.payments.rules import require_report_usage
from marketplace.payments.services import usage
from marketplace.talent.images import check_upload, sanitised
from marketplace.talent.models import Talent
from marketplace.webhooks import services as webhooks

from . import notifications, previews
from .models import Proof, ProofDecision, ProofVersion

logger = logging.getLogger("likeness.approvals")

MAX_CAPTION = 1000
NO_APPROVAL_TERM = (
    "This licence's terms do not ask for the model's approval of each image: report the use "
    "itself, no proof is needed."
)


@dataclass
class ProofInput:
    """An image and where it is meant to run."""

    media_type: str
    territory: str
    publish_on: date
    caption: str
    image: UploadedFile
    idempotency_key: str


@dataclass
class _Placement:
    """A proof's placement as `check_usage` reads a use."""

    used_on: date
    media_type: str
    territory: str
    asset_reference: str


def _new_reference() -> str:
    return "PRF-" + secrets.token_hex(4).upper()


def _key(raw: str) -> str:
    key = raw.strip()
    if not key or len(key) > 120:
        raise ValidationFailed(
            "An idempotency key of 1–120 characters is required.", field="idempotency_key"
        )
    return key


def _check_placement(licence: Licence, data: ProofInput) -> None:
    """Refused before the model sees it: a licence without the approval term, or a placement
    its terms do not allow (the very rules a use is checked against)."""
    if not licence.current_terms.image_approval:
        raise ValidationFailed(NO_APPROVAL_TERM, code="approval_not_required")
    if len(data.caption) > MAX_CAPTION:
        raise ValidationFailed(f"Keep the caption to {MAX_CAPTION} characters.", field="caption")
    revoked = licence.twin.consent_revoked_at
    placement = _Placement(
        used_on=data.publish_on,
        media_type=data.media_type,
        territory=data.territory,
        asset_reference=data.caption or "proof",
    )
    check_usage(licence, placement, consent_revoked_at=revoked, proof_approved=True)
    check_cap(licence)


def _picture(upload: UploadedFile) -> tuple[bytes, str, tuple[int, int], str]:
    """The upload decoded and re-encoded without metadata: (bytes, ext, size, SHA-256)."""
    check_upload(upload)
    clean, ext, size = sanitised(upload.read())
    return clean, ext, size, hashlib.sha256(clean).hexdigest()


def _same_placement(version: ProofVersion, data: ProofInput) -> bool:
    return (
        version.media_type == data.media_type
        and version.territory == data.territory.upper()
        and version.publish_on == data.publish_on
        and version.caption == data.caption.strip()
    )


def _add_version(
    proof: Proof, *, number: int, data: ProofInput, key: str, user: Any
) -> ProofVersion:
    clean, ext, (width, height), digest = _picture(data.image)
    version = ProofVersion(
        proof=proof,
        number=number,
        idempotency_key=key,
        media_type=data.media_type,
        territory=data.territory.upper(),
        publish_on=data.publish_on,
        caption=data.caption.strip(),
        sha256=digest,
        width=width,
        height=height,
        submitted_by=user,
    )
    version.image.save(f"proof.{ext}", ContentFile(clean), save=False)
    version.preview.save("preview.jpg", ContentFile(previews.watermarked(clean)), save=False)
    version.save()
    return version


def _version_audit(version: ProofVersion) -> dict[str, Any]:
    return {
        "version": version.number,
        "sha256": version.sha256,
        "media_type": version.media_type,
        "territory": version.territory,
        "publish_on": version.publish_on.isoformat(),
        "caption": version.caption,
    }


def _brand_licence(by: Membership, reference: str) -> Licence:
    return (
        Licence.objects.for_brand(by.organisation)
        .select_related("terms", "twin", "talent")
        .select_for_update(of=("self",))
        .get(reference=reference)
    )


def submit_proof(*, by: Membership, reference: str, data: ProofInput) -> tuple[Proof, bool]:
    """The brand shows the model an image and its placement. Idempotent per brand key: the
    same key again returns the first proof (created False).

    Raises ValidationFailed (no approval term, outside the terms, not a picture, a key used
    for another proof), PermissionDenied, Licence.DoesNotExist."""
    require_report_usage(by)
    key = _key(data.idempotency_key)
    earlier = _earlier_proof(by, key)
    if earlier is None:
        try:
            return _submit(by=by, reference=reference, data=data, key=key), True
        except IntegrityError:
            # A concurrent submission took the key first: answered as its replay.
            earlier = _earlier_proof(by, key)
            if earlier is None:
                raise
    first = earlier.versions.order_by("number").first()
    if earlier.licence.reference != reference or first is None or not _same_placement(first, data):
        raise ValidationFailed(
            "This idempotency key was used for a different proof.",
            code="idempotency_conflict",
            field="idempotency_key",
        )
    return earlier, False


def _earlier_proof(by: Membership, key: str) -> Proof | None:
    return (
        Proof.objects.for_brand(by.organisation)
        .select_related("licence", "latest")
        .filter(idempotency_key=key)
        .first()
    )


@transaction.atomic
def _submit(*, by: Membership, reference: str, data: ProofInput, key: str) -> Proof:
    licence = _brand_licence(by, reference)
    _check_placement(licence, data)
    terms = licence.current_terms
    proof = Proof.objects.create(
        reference=_new_reference(),
        licence=licence,
        brand=by.organisation,
        agency_id=licence.agency_id,
        talent_id=licence.talent_id,
        submitted_by=by.user,
        idempotency_key=key,
        due_at=timezone.now() + timedelta(hours=terms.approval_hours),
    )
    version = _add_version(proof, number=1, data=data, key=key, user=by.user)
    proof.latest = version
    proof.save(update_fields=["latest", "updated_at"])
    audit.record(
        proof,
        "proof.submitted",
        actor=by.user,
        organisation=by.organisation,
        data={"licence": licence.reference, **_version_audit(version)},
    )
    notifications.proof_waiting(proof, licence)
    logger.info("proof.submitted", extra={"proof": proof.pk, "licence": licence.pk})
    return proof


def _brand_proof(by: Membership, proof_reference: str) -> Proof:
    return (
        Proof.objects.for_brand(by.organisation)
        .select_for_update(of=("self",))
        .select_related("licence", "licence__terms", "licence__twin", "latest")
        .get(reference=proof_reference)
    )


def resubmit_proof(*, by: Membership, proof_reference: str, data: ProofInput) -> tuple[Proof, bool]:
    """After the model asked for changes (or did not answer in time), the brand submits a new
    version; the answer time starts again. Idempotent per key within the proof.

    Raises ValidationFailed, TransitionError, PermissionDenied, Proof.DoesNotExist."""
    require_report_usage(by)
    key = _key(data.idempotency_key)
    with transaction.atomic():
        proof = _brand_proof(by, proof_reference)
        earlier = proof.versions.filter(idempotency_key=key).first()
        if earlier is not None:
            if not _same_placement(earlier, data):
                raise ValidationFailed(
                    "This idempotency key was used for a different version.",
                    code="idempotency_conflict",
                    field="idempotency_key",
                )
            return proof, False
        if proof.status not in (Proof.Status.CHANGES_REQUESTED, Proof.Status.LAPSED):
            raise TransitionError(
                f"The proof is {proof.get_status_display().lower()}; a new version is "
                "accepted only after the model asks for changes or did not answer in time."
            )
        licence = proof.licence
        _check_placement(licence, data)
        assert proof.latest is not None
        version = _add_version(
            proof, number=proof.latest.number + 1, data=data, key=key, user=by.user
        )
        proof.latest = version
        proof.status = Proof.Status.PENDING
        proof.due_at = timezone.now() + timedelta(hours=licence.current_terms.approval_hours)
        proof.decided_at = None
        proof.save(update_fields=["latest", "status", "due_at", "decided_at", "updated_at"])
        audit.record(
            proof,
            "proof.resubmitted",
            actor=by.user,
            organisation=by.organisation,
            data=_version_audit(version),
        )
        notifications.proof_waiting(proof, licence)
    return proof, True


# --- The model's answer ---------------------------------------------------------------------

NOTE_NEEDED = "Say what is wrong, so the brand knows what to change."


@dataclass(frozen=True)
class Answerer:
    """Who answers a proof: the model herself, or a member of her agency."""

    user: Any
    talent: Talent | None = None
    member: Membership | None = None


def approval_statement(proof: Proof, version: ProofVersion, *, on_behalf: bool) -> str:
    """The words of an approval, kept with it: the picture by its hash, the placement."""
    who = (
        f"{proof.licence.agency.name}, for {proof.licence.talent.full_name}, approves"
        if on_behalf
        else f"I, {proof.licence.talent.full_name}, approve"
    )
    return (
        f"{who} the use by {proof.licence.brand.name} of the image with SHA-256 "
        f"{version.sha256} (proof {proof.reference}, version {version.number}) for "
        f"{version.get_media_type_display()} in {version.territory} on "
        f"{version.publish_on:%d %B %Y} under licence {proof.licence.reference}."
        + (f' Caption: "{version.caption}".' if version.caption else "")
    )


def _answerable(answerer: Answerer, proof_reference: str) -> tuple[Proof, bool]:
    """The proof, locked, for the model or a member of her agency allowed to answer.
    Raises Proof.DoesNotExist (nobody's business), PermissionDenied (the agency without the
    consent's leave)."""
    proofs = Proof.objects.select_for_update(of=("self",)).select_related(
        "licence",
        "licence__terms",
        "licence__twin",
        "licence__talent",
        "licence__brand",
        "licence__agency",
        "latest",
    )
    if answerer.talent is not None:
        return proofs.for_talent(answerer.talent).get(reference=proof_reference), False
    member = answerer.member
    if member is None or not member.organisation.is_agency:
        raise Proof.DoesNotExist
    proof = proofs.for_agency(member.organisation).get(reference=proof_reference)
    if not proof.licence.current_terms.agency_may_answer:
        raise PermissionDenied(
            "The model's consent does not let the agency answer for her: only she can."
        )
    if not member.can_manage:
        raise PermissionDenied("Only the agency's owners and bookers answer for the model.")
    return proof, True


def decide_proof(
    *,
    user: Any,
    proof_reference: str,
    version: int,
    decision: str,
    note: str = "",
    talent: Talent | None = None,
    member: Membership | None = None,
    context: RequestContext | None = None,
) -> Proof:
    """The model (or her agency, where her consent allows it) approves, rejects with a note or
    asks for changes with a note, on the version she was shown. An approval records the use.

    When the licence refuses that use (its cap reached since the proof was sent, say), nothing
    is decided, the proof still waits, and the refused use is kept like every refused use.
    Raises Proof.DoesNotExist, PermissionDenied, TransitionError, ValidationFailed."""
    try:
        return _decide_proof(
            user=user,
            proof_reference=proof_reference,
            version=version,
            decision=decision,
            note=note,
            talent=talent,
            member=member,
            context=context,
        )
    except refusals.UseRefused as refusal:
        refusals.record(refused=[refusal])  # after the decision rolled back
        raise


@transaction.atomic
def _decide_proof(
    *,
    user: Any,
    proof_reference: str,
    version: int,
    decision: str,
    note: str,
    talent: Talent | None,
    member: Membership | None,
    context: RequestContext | None,
) -> Proof:
    proof, on_behalf = _answerable(
        Answerer(user=user, talent=talent, member=member), proof_reference
    )
    if talent is not None and talent.user_id != getattr(user, "pk", None):
        raise PermissionDenied("Only the model answers for herself.")
    if decision not in ProofDecision.Decision.values:
        raise ValidationFailed("Approve, reject or ask for changes.", field="decision")
    latest = proof.latest
    assert latest is not None
    if version != latest.number:
        raise ValidationFailed(
            "A newer version of this proof was submitted; look at it before answering.",
            code="stale_version",
        )
    licence = proof.licence
    if licence.status != Licence.Status.ACTIVE or licence.twin.consent_revoked_at:
        state = (
            "consent was revoked"
            if licence.twin.consent_revoked_at
            else f"the licence is {licence.get_status_display().lower()}"
        )
        raise TransitionError(f"This proof can no longer be answered: {state}.")
    if proof.status != Proof.Status.PENDING:
        raise TransitionError(f"This proof is {proof.get_status_display().lower()} already.")
    now = timezone.now()
    if proof.due_at <= now:
        raise TransitionError(
            "The answer time ran out; the proof is not approved. The brand may submit it again."
        )
    note = note.strip()
    if decision != ProofDecision.Decision.APPROVED and not note:
        raise ValidationFailed(NOTE_NEEDED, field="note")
    ctx = context or RequestContext()
    record = ProofDecision.objects.create(
        proof=proof,
        version=latest,
        decision=decision,
        note=note[:4000],
        decided_by=user,
        on_behalf_of=licence.agency if on_behalf else None,
        image_sha256=latest.sha256,
        statement=approval_statement(proof, latest, on_behalf=on_behalf)
        if decision == ProofDecision.Decision.APPROVED
        else "",
        ip_address=ctx.ip_address,
        user_agent=ctx.user_agent[:400],
    )
    fields = ["status", "decided_at", "updated_at"]
    proof.status = decision
    proof.decided_at = now
    if decision == ProofDecision.Decision.APPROVED:
        proof.use = _record_use(proof, latest)
        fields.append("use")
    proof.save(update_fields=fields)
    audit.record(
        proof,
        f"proof.{decision}",
        actor=user,
        organisation=licence.agency if on_behalf else None,
        data={
            "version": latest.number,
            "sha256": latest.sha256,
            "note": record.note,
            "on_behalf": on_behalf,
            "decision_id": record.pk,
            **({"use_id": proof.use_id} if proof.use_id else {}),
        },
    )
    _announce(proof, record)
    notifications.proof_decided(proof, record)
    return proof


def _record_use(proof: Proof, version: ProofVersion) -> Any:
    """The approved picture becomes the use: counted, billed and paid as every use."""
    with version.image.open("rb") as handle:
        picture = handle.read()
    ext = version.image.name.rsplit(".", 1)[-1]
    return usage.record_approved_use(
        licence_id=proof.licence_id,
        brand=proof.licence.brand,
        reported_by=proof.submitted_by,
        data=usage.UsageInput(
            used_on=version.publish_on,
            media_type=version.media_type,
            territory=version.territory,
            asset_reference=f"{proof.reference} v{version.number}"
            + (f": {version.caption}" if version.caption else ""),
            idempotency_key=f"approved-proof:{proof.reference}",
        ),
        picture=picture,
        ext=ext,
    )


def proof_payload(proof: Proof) -> dict[str, Any]:
    """What the brand is told of its own proof."""
    latest = proof.latest
    return {
        "reference": proof.reference,
        "licence": proof.licence.reference,
        "status": proof.status,
        "version": latest.number if latest else None,
        "sha256": latest.sha256 if latest else None,
        "due_at": proof.due_at.isoformat(),
        "use_id": proof.use_id,
        "url": reverse("api:proof-detail", args=[proof.reference]),
    }


def _announce(proof: Proof, record: ProofDecision) -> None:
    webhooks.announce_brand_event(
        brand_id=proof.brand_id,
        event_type=f"proof.{record.decision}",
        identifier="evt_" + hashlib.sha256(f"proof-decision:{record.pk}".encode()).hexdigest()[:32],
        reference=proof.licence.reference,
        data={"proof": proof_payload(proof), "note": record.note},
    )


# --- Silence --------------------------------------------------------------------------------


@system_entry_point
def lapse_overdue_proofs(*, now: Any = None) -> int:
    """Periodic: proofs whose answer time ran out are marked so (never approved), and the
    brand told. Idempotent. Returns how many."""
    now = now or timezone.now()
    count = 0
    overdue = list(
        Proof.objects.filter(status=Proof.Status.PENDING, due_at__lte=now).values_list(
            "pk", flat=True
        )[:500]
    )
    for proof_id in overdue:
        with transaction.atomic():
            proof = (
                Proof.objects.select_for_update(of=("self",))
                .select_related("licence", "licence__brand", "licence__twin", "latest")
                .filter(pk=proof_id, status=Proof.Status.PENDING, due_at__lte=now)
                .first()
            )
            if proof is None:
                continue
            proof.status = Proof.Status.LAPSED
            proof.save(update_fields=["status", "updated_at"])
            audit.record(
                proof,
                "proof.lapsed",
                data={
                    "due_at": proof.due_at.isoformat(),
                    "version": proof.latest.number if proof.latest else None,
                },
            )
            webhooks.announce_brand_event(
                brand_id=proof.brand_id,
                event_type="proof.lapsed",
                identifier="evt_"
                + hashlib.sha256(
                    f"proof-lapsed:{proof.pk}:{proof.due_at.isoformat()}".encode()
                ).hexdigest()[:32],
                reference=proof.licence.reference,
                data={"proof": proof_payload(proof), "note": ""},
            )
            notifications.proof_lapsed(proof)
            count += 1
    return count
