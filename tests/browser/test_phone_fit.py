"""Every page, for every role, fits a 390 px phone: no horizontal scroll.

The pages come from the URL configuration: each pattern is either visited below or listed in
NOT_PAGES with the reason, so a new page cannot be forgotten. The data is the demo made hard
(tests/browser/worst_case.py): a licence in every status, long names, a long intended use,
31 territories, long asset references.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from marketplace.accounts import services as accounts
from marketplace.accounts.models import Membership, Role, User
from marketplace.licensing.models import Licence
from marketplace.misuse.models import TakedownCase
from tests.browser import conftest as harness
from tests.browser import worst_case
from tests.browser.worst_case import ROLES, World

pytestmark = pytest.mark.django_db(transaction=True)

PHONE: dict[str, Any] = {"width": 390, "height": 844, "mobile": True}
AGENCY = tuple(key for key, audience in ROLES if audience == "agency")
BRAND = tuple(key for key, audience in ROLES if audience == "brand")
MODEL = ("model",)
CREW = ("crew",)
STAFF = ("staff",)
ANONYMOUS = ("anonymous",)
SIGNED_IN = AGENCY + BRAND + MODEL + CREW + STAFF
PARTIES = AGENCY + BRAND + MODEL  # the people a licence concerns
MANAGERS = ("agency manager", "brand manager", "model")

# URL patterns (name, or route when unnamed) that are not pages a person opens, and why.
NOT_PAGES = {
    "health": "JSON for the load balancer",
    "api:schema": "OpenAPI document (YAML)",
    "twin_picture": "a picture file",
    "provenance:verify_use": "needs a credentialed picture, which these uses lack; it renders "
    "the template of /verify/, which is visited",
    "use_picture": "a picture file",
    "provenance:credentialed_download": "an image file",
    "provenance:labelled_download": "an image file",
    "approvals:preview": "a picture file",
    "approvals:image": "a picture file",
    "approvals:decide": "POST-only action of the proof page",
    "provenance:attach_final_asset": "POST-only action of the use's credentials page",
    "approvals:resubmit": "POST-only action of the proof page",
    "admin:payments_payoutrun_run_now": "POST-only action of the payout runs page",
    "accounts:revoke_invitation": "POST-only action of the team page",
    "accounts:revoke_api_key": "POST-only action of the API keys page",
    "accounts:switch_organisation": "POST-only action of the header",
    "webhooks:disable": "POST-only action of the webhooks page",
    "payments:pay_licence": "POST-only: starts Stripe Checkout",
    "payments:checkout_return": "redirect back from Stripe Checkout to the licence",
    "payments:stripe_webhook": "POST-only endpoint for Stripe",
    "payments:pay_usage": "POST-only: starts Stripe Checkout for usage",
    "payments:connect_payouts": "POST-only: starts Stripe onboarding",
    "payments:stripe_dashboard": "redirect to the Stripe Express dashboard",
    "dashboards:statement_csv": "file download",
    "dashboards:statement_pdf": "file download",
    "licensing:quote": "POST-only htmx fragment of the request form",
    "licensing:withdraw": "POST-only action of the licence page (GET redirects to it)",
    "licensing:accept_counter": "POST-only action of the licence page (GET redirects to it)",
    "licensing:decline_counter": "POST-only action of the licence page (GET redirects to it)",
    "licensing:approve": "POST-only action of the licence page (GET redirects to it)",
    "licensing:decline": "POST-only action of the licence page (GET redirects to it)",
    "licensing:refuse": "POST-only action of the consent page",
    "contracts:panel": "htmx fragment of the licence and signing pages",
    "contracts:decline": "POST-only action of the signing page",
    "contracts:retry": "POST-only action of the licence page",
    "contracts:document": "PDF file",
    "contracts:executed": "PDF file",
    "talent:twin_status": "POST-only action of the twin page",
    "crew:remove_credit": "POST-only action of the twin page's credits",
    "crew:invite": "POST-only action of the twin page's credits",
    "crew:cancel_invitation": "POST-only action of the twin page's credits",
    "misuse:screenshot": "a picture file",
    "misuse:notice": "PDF file",
    "misuse:case_move": "POST-only action of the case page",
    "talent:twin_image_add": "POST-only upload of the twin page",
    "talent:image_status": "htmx fragment of the twin page",
    "talent:twin_image_action": "POST-only action of the twin page",
    "account_request_reauthentication_code": "sign-in by emailed code is off",
    "account_confirm_reauthentication_code": "sign-in by emailed code is off",
    "account_confirm_login_code": "sign-in by emailed code is off",
    "mfa_download_recovery_codes": "text file download",
    "admin:login": "redirects to the site's sign-in",
    "admin:logout": "POST-only",
    "admin:autocomplete": "JSON for admin widgets",
    "admin:jsi18n": "JavaScript catalogue",
    "admin:view_on_site": "redirect to the object's site page",
    "admin/(?P<url>.*)$": "the admin's catch-all 404",
    "admin/<app>/<model>/<path:object_id>/": "old-style admin URL, redirects to the change page",
}


@dataclass(frozen=True)
class Visit:
    key: str  # the URL pattern's name, or its route when unnamed
    roles: tuple[str, ...]
    path: str


def url_patterns() -> set[str]:
    """Every pattern of the URL configuration, named like NOT_PAGES and Visit.key."""

    def walk(resolver: URLResolver, prefix: str, namespace: str) -> Iterator[str]:
        for p in resolver.url_patterns:
            if isinstance(p, URLResolver):
                ns = f"{namespace}:{p.namespace}".strip(":") if p.namespace else namespace
                yield from walk(p, prefix + str(p.pattern), ns)
            elif isinstance(p, URLPattern):
                if p.name:
                    yield f"{namespace}:{p.name}".strip(":")
                elif prefix.startswith("admin/") and "object_id" in str(p.pattern):
                    yield "admin/<app>/<model>/<path:object_id>/"
                else:
                    yield prefix + str(p.pattern)

    return set(walk(get_resolver(), "", ""))


def visits(world: World, invitation_url: str) -> list[Visit]:
    twin, other = world.twin, world.catalogue_twin
    assert other is not None
    by_status = world.licences
    active = by_status[Licence.Status.ACTIVE]
    consented = by_status[Licence.Status.CONSENTED]
    awaiting = by_status[Licence.Status.AWAITING_CONSENT]
    countered = by_status[Licence.Status.COUNTERED]
    requested = by_status[Licence.Status.REQUESTED]
    endpoint = world.agency  # agencies have no webhooks; brands do (same page either way)
    del endpoint
    out = [
        Visit("home", SIGNED_IN + ANONYMOUS, "/"),
        Visit("provenance:verify", (*ANONYMOUS, "model"), "/verify/"),
        Visit("api:docs", (*ANONYMOUS, "brand manager"), "/api/docs/"),
        Visit("notifications", SIGNED_IN, "/notifications/"),
        Visit("catalogue:list", AGENCY + BRAND + MODEL + CREW, "/catalogue/"),
        Visit("catalogue:detail", (*BRAND, *CREW, "agency manager"), f"/catalogue/{twin.slug}/"),
        Visit("catalogue:detail", ("brand manager",), f"/catalogue/{other.slug}/"),
        Visit(
            "licensing:request",
            ("brand manager", "brand owner"),
            f"/catalogue/{other.slug}/request/",
        ),
        Visit("licensing:list", PARTIES, "/licences/"),
        Visit("licensing:agency_inbox", AGENCY, "/agency/requests/"),
        Visit("licensing:consent_inbox", MODEL, "/me/consents/"),
        Visit("licensing:consent", MODEL, f"/licences/{awaiting.reference}/consent/"),
        Visit("licensing:consent", MODEL, f"/licences/{consented.reference}/consent/"),
        Visit(
            "licensing:counter", ("agency manager",), f"/licences/{requested.reference}/counter/"
        ),
        Visit("licensing:revoke", MODEL, f"/me/twins/{twin.pk}/revoke/"),
        Visit("contracts:sign", MANAGERS, f"/licences/{consented.reference}/contract/sign/"),
        Visit("payments:report_usage", BRAND, f"/licences/{active.reference}/uses/"),
        Visit(
            "provenance:use_credentials",
            (*BRAND, "agency manager", "model"),
            f"/uses/{active.usage_reports.order_by('pk').values_list('pk', flat=True)[0]}"
            "/credentials/",
        ),
        Visit("payments:brand_billing", BRAND, "/billing/"),
        Visit("payments:payouts", AGENCY + MODEL, "/payouts/"),
        Visit("dashboards:talent", MODEL, "/me/dashboard/"),
        Visit("dashboards:agency", AGENCY, "/agency/"),
        Visit("dashboards:brand", BRAND, "/brand/"),
        Visit("talent:twin_list", AGENCY, "/agency/twins/"),
        Visit("talent:twin_create", ("agency manager",), "/agency/twins/new/"),
        Visit("talent:twin_manage", AGENCY, f"/agency/twins/{twin.pk}/"),
        Visit("talent:twin_edit", ("agency manager",), f"/agency/twins/{twin.pk}/edit/"),
        Visit("talent:twin_rates", ("agency manager",), f"/agency/twins/{twin.pk}/rates/"),
        Visit("talent:roster", AGENCY, "/agency/talent/"),
        Visit("crew:add_credit", ("agency manager",), f"/agency/twins/{twin.pk}/credits/"),
        Visit("crew:home", CREW, "/crew/"),
        Visit("talent:talent_create", ("agency manager",), "/agency/talent/new/"),
        Visit("talent:my_home", MODEL, "/me/"),
        Visit("talent:my_twin", MODEL, f"/me/twins/{twin.pk}/"),
        Visit("talent:my_restrictions", MODEL, "/me/restrictions/"),
        Visit("misuse:protection", AGENCY + MODEL, "/protection/"),
        Visit("misuse:report", AGENCY + MODEL, "/protection/sightings/new/"),
        Visit("misuse:case", AGENCY + MODEL, f"/protection/cases/{world.takedown_case_pk}/"),
        Visit(
            "misuse:sighting",
            ("agency manager", "model"),
            f"/protection/sightings/{TakedownCase.objects.get(pk=world.takedown_case_pk).sighting_id}/",
        ),
        Visit("accounts:team", AGENCY + BRAND, "/team/"),
        Visit("accounts:api_keys", ("brand owner", "agency owner"), "/team/api-keys/"),
        Visit("webhooks:endpoints", ("brand owner", "brand manager"), "/team/webhooks/"),
        Visit("accounts:accept_invitation", ANONYMOUS, invitation_url),
        Visit("accounts:accept_invitation", ANONYMOUS, "/invite/no-such-token/"),
        # allauth: signed out
        Visit("account_login", ANONYMOUS, "/accounts/login/"),
        Visit("account_signup", ANONYMOUS, "/accounts/signup/"),
        Visit("account_inactive", ANONYMOUS, "/accounts/inactive/"),
        Visit("account_reset_password", ANONYMOUS, "/accounts/password/reset/"),
        Visit("account_reset_password_done", ANONYMOUS, "/accounts/password/reset/done/"),
        Visit("account_reset_password_from_key", ANONYMOUS, "/accounts/password/reset/key/1-x/"),
        Visit(
            "account_reset_password_from_key_done", ANONYMOUS, "/accounts/password/reset/key/done/"
        ),
        Visit("account_email_verification_sent", ANONYMOUS, "/accounts/confirm-email/"),
        Visit("account_confirm_email", ANONYMOUS, "/accounts/confirm-email/no-such-key/"),
        # allauth: signed in
        Visit("account_logout", (*MODEL, "brand manager"), "/accounts/logout/"),
        Visit("account_email", (*MODEL, "brand manager"), "/accounts/email/"),
        Visit("account_change_password", (*MODEL, "brand manager"), "/accounts/password/change/"),
        Visit("account_set_password", ("brand manager",), "/accounts/password/set/"),
        Visit("account_reauthenticate", ("brand manager",), "/accounts/reauthenticate/"),
        Visit("mfa_index", SIGNED_IN, "/accounts/2fa/"),
        Visit("mfa_activate_totp", ("brand owner", "model"), "/accounts/2fa/totp/activate/"),
        Visit("mfa_deactivate_totp", STAFF, "/accounts/2fa/totp/deactivate/"),
        Visit("mfa_reauthenticate", STAFF, "/accounts/2fa/reauthenticate/"),
        Visit("mfa_generate_recovery_codes", STAFF, "/accounts/2fa/recovery-codes/generate/"),
        Visit("mfa_view_recovery_codes", STAFF, "/accounts/2fa/recovery-codes/"),
        Visit("admin:index", STAFF, "/admin/"),
        Visit("admin:password_change", STAFF, "/admin/password_change/"),
        Visit("admin:password_change_done", STAFF, "/admin/password_change/done/"),
        Visit(
            "admin:auth_user_password_change",
            STAFF,
            reverse("admin:auth_user_password_change", args=[world.staff_pk]),
        ),
    ]
    proof = world.proof_reference
    assert world.approval_licence is not None
    out += [
        Visit("approvals:list", PARTIES, "/proofs/"),
        Visit("approvals:list", MANAGERS, "/proofs/?status=approved"),
        Visit(
            "approvals:licence_proofs",
            BRAND,
            f"/licences/{world.approval_licence.reference}/proofs/",
        ),
        Visit("approvals:detail", PARTIES, f"/proofs/{proof}/"),
        Visit("licensing:detail", MANAGERS, f"/licences/{world.approval_licence.reference}/"),
    ]
    # A licence in every status, as each party sees it; the active one as every role does.
    for licence in by_status.values():
        out.append(Visit("licensing:detail", MANAGERS, f"/licences/{licence.reference}/"))
    out.append(Visit("licensing:detail", PARTIES, f"/licences/{active.reference}/"))
    out.append(Visit("licensing:detail", ("brand manager",), f"/licences/{countered.reference}/"))
    for status in ("open", "active", "ended"):
        out.append(Visit("licensing:list", MANAGERS, f"/licences/?tab={status}"))
    # The admin: every app, and every registered model's list, add, change, history and delete.
    # Pages the admin does not offer (no add or delete permission: it answers 403 and links
    # nowhere) and object pages of models without a row are named in NOT_OFFERED.
    staff = RequestFactory().get("/admin/")
    staff.user = User.objects.get(pk=world.staff_pk)
    apps = set()
    for model, model_admin in admin.site._registry.items():
        meta = model._meta
        apps.add(meta.app_label)
        prefix = f"admin:{meta.app_label}_{meta.model_name}"
        out.append(Visit(f"{prefix}_changelist", STAFF, reverse(f"{prefix}_changelist")))
        if model_admin.has_add_permission(staff):
            out.append(Visit(f"{prefix}_add", STAFF, reverse(f"{prefix}_add")))
        else:
            NOT_OFFERED[f"{prefix}_add"] = "no add permission"
        first = model._default_manager.order_by("pk").first()
        for action in ("change", "history", "delete"):
            key = f"{prefix}_{action}"
            if first is None:
                NOT_OFFERED[key] = "no row of this model in the data"
            elif action == "delete" and not model_admin.has_delete_permission(staff, first):
                NOT_OFFERED[key] = "no delete permission"
            else:
                out.append(Visit(key, STAFF, reverse(key, args=[first.pk])))
    for app in sorted(apps):
        out.append(Visit("admin:app_list", STAFF, reverse("admin:app_list", args=[app])))
    return out


NOT_OFFERED: dict[str, str] = {}

MEASURE = """() => {
  const inner = window.innerWidth;
  const scroll = document.documentElement.scrollWidth;
  const wide = [];
  const limit = Math.min(inner, window.screen.width);  // a zoomed-out page has a wider inner
  if (Math.max(scroll, inner) > limit) {
    for (const el of document.body.querySelectorAll("*")) {
      const r = el.getBoundingClientRect();
      if (r.width === 0 || r.right <= limit + 1) continue;
      if ([...el.children].some(c => c.getBoundingClientRect().right > limit + 1)) continue;
      const names = typeof el.className === "string" ? el.className.trim() : "";
      const cls = names ? "." + names.split(/\\s+/).join(".") : "";
      wide.push(`${el.tagName.toLowerCase()}${cls} → ${Math.round(r.right)} px`);
    }
  }
  return {inner, scroll, wide: wide.slice(0, 6)};
}"""


def test_every_page_of_every_role_fits_a_390_px_phone(make_page, settings, tmp_path):
    world = worst_case.build(settings, tmp_path)
    owner = Membership.objects.get(organisation=world.agency, role=Role.OWNER)
    invitation = accounts.invite_member(
        by=owner, email="alexandra.montgomery-vandenberghe@northlight.test", role=Role.MANAGER
    )
    planned = visits(world, urlsplit(invitation.url).path)

    # Every pattern is visited or said not to be a page.
    patterns = url_patterns()
    planned_keys = {v.key for v in planned}
    api = {p for p in patterns if p.startswith("api:") or p.startswith("api/v1/")}
    api -= {"api:docs", "api:schema"}  # the REST API answers JSON, not pages
    signing_in = {"mfa_authenticate"}  # measured on the way in, as the staff sign in
    forgotten = patterns - api - planned_keys - signing_in - set(NOT_PAGES) - set(NOT_OFFERED)
    assert forgotten == set(), f"URL patterns neither visited nor listed in NOT_PAGES: {forgotten}"
    assert (planned_keys | set(NOT_PAGES)) - patterns == set()

    widths: dict[tuple[str, str], int] = {}
    too_wide: list[str] = []
    answered: dict[str, set[int]] = {}

    def measure(page, role: str, visit: Visit) -> None:
        page.wait_for_load_state("load")
        sizes = page.evaluate(MEASURE)
        # A page wider than the phone is zoomed out (innerWidth grows) or scrolls sideways.
        width = max(sizes["scroll"], sizes["inner"])
        widths[(role, visit.path)] = width
        if width > 390:
            too_wide.append(f"{role:15} {visit.path}: {width} px {sizes['wide']}")

    def code_page(page) -> None:
        answered.setdefault("mfa_authenticate", set()).add(200)
        measure(page, "staff", Visit("mfa_authenticate", STAFF, "/accounts/2fa/authenticate/"))

    for role, _ in ROLES:
        page = worst_case.sign_in(make_page, world, role, at_code=code_page, **PHONE)
        harness.allow_console_error(page, r"status of 404.*/invite/no-such-token/")
        for visit in planned:
            if role not in visit.roles:
                continue
            response = page.goto(visit.path)
            status = response.status if response else 0
            answered.setdefault(visit.key, set()).add(status)
            assert status < 500, f"{role} {visit.path}: {status}"
            measure(page, role, visit)

    widest = max(widths.items(), key=lambda item: item[1])
    print(
        f"\n390 px sweep: {len(widths)} page × role visits, {len({p for _, p in widths})} paths, "
        f"{len(planned_keys)} URL patterns; widest {widest[1]} px ({widest[0][0]} {widest[0][1]}); "
        f"admin pages not offered: {len(NOT_OFFERED)}"
    )
    # The admin refuses to add rows that only the site makes (403): that page fits too.
    never_ok = sorted(
        k
        for k, statuses in answered.items()
        if 200 not in statuses and not (k.startswith("admin:") and statuses == {403})
    )
    assert never_ok == [], {k: answered[k] for k in never_ok}
    print("\n".join(too_wide))
    assert too_wide == [], "\n" + "\n".join(too_wide)
