"""Quote wording for templates: `{% duration_reason quote.duration_days twin.rate_card %}`."""

from __future__ import annotations

from django import template

from marketplace.talent.models import RateCard

from .. import quotes

register = template.Library()


@register.simple_tag
def duration_reason(days: int, rate_card: RateCard | None = None) -> str:
    return quotes.duration_reason(int(days), rate_card)
