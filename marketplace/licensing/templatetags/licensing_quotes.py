"""Quote wording for templates: `{{ quote.duration_days|duration_reason }}`."""

from __future__ import annotations

from django import template

from .. import quotes

register = template.Library()


@register.filter
def duration_reason(days: int) -> str:
    return quotes.duration_reason(int(days))
