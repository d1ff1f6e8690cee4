"""Whether a use of a licence is allowed: the window, media, territory, the model's consent,
the licence's state and its use cap. The one source of these rules; payments asks them when
a brand reports uses and writes nothing here.

`check_usage` and `check_cap` decide, in Python, with the reason. A write that counts uses
checked against a licence read without its lock is guarded by `usable_licence_q`: the licence
still as those checks read it, with room under its cap. The guard is derived from what the
checks read (`CHECKED_FIELDS`, the model's consent, the cap), not a second copy of the rules:
a new rule that reads another field of the licence adds that field to `CHECKED_FIELDS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Protocol

from django.db.models import Exists, OuterRef, Q
from django.utils import timezone

from marketplace.core.errors import ValidationFailed
from marketplace.talent.models import MediaType, Twin

from .models import Licence
from .states import short_date

# The licence's own fields the checks read (besides its terms, which never change once
# written, and its use count, which the cap guards).
CHECKED_FIELDS = ("status", "terms_id", "ends_early_on")

APPROVAL_REQUIRED = (
    "Every image under this licence needs the model's approval before use: submit it as a "
    "proof. The use is recorded when she approves it; a use without an approved proof is "
    "refused."
)


class Use(Protocol):
    used_on: date
    media_type: str
    territory: str
    asset_reference: str


def check_usage(
    licence: Licence,
    data: Use,
    *,
    consent_revoked_at: datetime | None,
    today: date | None = None,
    proof_approved: bool = False,
) -> None:
    """Is this use inside the licence, whose model revoked consent for the twin at
    `consent_revoked_at` (or never)? `proof_approved`: the model approved this very image and
    placement in advance (a proof), so its date may still be ahead. Raises ValidationFailed
    with the reason."""
    today = today or timezone.localdate()
    terms = licence.current_terms
    if licence.status != Licence.Status.ACTIVE:
        raise ValidationFailed(
            f"The licence is {licence.get_status_display().lower()}, not active.",
            code="licence_not_active",
        )
    if terms.image_approval and not proof_approved:
        raise ValidationFailed(APPROVAL_REQUIRED, code="approval_required")
    revoked = consent_revoked_at
    if revoked and data.used_on >= timezone.localtime(revoked).date():
        raise ValidationFailed(
            f"The model revoked consent on {revoked:%Y-%m-%d}; no use from that day on is allowed.",
            code="consent_revoked",
        )
    if data.used_on > today and not proof_approved:
        raise ValidationFailed(
            "A use cannot be reported before it happens.", field="used_on", code="future_use"
        )
    end = licence.effective_end
    if data.used_on < terms.start_date or (end and data.used_on > end):
        raise ValidationFailed(
            f"{data.used_on:%Y-%m-%d} is outside the licence window "
            f"{terms.start_date:%Y-%m-%d} – {end:%Y-%m-%d}.",
            field="used_on",
            code="outside_window",
        )
    if data.media_type not in terms.media_types:
        label = (
            MediaType(data.media_type).label
            if data.media_type in MediaType.values
            else data.media_type
        )
        raise ValidationFailed(
            f"{label} is not licensed (licensed: {', '.join(terms.media_labels())}).",
            field="media_type",
            code="media_not_licensed",
        )
    if data.territory.upper() not in terms.territories:
        raise ValidationFailed(
            f"{data.territory.upper()} is not a licensed territory ({terms.territory_label}).",
            field="territory",
            code="territory_not_licensed",
        )
    if not data.asset_reference.strip():
        raise ValidationFailed(
            "Give the asset a reference (file name, URL or DAM id).", field="asset_reference"
        )


def check_cap(licence: Licence, *, counted: int | None = None) -> None:
    """Is there room for one more use, with `counted` uses (default: the licence's count)?
    Raises ValidationFailed."""
    max_uses = licence.current_terms.max_uses
    used = licence.uses_count if counted is None else counted
    if max_uses and used >= max_uses:
        raise ValidationFailed(
            f"The use cap is reached ({max_uses} of {max_uses}).", code="use_cap_reached"
        )


def usable_licence_q(licence: Licence, *, adding: int = 1) -> Q:
    """The licence `licence` was read as (its consent read as `consent_revoked_at`), unchanged
    in what `check_usage` read, with room under its cap for `adding` more uses: the condition
    on which uses checked against that read may be counted without its lock.

    On the licence's own row (the twin asked in a subquery), so an UPDATE that waits for a
    concurrent one checks it again against the row as that one left it."""
    q = Q(pk=licence.pk, **{name: getattr(licence, name) for name in CHECKED_FIELDS})
    revoked = licence.consent_revoked_at  # type: ignore[attr-defined]
    q &= Q(Exists(Twin.objects.filter(pk=OuterRef("twin_id"), consent_revoked_at=revoked)))
    max_uses = licence.current_terms.max_uses
    if max_uses:
        # check_cap's rule, for `adding` uses: the count after them stays within the cap.
        q &= Q(uses_count__lte=max_uses - adding)
    return q


@dataclass(frozen=True)
class ReportWindow:
    """The days a use may be reported today (`first`–`last`), or why none may (`reason`)."""

    first: date | None
    last: date | None
    default: date | None
    reason: str = ""


def report_window(
    licence: Licence, *, consent_revoked_at: datetime | None, today: date | None = None
) -> ReportWindow:
    """Which days `check_usage` accepts today: the licence window, up to today, before any
    revocation. The report form's default and its bounds come from here."""
    today = today or timezone.localdate()
    terms = licence.current_terms
    if licence.status != Licence.Status.ACTIVE:
        return ReportWindow(
            None, None, None, f"The licence is {licence.get_status_display().lower()}."
        )
    if terms.image_approval:
        return ReportWindow(None, None, None, APPROVAL_REQUIRED)
    last = min(today, licence.effective_end or today)
    if consent_revoked_at:
        last = min(last, timezone.localtime(consent_revoked_at).date() - timedelta(days=1))
    if terms.start_date > today:
        return ReportWindow(
            None,
            None,
            None,
            f"The licence is scheduled: it starts on {short_date(terms.start_date)}. "
            "Uses can be reported from that day on.",
        )
    if last < terms.start_date:
        return ReportWindow(None, None, None, "No day of the licence window is open to uses.")
    return ReportWindow(terms.start_date, last, last)
