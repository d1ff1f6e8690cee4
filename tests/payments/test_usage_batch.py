"""Reporting many uses of a licence at once: each decided as a single report is, in a number
of statements that does not grow with the batch, the cap kept exactly."""

from __future__ import annotations

import os
import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.core import audit
from marketplace.core.errors import DomainError
from marketplace.core.models import AuditEvent
from marketplace.licensing.models import Licence, LicenceTerms
from marketplace.payments.models import UsageReport
from marketplace.payments.services import usage

pytestmark = pytest.mark.django_db


def use(licence, key, **overrides):
    values = {
        "used_on": licence.current_terms.start_date,
        "media_type": "social",
        "territory": "DE",
        "asset_reference": f"ss27/{key}.jpg",
        "idempotency_key": key,
    }
    values.update(overrides)
    return usage.UsageInput(**values)


def batch(licence, prefix, size):
    return [use(licence, f"{prefix}-{n}") for n in range(size)]


def statements(queries: CaptureQueriesContext) -> list[str]:
    control = {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"}
    words = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    return [w for w in words if w not in control]


def report_of(outcome: usage.UseOutcome) -> UsageReport:
    assert outcome.report is not None
    return outcome.report


def error_of(outcome: usage.UseOutcome) -> DomainError:
    assert outcome.error is not None
    return outcome.error


def test_a_batch_of_10000_takes_the_statements_of_a_batch_of_100(started, brand_manager):
    # given batches of 100 and 10,000 new uses, by a member as the request loads her
    brand_manager.user, brand_manager.organisation  # noqa: B018
    hundred, ten_thousand = batch(started, "s", 100), batch(started, "l", 10_000)
    with CaptureQueriesContext(connection) as small:
        usage.record_usage_batch(by=brand_manager, reference=started.reference, uses=hundred)
    with CaptureQueriesContext(connection) as large:
        outcomes = usage.record_usage_batch(
            by=brand_manager, reference=started.reference, uses=ten_thousand
        )

    # then both take the same statements: the licence locked, the keys looked up, the count,
    # the reports and their audit events (on PostgreSQL one statement inserts both)
    assert {o.outcome for o in outcomes} == {"created"}
    if connection.vendor == "postgresql":
        assert statements(large) == statements(small)
        assert statements(small) == ["SELECT", "SELECT", "UPDATE", "WITH"]
    else:
        # SQLite: the same, but Django cuts each insert into chunks of 999 variables
        others = [s for s in statements(large) if s != "INSERT"]
        assert others == [s for s in statements(small) if s != "INSERT"]
        assert others == ["SELECT", "SELECT", "UPDATE"]
    started.refresh_from_db()
    assert started.uses_count == 10_100
    assert UsageReport.objects.filter(licence=started).count() == 10_100
    assert AuditEvent.objects.filter(verb="usage.recorded").count() == 10_100
    # and the bulk audit events join the chain like any other
    audit.seal_pending()
    chain = audit.verify_chain()
    assert (chain.ok, chain.unsealed) == (True, 0)


def test_each_use_of_a_batch_is_decided_as_a_single_report_is(started, brand_manager):
    # given a use reported before, and a batch mixing new, replayed and refused uses
    first, _ = usage.record_usage(
        by=brand_manager, reference=started.reference, data=use(started, "before")
    )
    today = timezone.localdate()
    uses = [
        use(started, "new-1"),
        use(started, "before"),  # the same use again
        use(started, "before", territory="FR"),  # its key, another use
        use(started, "print", media_type="print"),
        use(started, "italy", territory="IT"),
        use(started, "future", used_on=today + timedelta(days=1)),
        use(started, "early", used_on=started.current_terms.start_date - timedelta(days=1)),
        use(started, ""),
        use(started, "blank", asset_reference="  "),
        use(started, "new-2", territory="fr"),
        use(started, "new-1"),  # again within the batch
    ]

    outcomes = usage.record_usage_batch(by=brand_manager, reference=started.reference, uses=uses)

    assert [(o.outcome, o.error.code if o.error else None) for o in outcomes] == [
        ("created", None),
        ("replayed", None),
        ("refused", "idempotency_conflict"),
        ("refused", "media_not_licensed"),
        ("refused", "territory_not_licensed"),
        ("refused", "future_use"),
        ("refused", "outside_window"),
        ("refused", "invalid"),
        ("refused", "invalid"),
        ("created", None),
        ("replayed", None),
    ]
    assert report_of(outcomes[1]).pk == first.pk
    assert report_of(outcomes[10]).pk == report_of(outcomes[0]).pk
    assert error_of(outcomes[4]).message == "IT is not a licensed territory (DE, FR)."
    assert error_of(outcomes[7]).field == "idempotency_key"
    created = UsageReport.objects.get(idempotency_key="new-2")
    assert (created.pk, created.territory, created.fee) == (report_of(outcomes[9]).pk, "FR", 1_000)
    started.refresh_from_db()
    assert started.uses_count == 3
    assert UsageReport.objects.filter(licence=started).count() == 3
    assert AuditEvent.objects.filter(verb="usage.recorded").count() == 3


def test_a_batch_fills_the_cap_exactly(started, brand_manager):
    # given a licence for 5 uses, 2 of them taken
    LicenceTerms.objects.filter(pk=started.terms_id).update(max_uses=5)
    Licence.objects.filter(pk=started.pk).update(uses_count=2)

    outcomes = usage.record_usage_batch(
        by=brand_manager, reference=started.reference, uses=batch(started, "cap", 5)
    )

    assert [o.outcome for o in outcomes] == ["created"] * 3 + ["refused"] * 2
    assert {error_of(o).code for o in outcomes[3:]} == {"use_cap_reached"}
    assert error_of(outcomes[3]).message == "The use cap is reached (5 of 5)."
    started.refresh_from_db()
    assert started.uses_count == 5
    assert UsageReport.objects.filter(licence=started).count() == 3


def test_a_batch_on_an_inactive_licence_refuses_every_use(awaiting_payment, brand_manager):
    outcomes = usage.record_usage_batch(
        by=brand_manager, reference=awaiting_payment.reference, uses=batch(awaiting_payment, "x", 3)
    )

    assert [error_of(o).code for o in outcomes] == ["licence_not_active"] * 3
    assert not UsageReport.objects.exists()


def test_another_brands_licence_does_not_exist_for_a_batch(started, other_brand):
    from tests.factories import MembershipFactory

    stranger = MembershipFactory(organisation=other_brand, role="manager")
    with pytest.raises(Licence.DoesNotExist):
        usage.record_usage_batch(
            by=stranger, reference=started.reference, uses=batch(started, "x", 2)
        )
    assert not UsageReport.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_batches_and_single_uses_racing_never_pass_the_cap(
    migrated_categories, started, brand_manager
):
    # given a licence for 30 uses, and two batches of 20 and ten single uses sent at once
    if connection.vendor != "postgresql":
        reason = "needs PostgreSQL: SQLite admits one writer at a time"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true: {reason}")
        pytest.skip(reason)
    LicenceTerms.objects.filter(pk=started.terms_id).update(max_uses=30)
    start = threading.Barrier(12)
    created: list[int] = []
    errors: list[BaseException] = []

    def run(task) -> None:
        try:
            start.wait(timeout=10)
            created.append(task())
        except BaseException as exc:  # asserted below, in the test's thread
            errors.append(exc)
        finally:
            connections.close_all()

    def a_batch(prefix: str):
        def task() -> int:
            outcomes = usage.record_usage_batch(
                by=brand_manager, reference=started.reference, uses=batch(started, prefix, 20)
            )
            return sum(o.outcome == "created" for o in outcomes)

        return task

    def a_single(key: str):
        def task() -> int:
            try:
                usage.record_usage(
                    by=brand_manager, reference=started.reference, data=use(started, key)
                )
            except Exception as exc:
                if getattr(exc, "code", None) == "use_cap_reached":
                    return 0
                raise
            return 1

        return task

    tasks = [a_batch("a"), a_batch("b")] + [a_single(f"one-{n}") for n in range(10)]
    threads = [threading.Thread(target=run, args=(task,)) for task in tasks]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    # then exactly 30 are recorded and counted, and every answer says so
    assert errors == []
    assert sum(created) == 30
    started.refresh_from_db()
    assert started.uses_count == 30
    assert UsageReport.objects.filter(licence=started).count() == 30
