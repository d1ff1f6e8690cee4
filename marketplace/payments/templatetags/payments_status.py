"""Payment states for templates: `{% licence_payment_error licence as reason %}`."""

from __future__ import annotations

from django import template

from marketplace.licensing.models import Licence

from .. import selectors

register = template.Library()


@register.simple_tag
def licence_payment_error(licence: Licence) -> str:
    return selectors.licence_payment_error(licence)
