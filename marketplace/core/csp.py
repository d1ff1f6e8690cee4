"""Content-Security-Policy: django-csp's middleware, plus the two per-response adjustments."""

from __future__ import annotations

from urllib.parse import urlsplit

from csp.constants import SELF
from csp.middleware import CSPMiddleware as BaseCSPMiddleware
from csp.middleware import PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

# Stripe-hosted pages our forms redirect to (Checkout, Connect onboarding). A browser checks
# `form-action` on every redirect that follows a form submission, so the origin a "Pay" or
# "Connect" form ends up on must be listed, not only our own.
STRIPE_FORM_ORIGINS = ["https://checkout.stripe.com", "https://connect.stripe.com"]


def stripe_form_origins() -> list[str]:
    """Stripe's hosted origins, or the local Stripe sandbox's when the site talks to it."""
    base = getattr(settings, "STRIPE_API_BASE", "")
    if base:
        parts = urlsplit(base)
        return [f"{parts.scheme}://{parts.netloc}"]
    return list(STRIPE_FORM_ORIGINS)


class CSPMiddleware(BaseCSPMiddleware):
    """django-csp, reading the Stripe origin from settings at response time (tests point the
    site at a sandbox on a random port) and letting a view that opted into same-origin framing
    (`xframe_options_sameorigin`, the contract PDF) be framed by our own pages."""

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if report_only:
            return parts
        update = dict(parts.update or {})
        update["form-action"] = [*update.get("form-action", []), *stripe_form_origins()]
        parts.update = update
        if response.get("X-Frame-Options", "").upper() == "SAMEORIGIN":
            parts.replace = {**(parts.replace or {}), "frame-ancestors": [SELF]}
        return parts
