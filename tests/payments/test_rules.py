"""Who may do what with money, asked of the services themselves and through both front doors:
opening the payout dashboard, reporting billable uses, paying; and the list of services that
act for nobody."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest
from rest_framework.test import APIClient

import marketplace.payments.services as payments_services
from marketplace.core.entry_points import is_system_entry_point
from marketplace.core.errors import PermissionDenied
from marketplace.payments.models import Charge, UsageReport
from marketplace.payments.services import onboarding, usage
from tests.factories import AgencyFactory, MembershipFactory
from tests.payments.conftest import payout_actor

pytestmark = pytest.mark.django_db


# --- The payout dashboard (Stripe Express) ------------------------------------------------


@pytest.fixture
def agency_account(stripe_env, agency):
    """The agency's Stripe account, set up by its owner."""
    account = onboarding.ensure_connected_account(by=payout_actor(organisation=agency))
    stripe_env.complete_onboarding(account.stripe_id, complete=True)
    return onboarding.sync_account(stripe_id=account.stripe_id)


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("member", 404),
        ("manager", 404),
        ("finance", 302),
        ("owner", 302),
        ("other_agency_owner", 404),
        ("brand_owner", 404),
    ],
)
def test_only_owners_and_finance_open_the_agency_payout_dashboard(
    client, stripe_env, agency, brand, agency_account, who, status
):
    organisation = {"other_agency_owner": AgencyFactory(), "brand_owner": brand}.get(who, agency)
    role = who.rsplit("_", 1)[-1]
    member = MembershipFactory(organisation=organisation, role=role)
    client.force_login(member.user)

    response = client.get("/payouts/dashboard/")
    page = client.get("/payouts/")

    assert response.status_code == status
    if status == 302:
        assert response["Location"].startswith(stripe_env.base_url)
        assert b"Open your Stripe Express dashboard" in page.content
    elif who in {"member", "manager"}:
        assert b"Stripe Express dashboard" not in page.content
        assert b"Set up payouts" not in page.content


def test_the_dashboard_link_service_refuses_a_member(agency, agency_account):
    member = MembershipFactory(organisation=agency, role="member")

    with pytest.raises(PermissionDenied):
        onboarding.dashboard_link(by=member)
    with pytest.raises(PermissionDenied):
        onboarding.ensure_connected_account(by=MembershipFactory(organisation=agency))


def test_a_model_opens_her_own_dashboard(client, stripe_env, twin):
    account = onboarding.ensure_connected_account(by=payout_actor(talent=twin.talent))
    stripe_env.complete_onboarding(account.stripe_id, complete=True)
    client.force_login(twin.talent.user)

    response = client.get("/payouts/dashboard/")

    assert response.status_code == 302
    assert response["Location"].startswith(stripe_env.base_url)


# --- Reporting billable uses ----------------------------------------------------------------

REPORTING = {"owner": True, "manager": True, "finance": False, "member": False}


def use_form(licence, key: str) -> dict:
    return {
        "used_on": licence.current_terms.start_date.isoformat(),
        "media_type": "social",
        "territory": "DE",
        "asset_reference": f"{key}.jpg",
        "idempotency_key": key,
    }


@pytest.mark.parametrize(("role", "allowed"), REPORTING.items())
def test_only_owners_and_managers_report_uses_on_the_web(client, started, role, allowed):
    member = MembershipFactory(organisation=started.brand, role=role)
    client.force_login(member.user)
    url = f"/licences/{started.reference}/uses/"

    page = client.get(url)
    response = client.post(url, use_form(started, f"web-{role}"))

    assert response.status_code == (302 if allowed else 403)
    assert UsageReport.objects.count() == (1 if allowed else 0)
    assert (b"Report use</button>" in page.content) is allowed
    detail = client.get(f"/licences/{started.reference}/").content
    assert (b"Report a use</a>" in detail) is allowed


@pytest.mark.parametrize(("role", "allowed"), REPORTING.items())
def test_only_owners_and_managers_report_uses_over_an_api_session(started, role, allowed):
    member = MembershipFactory(organisation=started.brand, role=role)
    api = APIClient()
    api.force_login(member.user)
    one = f"/api/v1/licences/{started.reference}/uses"
    batch = f"/api/v1/licences/{started.reference}/uses/batch"
    body = use_form(started, f"api-{role}")

    single = api.post(one, body, format="json")
    many = api.post(batch, {"uses": [{**body, "idempotency_key": f"b-{role}"}]}, format="json")

    assert single.status_code == (201 if allowed else 403)
    assert many.status_code == (200 if allowed else 403)
    assert UsageReport.objects.count() == (2 if allowed else 0)
    if not allowed:
        assert single.json()["error"]["code"] == "permission_denied"


def test_the_usage_service_refuses_finance_and_changes_nothing(started, brand_finance):
    data = usage.UsageInput(
        used_on=started.current_terms.start_date,
        media_type="social",
        territory="DE",
        asset_reference="look.jpg",
        idempotency_key="finance-1",
    )

    with pytest.raises(PermissionDenied):
        usage.record_usage(by=brand_finance, reference=started.reference, data=data)

    started.refresh_from_db()
    assert started.uses_count == 0
    assert UsageReport.objects.count() == 0


# --- Paying ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("role", "allowed"), [("owner", True), ("manager", True), ("finance", True), ("member", False)]
)
def test_who_may_pay_is_one_rule_for_the_panel_and_the_service(
    client, awaiting_payment, stripe_env, role, allowed
):
    member = MembershipFactory(organisation=awaiting_payment.brand, role=role)
    client.force_login(member.user)

    page = client.get(f"/licences/{awaiting_payment.reference}/").content
    response = client.post(f"/licences/{awaiting_payment.reference}/pay/")

    assert (b"Pay with Stripe" in page) is allowed
    assert Charge.objects.count() == (1 if allowed else 0)
    assert response.status_code == 302
    if allowed:
        assert response["Location"].startswith(stripe_env.base_url)


def test_a_member_may_not_bill_usage(started, brand_manager):
    member = MembershipFactory(organisation=started.brand, role="member")

    with pytest.raises(PermissionDenied):
        usage.bill_usage(by=member, currency="EUR")
    assert Charge.objects.filter(kind=Charge.Kind.USAGE).count() == 0


# --- Services that act for nobody are marked ---------------------------------------------

# Read-only checks and builders, not services: they act on nothing.
NOT_SERVICES = {
    "marketplace.payments.services.usage.check_usage",
    "marketplace.payments.services.payouts.transfer_params",
}


def public_services():
    for info in pkgutil.iter_modules(payments_services.__path__):
        module = importlib.import_module(f"{payments_services.__name__}.{info.name}")
        for name, func in inspect.getmembers(module, inspect.isfunction):
            if name.startswith("_") or func.__module__ != module.__name__:
                continue
            yield f"{module.__name__}.{name}", func


def test_every_public_payments_service_takes_an_actor_or_is_a_system_entry_point():
    services = dict(public_services())
    unguarded = [
        name
        for name, func in services.items()
        if "by" not in inspect.signature(func).parameters
        and not is_system_entry_point(func)
        and name not in NOT_SERVICES
    ]

    assert len(services) >= 15
    assert unguarded == []
    acting = sorted(
        name.rsplit(".", 1)[1]
        for name, func in services.items()
        if "by" in inspect.signature(func).parameters
    )
    assert acting == [
        "attach_final_asset",
        "bill_usage",
        "dashboard_link",
        "ensure_connected_account",
        "onboarding_link",
        "record_usage",
        "record_usage_batch",
        "refund_charge",
        "start_licence_checkout",
        "start_payout_run",
    ]
