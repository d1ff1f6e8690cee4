"""Per-use metering: every use validated against the licence, idempotent per brand key."""

from __future__ import annotations

import os
from datetime import timedelta

import pytest
from django.utils import timezone

from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.licensing import services as licensing
from marketplace.licensing.models import Licence
from marketplace.payments.models import Charge, Earning, UsageReport
from marketplace.payments.services import checkout, usage
from tests.factories import MembershipFactory
from tests.flows import CTX
from tests.payments.conftest import pay, signed_licence

pytestmark = pytest.mark.django_db


def use(licence, key="k1", **overrides):
    values = {
        "used_on": licence.current_terms.start_date,
        "media_type": "social",
        "territory": "DE",
        "asset_reference": "ss27/look-04.jpg",
        "idempotency_key": key,
    }
    values.update(overrides)
    return usage.UsageInput(**values)


def test_an_accepted_use_accrues_the_per_use_fee(started, brand_manager):
    report, created = usage.record_usage(
        by=brand_manager, reference=started.reference, data=use(started, media_type="web")
    )

    assert created
    assert (report.fee, report.currency) == (2_000, "EUR")
    started.refresh_from_db()
    assert started.uses_count == 1


def test_same_key_returns_the_original_report(started, brand_manager):
    first, _ = usage.record_usage(by=brand_manager, reference=started.reference, data=use(started))
    again, created = usage.record_usage(
        by=brand_manager, reference=started.reference, data=use(started)
    )

    assert (again.pk, created) == (first.pk, False)
    started.refresh_from_db()
    assert started.uses_count == 1


def test_same_key_with_other_details_is_refused(started, brand_manager):
    usage.record_usage(by=brand_manager, reference=started.reference, data=use(started))

    with pytest.raises(ValidationFailed, match="different report"):
        usage.record_usage(
            by=brand_manager, reference=started.reference, data=use(started, territory="FR")
        )


@pytest.mark.parametrize(
    ("overrides", "code"),
    [
        ({"media_type": "print"}, "media_not_licensed"),
        ({"territory": "IT"}, "territory_not_licensed"),
        ({"used_on": "future"}, "future_use"),
        ({"used_on": "before"}, "outside_window"),
    ],
)
def test_out_of_scope_uses_are_refused_with_the_reason(started, brand_manager, overrides, code):
    today = timezone.localdate()
    if overrides.get("used_on") == "future":
        overrides["used_on"] = today + timedelta(days=1)
    elif overrides.get("used_on") == "before":
        overrides["used_on"] = started.current_terms.start_date - timedelta(days=1)

    with pytest.raises(ValidationFailed) as exc:
        usage.record_usage(
            by=brand_manager, reference=started.reference, data=use(started, **overrides)
        )

    assert exc.value.code == code
    assert UsageReport.objects.count() == 0


def test_use_cap_is_enforced(stripe_env, brand_manager, agency_manager, twin, brand_finance):
    licence = signed_licence(
        brand_manager=brand_manager, agency_manager=agency_manager, twin=twin, max_uses=2
    )
    pay(stripe_env, checkout.start_licence_checkout(by=brand_finance, reference=licence.reference))
    from marketplace.licensing.models import LicenceTerms

    assert licence.terms_id is not None
    LicenceTerms.objects.filter(pk=licence.terms_id).update(start_date=timezone.localdate())
    licence.refresh_from_db()
    for key in ("a", "b"):
        usage.record_usage(
            by=brand_manager, reference=licence.reference, data=use(licence, key=key)
        )

    with pytest.raises(ValidationFailed, match="cap is reached") as exc:
        usage.record_usage(
            by=brand_manager, reference=licence.reference, data=use(licence, key="c")
        )
    assert exc.value.code == "use_cap_reached"
    licence.refresh_from_db()
    assert licence.uses_count == 2


def test_uses_after_revocation_are_refused(started, brand_manager):
    licensing.revoke_twin_consent(
        talent=started.talent,
        user=started.talent.user,
        twin_id=started.twin_id,
        reason="",
        context=CTX,
    )

    with pytest.raises(ValidationFailed) as exc:
        usage.record_usage(
            by=brand_manager,
            reference=started.reference,
            data=use(started, used_on=timezone.localdate()),
        )
    assert exc.value.code == "consent_revoked"


def test_inactive_licence_refuses_uses(awaiting_payment, brand_manager):
    with pytest.raises(ValidationFailed) as exc:
        usage.record_usage(
            by=brand_manager, reference=awaiting_payment.reference, data=use(awaiting_payment)
        )
    assert exc.value.code == "licence_not_active"


def test_other_brands_and_agencies_cannot_report(started, other_brand, agency_manager):
    with pytest.raises(Licence.DoesNotExist):
        usage.record_usage(
            by=MembershipFactory(organisation=other_brand, role="owner"),
            reference=started.reference,
            data=use(started),
        )
    with pytest.raises(PermissionDenied):
        usage.record_usage(by=agency_manager, reference=started.reference, data=use(started))


def test_usage_is_billed_and_paid_into_earnings(stripe_env, started, brand_manager):
    for n, media in enumerate(["social", "web", "web"]):
        usage.record_usage(
            by=brand_manager,
            reference=started.reference,
            data=use(started, key=f"u{n}", media_type=media),
        )

    charge = usage.bill_usage(by=brand_manager, currency="EUR")
    assert charge is not None
    assert charge.amount == 1_000 + 2_000 + 2_000
    assert usage.bill_usage(by=brand_manager, currency="EUR") is None
    pay(stripe_env, charge)

    charge.refresh_from_db()
    usage_earnings = Earning.objects.filter(charge=charge)
    assert charge.status == Charge.Status.PAID
    # 5,000 → platform 500, agency 20 % of 4,500 = 900, model 3,600
    assert sorted(e.amount for e in usage_earnings) == [900, 3_600]


def test_usage_form_reports_and_shows_refusals(client, started, brand_manager):
    client.force_login(brand_manager.user)
    url = f"/licences/{started.reference}/uses/"
    data = {
        "used_on": started.current_terms.start_date.isoformat(),
        "media_type": "social",
        "territory": "DE",
        "asset_reference": "look-1.jpg",
        "idempotency_key": "form-1",
    }

    ok = client.post(url, data)
    refused = client.post(
        url,
        {
            **data,
            "idempotency_key": "form-2",
            "used_on": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
    )

    assert ok.status_code == 302
    assert refused.status_code == 400
    assert "before it happens" in refused.content.decode()
    assert UsageReport.objects.count() == 1
    assert "look-1.jpg" in client.get(url).content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_requests_racing_with_one_key_record_one_use(
    migrated_categories, started, brand_manager, monkeypatch
):
    # given two requests with the same key that both found no earlier report
    import threading

    from django.db import connection, connections

    if connection.vendor != "postgresql":
        reason = "needs PostgreSQL: SQLite admits one writer at a time"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    both_checked = threading.Barrier(2)
    original = usage._record_new_usage

    def after_the_check(**kwargs):
        both_checked.wait(timeout=10)
        return original(**kwargs)

    monkeypatch.setattr(usage, "_record_new_usage", after_the_check)
    results: list[tuple[int, bool]] = []
    errors: list[BaseException] = []

    def report() -> None:
        try:
            got, created = usage.record_usage(
                by=brand_manager, reference=started.reference, data=use(started, key="race")
            )
            results.append((got.pk, created))
        except BaseException as exc:  # asserted below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=report) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    # then one use is recorded and counted once; the loser answers with the winner's report
    assert errors == []
    assert sorted(created for _, created in results) == [False, True]
    assert len({pk for pk, _ in results}) == 1
    assert UsageReport.objects.filter(idempotency_key="race").count() == 1
    started.refresh_from_db()
    assert started.uses_count == 1


def test_a_replay_answers_with_the_report_even_when_that_use_filled_the_cap(started, brand_manager):
    from marketplace.licensing.models import LicenceTerms

    # given a licence for one use, taken by the first report
    LicenceTerms.objects.filter(pk=started.terms_id).update(max_uses=1)
    started.refresh_from_db()
    first, _ = usage.record_usage(
        by=brand_manager, reference=started.reference, data=use(started, key="only")
    )
    # when the brand's pipeline sends that report again, and then a new one
    again, created = usage.record_usage(
        by=brand_manager, reference=started.reference, data=use(started, key="only")
    )
    with pytest.raises(ValidationFailed) as refused:
        usage.record_usage(
            by=brand_manager, reference=started.reference, data=use(started, key="second")
        )
    # then the replay gets the original report, the new use is refused, one use is counted
    assert (again.pk, created) == (first.pk, False)
    assert refused.value.code == "use_cap_reached"
    started.refresh_from_db()
    assert started.uses_count == 1
    assert UsageReport.objects.filter(licence=started).count() == 1
