"""What a licence's state means to the people looking at it: one label per state, saying what
is next and who acts, derived from the stored status and the dates (no extra status kept).

A paid licence whose window has not started is *scheduled*: its status is `active` (it holds
its slot and its money), but no use can happen before its first day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING

from django.utils import timezone

if TYPE_CHECKING:
    from .models import Licence

PARTY_LABELS = {"brand": "the brand", "agency": "the agency", "talent": "the model"}


@dataclass(frozen=True)
class LicenceState:
    key: str  # the badge's CSS suffix: a status, or "scheduled"
    label: str


def short_date(day: date) -> str:
    return f"{day.day} {day:%b %Y}"


def licence_state(licence: Licence, *, today: date | None = None) -> LicenceState:
    """The licence's state as a label naming the next step and whose it is."""
    S = type(licence).Status
    status = licence.status
    terms = licence.terms
    if status == S.ACTIVE and terms is not None:
        today = today or timezone.localdate()
        if terms.start_date > today:
            return LicenceState("scheduled", f"Scheduled — starts {short_date(terms.start_date)}")
        end = licence.effective_end
        if licence.ends_early_on and end is not None:
            return LicenceState("ending", f"Active — ends {short_date(end)} (consent revoked)")
        return LicenceState(status, "Active")
    if status == S.REQUESTED:
        return LicenceState(status, "Requested — the agency reviews it")
    if status == S.COUNTERED:
        return LicenceState(status, "Counter-offer — the brand answers")
    if status == S.CONSENTED:
        return LicenceState(status, _contract_step(licence))
    if status == S.AWAITING_PAYMENT:
        return LicenceState(status, "Signed — awaiting the brand's payment")
    if status == S.REVOKED and licence.ended_at is not None:
        # Wound down over its notice period: it ended on that day (expiry runs the day after);
        # revoked before it ran: it ended when the model revoked.
        ended = licence.ends_early_on or timezone.localtime(licence.ended_at).date()
        return LicenceState(status, f"Ended {short_date(ended)}: consent revoked")
    return LicenceState(status, licence.get_status_display())


def _contract_step(licence: Licence) -> str:
    # The contracts app keeps the contract; the reverse relation reads it without importing it.
    contract = next(
        (c for c in licence.contracts.all() if c.status != "void"),  # type: ignore[attr-defined]
        None,
    )
    if contract is None or contract.status == "generating":
        return "Consented — contract being prepared"
    if contract.status == "failed":
        return "Consented — contract not generated yet"
    if contract.status == "sealing":
        return "Signed by all — sealing the contract"
    role = contract.awaiting_role
    if role is None:
        return "Consented — contract next"
    names = {
        "brand": licence.brand.name,
        "agency": licence.agency.name,
        "talent": licence.talent.full_name,
    }
    return f"Awaiting {names[role]}'s signature ({PARTY_LABELS[role]})"
