"""Staff run payouts from the admin with a button, and watch the run's progress there."""

from __future__ import annotations

import pytest

from marketplace.core.errors import PermissionDenied
from marketplace.core.models import AuditEvent
from marketplace.payments.models import Earning, PayoutRun
from marketplace.payments.services import onboarding, payouts
from tests.factories import UserFactory
from tests.payments.conftest import payout_actor
from tests.signin import sign_in_with_totp

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/payments/payoutrun/"
RUN_NOW = "/admin/payments/payoutrun/run-now/"


@pytest.fixture
def staff():
    return UserFactory(is_staff=True, is_superuser=True)


def test_an_empty_run_list_still_offers_the_button_and_says_how_payouts_run(client, staff):
    # given no payout run yet
    sign_in_with_totp(client, staff)

    # when staff open the payout runs
    html = client.get(CHANGELIST).content.decode()

    # then the button is there, with the schedule, and nothing refreshes
    assert f'<form method="post" action="{RUN_NOW}">' in html
    assert '<button type="submit" class="button">Run payouts now</button>' in html
    assert "Payouts run by themselves every day at 06:00 UTC" in html
    assert 'http-equiv="refresh"' not in html


def test_the_button_runs_payouts_and_the_list_shows_planned_sent_failed(
    client, staff, stripe_env, active_licence
):
    # given a model and an agency with earnings and ready Stripe accounts
    for owner in ({"talent": active_licence.talent}, {"organisation": active_licence.agency}):
        account = onboarding.ensure_connected_account(by=payout_actor(**owner))
        stripe_env.complete_onboarding(account.stripe_id, complete=True)
        onboarding.sync_account(stripe_id=account.stripe_id)
    sign_in_with_totp(client, staff)

    # when staff press "Run payouts now"
    response = client.post(RUN_NOW, follow=True)

    # then one run sent both payouts, recorded as started by that person, shown with its counts
    run = PayoutRun.objects.get()
    assert (run.status, run.total) == (PayoutRun.Status.DONE, 2)
    assert set(Earning.objects.values_list("status", flat=True)) == {"paid"}
    event = AuditEvent.objects.get(verb="payments.payout_run_started")
    assert (event.actor, event.target_id, event.data) == (staff, run.pk, {"payouts": 2})
    html = response.content.decode()
    assert f"Payout run {run.pk} started: 2 payout(s) to send." in html
    assert '<td class="field-planned">2</td>' in html
    assert '<td class="field-sent">2</td>' in html
    assert '<td class="field-failed">0</td>' in html
    assert "2 of 2 sent, 0 failed" in html


def test_with_nothing_to_pay_the_button_says_so(client, staff):
    sign_in_with_totp(client, staff)

    response = client.post(RUN_NOW, follow=True)

    run = PayoutRun.objects.get()
    html = response.content.decode()
    assert f"Payout run {run.pk}: nobody had earnings ready to pay out." in html


def test_the_list_refreshes_itself_while_a_run_is_under_way(client, staff):
    PayoutRun.objects.create(status=PayoutRun.Status.RUNNING, total=3)
    sign_in_with_totp(client, staff)

    html = client.get(CHANGELIST).content.decode()

    assert '<meta http-equiv="refresh" content="3">' in html
    assert "A run is under way: this page refreshes every 3 seconds." in html


def test_the_run_now_address_takes_no_get(client, staff):
    sign_in_with_totp(client, staff)

    assert client.get(RUN_NOW).status_code == 405
    assert PayoutRun.objects.count() == 0


def test_only_staff_start_a_payout_run(brand_manager):
    with pytest.raises(PermissionDenied):
        payouts.start_payout_run(by=brand_manager.user)

    assert PayoutRun.objects.count() == 0


def test_a_signed_in_non_staff_user_cannot_reach_the_button(client, brand_manager):
    client.force_login(brand_manager.user)

    response = client.post(RUN_NOW)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/")
    assert PayoutRun.objects.count() == 0
