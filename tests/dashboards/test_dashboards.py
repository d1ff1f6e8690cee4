"""Dashboard figures against hand-computed expectations, query counts, and access."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.core.models import Notification
from marketplace.licensing.models import Licence
from marketplace.payments.models import Earning, UsageReport
from marketplace.payments.services import checkout, onboarding, payouts
from tests.factories import (
    AgencyFactory,
    BrandFactory,
    MembershipFactory,
    TalentFactory,
    TwinFactory,
    UserFactory,
)
from tests.payments.conftest import pay, payout_actor, signed_licence

pytestmark = pytest.mark.django_db


def text(response) -> str:
    return re.sub(r"\s+", " ", response.content.decode())


@pytest.fixture
def paid_world(stripe_env, brand_manager, agency_manager, twin):
    """Two paid licences for one model: EUR (5,000.00) and, via a GBP agency… the same model
    can only have one agency, so the second currency comes from a second talent below."""
    finance = MembershipFactory(organisation=brand_manager.organisation, role="finance")
    eur = signed_licence(
        brand_manager=brand_manager,
        agency_manager=agency_manager,
        twin=twin,
        media_types=["social", "web"],
    )
    pay(stripe_env, checkout.start_licence_checkout(by=finance, reference=eur.reference))
    return {"licence": eur, "finance": finance}


def test_talent_figures_match_the_hand_computed_split(client, paid_world, twin):
    # 5,000.00 fee: platform 500.00, agency 20 % of 4,500.00 = 900.00, model 3,600.00.
    client.force_login(twin.talent.user)

    page = text(client.get("/me/dashboard/"))

    assert "Earned</span><strong>€3,600.00" in page
    assert "Paid out</span><strong>€0.00" in page
    assert "Pending</span><strong>€3,600.00" in page
    assert "waiting for your payout account" in page
    assert "Earnings per month in EUR" in page  # the SVG chart
    assert paid_world["licence"].reference in page


def test_after_payout_everything_is_paid_out(client, stripe_env, paid_world, twin):
    account = onboarding.ensure_connected_account(by=payout_actor(talent=twin.talent))
    stripe_env.complete_onboarding(account.stripe_id, complete=True)
    onboarding.sync_account(stripe_id=account.stripe_id)
    payouts.plan_payout_run()
    client.force_login(twin.talent.user)

    page = text(client.get("/me/dashboard/"))

    assert "Paid out</span><strong>€3,600.00" in page
    assert "Pending</span><strong>€0.00" in page
    assert "Next payout run" in page


def test_agency_commission_and_brand_spend(client, paid_world, agency_manager, brand_manager):
    client.force_login(agency_manager.user)
    agency = text(client.get("/agency/"))
    client.force_login(brand_manager.user)
    brand = text(client.get("/brand/"))

    assert "Earned</span><strong>€900.00" in agency
    assert "Spend per month" in brand and "<svg" in brand
    assert paid_world["licence"].reference in brand


def test_multi_currency_figures_are_kept_apart(db):
    from marketplace.dashboards.selectors import earning_figures

    talent = TalentFactory(agency=AgencyFactory())
    licence_eur = _licence_row(talent, "EUR")
    licence_gbp = _licence_row(talent, "GBP")
    _earning(talent, licence_eur, 12_345, "EUR", status="paid")
    _earning(talent, licence_eur, 1_000, "EUR")
    _earning(talent, licence_gbp, 50_000, "GBP", reversed_amount=10_000)
    _earning(talent, licence_gbp, 7_000, "GBP", status="reversed", reversed_amount=7_000)

    figures = earning_figures(Earning.objects.filter(talent=talent), ready=True, awaiting={})

    assert figures.earned == {"EUR": 13_345, "GBP": 40_000}
    assert figures.paid_out == {"EUR": 12_345}
    assert figures.pending_in_window == {"EUR": 1_000, "GBP": 40_000}
    assert figures.pending_not_onboarded == {}


def _licence_row(talent, currency):
    from marketplace.licensing.models import Licence, LicenceTerms
    from marketplace.talent.models import Category

    brand = BrandFactory()
    twin = TwinFactory(talent=talent)
    licence = Licence.objects.create(
        reference=f"LIC-{currency}{twin.pk}",
        brand=brand,
        agency=talent.agency,
        twin=twin,
        talent=talent,
        requested_by=UserFactory(),
        status="active",
    )
    today = timezone.localdate()
    terms = LicenceTerms.objects.create(
        licence=licence,
        version=1,
        proposed_by="brand",
        media_types=["social"],
        territories=["DE"],
        territory_label="DE",
        start_date=today - timedelta(days=30),
        end_date=today + timedelta(days=60),
        category=Category.objects.get(slug="beauty"),
        intended_use="x" * 80,
        quote={
            "platform_fee_bps": 1000,
            "agency_commission_bps": 2000,
            "lines": [{"media_type": "social", "per_use_fee": 1000}],
            "split": {"talent_share": 0},
        },
        currency=currency,
        total_fee=0,
        terms_hash="0" * 64,
    )
    licence.terms = terms
    licence.save()
    return licence


def _earning(talent, licence, amount, currency, status="available", reversed_amount=0):
    from marketplace.payments.models import Charge

    charge = Charge.objects.create(
        kind="usage",
        brand=licence.brand,
        amount=amount,
        currency=currency,
        status="paid",
        paid_at=timezone.now(),
    )
    return Earning.objects.create(
        talent=talent,
        licence=licence,
        charge=charge,
        source="usage",
        amount=amount,
        currency=currency,
        status=status,
        reversed_amount=reversed_amount,
        brand_paid_at=timezone.now(),
        due_by=timezone.now() + timedelta(days=45),
    )


def _uses(licence, n, start=0):
    UsageReport.objects.bulk_create(
        UsageReport(
            licence=licence,
            brand=licence.brand,
            talent=licence.talent,
            reported_by=licence.requested_by,
            idempotency_key=f"k{start + i}",
            used_on=timezone.localdate() - timedelta(days=i % 28),
            media_type="social",
            territory="DE",
            asset_reference=f"asset-{i}.jpg",
            fee=1000,
            talent_share=720,
            agency_share=180,
            currency="EUR",
        )
        for i in range(n)
    )
    # As record_usage does with each use, in the same transaction.
    Licence.objects.filter(pk=licence.pk).update(uses_count=F("uses_count") + n)


def _queries(client, url):
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


def test_talent_dashboard_query_count_is_the_same_for_10_and_10000_uses(client, db):
    talent = TalentFactory(agency=AgencyFactory(), user=UserFactory())
    licence = _licence_row(talent, "EUR")
    _earning(talent, licence, 5_000, "EUR")
    client.force_login(talent.user)
    from marketplace.core.notify import unread_count

    unread_count(talent.user)  # the header's count is cached apart from the dashboard's sums
    _uses(licence, 10)
    small = _queries(client, "/me/dashboard/")
    small_again = _queries(client, "/me/dashboard/")

    _uses(licence, 9_990, start=10)
    _earning(talent, licence, 1_000, "EUR")  # both versions move: nothing cached applies
    assert UsageReport.objects.count() == 10_000
    large = _queries(client, "/me/dashboard/")
    large_again = _queries(client, "/me/dashboard/")
    filtered = _queries(client, "/me/dashboard/?media=social&territory=DE&page=3")
    filtered_again = _queries(client, "/me/dashboard/?media=social&territory=DE&page=3")

    # The first visit after a change sums in SQL; the next ones read the sums from the cache.
    assert small == large
    assert small_again == large_again == filtered_again < small
    assert filtered == small_again + 1  # a new filter: only the matching uses are counted


def test_a_new_use_or_earning_shows_on_the_next_visit(client, db):
    talent = TalentFactory(agency=AgencyFactory(), user=UserFactory())
    licence = _licence_row(talent, "EUR")
    _earning(talent, licence, 5_000, "EUR")
    client.force_login(talent.user)
    _uses(licence, 25)
    first = text(client.get("/me/dashboard/"))
    assert "Page 1 of 1" not in first and "€50.00" in first

    # when one more use is recorded and another earning paid, both caches move on
    _uses(licence, 1, start=25)
    _earning(talent, licence, 2_500, "EUR")
    second = text(client.get("/me/dashboard/"))

    assert "Page 1 of 2" in second
    assert "€75.00" in second


def test_the_cached_awaiting_figure_follows_uses_signing_and_payment(client, db):
    from marketplace.payments.models import Charge

    def awaiting() -> str:
        page = text(client.get("/me/dashboard/"))
        found = re.search(r"Awaiting brand payment</span><strong>([^<]+)<", page)
        return found.group(1) if found else "none"

    talent = TalentFactory(agency=AgencyFactory(), user=UserFactory())
    licence = _licence_row(talent, "EUR")
    client.force_login(talent.user)
    _uses(licence, 10)  # unbilled: 10 x 7.20
    assert awaiting() == "€72.00"
    assert awaiting() == "€72.00"  # now from the cache

    # a new use moves the licences' version
    _uses(licence, 1, start=10)
    assert awaiting() == "€79.20"

    # a licence signed (awaiting the brand's payment) is saved: its share is awaited too
    signed = _licence_row(talent, "EUR")
    terms = signed.current_terms
    terms.quote = {**terms.quote, "split": {"talent_share": 10_000}}
    terms.save()
    signed.status = Licence.Status.AWAITING_PAYMENT
    signed.save()
    assert awaiting() == "€179.20"

    # the uses billed and paid: their earnings move the earnings' version, nothing is awaited
    charge = Charge.objects.create(
        kind=Charge.Kind.USAGE, brand=licence.brand, amount=11_000, currency="EUR"
    )
    UsageReport.objects.filter(licence=licence).update(charge=charge)
    Charge.objects.filter(pk=charge.pk).update(status=Charge.Status.PAID)
    _earning(talent, licence, 7_920, "EUR")
    assert awaiting() == "€100.00"


def test_uses_list_shows_each_placement_and_filters(client, db):
    talent = TalentFactory(agency=AgencyFactory(), user=UserFactory())
    licence = _licence_row(talent, "EUR")
    _uses(licence, 30)
    client.force_login(talent.user)

    first = text(client.get("/me/dashboard/"))
    filtered = text(client.get("/me/dashboard/?territory=FR"))

    assert "asset-0.jpg" in first and "€7.20" in first
    assert "Page 1 of 2" in first
    assert "No use matches these filters" in filtered


def test_statements_csv_and_pdf(client, paid_world, twin):
    client.force_login(twin.talent.user)
    month = timezone.localdate().strftime("%Y-%m")

    csv_body = client.get(f"/me/statements/{month}.csv").content.decode()
    pdf = client.get(f"/me/statements/{month}.pdf")

    assert f"earning,{timezone.localdate():%Y-%m}" in csv_body
    assert "3600.00,EUR" in csv_body
    assert "total,,,,earnings credited this month,3600.00,EUR" in csv_body
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")


@pytest.mark.parametrize(
    "url", ["/me/dashboard/", "/agency/", "/brand/", "/me/statements/2026-01.csv"]
)
def test_dashboards_are_only_for_their_kind(client, db, url):
    outsider = (
        MembershipFactory(organisation=BrandFactory(), role="owner").user
        if url != "/brand/"
        else MembershipFactory(organisation=AgencyFactory()).user
    )
    client.force_login(outsider)

    assert client.get(url).status_code == 404


def test_each_dashboard_shows_only_its_own(client, paid_world, agency_manager, twin):
    rival_brand = MembershipFactory(organisation=BrandFactory(name="Rival"), role="owner")
    other_agency = MembershipFactory(organisation=AgencyFactory(name="Other Agency"), role="owner")
    other_talent = TalentFactory(agency=other_agency.organisation, user=UserFactory())
    reference = paid_world["licence"].reference

    for user, url in [
        (rival_brand.user, "/brand/"),
        (other_agency.user, "/agency/"),
        (other_talent.user, "/me/dashboard/"),
    ]:
        client.force_login(user)
        page = text(client.get(url))
        assert reference not in page
        assert "€3,600.00" not in page and "€900.00" not in page


def test_notifications_list_and_unread_count(client, paid_world, twin):
    user = twin.talent.user
    unread = Notification.objects.filter(user=user, read_at__isnull=True).count()
    assert unread >= 2  # consent requested, licence active
    client.force_login(user)

    header = client.get("/me/dashboard/").content.decode()
    listing = client.get("/notifications/").content.decode()
    after = client.get("/me/dashboard/").content.decode()

    assert f'<span class="badge-count">{unread}</span>' in header
    assert paid_world["licence"].reference in listing
    assert "badge-count" not in after


def test_the_unread_count_follows_new_and_read_notifications(client, db):
    from marketplace.core import notify

    user = TalentFactory(agency=AgencyFactory(), user=UserFactory()).user
    client.force_login(user)
    notify.in_app(users=[user], title="First")
    assert '<span class="badge-count">1</span>' in client.get("/me/dashboard/").content.decode()

    # a new notification shows on the next page, though the count was cached
    notify.in_app(users=[user], title="Second")
    assert '<span class="badge-count">2</span>' in client.get("/me/dashboard/").content.decode()

    # marked read: the badge goes
    client.post("/notifications/")
    assert "badge-count" not in client.get("/me/dashboard/").content.decode()


def test_the_dashboard_lists_cost_no_query_per_line(client, db):
    # Its lists load only what a line shows: a field left out would cost a query per line.
    talent = TalentFactory(agency=AgencyFactory(), user=UserFactory())
    client.force_login(talent.user)
    awaiting_consent = _licence_row(talent, "EUR")
    Licence.objects.filter(pk=awaiting_consent.pk).update(status="awaiting_consent")
    _uses(_licence_row(talent, "EUR"), 1, start=100)
    _queries(client, "/me/dashboard/")
    one_each = _queries(client, "/me/dashboard/")

    for _ in range(3):
        Licence.objects.filter(pk=_licence_row(talent, "EUR").pk).update(status="awaiting_consent")
        _uses(_licence_row(talent, "EUR"), 2, start=_ * 10)
    _queries(client, "/me/dashboard/")
    page = text(client.get("/me/dashboard/"))
    several = _queries(client, "/me/dashboard/")

    assert several == one_each
    assert page.count("your share") == 4  # the consents listed
    assert talent.twins.count() == 8
