from __future__ import annotations

from typing import Any

from django import template

from marketplace.contracts import selectors

register = template.Library()


@register.inclusion_tag("contracts/_panel.html", takes_context=True)
def contract_panel(context: template.Context, licence: Any) -> dict[str, Any]:
    """The contract panel of the licence page, for whoever is looking."""
    request = context["request"]
    return {"panel": selectors.contract_panel(request.viewer, licence), "request": request}
