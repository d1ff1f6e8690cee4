"""The licence's terms: what a brand may ask for, how it is checked and priced, and the live
quote shown before a request (price and public availability). Writes nothing."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date

from django.utils import timezone

from marketplace.accounts.models import Organisation
from marketplace.core.errors import ValidationFailed
from marketplace.talent.models import MAX_APPROVAL_HOURS, MIN_APPROVAL_HOURS, Category, Twin

from . import exclusivity, quotes, territories
from .models import ALTERATION_LIMITS, LicenceTerms

MIN_INTENDED_USE_CHARS = 60
MIN_INTENDED_USE_WORDS = 10
VAGUE_PHRASES = {
    "marketing",
    "advertising",
    "ads",
    "promotion",
    "promotional",
    "campaign",
    "various",
    "tbd",
    "tba",
    "general",
    "misc",
    "any",
    "all",
    "use",
    "uses",
    "usage",
    "purposes",
    "purpose",
    "content",
    "social",
    "media",
    "online",
    "and",
    "or",
    "for",
    "the",
    "a",
    "of",
    "in",
    "our",
    "brand",
    "etc",
}


@dataclass
class TermsInput:
    media_types: list[str]
    territories: list[str]
    start_date: date
    end_date: date
    category: str  # slug
    intended_use: str
    exclusive: bool = False
    max_uses: int | None = None
    alteration_limits: list[str] = field(default_factory=list)
    ai_training_forbidden: bool = True
    # Every image approved by the model before use. None: the twin's setting (the model's
    # default); the answer time and the agency's say come from the twin unless given.
    image_approval: bool | None = None
    approval_hours: int | None = None
    agency_may_answer: bool | None = None


@dataclass(frozen=True)
class CheckedTerms:
    media_types: list[str]
    countries: list[str]
    start_date: date
    end_date: date
    category: Category
    intended_use: str
    exclusive: bool
    max_uses: int | None
    alteration_limits: list[str]
    ai_training_forbidden: bool
    image_approval: bool = False
    approval_hours: int = 72
    agency_may_answer: bool = False


def check_approval(twin: Twin, terms: TermsInput) -> tuple[bool, int, bool]:
    """The image-approval term: (required, answer hours, agency may answer). Unset parts come
    from the twin, the model's own default. Raises ValidationFailed."""
    required = twin.image_approval if terms.image_approval is None else terms.image_approval
    hours = twin.approval_hours if terms.approval_hours is None else terms.approval_hours
    agency = twin.agency_may_answer if terms.agency_may_answer is None else terms.agency_may_answer
    if not MIN_APPROVAL_HOURS <= hours <= MAX_APPROVAL_HOURS:
        raise ValidationFailed(
            f"The model's answer time must be between {MIN_APPROVAL_HOURS} and "
            f"{MAX_APPROVAL_HOURS} hours.",
            field="approval_hours",
        )
    if not required:
        return False, twin.approval_hours, False
    return True, hours, agency


def validate_intended_use(text: str) -> str:
    """A licence must say specifically what the twin is for; vague wording is refused."""
    cleaned = " ".join(text.split())
    words = re.findall(r"[\w'-]+", cleaned.lower())
    specific = {w for w in words if w not in VAGUE_PHRASES and len(w) > 2}
    if len(cleaned) < MIN_INTENDED_USE_CHARS or len(words) < MIN_INTENDED_USE_WORDS:
        raise ValidationFailed(
            f"Describe the intended use specifically: at least {MIN_INTENDED_USE_WORDS} words "
            "saying what will be shown, where and for which product (e.g. 'Product pages and "
            "Instagram posts for the spring denim collection, 12 looks, no voice').",
            field="intended_use",
        )
    if len(specific) < 6:
        raise ValidationFailed(
            "The intended use is too vague. Name the product or collection, the channels and "
            "what the images will show; words like 'marketing' or 'various' are not enough.",
            field="intended_use",
        )
    return cleaned


def check_terms(twin: Twin, terms: TermsInput, *, today: date | None = None) -> CheckedTerms:
    """Validate scope against the twin. Raises ValidationFailed with the field at fault."""
    today = today or timezone.localdate()
    if terms.start_date < today:
        raise ValidationFailed("The licence cannot start in the past.", field="start_date")
    if terms.end_date < terms.start_date:
        raise ValidationFailed("The end date must be on or after the start date.", field="end_date")
    countries = territories.expand(terms.territories)
    category = Category.objects.filter(slug=terms.category).first()
    if category is None:
        raise ValidationFailed("Choose a category.", field="category")
    if not twin.permitted_categories.filter(pk=category.pk).exists():
        raise ValidationFailed(
            f"The agency does not offer this twin for {category.name}.", field="category"
        )
    known_limits = {key for key, _ in ALTERATION_LIMITS}
    if set(terms.alteration_limits) - known_limits:
        raise ValidationFailed("Unknown alteration limit.", field="alteration_limits")
    if terms.max_uses is not None and terms.max_uses < 1:
        raise ValidationFailed(
            "Allow at least one use, or leave empty for metered use.", field="max_uses"
        )
    image_approval, approval_hours, agency_may_answer = check_approval(twin, terms)
    return CheckedTerms(
        media_types=sorted(set(terms.media_types)),
        countries=countries,
        start_date=terms.start_date,
        end_date=terms.end_date,
        category=category,
        intended_use=validate_intended_use(terms.intended_use),
        exclusive=terms.exclusive,
        max_uses=terms.max_uses,
        alteration_limits=sorted(set(terms.alteration_limits)),
        ai_training_forbidden=terms.ai_training_forbidden,
        image_approval=image_approval,
        approval_hours=approval_hours,
        agency_may_answer=agency_may_answer,
    )


def price_only(
    twin: Twin,
    *,
    media_types: list[str],
    territory_codes: list[str],
    start: date,
    end: date,
    exclusive: bool,
    image_approval: bool | None = None,
) -> quotes.Quote:
    """The price of a scope before the rest of the request is written: only the terms that
    set it (media, territories, window, exclusivity, image approval: the twin's own setting
    unless given). Raises ValidationFailed."""
    return quotes.compute_quote(
        rate_card=twin.rate_card,
        media_types=sorted(set(media_types)),
        countries=territories.expand(territory_codes),
        start=start,
        end=end,
        exclusive=exclusive,
        agency_commission_bps=twin.agency.commission_bps,
        image_approval=twin.image_approval if image_approval is None else image_approval,
    )


def quote_terms(twin: Twin, checked: CheckedTerms) -> quotes.Quote:
    return quotes.compute_quote(
        rate_card=twin.rate_card,
        media_types=checked.media_types,
        countries=checked.countries,
        start=checked.start_date,
        end=checked.end_date,
        exclusive=checked.exclusive,
        agency_commission_bps=twin.agency.commission_bps,
        image_approval=checked.image_approval,
    )


def checked_from_terms(terms: LicenceTerms) -> CheckedTerms:
    return CheckedTerms(
        media_types=list(terms.media_types),
        countries=list(terms.territories),
        start_date=terms.start_date,
        end_date=terms.end_date,
        category=terms.category,
        intended_use=terms.intended_use,
        exclusive=terms.exclusive,
        max_uses=terms.max_uses,
        alteration_limits=list(terms.alteration_limits),
        ai_training_forbidden=terms.ai_training_forbidden,
        image_approval=terms.image_approval,
        approval_hours=terms.approval_hours,
        agency_may_answer=terms.agency_may_answer,
    )


@dataclass(frozen=True)
class QuotePreview:
    """The live quote: the checked terms, their price, and what stands in the way."""

    checked: CheckedTerms
    quote: quotes.Quote
    conflict: str | None

    @property
    def available(self) -> bool:
        return self.conflict is None


def quote_preview(*, twin: Twin, terms: TermsInput, viewer: Organisation) -> QuotePreview:
    """The quote both front doors show before a request. Writes nothing.

    A brand learns only what the catalogue's blind availability shows; the twin's agency sees
    every licence in the way. Raises ValidationFailed, Twin.DoesNotExist (another agency)."""
    if viewer.is_agency and twin.agency_id != viewer.pk:
        raise Twin.DoesNotExist
    checked = check_terms(twin, terms)
    quote = quote_terms(twin, checked)
    conflict = exclusivity.preview(
        twin_id=twin.pk, checked=checked, brand_id=viewer.pk if viewer.is_brand else None
    )
    return QuotePreview(checked=checked, quote=quote, conflict=conflict)
