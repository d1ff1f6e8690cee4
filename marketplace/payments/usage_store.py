"""Writing accepted uses: as many more on the licence's count, the reports, and their audit
events.

These writes are the hot path of usage reporting. On PostgreSQL, `store_use_if_unchanged`
sends one use's writes as one statement (data-modifying CTEs: the count, the report returning
its id, the audit event carrying that id): one round trip, its own transaction, and no row
lock held while Python checks the use. Instead, the count only moves on the condition
licensing derives from what its checks read (`usage_rules.usable_licence_q`: the licence
still as read, under its cap, checked on the row as it is when the statement runs, so
concurrent uses never pass the cap); the statement is the ORM's UPDATE for that condition,
the report's INSERT built from its model, and the audit module's INSERT. Otherwise nothing is
written and `record_usage` checks the use again under the licence's lock, then writes with
the ORM (`store_uses`), as it always does on SQLite, for a report with a picture (the ORM
stores the file) and for a batch (a constant number of statements for any number of uses).

Both paths write the same rows: tests/payments/test_usage_store.py compares them.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any, cast

from django.db import connection, transaction
from django.db.models import F
from django.db.models.sql.subqueries import UpdateQuery
from django.utils import timezone

from marketplace.core import audit
from marketplace.licensing import usage_rules
from marketplace.licensing.models import Licence, LicenceTerms
from marketplace.talent.models import Twin

from .models import UsageReport

VERB = "usage.recorded"
_TARGET_TYPE = Licence._meta.label_lower


# A use's audit event holds these of its report's columns, under these keys.
_AUDITED = {"usage_id": "id", "fee": "fee", "media": "media_type", "territory": "territory"}


def audit_data(report: UsageReport) -> dict[str, Any]:
    return {key: getattr(report, column) for key, column in _AUDITED.items()}


def stores_in_one_statement() -> bool:
    return connection.vendor == "postgresql"


# --- The read (short path) ------------------------------------------------------------------

# What checking a use and writing it need of the licence and its terms (the terms never
# change once written), in the models' field order, as `Model.from_db` takes them.
_LICENCE_FIELDS = [
    f
    for f in Licence._meta.concrete_fields
    if f.name
    in {
        "id",
        "reference",
        "brand",
        "talent",
        "twin",
        "terms",
        "status",
        "ends_early_on",
        "uses_count",
    }
]
_TERMS_FIELDS = [
    f
    for f in LicenceTerms._meta.concrete_fields
    if f.name
    in {
        "id",
        "start_date",
        "end_date",
        "media_types",
        "territories",
        "territory_label",
        "max_uses",
        "quote",
        "currency",
        "image_approval",  # a use under terms asking for approval needs an approved proof
    }
]


def _select(alias: str, fields: list[Any]) -> str:
    return ", ".join(f"{alias}.{connection.ops.quote_name(f.column)}" for f in fields)


_READ = f"""
SELECT {_select("licence", _LICENCE_FIELDS)}, {_select("terms", _TERMS_FIELDS)},
    twin.consent_revoked_at
FROM {Licence._meta.db_table} AS licence
JOIN {LicenceTerms._meta.db_table} AS terms ON terms.id = licence.terms_id
JOIN {Twin._meta.db_table} AS twin ON twin.id = licence.twin_id
WHERE licence.brand_id = %s AND licence.reference = %s
"""  # noqa: S608


def read_licence(*, brand_id: int, reference: str) -> Licence:
    """The brand's licence with its terms and `consent_revoked_at` (its twin's), as
    `record_usage`'s locked read gives it, in one query without the ORM's compilation and
    without a lock. Raises Licence.DoesNotExist (another brand's licence included)."""
    with connection.cursor() as cursor:
        cursor.execute(_READ, [brand_id, reference])
        row = cursor.fetchone()
    if row is None:
        raise Licence.DoesNotExist(reference)
    split = len(_LICENCE_FIELDS)
    licence = Licence.from_db(
        connection.alias, [f.attname for f in _LICENCE_FIELDS], _converted(_LICENCE_FIELDS, row)
    )
    licence.terms = LicenceTerms.from_db(
        connection.alias,
        [f.attname for f in _TERMS_FIELDS],
        _converted(_TERMS_FIELDS, row[split : split + len(_TERMS_FIELDS)]),
    )
    licence.consent_revoked_at = row[-1]  # type: ignore[attr-defined]
    return licence


def _converted(fields: list[Any], values: Any) -> list[Any]:
    """Values as the ORM would give them (JSON decoded, …)."""
    converted = []
    for field, value in zip(fields, values, strict=False):
        for converter in field.get_db_converters(connection):
            value = converter(value, field, connection)
        converted.append(value)
    return converted


def store_use_with_orm(report: UsageReport) -> UsageReport:
    """Save `report` (unsaved; its licence locked by the caller's transaction), count it on
    the licence and audit it."""
    store_uses(report.licence, [report])
    return report


def store_uses(licence: Licence, reports: list[UsageReport]) -> list[UsageReport]:
    """Save `reports` (unsaved, all of `licence`, locked by the caller's transaction, and all
    by one member), count them on the licence and audit them. On PostgreSQL two statements
    however many reports (the reports and their events in one, `insert_with_events`); elsewhere
    three (on SQLite the inserts go in chunks of its variable limit)."""
    if not reports:
        return reports
    Licence.objects.filter(pk=licence.pk).update(uses_count=F("uses_count") + len(reports))
    if stores_in_one_statement():
        insert_with_events(licence, reports)
    else:
        insert_with_orm(licence, reports)
    return reports


def insert_with_orm(licence: Licence, reports: list[UsageReport]) -> None:
    """The reports (a picture's file is stored already) and their audit events, by the ORM."""
    UsageReport.objects.bulk_create(reports)
    audit.record_many(
        licence,
        VERB,
        actor=reports[0].reported_by,
        data=[audit_data(report) for report in reports],
    )


_REPORT_FIELDS = [f for f in UsageReport._meta.concrete_fields if not f.primary_key]


def insert_with_events(licence: Licence, reports: list[UsageReport]) -> None:
    """The reports and one audit event each, in one PostgreSQL statement. The rows travel as
    one JSON parameter that PostgreSQL turns into rows of the report table's type
    (`json_populate_recordset`): building and binding it costs a fraction of the ORM's
    per-value preparation of a bulk insert, which dominated a 10,000-use batch."""
    now = timezone.now()
    rows = []
    for report in reports:
        row = {}
        for field in _REPORT_FIELDS:
            if getattr(field, "auto_now", False) or getattr(field, "auto_now_add", False):
                setattr(report, field.attname, now)
            row[field.column] = field.get_prep_value(getattr(report, field.attname))
        rows.append(row)
    table = connection.ops.quote_name(UsageReport._meta.db_table)
    columns = ", ".join(connection.ops.quote_name(f.column) for f in _REPORT_FIELDS)
    returned = ", ".join(connection.ops.quote_name(c) for c in sorted({"id", *_AUDITED.values()}))
    audit_sql, audit_params = audit.insert_per_row(
        "recorded",
        licence,
        VERB,
        actor_id=reports[0].reported_by_id,
        data={},
        data_from_source=_AUDITED,
    )
    sql = " ".join(
        [
            f"WITH recorded AS (INSERT INTO {table} ({columns})",
            f"SELECT {columns} FROM json_populate_recordset(NULL::{table}, %s)",  # noqa: S608
            f"WITH ORDINALITY ORDER BY ordinality RETURNING {returned}, idempotency_key),",
            f"audited AS ({audit_sql})",
            "SELECT recorded.idempotency_key, recorded.id FROM recorded",
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, [json.dumps(rows, default=_iso), *audit_params])
        ids = dict(cursor.fetchall())
    for report in reports:
        report.pk = ids[report.idempotency_key]
        report._state.adding = False
        report._state.db = connection.alias
    audit.announce(VERB, _TARGET_TYPE, licence.pk, actor_id=reports[0].reported_by_id)


def _iso(value: Any) -> str:
    """Dates and times as PostgreSQL reads them from JSON text."""
    if isinstance(value, date | datetime):
        return value.isoformat()
    raise TypeError(f"{type(value).__name__} is not JSON serialisable")


def one_statement(report: UsageReport, licence: Licence) -> tuple[str, list[Any]]:
    """The statement of `store_use_if_unchanged`, with its parameters."""
    guarded = cast(
        UpdateQuery,
        Licence.objects.filter(usage_rules.usable_licence_q(licence)).query.chain(UpdateQuery),
    )
    guarded.add_update_values({"uses_count": F("uses_count") + 1})
    update_sql, update_params = guarded.get_compiler(connection.alias).as_sql()
    table = connection.ops.quote_name(Licence._meta.db_table)
    columns, values, insert_params = [], [], []
    for field in UsageReport._meta.concrete_fields:
        if field.primary_key:
            continue
        columns.append(connection.ops.quote_name(field.column))
        if field.name == "licence":
            values.append("counted.id")
            continue
        values.append("%s")
        value = field.pre_save(report, add=True)
        insert_params.append(field.get_db_prep_save(value, connection))
    audit_sql, audit_params = audit.insert_per_row(
        "recorded",
        licence,
        VERB,
        actor_id=report.reported_by_id,
        data={k: v for k, v in audit_data(report).items() if k != "usage_id"},
        data_from_source={"usage_id": "id"},
    )
    report_table = connection.ops.quote_name(UsageReport._meta.db_table)
    sql = " ".join(
        [
            f"WITH counted AS ({update_sql} RETURNING {table}.id),",
            f"recorded AS (INSERT INTO {report_table} ({', '.join(columns)})",
            f"SELECT {', '.join(values)} FROM counted RETURNING id),",  # noqa: S608
            f"audited AS ({audit_sql})",
            "SELECT recorded.id FROM recorded, audited",
        ]
    )
    return sql, [*update_params, *insert_params, *audit_params]


def store_use_if_unchanged(report: UsageReport, licence: Licence) -> bool:
    """Save `report`, count and audit it, in one statement, if `licence` (read without a lock,
    the use checked against it) is unchanged in what the check read. Returns whether it was
    stored; when not, nothing was written.

    Outside a transaction the statement is its own; inside one (a caller's, or a test's) it
    runs in a savepoint, so a clash on the idempotency key leaves that transaction usable."""
    sql, params = one_statement(report, licence)
    if connection.in_atomic_block:
        with transaction.atomic():
            row = _execute(sql, params)
    else:
        row = _execute(sql, params)
    if row is None:
        return False
    report.pk = row[0]
    report._state.adding = False
    report._state.db = connection.alias
    audit.announce(VERB, _TARGET_TYPE, licence.pk, actor_id=report.reported_by_id)
    return True


def _execute(sql: str, params: list[Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchone()
