"""Every main page, in Chromium, under the real Content-Security-Policy: no violation reported.

The browser reports a blocked inline style, inline script, eval or foreign origin both as a
console error (which the harness fails on) and as a `securitypolicyviolation` event, which this
test collects. It lives beside the journeys so that it shares their one Chromium per process.
"""

from __future__ import annotations

import pytest
from django.core.management import call_command

from tests.browser import conftest as harness
from tests.signin import current_code, give_totp

pytestmark = pytest.mark.django_db(transaction=True)

DEMO_PASSWORD = "likeness-demo"
LISTEN = """
window.__csp = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__csp.push(`${e.violatedDirective} blocked ${e.blockedURI || "inline"} ` +
                    `at ${e.sourceFile}:${e.lineNumber} ${e.sample}`);
});
"""


@pytest.fixture
def demo(settings, tmp_path):
    settings.SIGNING_KEY_DIR = tmp_path / "keys"
    call_command("ensure_signing_key", verbosity=0)
    call_command("load_demo", verbosity=0)
    call_command("load_demo_licences", verbosity=0)
    from marketplace.licensing.models import Licence

    return {licence.status: licence.reference for licence in Licence.objects.all()}


def visit(page, paths: list[str]) -> list[str]:
    """Open each path; return the CSP violations seen, one line each."""
    seen = []
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.status < 400, f"{path}: {response}"
        page.wait_for_load_state("networkidle")
        seen += [f"{path}: {v}" for v in page.evaluate("window.__csp")]
    return seen


def signed_in_page(make_page, email: str):
    page = make_page()
    page.add_init_script(LISTEN)
    from marketplace.accounts.models import User

    return harness.sign_in(page, User.objects.get(email=email), password=DEMO_PASSWORD)


def test_main_pages_report_no_csp_violation(make_page, demo, settings):
    from marketplace.talent.models import Twin

    twin = Twin.objects.filter(status="published").order_by("pk").first()
    assert twin is not None
    talent_twin = Twin.objects.get(talent__user__email="linnea.lindqvist@talent.test")
    requested, awaiting = demo["requested"], demo["awaiting_consent"]
    consented = sorted(ref for status, ref in demo.items() if status == "consented")
    violations = []

    anonymous = make_page()
    anonymous.add_init_script(LISTEN)
    violations += visit(anonymous, ["/", "/accounts/login/"])

    brand = signed_in_page(make_page, "manager@kestrel.test")
    violations += visit(
        brand,
        [
            "/",
            "/catalogue/",
            f"/catalogue/{twin.slug}/",
            f"/catalogue/{twin.slug}/request/",
            "/licences/",
            f"/licences/{requested}/",
            "/billing/",
            "/team/",
            "/notifications/",
            "/accounts/2fa/",
            "/api/docs/",
        ],
    )
    # htmx under the policy: a filter swaps the results in place
    brand.goto("/catalogue/")
    brand.get_by_label("Available now").check()
    brand.wait_for_load_state("networkidle")
    violations += [f"catalogue filter: {v}" for v in brand.evaluate("window.__csp")]
    for reference in consented:
        if brand.goto(f"/licences/{reference}/contract/sign/").status == 200:
            brand.wait_for_load_state("networkidle")  # the contract PDF in its <object>
            violations += [f"sign page: {v}" for v in brand.evaluate("window.__csp")]

    agency = signed_in_page(make_page, "manager@northlight.test")
    violations += visit(
        agency,
        [
            "/",
            "/agency/twins/",
            f"/agency/twins/{twin.pk}/",
            f"/agency/twins/{twin.pk}/rates/",
            "/agency/talent/",
            "/agency/requests/",
            f"/licences/{requested}/",
            f"/licences/{requested}/counter/",
            "/payouts/",
        ],
    )

    model = signed_in_page(make_page, "linnea.lindqvist@talent.test")
    violations += visit(
        model,
        [
            "/",
            "/me/",
            f"/me/twins/{talent_twin.pk}/",
            "/me/consents/",
            f"/licences/{awaiting}/",
            f"/licences/{awaiting}/consent/",
            "/me/restrictions/",
        ],
    )

    # staff reach the admin through the site's sign-in, password then authenticator code
    from marketplace.accounts.models import User

    secret = give_totp(User.objects.get(email="admin@likeness.test"))
    staff = make_page()
    staff.add_init_script(LISTEN)
    harness.allow_console_error(staff, r"/favicon\.ico")  # the admin links no icon
    staff.goto("/admin/")
    staff.locator("input[name=login]").fill("admin@likeness.test")
    staff.locator("input[name=password]").fill(DEMO_PASSWORD)
    staff.get_by_role("button", name="Sign in", exact=False).click()
    staff.locator("input[name=code]").fill(current_code(secret))
    violations += [f"authenticator code: {v}" for v in staff.evaluate("window.__csp")]
    staff.get_by_role("button", name="Sign in", exact=False).click()
    staff.wait_for_url("**/admin/")
    violations += visit(
        staff,
        ["/admin/", f"/admin/talent/twin/{twin.pk}/change/", "/admin/payments/payoutrun/"],
    )

    # an owner is sent to set up TOTP: the QR code is a data: image the policy allows
    settings.LIKENESS_REQUIRE_MFA_ROLES = ["owner", "finance"]
    owner = signed_in_page(make_page, "owner@kestrel.test")
    owner.get_by_label("Password").fill(DEMO_PASSWORD)  # allauth re-asks before 2FA changes
    owner.get_by_role("button", name="Confirm").click()
    owner.locator("img[src^='data:image/svg+xml;base64,']").wait_for()
    violations += [f"TOTP setup: {v}" for v in owner.evaluate("window.__csp")]

    assert violations == []
