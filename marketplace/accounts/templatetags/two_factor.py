"""Where a person goes on to after setting up two-factor authentication."""

from __future__ import annotations

from typing import Any

from django import template
from django.utils.http import url_has_allowed_host_and_scheme

from marketplace.accounts.security import AFTER_SETUP_SESSION_KEY

register = template.Library()


@register.simple_tag(takes_context=True)
def after_two_factor_setup_url(context: dict[str, Any]) -> str:
    """The page they were sent away from to set it up, if it is one of ours; else home."""
    request = context.get("request")
    if request is None:
        return "/"
    target = request.session.get(AFTER_SETUP_SESSION_KEY, "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return "/"
