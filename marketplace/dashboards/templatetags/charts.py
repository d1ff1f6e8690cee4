"""Server-rendered SVG bar charts: a picture without JavaScript."""

from __future__ import annotations

from collections.abc import Mapping

from django import template
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeString

from marketplace.core.money import format_money

register = template.Library()

WIDTH, HEIGHT, PAD_BOTTOM, PAD_TOP = 640, 200, 28, 18
# A month or two of data must not paint one bar across the whole chart.
MAX_BAR_WIDTH = 40


@register.simple_tag
def bar_chart(series: list[dict[str, object]], currency: str, label: str = "") -> SafeString:
    """Bars per month for one currency, with the value on hover and the month below."""
    values = [int(point["values"].get(currency, 0)) for point in series]  # type: ignore[attr-defined]
    if not any(values):
        # Twelve flat bars under "max £0.00" read as a broken chart: say what it will show.
        return format_html(
            '<p class="muted chart-empty">Nothing in {} in these months yet: the chart fills '
            "in as payments arrive.</p>",
            currency,
        )
    peak = max(values, default=0) or 1
    slot = WIDTH / max(len(values), 1)
    bar_width = min(slot * 0.62, MAX_BAR_WIDTH)
    plot = HEIGHT - PAD_BOTTOM - PAD_TOP
    bars = []
    for i, (point, value) in enumerate(zip(series, values, strict=True)):
        height = round(plot * value / peak, 1)
        x = round(i * slot + (slot - bar_width) / 2, 1)
        y = round(PAD_TOP + plot - height, 1)
        month = point["month"]
        bars.append(
            (
                x,
                y,
                round(bar_width, 1),
                max(height, 0.5),
                f"{month:%b %Y}: {format_money(value, currency)}",  # type: ignore[str-format]
                round(x + bar_width / 2, 1),
                HEIGHT - 10,
                f"{month:%b}",  # type: ignore[str-format]
            )
        )
    body = format_html_join(
        "\n",
        '<g><rect x="{}" y="{}" width="{}" height="{}" rx="3" class="bar">'
        "<title>{}</title></rect>"
        '<text x="{}" y="{}" text-anchor="middle" class="axis">{}</text></g>',
        bars,
    )
    return format_html(
        '<svg class="chart" viewBox="0 0 {} {}" role="img" aria-label="{}" '
        'preserveAspectRatio="none"><text x="0" y="12" class="axis">{}</text>{}</svg>',
        WIDTH,
        HEIGHT,
        label or f"Earnings per month in {currency}",
        f"max {format_money(peak if any(values) else 0, currency)}",
        body,
    )


SPLIT_WIDTH = 1000  # viewBox units; the bar stretches to its container


@register.simple_tag
def split_bar(split: object, label: str = "") -> SafeString:
    """The fee split (model, agency, platform) as one stacked SVG bar.

    Widths are computed here rather than in a `style` attribute, which the Content Security
    Policy (no 'unsafe-inline' styles) would block.
    """

    def amount(key: str) -> int:
        value = split.get(key) if isinstance(split, Mapping) else getattr(split, key, 0)
        return max(int(value or 0), 0)

    parts = [
        ("model", amount("talent_share")),
        ("agency", amount("agency_commission")),
        ("platform", amount("platform_fee")),
    ]
    total = sum(value for _, value in parts)
    rects, x = [], 0.0
    for name, value in parts:
        width = SPLIT_WIDTH * value / total if total else 0.0
        rects.append((round(x, 2), round(width, 2), name))
        x += width
    body = format_html_join(
        "", '<rect x="{}" y="0" width="{}" height="12" class="split-{}"></rect>', rects
    )
    return format_html(
        '<svg class="splitbar" viewBox="0 0 {} 12" preserveAspectRatio="none" role="img" '
        'aria-label="{}">{}</svg>',
        SPLIT_WIDTH,
        label or "Split of the fee: model, agency, platform",
        body,
    )
