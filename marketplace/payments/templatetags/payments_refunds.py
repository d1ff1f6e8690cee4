"""A licence's revocation refund, as each party sees it: `{% revocation_refund licence %}`."""

from __future__ import annotations

from typing import Any

from django import template

from marketplace.licensing.models import Licence

from .. import selectors

register = template.Library()


@register.inclusion_tag("payments/_revocation_refund.html", takes_context=True)
def revocation_refund(context: dict[str, Any], licence: Licence) -> dict[str, Any]:
    """The licence is the one the page shows, already scoped to its viewer."""
    viewer = context.get("viewer")
    refund = selectors.revocation_refund(licence)
    part = 0
    if refund is not None and viewer is not None:
        part = refund.talent_part if viewer.is_talent else refund.agency_part
    return {"refund": refund, "viewer": viewer, "part": part}
