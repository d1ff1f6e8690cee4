"""Scoped contract reads. A contract is reached only through its licence, itself reached
through the viewer's scoped licence selector, so another tenant's contract answers 404."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from marketplace.licensing import selectors as licensing_selectors
from marketplace.licensing.models import Licence

from . import services
from .models import SIGNING_ORDER, Contract, Party, Signature


def licence_for_contract(viewer: Any, reference: str) -> Licence:
    """The licence for a contract page: the viewer's own, or any for platform staff.

    Raises Licence.DoesNotExist for everyone else, exactly as for a missing licence."""
    try:
        return licensing_selectors.licence_for(viewer, reference)
    except Licence.DoesNotExist:
        user = viewer.user
        if user is not None and user.is_authenticated and user.is_staff:
            return Licence.objects.select_related("terms", "brand", "agency", "talent").get(
                reference=reference
            )
        raise


def current_contract(licence: Licence) -> Contract | None:
    """The live contract, else the most recent one (void), else None."""
    contracts = list(Contract.objects.filter(licence=licence).order_by("-created_at", "-id")[:10])
    live = [c for c in contracts if c.is_live]
    chosen = live or contracts
    return chosen[0] if chosen else None


def contract_of(licence: Licence, contract_reference: str) -> Contract:
    """Raises Contract.DoesNotExist for a contract of another licence."""
    return Contract.objects.get(licence=licence, reference=contract_reference)


@dataclass(frozen=True)
class SignatureSlot:
    role: str
    label: str
    party_name: str
    signature: Signature | None


@dataclass(frozen=True)
class ContractPanel:
    """What the licence page shows about the contract, for one viewer."""

    licence: Licence
    contract: Contract | None
    state: str  # none | generating | failed | awaiting | sealing | executed | void
    slots: list[SignatureSlot] = field(default_factory=list)
    signed_count: int = 0
    next_role: str | None = None
    viewer_role: str | None = None
    can_sign: bool = False
    can_decline: bool = False
    can_retry: bool = False

    @property
    def polling(self) -> bool:
        return self.state in {"generating", "awaiting", "sealing"}

    @property
    def next_label(self) -> str:
        return Party(self.next_role).label if self.next_role else ""


def _party_names(licence: Licence) -> dict[str, str]:
    return {
        Party.BRAND: licence.brand.name,
        Party.AGENCY: licence.agency.name,
        Party.TALENT: licence.talent.full_name,
    }


def contract_panel(viewer: Any, licence: Licence) -> ContractPanel:
    contract = current_contract(licence)
    if contract is None:
        state = "generating" if licence.status == Licence.Status.CONSENTED else "none"
        return ContractPanel(licence=licence, contract=None, state=state)
    signatures = {s.role: s for s in contract.signatures.select_related("user")}
    names = _party_names(licence)
    slots = [
        SignatureSlot(role, Party(role).label, names[role], signatures.get(role))
        for role in SIGNING_ORDER
    ]
    Status = Contract.Status
    if contract.status == Status.VOID or (
        contract.status in (Status.GENERATING, Status.FAILED, Status.AWAITING_SIGNATURES)
        and licence.status != Licence.Status.CONSENTED
    ):
        state = "void"
    else:
        state = {
            Status.GENERATING: "generating",
            Status.FAILED: "failed",
            Status.AWAITING_SIGNATURES: "awaiting",
            Status.SEALING: "sealing",
            Status.EXECUTED: "executed",
        }[Status(contract.status)]
    turn = services.next_role(contract, list(signatures)) if state == "awaiting" else None
    role = services.party_role(licence, user=viewer.user, membership=viewer.membership)
    return ContractPanel(
        licence=licence,
        contract=contract,
        state=state,
        slots=slots,
        signed_count=len(signatures),
        next_role=turn,
        viewer_role=role,
        can_sign=state == "awaiting" and role is not None and role == turn,
        can_decline=state == "awaiting" and role is not None and role not in signatures,
        can_retry=state == "failed" and services.may_retry_generation(licence, viewer),
    )
