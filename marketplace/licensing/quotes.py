"""Deterministic quotes from a twin's rate card (rights-managed picture licensing).

fee = Σ base fee of each media type × territory multiplier × duration multiplier
      × (1 + exclusivity premium, when exclusive)
      + that fee × image-approval premium, when the model approves every image before use

Every step rounds half-to-even at the minor unit; the approval premium is an amount of its own
(its own line), so the lines add up to the fee exactly. Per-use fees carry no premium. The
split gives the platform its fee, the agency its commission on the rest (capped at
MAX_AGENCY_COMMISSION_BPS, 20 %), and the model everything else, so the three parts always add
up to the fee exactly.

A quote is only made if Stripe can charge it in one payment (CHARGE_LIMITS), so nobody is
asked to consent to or sign a licence that could never be paid.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, timedelta
from typing import Any

from django.conf import settings

from marketplace.core.errors import ValidationFailed
from marketplace.core.money import (
    CHARGE_LIMITS,
    MAX_AGENCY_COMMISSION_BPS,
    apply_bps,
    format_money,
    share_out,
)
from marketplace.talent.models import MediaType, RateCard

from .territories import country_names

MAX_DURATION_DAYS = 731
DURATION_BUCKETS = [
    (92, "duration_3m_bps", "up to 3 months"),
    (183, "duration_6m_bps", "up to 6 months"),
    (366, "duration_12m_bps", "up to 12 months"),
    (MAX_DURATION_DAYS, "duration_24m_bps", "up to 24 months"),
]


# What each tier is called where a person reads it (the stored quote keeps its own label).
TIER_NAMES = {
    "duration_3m_bps": "3-month",
    "duration_6m_bps": "6-month",
    "duration_12m_bps": "12-month",
    "duration_24m_bps": "24-month",
}


def _percent(bps: int) -> str:
    return f"{bps / 100:g} %"


def duration_reason(days: int, rate_card: RateCard | None = None) -> str:
    """Why a window of `days` pays the rate it pays: the tier, the days it covers, its
    multiplier, and, when a shorter tier is cheaper, how many days fewer reach it."""
    if days > MAX_DURATION_DAYS:
        return f"{days} days is longer than the longest licence ({MAX_DURATION_DAYS} days)."
    index = next(i for i, bucket in enumerate(DURATION_BUCKETS) if days <= bucket[0])
    limit, attr, _ = DURATION_BUCKETS[index]
    first = DURATION_BUCKETS[index - 1][0] + 1 if index else 1
    reason = f"{days} days → the {TIER_NAMES[attr]} tier ({first} to {limit} days)"
    if rate_card is None:
        return reason + "."
    bps = getattr(rate_card, attr)
    reason += f": fee × {_percent(bps)}."
    if index:
        shorter_limit, shorter_attr, _ = DURATION_BUCKETS[index - 1]
        shorter_bps = getattr(rate_card, shorter_attr)
        if shorter_bps < bps:
            fewer = days - shorter_limit
            reason += (
                f" {shorter_limit} days or fewer ({fewer} day{'s' if fewer != 1 else ''} "
                f"less) would be the {TIER_NAMES[shorter_attr]} tier, × {_percent(shorter_bps)}."
            )
    return reason


@dataclass(frozen=True)
class Split:
    platform_fee: int
    agency_commission: int
    talent_share: int


@dataclass(frozen=True)
class Quote:
    currency: str
    lines: list[dict[str, Any]]  # media type, label, base fee, per-use fee
    base_total: int
    territory_scope: str
    territory_bps: int
    duration_days: int
    duration_label: str
    duration_bps: int
    exclusive: bool
    exclusivity_premium_bps: int
    total: int
    platform_fee_bps: int
    agency_commission_bps: int
    split: Split
    # The image-approval term: whether the terms carry it, and its premium (0 when off, or
    # when the rate card sets none). Defaults: quotes stored before the premium existed.
    image_approval: bool = False
    approval_premium_bps: int = 0
    approval_premium: int = 0

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    def per_use_fee(self, media_type: str) -> int:
        for line in self.lines:
            if line["media_type"] == media_type:
                return int(line["per_use_fee"])
        raise KeyError(media_type)


def split_fee(total: int, *, platform_fee_bps: int, agency_commission_bps: int) -> Split:
    if agency_commission_bps > MAX_AGENCY_COMMISSION_BPS:
        raise ValidationFailed(
            "Agency commission above 20 % is not allowed (New York Fashion Workers Act).",
            code="commission_cap",
        )
    platform = apply_bps(total, platform_fee_bps)
    commission = apply_bps(total - platform, agency_commission_bps)
    return Split(
        platform_fee=platform,
        agency_commission=commission,
        talent_share=total - platform - commission,
    )


@dataclass(frozen=True)
class UseShare:
    label: str
    fee: int  # what the brand pays per use
    share: int  # what the model receives of it


@dataclass(frozen=True)
class TalentPay:
    """What the model is paid under a stored quote: her share of the licence fee and of each
    use's fee, split exactly as usage billing splits it."""

    currency: str
    licence_fee: int
    licence_share: int
    per_use: list[UseShare]


def talent_pay(quote: dict[str, Any]) -> TalentPay:
    bps = {
        "platform_fee_bps": quote["platform_fee_bps"],
        "agency_commission_bps": quote["agency_commission_bps"],
    }
    return TalentPay(
        currency=quote["currency"],
        licence_fee=quote["total"],
        licence_share=quote["split"]["talent_share"],
        per_use=[
            UseShare(
                label=line["label"],
                fee=int(line["per_use_fee"]),
                share=split_fee(int(line["per_use_fee"]), **bps).talent_share,
            )
            for line in quote["lines"]
            if int(line["per_use_fee"])
        ],
    )


def check_chargeable(total: int, currency: str) -> None:
    """Raises ValidationFailed when Stripe could not charge the total in one payment."""
    low, high = CHARGE_LIMITS[currency]
    if total < low:
        raise ValidationFailed(
            f"This licence would cost {format_money(total, currency)}, below the smallest "
            f"payment in {currency} ({format_money(low, currency)}). Choose more media, "
            "territories or a longer window, or ask the agency about its rate card.",
            code="quote_below_minimum",
        )
    if total > high:
        raise ValidationFailed(
            f"This licence would cost {format_money(total, currency)}, above the largest "
            f"payment in {currency} ({format_money(high, currency)}). Choose fewer media, "
            "territories or a shorter window.",
            code="quote_above_maximum",
        )


def territory_scope(countries: list[str]) -> str:
    if len(countries) == 1:
        return "country"
    if len(countries) >= len(country_names()):
        return "worldwide"
    return "region"


def compute_quote(
    *,
    rate_card: RateCard,
    media_types: list[str],
    countries: list[str],
    start: date,
    end: date,
    exclusive: bool,
    agency_commission_bps: int,
    platform_fee_bps: int | None = None,
    image_approval: bool = False,
) -> Quote:
    """Raises ValidationFailed for media the rate card does not offer, a bad window, or a
    total Stripe could not charge."""
    if end < start:
        raise ValidationFailed("The end date must be on or after the start date.", field="end_date")
    days = (end - start).days + 1
    if days > MAX_DURATION_DAYS:
        raise ValidationFailed(
            "Licences run for at most 24 months; request a renewal later.", field="end_date"
        )
    offered = {line.media_type: line for line in rate_card.lines.all()}
    if not media_types:
        raise ValidationFailed("Choose at least one media type.", field="media_types")
    missing = [m for m in media_types if m not in offered]
    if missing:
        labels = ", ".join(MediaType(m).label if m in MediaType.values else m for m in missing)
        raise ValidationFailed(f"This twin is not offered for: {labels}.", field="media_types")
    lines = [
        {
            "media_type": m,
            "label": MediaType(m).label,
            "base_fee": offered[m].base_fee,
            "per_use_fee": offered[m].per_use_fee,
        }
        for m in sorted(set(media_types))
    ]
    base_total = sum(offered[m].base_fee for m in sorted(set(media_types)))
    scope = territory_scope(countries)
    territory_bps = getattr(rate_card, f"territory_{scope}_bps")
    bucket = next(b for b in DURATION_BUCKETS if days <= b[0])
    duration_bps = getattr(rate_card, bucket[1])
    total = apply_bps(apply_bps(base_total, territory_bps), duration_bps)
    premium = rate_card.exclusivity_premium_bps if exclusive else 0
    total = apply_bps(total, 10_000 + premium)
    approval_bps = rate_card.approval_premium_bps if image_approval else 0
    approval_premium = apply_bps(total, approval_bps)
    total += approval_premium
    check_chargeable(total, rate_card.currency)
    platform_bps = settings.PLATFORM_FEE_BPS if platform_fee_bps is None else platform_fee_bps
    return Quote(
        currency=rate_card.currency,
        lines=lines,
        base_total=base_total,
        territory_scope=scope,
        territory_bps=territory_bps,
        duration_days=days,
        duration_label=bucket[2],
        duration_bps=duration_bps,
        exclusive=exclusive,
        exclusivity_premium_bps=premium,
        total=total,
        platform_fee_bps=platform_bps,
        agency_commission_bps=agency_commission_bps,
        split=split_fee(
            total, platform_fee_bps=platform_bps, agency_commission_bps=agency_commission_bps
        ),
        image_approval=image_approval,
        approval_premium_bps=approval_bps,
        approval_premium=approval_premium,
    )


def terms_hash(terms: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the terms and their quote."""
    canonical = json.dumps(terms, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


# --- Revocation -----------------------------------------------------------------------------

REVOCATION_REFUND_RULE = (
    "If the model revokes consent, the brand is refunded the licence fee pro rata for the days "
    "of the window it loses: fee × unused days ÷ days in the window, in the currency's smallest "
    "unit, rounded half to even. The model's, the agency's and the platform's parts of the "
    "refund are in the proportion of the licence's split, each rounded half to even on the "
    "running total, so that they add up exactly to the refund."
)


def days_lost_to_revocation(*, start_date: date, end_date: date, ends_on: date) -> int:
    """The window's days after the licence's new end `ends_on` (all of them when it ends before
    it starts)."""
    duration = (end_date - start_date).days + 1
    last_used = max(ends_on, start_date - timedelta(days=1))
    return max(0, min(duration, (end_date - last_used).days))


def revocation_refund(fee: int, *, days_lost: int, duration_days: int) -> int:
    """The part of `fee` refunded for `days_lost` of `duration_days` (REVOCATION_REFUND_RULE)."""
    return share_out(fee, [days_lost, duration_days - days_lost])[0]
