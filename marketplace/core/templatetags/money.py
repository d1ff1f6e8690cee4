from django import template

from marketplace.core.money import format_money

register = template.Library()


@register.simple_tag
def money(amount: int | None, currency: str) -> str:
    return format_money(amount, currency)


@register.filter
def bps_percent(bps: int | None) -> str:
    if bps is None:
        return "—"
    value = bps / 100
    return f"{value:g} %"
