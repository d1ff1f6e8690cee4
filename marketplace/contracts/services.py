"""Contract writes: generate once per consent, sign in order on the exact bytes, decline,
seal. Lock order: contract, then (through the licensing services) twin, then licence."""

from __future__ import annotations

import hashlib
import logging
import os
import time
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from marketplace.accounts.models import Membership, User
from marketplace.core import audit, notify
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import PermissionDenied, TransitionError, ValidationFailed
from marketplace.licensing import events, notifications
from marketplace.licensing import services as licensing
from marketplace.licensing.events import LicenceEvent
from marketplace.licensing.models import Licence
from marketplace.licensing.services import RequestContext

from . import rendering, sealing
from .models import SIGNING_ORDER, Contract, Party, Signature, next_signer

logger = logging.getLogger("likeness.contracts")
S = Contract.Status


class DocumentTampered(ValidationFailed):
    """The stored bytes no longer hash to the fingerprint recorded when they were made."""

    code = "document_tampered"


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def stored_document(contract: Contract) -> bytes:
    """The stored contract PDF, checked against its recorded SHA-256. Raises DocumentTampered."""
    try:
        with contract.document.open("rb") as handle:
            data = handle.read()
    except (OSError, ValueError) as exc:
        raise DocumentTampered(
            "The stored contract cannot be read; signing is suspended until staff restore it."
        ) from exc
    if sha256(data) != contract.document_sha256:
        raise DocumentTampered(
            "The stored contract no longer matches its fingerprint; signing is suspended and "
            "platform staff are alerted."
        )
    return data


def _report_tampering(contract_id: int, *, actor: Any = None, where: str) -> None:
    """Recorded in its own transaction: the refused action's transaction rolls back."""
    with transaction.atomic():
        contract = Contract.objects.get(pk=contract_id)
        audit.record(contract, "contract.tampering_detected", actor=actor, data={"where": where})
    logger.error("contract.tampering_detected", extra={"contract": contract_id, "where": where})


def _signed_roles(contract: Contract) -> list[str]:
    return list(contract.signatures.values_list("role", flat=True))


def next_role(contract: Contract, signed: list[str] | None = None) -> str | None:
    """Whose turn it is: brand, then agency, then the model; None when all have signed."""
    return next_signer(_signed_roles(contract) if signed is None else signed)


def party_role(licence: Licence, *, user: Any, membership: Membership | None) -> str | None:
    """The role in which this person may sign for the licence, or None.

    Brand and agency sign through an owner or manager membership; the model as themselves."""
    if membership is not None and membership.can_manage:
        if membership.organisation_id == licence.brand_id:
            return Party.BRAND
        if membership.organisation_id == licence.agency_id:
            return Party.AGENCY
    if user is not None and user.pk and licence.talent.user_id == user.pk:
        return Party.TALENT
    return None


def expected_name(licence: Licence, role: str, user: Any) -> str:
    if role == Party.TALENT:
        return licence.talent.full_name
    return user.full_name or user.get_full_name()


# --- Generation ---------------------------------------------------------------------------


def _open_contract(licence_id: int) -> Contract | None:
    """The contract row for the licence's current consent, created if missing; None when the
    licence is gone or no longer waiting for a contract."""
    with transaction.atomic():
        licence = (
            Licence.objects.select_related("terms", "talent", "twin", "brand", "agency")
            .filter(pk=licence_id)
            .first()
        )
        if licence is None or licence.status != Licence.Status.CONSENTED:
            return None
        consent = licensing.valid_consent(licence)
        if consent is None:
            return None
        number = Contract.objects.filter(licence=licence).count() + 1
        contract, created = Contract.objects.get_or_create(
            consent=consent,
            defaults={
                "licence": licence,
                "terms": licence.current_terms,
                "reference": f"{licence.reference}-C{number}",
            },
        )
        if created:
            audit.record(contract, "contract.generating", data={"licence": licence.reference})
        if contract.status == S.GENERATING:
            # Counts deliveries that got as far as rendering (a killed render shows as 2).
            Contract.objects.filter(pk=contract.pk).update(render_attempts=F("render_attempts") + 1)
    return contract


class RenderFailed(Exception):
    """The contract's PDF could not be rendered (not a transient fault of the database)."""

    def __init__(self, contract_id: int, message: str) -> None:
        super().__init__(message)
        self.contract_id = contract_id


@system_entry_point
def generate_contract(*, licence_id: int) -> Contract | None:
    """Render the contract for the licence's consented terms and store it with its SHA-256.

    Idempotent: one contract per consent (a unique constraint), rendered outside any lock and
    stored once under the contract's row lock, so a second delivery, a concurrent one or one
    after a killed worker leaves exactly one document. Emails the parties when it is ready."""
    contract = _open_contract(licence_id)
    if contract is None or contract.status != S.GENERATING:
        return contract
    delay = float(getattr(settings, "CONTRACT_RENDER_DELAY_SECONDS", 0) or 0)
    if delay:
        time.sleep(delay)  # test hook: a slow render a worker can be killed in
    contract = Contract.objects.select_related(
        "licence__brand",
        "licence__agency",
        "licence__talent",
        "licence__twin",
        "terms",
        "terms__category",
        "consent",
    ).get(pk=contract.pk)
    try:
        pdf = rendering.render_contract(contract)
    except Exception as exc:  # any fault of the renderer: retried, then shown as failed
        logger.exception("contract.render_failed", extra={"contract": contract.reference})
        raise RenderFailed(contract.pk, f"{exc.__class__.__name__}: {exc}") from exc
    return _store_document(contract.pk, pdf)


@transaction.atomic
def _store_document(contract_id: int, pdf: bytes) -> Contract:
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("licence__brand", "licence__agency", "licence__talent", "licence__twin")
        .get(pk=contract_id)
    )
    if contract.status != S.GENERATING:
        return contract  # another delivery stored it first
    contract.document.save(f"{contract.reference}.pdf", ContentFile(pdf), save=False)
    contract.document_sha256 = sha256(pdf)
    contract.document_size = len(pdf)
    contract.generated_at = timezone.now()
    contract.status = S.AWAITING_SIGNATURES
    contract.save()
    audit.record(
        contract,
        "contract.generated",
        data={"sha256": contract.document_sha256, "bytes": len(pdf), "pid": os.getpid()},
    )
    licence = contract.licence
    audit.record(licence, "licence.contract_ready", data={"contract": contract.reference})
    notifications.tell(licence, "contract_ready", agency=True, talent=True)
    notifications.tell(licence, "contract_sign_turn", brand=True)
    logger.info("contract.generated", extra={"contract": contract.reference})
    return contract


@system_entry_point
@transaction.atomic
def mark_generation_failed(*, contract_id: int, error: str) -> Contract | None:
    """After the worker's last retry: the contract shows as failed to the parties, with a
    retry, and staff are emailed the error. Idempotent: only a contract still generating."""
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .select_related("licence")
        .filter(pk=contract_id)
        .first()
    )
    if contract is None or contract.status != S.GENERATING:
        return contract
    contract.status = S.FAILED
    contract.generation_error = error[:2000]
    contract.failed_at = timezone.now()
    contract.save(update_fields=["status", "generation_error", "failed_at", "updated_at"])
    audit.record(
        contract,
        "contract.generation_failed",
        data={"error": contract.generation_error, "attempts": contract.render_attempts},
    )
    staff = User.objects.filter(is_staff=True, is_active=True).values_list("email", flat=True)
    for address in sorted(set(staff)):
        notify.email(
            to=[address],
            subject=f"Contract {contract.reference} could not be generated",
            template="contracts/email/generation_failed.txt",
            context={"contract": contract, "licence": contract.licence},
        )
    logger.error(
        "contract.generation_failed",
        extra={"contract": contract.reference, "attempts": contract.render_attempts},
    )
    return contract


def may_retry_generation(licence: Licence, viewer: Any) -> bool:
    """Platform staff, and the owners and managers of the licence's brand and agency."""
    user = viewer.user
    if user is not None and user.is_authenticated and user.is_staff:
        return True
    membership = viewer.membership
    return (
        membership is not None
        and membership.can_manage
        and membership.organisation_id in (licence.brand_id, licence.agency_id)
    )


@transaction.atomic
def retry_contract_generation(*, licence_id: int, by: Any) -> Contract:
    """Render a failed contract again (a worker does, after commit). `by` is the Viewer.

    Raises Licence.DoesNotExist for a licence the viewer cannot see (another tenant's),
    PermissionDenied, TransitionError when the contract has not failed."""
    user = by.user
    if user is not None and user.is_authenticated and user.is_staff:
        licence = Licence.objects.get(pk=licence_id)
    else:
        licence = Licence.objects.visible_to(by).get(pk=licence_id)
    if not may_retry_generation(licence, by):
        raise PermissionDenied(
            "Only the brand's and agency's owners or managers can retry the contract."
        )
    contract = (
        Contract.objects.select_for_update(of=("self",))
        .filter(licence=licence, status=S.FAILED)
        .first()
    )
    if contract is None or licence.status != Licence.Status.CONSENTED:
        raise TransitionError("Only a contract that could not be generated can be retried.")
    contract.status = S.GENERATING
    contract.generation_error = ""
    contract.failed_at = None
    contract.save(update_fields=["status", "generation_error", "failed_at", "updated_at"])
    audit.record(
        contract,
        "contract.generation_retried",
        actor=user,
        organisation=by.membership.organisation if by.membership else None,
    )
    licence_pk = licence.pk
    transaction.on_commit(lambda: _enqueue_generation(licence_pk))
    return contract


def _enqueue_generation(licence_id: int) -> None:
    from .tasks import generate_contract_task

    generate_contract_task.delay(licence_id=licence_id)


@system_entry_point
def on_licence_consented(event: LicenceEvent) -> None:
    """Subscriber to licensing's "consented" event: a worker generates the contract once the
    consent commits."""
    events.after_commit(lambda: _enqueue_generation(event.licence_id))


# --- Signing ------------------------------------------------------------------------------


def sign_contract(
    *,
    contract_id: int,
    user: Any,
    membership: Membership | None,
    typed_name: str,
    document_sha256: str,
    context: RequestContext,
) -> Signature:
    """Sign the contract as the party whose turn it is, on the exact bytes the signer saw.

    The stored file is hashed again on every signature. The last signature starts sealing
    after commit. Raises PermissionDenied, TransitionError, ValidationFailed,
    DocumentTampered."""
    try:
        with transaction.atomic():
            return _sign(
                contract_id=contract_id,
                user=user,
                membership=membership,
                typed_name=typed_name,
                document_sha256=document_sha256,
                context=context,
            )
    except DocumentTampered:
        _report_tampering(contract_id, actor=user, where="signing")
        raise


def _locked_contract(contract_id: int) -> Contract:
    return (
        Contract.objects.select_for_update(of=("self",))
        .select_related("licence", "licence__talent", "licence__brand", "licence__agency")
        .get(pk=contract_id)
    )


def _require_signable(contract: Contract) -> None:
    if contract.status != S.AWAITING_SIGNATURES:
        raise TransitionError(
            f"This contract is {contract.get_status_display().lower()}; it cannot be signed."
        )
    if contract.licence.status != Licence.Status.CONSENTED:
        raise TransitionError(
            f"The licence is {contract.licence.get_status_display().lower()}; "
            "its contract can no longer be signed."
        )


def _sign(
    *,
    contract_id: int,
    user: Any,
    membership: Membership | None,
    typed_name: str,
    document_sha256: str,
    context: RequestContext,
) -> Signature:
    contract = _locked_contract(contract_id)
    licence = contract.licence
    role = party_role(licence, user=user, membership=membership)
    if role is None:
        raise PermissionDenied(
            "Only the brand's and agency's owners or managers and the model sign."
        )
    _require_signable(contract)
    signed = _signed_roles(contract)
    if role in signed:
        raise TransitionError(f"The {Party(role).label.lower()} has already signed.")
    turn = next_role(contract, signed)
    if turn != role:
        raise TransitionError(
            f"The {Party(turn).label.lower() if turn else 'last party'} signs first: the order is "
            "brand, agency, then the model."
        )
    stored_document(contract)
    if document_sha256.strip().lower() != contract.document_sha256:
        raise ValidationFailed(
            "The document changed since you opened it. Review it again before signing.",
            code="document_changed",
        )
    name = expected_name(licence, role, user)
    if not licensing.same_name(typed_name, name):
        raise ValidationFailed(
            f"Type your full name exactly as '{name}' to sign.", field="typed_name"
        )
    signature = Signature.objects.create(
        contract=contract,
        role=role,
        user=user,
        organisation=membership.organisation if role != Party.TALENT and membership else None,
        typed_name=" ".join(typed_name.split()),
        document_sha256=contract.document_sha256,
        ip_address=context.ip_address,
        user_agent=context.user_agent[:400],
    )
    signed.append(role)
    audit.record(
        contract,
        "contract.signed",
        actor=user,
        data={"role": role, "sha256": contract.document_sha256, "signed": len(signed)},
    )
    audit.record(licence, "licence.contract_signed", actor=user, data={"role": role})
    licensing.mark_signing_started(licence_id=licence.pk)
    after = next_role(contract, signed)
    if after is None:
        contract.status = S.SEALING
        contract.save(update_fields=["status", "updated_at"])
        contract_pk = contract.pk
        transaction.on_commit(lambda: _enqueue_seal(contract_pk))
    else:
        notifications.tell(
            licence,
            "contract_sign_turn",
            brand=after == Party.BRAND,
            agency=after == Party.AGENCY,
            talent=after == Party.TALENT,
        )
    return signature


def _enqueue_seal(contract_id: int) -> None:
    from .tasks import seal_contract_task

    seal_contract_task.delay(contract_id=contract_id)


@transaction.atomic
def decline_contract(
    *,
    contract_id: int,
    user: Any,
    membership: Membership | None,
    reason: str,
    context: RequestContext,
) -> Contract:
    """A party refuses to sign: the contract is void and the licence goes back to the agency,
    with the reason. Raises PermissionDenied, TransitionError, ValidationFailed."""
    if not reason.strip():
        raise ValidationFailed("Say why you decline, so the others can respond.", field="reason")
    contract = _locked_contract(contract_id)
    role = party_role(contract.licence, user=user, membership=membership)
    if role is None:
        raise PermissionDenied(
            "Only the brand's and agency's owners or managers and the model decline."
        )
    _require_signable(contract)
    if role in _signed_roles(contract):
        raise TransitionError("You have already signed this contract.")
    label = Party(role).label
    contract.status = S.VOID
    contract.void_reason = f"Declined by the {label.lower()}: {reason.strip()}"
    contract.declined_role = role
    contract.declined_by = user
    contract.declined_at = timezone.now()
    contract.save()
    audit.record(
        contract,
        "contract.declined",
        actor=user,
        data={"role": role, "reason": reason.strip(), "ip": context.ip_address},
    )
    licensing.contract_declined(
        licence_id=contract.licence_id, by_role=label, reason=reason.strip(), actor=user
    )
    return contract


# --- Sealing ------------------------------------------------------------------------------


@system_entry_point
def seal_contract(*, contract_id: int) -> Contract | None:
    """Executed copy: the signed pages, a certificate page and the original attached, sealed
    with the platform key; then the licence moves on to payment. Idempotent: only a contract
    still sealing is sealed, and it is stored once under the row lock."""
    contract = (
        Contract.objects.select_related(
            "licence__brand", "licence__agency", "licence__talent", "terms"
        )
        .filter(pk=contract_id)
        .first()
    )
    if contract is None or contract.status != S.SEALING:
        return contract
    try:
        signed = stored_document(contract)
    except DocumentTampered:
        _report_tampering(contract_id, where="sealing")
        raise
    signatures = list(contract.signatures.select_related("user", "organisation"))
    signatures.sort(key=lambda s: SIGNING_ORDER.index(s.role))
    certificate = rendering.render_certificate(contract, signatures)
    executed = rendering.assemble_executed(
        signed=signed, certificate=certificate, attachment_name=f"{contract.reference}-signed.pdf"
    )
    sealed = sealing.seal_pdf(
        executed, reason=f"Executed licence agreement {contract.reference}: signed by all parties"
    )
    return _store_executed(contract.pk, sealed)


@transaction.atomic
def _store_executed(contract_id: int, sealed: bytes) -> Contract:
    contract = Contract.objects.select_for_update(of=("self",)).get(pk=contract_id)
    if contract.status != S.SEALING:
        return contract
    contract.executed_document.save(
        f"{contract.reference}-executed.pdf", ContentFile(sealed), save=False
    )
    contract.executed_sha256 = sha256(sealed)
    contract.executed_at = timezone.now()
    contract.status = S.EXECUTED
    contract.save()
    audit.record(contract, "contract.executed", data={"sha256": contract.executed_sha256})
    licensing.contract_executed(licence_id=contract.licence_id)
    logger.info("contract.executed", extra={"contract": contract.reference})
    return contract
