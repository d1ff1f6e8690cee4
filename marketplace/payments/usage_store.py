"""Writing an accepted use: one more on the licence's count, the report, and its audit event.

These writes are the hot path of usage reporting. On PostgreSQL, `store_use_if_unchanged`
sends them as one statement (data-modifying CTEs: the count, the report returning its id, the
audit event carrying that id): one round trip, its own transaction, no ORM compilation and no
row lock held while Python checks the use. Instead, the count only moves if the licence is
still as the use was checked against: active, the same terms, the same early end, its model's
consent unchanged, under its cap (checked on the row as it is when the statement runs, so
concurrent uses never pass the cap). Otherwise nothing is written and `record_usage` checks
the use again under the licence's lock, then writes with the ORM (`store_use_with_orm`), as it
always does on SQLite and for a report with a picture (the ORM stores the file).

Both paths write the same rows: tests/payments/test_usage_store.py compares them.
"""

from __future__ import annotations

from typing import Any

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from marketplace.core import audit
from marketplace.core.models import AuditEvent
from marketplace.licensing.models import Licence, LicenceTerms
from marketplace.talent.models import Twin

from .models import UsageReport

VERB = "usage.recorded"
_TARGET_TYPE = Licence._meta.label_lower


def audit_data(report: UsageReport) -> dict[str, Any]:
    return {
        "usage_id": report.pk,
        "fee": report.fee,
        "media": report.media_type,
        "territory": report.territory,
    }


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
    Licence.objects.filter(pk=report.licence_id).update(uses_count=F("uses_count") + 1)
    report.save()
    audit.record(report.licence, VERB, actor=report.reported_by, data=audit_data(report))
    return report


# Every value is a parameter; table names come from the models.
ONE_STATEMENT = f"""
WITH counted AS (
    UPDATE {Licence._meta.db_table} AS licence SET uses_count = licence.uses_count + 1
    WHERE licence.id = %(licence)s
        AND licence.brand_id = %(brand)s
        AND licence.status = %(active)s
        AND licence.terms_id = %(terms)s
        AND licence.ends_early_on IS NOT DISTINCT FROM %(ends_early_on)s::date
        AND (%(max_uses)s::bigint IS NULL OR licence.uses_count < %(max_uses)s::bigint)
        AND (
            SELECT twin.consent_revoked_at FROM {Twin._meta.db_table} AS twin
            WHERE twin.id = licence.twin_id
        ) IS NOT DISTINCT FROM %(consent_revoked_at)s::timestamptz
    RETURNING licence.id
), recorded AS (
    INSERT INTO {UsageReport._meta.db_table} (
        created_at, updated_at, licence_id, brand_id, talent_id, reported_by_id,
        idempotency_key, used_on, media_type, territory, asset_reference, image,
        fee, talent_share, agency_share, currency
    )
    SELECT %(now)s, %(now)s, counted.id, %(brand)s, %(talent)s, %(user)s,
        %(key)s, %(used_on)s, %(media)s, %(territory)s, %(asset)s, '',
        %(fee)s, %(talent_share)s, %(agency_share)s, %(currency)s
    FROM counted
    RETURNING id
), audited AS (
    INSERT INTO {AuditEvent._meta.db_table} (
        organisation_id, actor_id, verb, target_type, target_id, data, created_at,
        prev_hash, hash
    )
    SELECT NULL, %(user)s, %(verb)s, %(target_type)s, %(licence)s,
        jsonb_build_object(
            'usage_id', recorded.id, 'fee', %(fee)s::bigint,
            'media', %(media)s::text, 'territory', %(territory)s::text
        ),
        %(now)s, '', ''
    FROM recorded
    RETURNING id
)
SELECT recorded.id FROM recorded, audited
"""  # noqa: S608


def store_use_if_unchanged(report: UsageReport, licence: Licence) -> bool:
    """Save `report`, count and audit it, in one statement, if `licence` (read without a lock,
    the use checked against it) is unchanged in what the check read. Returns whether it was
    stored; when not, nothing was written.

    Outside a transaction the statement is its own; inside one (a caller's, or a test's) it
    runs in a savepoint, so a clash on the idempotency key leaves that transaction usable."""
    terms = licence.current_terms
    now = timezone.now()
    params = {
        "licence": licence.pk,
        "brand": report.brand_id,
        "active": Licence.Status.ACTIVE,
        "terms": terms.pk,
        "ends_early_on": licence.ends_early_on,
        "max_uses": terms.max_uses,
        "consent_revoked_at": licence.consent_revoked_at,  # type: ignore[attr-defined]
        "now": now,
        "talent": report.talent_id,
        "user": report.reported_by_id,
        "key": report.idempotency_key,
        "used_on": report.used_on,
        "media": report.media_type,
        "territory": report.territory,
        "asset": report.asset_reference,
        "fee": report.fee,
        "talent_share": report.talent_share,
        "agency_share": report.agency_share,
        "currency": report.currency,
        "verb": VERB,
        "target_type": _TARGET_TYPE,
    }
    if connection.in_atomic_block:
        with transaction.atomic():
            row = _execute(params)
    else:
        row = _execute(params)
    if row is None:
        return False
    report.pk = row[0]
    report.created_at = report.updated_at = now
    report._state.adding = False
    report._state.db = connection.alias
    audit.announce(VERB, _TARGET_TYPE, licence.pk, actor_id=report.reported_by_id)
    return True


def _execute(params: dict[str, Any]) -> tuple[Any, ...] | None:
    with connection.cursor() as cursor:
        cursor.execute(ONE_STATEMENT, params)
        return cursor.fetchone()
