"""The Content-Security-Policy header, and templates that need no inline style or script."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from django.views.decorators.clickjacking import xframe_options_sameorigin

from marketplace.core.csp import CSPMiddleware
from marketplace.dashboards.templatetags.charts import split_bar
from tests.factories import MembershipFactory

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_DIRS = [ROOT / "templates", *sorted((ROOT / "marketplace").glob("*/templates"))]
# Rendered into contract PDFs by the server, never shown by a browser.
NOT_SERVED = ("contracts/pdf/",)


def policy(response) -> dict[str, list[str]]:
    header = response["Content-Security-Policy"]
    return {
        name: values
        for name, *values in (part.split() for part in header.split(";") if part.strip())
    }


@pytest.mark.django_db
def test_pages_carry_a_strict_policy_with_a_fresh_nonce(client):
    client.force_login(MembershipFactory(role="manager").user)
    first, second = client.get("/catalogue/"), client.get("/catalogue/")

    csp = policy(first)

    assert "'unsafe-inline'" not in first["Content-Security-Policy"]
    assert "'unsafe-eval'" not in first["Content-Security-Policy"]
    assert csp["default-src"] == ["'self'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'", "data:"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert csp["script-src"][0] == "'self'"
    nonce = re.fullmatch(r"'nonce-([A-Za-z0-9+/=]{20,})'", csp["script-src"][1])
    assert nonce is not None
    assert f'nonce="{nonce.group(1)}"' in first.content.decode()
    assert policy(second)["script-src"][1] != csp["script-src"][1]


@pytest.mark.django_db
def test_form_action_allows_only_us_and_the_stripe_checkout_origin(client, settings):
    settings.STRIPE_API_BASE = "http://127.0.0.1:40123"
    assert policy(client.get("/accounts/login/"))["form-action"] == [
        "'self'",
        "http://127.0.0.1:40123",
    ]
    settings.STRIPE_API_BASE = ""
    assert policy(client.get("/accounts/login/"))["form-action"] == [
        "'self'",
        "https://checkout.stripe.com",
        "https://connect.stripe.com",
    ]


def test_only_views_that_allow_same_origin_framing_may_be_framed_by_our_pages():
    request = RequestFactory().get("/document.pdf")
    framed = CSPMiddleware(xframe_options_sameorigin(lambda r: HttpResponse("%PDF")))(request)
    plain = CSPMiddleware(lambda r: HttpResponse("page"))(RequestFactory().get("/"))
    assert policy(framed)["frame-ancestors"] == ["'self'"]
    assert policy(plain)["frame-ancestors"] == ["'none'"]


def served_templates() -> list[Path]:
    return [
        path
        for folder in TEMPLATE_DIRS
        for path in sorted(folder.rglob("*.html"))
        if not str(path.relative_to(folder)).startswith(NOT_SERVED)
    ]


def test_no_served_template_has_inline_styles_scripts_or_handlers():
    offending = []
    for path in served_templates():
        text = re.sub(  # template comments
            r"{#.*?#}|{% comment %}.*?{% endcomment %}", "", path.read_text(), flags=re.DOTALL
        )
        for pattern in (
            r"\sstyle\s*=",  # style attributes: blocked by style-src 'self'
            r"<style[\s>]",  # <style> elements: same
            r"<script(?![^>]*\bsrc=)[^>]*>",  # inline <script> without a file
            r"\son[a-z]+\s*=",  # onclick= and friends: never allowed under a nonce policy
            r"javascript:",
            r"hx-on",  # htmx evaluates these with eval, which the policy forbids
        ):
            offending += [
                f"{path.relative_to(ROOT)}: {m.group(0)!r}" for m in re.finditer(pattern, text)
            ]
    assert offending == []


def test_the_fee_split_is_an_svg_sized_by_attributes():
    svg = str(split_bar({"talent_share": 7500, "agency_commission": 1500, "platform_fee": 1000}))
    assert "style" not in svg
    assert re.findall(r'width="([\d.]+)" height="12" class="split-(\w+)"', svg) == [
        ("750.0", "model"),
        ("150.0", "agency"),
        ("100.0", "platform"),
    ]
