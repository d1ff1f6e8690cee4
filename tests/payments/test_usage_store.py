"""The writes of an accepted use: the one-statement PostgreSQL path and the ORM path write the
same rows; the service takes the short path where it can."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, connection, transaction
from django.forms.models import model_to_dict
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from marketplace.core import audit
from marketplace.core.errors import ValidationFailed
from marketplace.core.models import AuditEvent
from marketplace.licensing.models import Licence, LicenceTerms
from marketplace.payments import usage_store
from marketplace.payments.models import UsageReport
from marketplace.payments.services import usage
from marketplace.talent.models import Twin
from tests.factories import BrandFactory

pytestmark = pytest.mark.django_db

needs_postgresql = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the one-statement path is PostgreSQL's"
)


def use_input(key: str) -> usage.UsageInput:
    return usage.UsageInput(
        used_on=timezone.localdate(),
        media_type="social",
        territory="DE",
        asset_reference="ss27/look-04.jpg",
        idempotency_key=key,
    )


def accepted(as_read: Licence, brand_manager, key: str) -> UsageReport:
    """The use, unsaved, as `record_usage` builds it from the licence as read."""
    return usage._accepted_use(by=brand_manager, licence=as_read, data=use_input(key), key=key)


def written(report: UsageReport) -> tuple[dict, dict]:
    """The report and its audit event as stored, less what differs by nature (ids, key,
    timestamps)."""
    stored = model_to_dict(UsageReport.objects.get(pk=report.pk))
    for field in ("id", "idempotency_key"):
        stored.pop(field)
    event = AuditEvent.objects.get(verb="usage.recorded", data__usage_id=report.pk)
    fields = model_to_dict(event, exclude=["id", "seq", "prev_hash", "hash"])
    fields["data"].pop("usage_id")
    return stored, fields


def read(licence: Licence, by) -> Licence:
    """The licence as the short path reads it (no lock)."""
    return usage_store.read_licence(brand_id=by.organisation.pk, reference=licence.reference)


@needs_postgresql
def test_both_paths_write_the_same_rows(started, brand_manager):
    with transaction.atomic():
        by_orm = usage_store.store_use_with_orm(
            accepted(read(started, brand_manager), brand_manager, "orm")
        )
    in_one = accepted(read(started, brand_manager), brand_manager, "sql")
    assert usage_store.store_use_if_unchanged(in_one, read(started, brand_manager))

    assert written(in_one) == written(by_orm)
    started.refresh_from_db()
    assert started.uses_count == 2
    # the returned report is the saved one, as the API serializes it
    stored = UsageReport.objects.get(idempotency_key="sql")
    assert (in_one.pk, in_one._state.adding, in_one.created_at) == (
        stored.pk,
        False,
        stored.created_at,
    )
    # and both events join the chain
    audit.seal_pending()
    assert audit.verify_chain().ok


@needs_postgresql
def test_a_batch_written_in_one_statement_writes_what_the_orm_writes(started, brand_manager):
    # given the same uses stored by the ORM and by the batch's single statement
    as_read = read(started, brand_manager)
    with transaction.atomic():
        orm = [accepted(as_read, brand_manager, f"orm-{n}") for n in range(3)]
        usage_store.insert_with_orm(started, orm)
        sql = [accepted(as_read, brand_manager, f"sql-{n}") for n in range(3)]
        with CaptureQueriesContext(connection) as queries:
            usage_store.insert_with_events(started, sql)
    # then one statement wrote the same reports and events, ids in the batch's order
    assert len(queries.captured_queries) == 1
    assert [written(r) for r in sql] == [written(r) for r in orm]
    assert [r.pk for r in sql] == sorted(r.pk for r in sql)
    stored = UsageReport.objects.get(idempotency_key="sql-1")
    assert (sql[1].pk, sql[1]._state.adding, sql[1].created_at) == (
        stored.pk,
        False,
        stored.created_at,
    )
    events = AuditEvent.objects.filter(
        verb="usage.recorded", data__usage_id__in=[r.pk for r in sql]
    )
    assert [e.data["usage_id"] for e in events.order_by("id")] == [r.pk for r in sql]
    audit.seal_pending()
    assert audit.verify_chain().ok


@needs_postgresql
def test_the_short_read_gives_what_the_orm_gives(started, brand_manager):
    from django.db.models import F

    orm = (
        Licence.objects.select_related("terms")
        .annotate(consent_revoked_at=F("twin__consent_revoked_at"))
        .get(pk=started.pk)
    )
    short = read(started, brand_manager)

    for name in ("pk", "reference", "brand_id", "talent_id", "twin_id", "status", "uses_count"):
        assert getattr(short, name) == getattr(orm, name), name
    assert (short.ends_early_on, short.effective_end) == (orm.ends_early_on, orm.effective_end)
    assert short.consent_revoked_at == orm.consent_revoked_at  # type: ignore[attr-defined]  # set by read_licence
    for name in ("pk", "start_date", "end_date", "media_types", "territories", "max_uses"):
        assert getattr(short.current_terms, name) == getattr(orm.current_terms, name), name
    assert short.current_terms.quote == orm.current_terms.quote
    assert isinstance(short.current_terms.quote, dict)
    # a revocation reads as the same aware moment
    revoked = timezone.now()
    Twin.objects.filter(pk=started.twin_id).update(consent_revoked_at=revoked)
    assert read(started, brand_manager).consent_revoked_at == revoked  # type: ignore[attr-defined]
    # another brand's licence does not exist for this brand
    with pytest.raises(Licence.DoesNotExist):
        usage_store.read_licence(brand_id=BrandFactory().pk, reference=started.reference)


@needs_postgresql
def test_a_use_is_read_then_written_in_one_statement(started, brand_manager):
    data = use_input("one")
    with CaptureQueriesContext(connection) as queries:
        usage.record_usage(by=brand_manager, reference=started.reference, data=data)

    control = {"BEGIN", "COMMIT", "SAVEPOINT", "RELEASE"}
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    # the licence read (no lock), then count + report + audit event in one statement
    assert [s for s in statements if s not in control] == ["SELECT", "WITH"]
    assert "FOR UPDATE" not in queries.captured_queries[0]["sql"]


@needs_postgresql
def test_a_reused_key_writes_nothing_on_the_short_path(started, brand_manager):
    assert usage_store.store_use_if_unchanged(
        accepted(read(started, brand_manager), brand_manager, "same"), read(started, brand_manager)
    )
    events = AuditEvent.objects.count()

    with pytest.raises(IntegrityError):
        usage_store.store_use_if_unchanged(
            accepted(read(started, brand_manager), brand_manager, "same"),
            read(started, brand_manager),
        )

    # nothing more written, and the surrounding transaction is still usable
    started.refresh_from_db()
    assert started.uses_count == 1
    assert UsageReport.objects.count() == 1
    assert AuditEvent.objects.count() == events


def _status(licence: Licence) -> None:
    Licence.objects.filter(pk=licence.pk).update(status=Licence.Status.TERMINATED)


def _ends_early(licence: Licence) -> None:
    Licence.objects.filter(pk=licence.pk).update(ends_early_on=timezone.localdate())


def _revoked(licence: Licence) -> None:
    Twin.objects.filter(pk=licence.twin_id).update(consent_revoked_at=timezone.now())


def _new_terms(licence: Licence) -> None:
    terms = licence.current_terms
    terms.pk, terms.version = None, terms.version + 1
    terms.save()
    Licence.objects.filter(pk=licence.pk).update(terms=terms)


def _capped(licence: Licence) -> None:
    assert licence.terms_id is not None
    LicenceTerms.objects.filter(pk=licence.terms_id).update(max_uses=3)
    Licence.objects.filter(pk=licence.pk).update(uses_count=3)


@needs_postgresql
@pytest.mark.parametrize(
    ("change", "refusal"),
    [
        (_status, "licence_not_active"),
        (_revoked, "consent_revoked"),
        (_capped, "use_cap_reached"),
        (_ends_early, None),
        (_new_terms, None),
    ],
)
def test_a_licence_changed_after_the_read_is_checked_again_under_its_lock(
    started, brand_manager, change, refusal
):
    # given a use checked against the licence as read, and the licence changed since
    as_read = read(started, brand_manager)
    if change is _capped:  # the cap as read: 3, with 2 used
        LicenceTerms.objects.filter(pk=started.terms_id).update(max_uses=3)
        Licence.objects.filter(pk=started.pk).update(uses_count=2)
        as_read = read(started, brand_manager)
    change(started)
    counted = Licence.objects.get(pk=started.pk).uses_count

    # then the one statement writes nothing
    assert not usage_store.store_use_if_unchanged(accepted(as_read, brand_manager, "late"), as_read)
    assert Licence.objects.get(pk=started.pk).uses_count == counted
    assert not UsageReport.objects.exists()

    # and the service, checking again under the lock, refuses with the reason or records
    data = use_input("late")
    if refusal is None:
        report, created = usage.record_usage(
            by=brand_manager, reference=started.reference, data=data
        )
        assert created and report.pk
        assert Licence.objects.get(pk=started.pk).uses_count == counted + 1
    else:
        with pytest.raises(ValidationFailed) as exc:
            usage.record_usage(by=brand_manager, reference=started.reference, data=data)
        assert exc.value.code == refusal
        assert not UsageReport.objects.exists()
