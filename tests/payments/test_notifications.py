"""Notifications say which twin and what happened, group by day, are read once opened; the
model hears of each payout."""

from __future__ import annotations

import pytest

from marketplace.core.models import Notification
from marketplace.licensing import services as licensing
from marketplace.payments.models import Payout, PayoutRun
from marketplace.payments.services import payouts
from tests.licensing.conftest import make_terms
from tests.payments.test_payouts import onboard

pytestmark = pytest.mark.django_db


@pytest.fixture
def requested(brand_manager, agency_manager, twin):
    return licensing.request_licence(by=brand_manager, twin_id=twin.pk, terms=make_terms())


def test_each_title_names_the_twin_and_what_happened(requested, agency_manager, twin):
    title = Notification.objects.get(user=agency_manager.user).title

    assert title == (
        f"{twin.display_name}: new licence request {requested.reference} "
        f"from {requested.brand.name}"
    )


def test_opening_the_licence_marks_its_notifications_read_and_no_others(
    client, requested, agency_manager, twin
):
    from marketplace.core import notify

    notify.in_app(users=[agency_manager.user], title="Something else", url="/agency/")
    client.force_login(agency_manager.user)

    client.get(f"/licences/{requested.reference}/")

    unread = Notification.objects.filter(user=agency_manager.user, read_at__isnull=True)
    assert list(unread.values_list("title", flat=True)) == ["Something else"]


def test_the_list_groups_notifications_by_day(client, requested, agency_manager):
    client.force_login(agency_manager.user)

    page = client.get("/notifications/").content.decode()

    assert '<h2 class="notification-day">Today</h2>' in page
    assert f"new licence request {requested.reference}" in page


def test_the_model_is_told_when_a_payout_is_paid(
    stripe_env, active_licence, mailoutbox, django_capture_on_commit_callbacks
):
    talent = active_licence.talent
    onboard(stripe_env, talent=talent)
    onboard(stripe_env, organisation=active_licence.agency)

    with django_capture_on_commit_callbacks(execute=True):
        run = payouts.plan_payout_run()

    notes = Notification.objects.filter(user=talent.user, title__startswith="Payout")
    assert [(n.title, n.url) for n in notes] == [
        ("Payout of €3,600.00 sent to your bank account", "/me/dashboard/")
    ]
    (payout,) = Payout.objects.filter(account__talent=talent)
    assert [(m.to, m.subject) for m in mailoutbox] == [
        ([talent.email], "Likeness sent you a payout")
    ]
    assert f"We sent you €3,600.00 (payout {payout.pk})." in mailoutbox[0].body
    # Told once per run: asking again changes nothing.
    run.refresh_from_db()
    assert run.notified_at is not None
    assert payouts.notify_payees(run_id=run.pk) == 0
    assert notes.count() == 1


def test_a_model_paid_twice_in_one_run_is_told_once_of_the_total(
    stripe_env, active_licence, mailoutbox, django_capture_on_commit_callbacks
):
    # Given: her earnings make two payouts in one run (as one from a payment still pending).
    talent = active_licence.talent
    onboard(stripe_env, talent=talent)
    run = PayoutRun.objects.create(status=PayoutRun.Status.DONE)
    account = talent.stripe_account
    for amount in (1_000, 250):
        Payout.objects.create(
            run=run, account=account, amount=amount, currency="EUR", status=Payout.Status.PAID
        )

    with django_capture_on_commit_callbacks(execute=True):
        told = payouts.notify_payees(run_id=run.pk)

    assert told == 1
    notes = Notification.objects.filter(user=talent.user, title__startswith="Payout")
    assert [n.title for n in notes] == ["Payout of €12.50 sent to your bank account"]
    assert len(mailoutbox) == 1
    assert "- €10.00 (payout" in mailoutbox[0].body and "- €2.50 (payout" in mailoutbox[0].body
