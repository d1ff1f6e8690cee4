"""A licence's refused uses, with their reasons, to its parties: `{% refused_uses licence %}`."""

from __future__ import annotations

from typing import Any

from django import template

from marketplace.licensing.models import Licence

from .. import selectors

register = template.Library()

SHOWN = 20


@register.inclusion_tag("payments/_refused_uses.html", takes_context=True)
def refused_uses(context: dict[str, Any], licence: Licence) -> dict[str, Any]:
    """The licence is the one the page shows, already scoped to its viewer; the refusals are
    scoped again (a brand sees its own only)."""
    viewer = context.get("viewer")
    if viewer is None:
        return {"refusals": [], "more": 0}
    found = list(selectors.licence_refusals(viewer, licence)[: SHOWN + 1])
    return {"refusals": found[:SHOWN], "more": len(found) > SHOWN, "viewer": viewer}
