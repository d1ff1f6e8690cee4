"""Refused uses, recorded: every use a brand reported that its licence refused is kept with the
reason, so that the model and her agency see attempts outside the licence too.

The one home of this record. The usage service raises `UseRefused` wherever it checks a use
against its licence (`services.usage._check_use`, `record_approved_use`) and calls `record` for
each refusal it answers: a single use after its transaction rolled back (the refusal outlives
the refused write), a batch's refusals in the batch's own transaction, together and only when
there are any (the accepted uses' path writes nothing more). The use of an approved proof is
recorded in the model's decision; approvals records its refusal once that rolled back.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from django.db import transaction

from marketplace.accounts.models import Membership
from marketplace.core.errors import DomainError, ValidationFailed
from marketplace.licensing.models import Licence

from .models import RefusedUse

logger = logging.getLogger(__name__)


class _Use(Protocol):
    used_on: Any
    media_type: str
    territory: str
    asset_reference: str


class UseRefused(ValidationFailed):
    """The licence refused this use: the rule's own message, code and field (so every front
    door answers as before), with the licence and the use, for the record."""

    def __init__(
        self,
        error: DomainError,
        *,
        licence: Licence,
        data: _Use,
        key: str,
        reported_by: Any = None,
    ) -> None:
        super().__init__(error.message, code=error.code, field=error.field)
        self.licence = licence
        self.data = data
        self.key = key
        # Who reported it, when not the caller of `record` (an approved proof's submitter).
        self.reported_by = reported_by


def _attempt_hash(refusal: UseRefused) -> str:
    data = refusal.data
    canonical = json.dumps(
        [
            refusal.licence.pk,
            refusal.key,
            str(data.used_on),
            data.media_type,
            data.territory.upper(),
            data.asset_reference.strip(),
            refusal.code,
        ]
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def _row(by: Membership | None, refusal: UseRefused) -> RefusedUse:
    data = refusal.data
    reporter = refusal.reported_by
    if reporter is None:
        if by is None:
            raise ValueError("A refused use names who reported it.")
        reporter = by.user
    return RefusedUse(
        licence=refusal.licence,
        brand_id=refusal.licence.brand_id,
        talent_id=refusal.licence.talent_id,
        reported_by=reporter,
        idempotency_key=refusal.key[:120],
        used_on=data.used_on,
        media_type=str(data.media_type)[:10],
        territory=data.territory.upper()[:8],
        asset_reference=data.asset_reference.strip()[:300],
        code=refusal.code[:40],
        reason=refusal.message[:300],
        attempt_hash=_attempt_hash(refusal),
    )


def record(*, refused: Sequence[UseRefused], by: Membership | None = None) -> None:
    """Keep these refusals (one statement, whatever their number; the same attempt twice is
    kept once), reported by `by`'s user or each refusal's own `reported_by`. In the caller's
    transaction if it has one, else in its own."""
    if not refused:
        return
    rows = [_row(by, refusal) for refusal in refused]
    with transaction.atomic():
        RefusedUse.objects.bulk_create(rows, ignore_conflicts=True)
    logger.info(
        "usage.refused",
        extra={"licence": refused[0].licence.pk, "codes": sorted({r.code for r in refused})},
    )
