"""axe-core over the main pages of every role: no serious or critical violation.

axe-core is vendored (tests/browser/vendor/axe.min.js, MPL-2.0, licence beside it) and injected
into each page; the test's browser context bypasses the Content-Security-Policy for that one
script only — tests/browser/test_csp.py keeps checking the policy itself. Each page is checked
at desktop width and on a 390 px phone, where the header's menu is opened first so that its
links are checked too.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Membership, Role
from tests.browser import worst_case
from tests.browser.test_phone_fit import PHONE, Visit, visits
from tests.browser.worst_case import ROLES

pytestmark = pytest.mark.django_db(transaction=True)

AXE = Path(__file__).parent / "vendor" / "axe.min.js"
BLOCKING = {"serious", "critical"}
# The pages people spend their time on; each is checked once per role that has it.
MAIN = {
    "home",
    "notifications",
    "catalogue:list",
    "catalogue:detail",
    "licensing:request",
    "licensing:list",
    "licensing:detail",
    "licensing:agency_inbox",
    "licensing:consent_inbox",
    "licensing:consent",
    "licensing:counter",
    "licensing:revoke",
    "contracts:sign",
    "payments:report_usage",
    "provenance:verify",
    "provenance:use_credentials",
    "payments:brand_billing",
    "payments:payouts",
    "dashboards:talent",
    "dashboards:agency",
    "dashboards:brand",
    "talent:twin_list",
    "talent:twin_create",
    "talent:twin_manage",
    "talent:twin_edit",
    "talent:twin_rates",
    "talent:roster",
    "talent:talent_create",
    "talent:my_home",
    "talent:my_twin",
    "talent:my_restrictions",
    "crew:add_credit",
    "crew:home",
    "misuse:protection",
    "misuse:report",
    "misuse:case",
    "accounts:team",
    "accounts:api_keys",
    "webhooks:endpoints",
    "accounts:accept_invitation",
    "account_login",
    "mfa_index",
    "approvals:list",
    "approvals:licence_proofs",
    "approvals:detail",
}
RUN_AXE = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help,
    nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 3),
  }));
}"""


def check(page) -> list[dict]:
    page.add_script_tag(path=str(AXE))
    return page.evaluate(RUN_AXE)


def test_main_pages_of_every_role_have_no_serious_or_critical_axe_violation(
    make_page, settings, tmp_path
):
    world = worst_case.build(settings, tmp_path)
    owner = Membership.objects.get(organisation=world.agency, role=Role.OWNER)
    invitation = accounts.invite_member(by=owner, email="new.booker@meridian.test", role="manager")
    planned: list[Visit] = []
    seen = set()
    for visit in visits(world, urlsplit(invitation.url).path):
        if visit.key in MAIN and visit.key not in seen:
            seen.add(visit.key)
            planned.append(visit)

    by_impact: Counter[str] = Counter()
    blocking: list[str] = []
    checked = 0
    viewports: list[dict[str, Any]] = [{}, PHONE]
    for viewport in viewports:
        for role, _ in ROLES:
            page = worst_case.sign_in(make_page, world, role, bypass_csp=True, **viewport)
            for visit in planned:
                if role not in visit.roles:
                    continue
                response = page.goto(visit.path)
                assert response is not None and response.status < 500, visit.path
                menu = page.locator("header.site label.menu-button")
                if menu.is_visible():
                    menu.click()  # check the folded menu's links too
                checked += 1
                for v in check(page):
                    by_impact[v["impact"]] += 1
                    if v["impact"] in BLOCKING:
                        width = "phone" if viewport else "desktop"
                        blocking.append(
                            f"{v['impact']:8} {v['id']} ({v['help']}) — {role}, {width}, "
                            f"{visit.path}: {v['nodes']}"
                        )
    print(f"\naxe: {checked} page × role × width checks; violations by impact: {dict(by_impact)}")
    print("\n".join(blocking))
    assert blocking == [], "\n" + "\n".join(blocking)
