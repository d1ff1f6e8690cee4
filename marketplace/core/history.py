"""Audit events as sentences people read: the one mapping from verb to sentence, used by every
timeline and history page.

A sentence names its party with placeholders the page fills in: {brand}, {agency}, {model},
{twin}, {signer} (the party whose role the event's data names), {credit} (a crew credit: name
and role), {amount} (the event's amount in the page's currency), {ends} / {end} (dates from the
event's data). The person who acted is
added after it, "(Jane Doe, manager)", unless the party is that person.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from .money import format_money

SENTENCES: dict[str, str] = {
    # Licences
    "licence.requested": "{brand} requested the licence",
    "licence.auto_declined": "Declined at once: the model does not allow this category",
    "licence.approved": "{agency} approved the request; the model's consent is next",
    "licence.countered": "{agency} proposed other terms",
    "licence.declined": "{agency} declined the request",
    "licence.withdrawn": "{brand} withdrew the request",
    "licence.counter_accepted": "{brand} accepted the counter-offer",
    "licence.counter_declined": "{brand} declined the counter-offer",
    "licence.consented": "{model} consented to these terms",
    "licence.refused": "{model} refused consent",
    "licence.contract_ready": "The contract was generated: {brand} signs first",
    "licence.contract_signed": "{signer} signed the contract",
    "licence.contract_declined": "{signer} declined to sign the contract",
    "licence.contract_executed": "All three parties signed; the contract is sealed",
    "payments.checkout_started": "{brand} went to pay {amount}",
    "payments.paid": "{brand} paid {amount}",
    "licence.activated": "The licence is active",
    "licence.ends_early": "{model} revoked consent: the licence ends on {ends}",
    "licence.revoked": "{model} revoked consent: the licence ended",
    "licence.reminded": "{brand} and {agency} were reminded that it ends on {end}",
    "licence.lapsed": "The reservation ran out before the licence was complete",
    "licence.expired": "The licence ended",
    "licence.final_asset_attached": "{brand} added the final picture of a use",
    # Twins
    "twin.created": "{agency} created the twin",
    "twin.updated": "{agency} edited the description",
    "twin.image_added": "{agency} added a picture",
    "twin.image_removed": "{agency} removed a picture",
    "twin.rate_card_set": "{agency} set the rate card",
    "twin.published": "{agency} published the twin",
    "twin.paused": "{agency} paused bookings",
    "twin.retired": "{agency} retired the twin",
    "twin.consent_revoked": "{model} revoked consent for the twin",
    "twin.image_approval_set": "{model} changed whether each image needs her approval",
    "twin.credit_added": "{agency} credited {credit}",
    "twin.credit_removed": "{agency} removed the credit of {credit}",
    # Misuse: a sighting recorded against a licence, and the takedown cases
    "misuse.seen_out_of_scope": "The twin was seen used outside this licence",
    "misuse.case_opened": "A sighting was reported and the case opened",
    "misuse.notice_drafted": "The takedown notice was drafted for {agency} to review",
    "misuse.case_notice_sent": "{agency} sent the takedown notice to {host}",
    "misuse.case_removed": "{agency} confirmed the picture was removed",
    "misuse.case_licensed": "{agency} found the use licensed after all",
    "misuse.case_dismissed": "{agency} dismissed the case",
}

PARTY_KEYS = {"brand": "brand", "agency": "agency", "talent": "model"}


@dataclass(frozen=True)
class HistoryEntry:
    sentence: str
    detail: str
    at: datetime
    verb: str


def _date(value: Any) -> str:
    try:
        day = date.fromisoformat(str(value))
    except ValueError:
        return str(value)
    return f"{day.day} {day:%b %Y}"


def sentence(event: Any, *, names: Mapping[str, str], people: Mapping[int, str]) -> str:
    """One event as a sentence. `names`: the parties' names (brand, agency, model, twin) and
    the `currency`; `people`: actor user id → "Jane Doe, manager"."""
    data = event.data or {}
    template = SENTENCES.get(event.verb)
    if template is None:  # a verb without a sentence yet: readable, never a bare code
        template = event.verb.split(".", 1)[-1].replace("_", " ").capitalize()
    values = {
        **names,
        "signer": names.get(PARTY_KEYS.get(data.get("role", ""), ""), "A party"),
        "amount": format_money(data.get("amount"), names.get("currency", "")),
        "ends": _date(data.get("ends", "")),
        "end": _date(data.get("end", "")),
        "credit": str(data.get("credit", "")) or "someone",
    }
    text = template.format_map(_Missing(values))
    person = people.get(event.actor_id) if event.actor_id else None
    if person and person.split(",")[0] not in text:
        text += f" ({person})"
    return text


def describe(
    events: Iterable[Any], *, names: Mapping[str, str], people: Mapping[int, str]
) -> list[HistoryEntry]:
    return [
        HistoryEntry(
            sentence=sentence(e, names=names, people=people),
            detail=str((e.data or {}).get("reason", "")),
            at=e.created_at,
            verb=e.verb,
        )
        for e in events
    ]


class _Missing(dict[str, str]):
    def __missing__(self, key: str) -> str:
        return "someone"
