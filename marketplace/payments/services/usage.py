"""Usage billing: a brand reports each use of a licence (checked against it, its fee split
stored with it), and pays its unbilled uses in one statement per currency."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import F, Sum
from django.urls import reverse
from django.utils import timezone

from marketplace.accounts.models import Membership, Organisation, Role
from marketplace.core import audit, notify
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import DomainError, ValidationFailed
from marketplace.licensing.models import Licence
from marketplace.licensing.quotes import split_fee
from marketplace.licensing.usage_rules import check_cap, check_usage
from marketplace.talent.images import check_upload, sanitised

from .. import events, refusals, usage_store
from ..models import Charge, UsageReport
from ..refusals import UseRefused
from ..rules import require_pay, require_report_usage
from .checkout import _claim_session, _new_session
from .onboarding import _site


@dataclass
class UsageInput:
    used_on: date
    media_type: str
    territory: str
    asset_reference: str
    idempotency_key: str
    image: UploadedFile | None = None
    # With a picture: how it was made, and the language and corner of the AI label drawn on
    # its labelled copy (provenance.options; empty for the defaults).
    source_type: str = ""
    label_language: str = ""
    label_position: str = ""


def _same_usage(report: UsageReport, data: UsageInput, licence_reference: str) -> bool:
    return (
        report.licence.reference == licence_reference
        and report.used_on == data.used_on
        and report.media_type == data.media_type
        and report.territory == data.territory.upper()
        and report.asset_reference == data.asset_reference.strip()
    )


def record_usage(*, by: Membership, reference: str, data: UsageInput) -> tuple[UsageReport, bool]:
    """The brand reports one use. Idempotent per brand-supplied key.

    Returns (report, created). Raises ValidationFailed (out of scope, with the reason),
    PermissionDenied, Licence.DoesNotExist."""
    require_report_usage(by)
    key = data.idempotency_key.strip()
    if not key or len(key) > 120:
        raise ValidationFailed(
            "An idempotency key of 1–120 characters is required.", field="idempotency_key"
        )
    # Most reports are new, so they are recorded straight away. A key that was used before
    # shows as a refusal or a clash on the unique key (its transaction, cap increment included,
    # rolled back); only then is the earlier report looked up, and answered as it was, even if
    # the licence has moved on since (its cap reached by this very use, say).
    # (With a picture, the earlier report is asked for first: a replay stores no second file.)
    previous_id = _previous_report_id(by, key) if data.image is not None else None
    if previous_id is None:
        try:
            return _record_new_usage(by=by, reference=reference, data=data, key=key), True
        except (DomainError, IntegrityError) as exc:
            previous_id = _previous_report_id(by, key)
            if previous_id is None:
                if isinstance(exc, UseRefused):
                    # The refused write rolled back; its refusal is kept, for the model to see.
                    refusals.record(by=by, refused=[exc])
                raise
    previous = UsageReport.objects.select_related("licence").get(pk=previous_id)
    if not _same_usage(previous, data, reference):
        raise ValidationFailed(
            "This idempotency key was used for a different report.",
            code="idempotency_conflict",
            field="idempotency_key",
        )
    return previous, False


@dataclass
class UseOutcome:
    """What became of one use of a batch: `created`, `replayed` (its key already recorded
    this use) or `refused` (with the error)."""

    outcome: str
    report: UsageReport | None = None
    error: DomainError | None = None


def record_usage_batch(
    *, by: Membership, reference: str, uses: list[UsageInput]
) -> list[UseOutcome]:
    """The brand reports many uses of one licence, each decided as `record_usage` decides
    one, in one transaction with a number of statements that does not grow with the batch:
    the licence locked and read once, the earlier reports of the batch's keys looked up at
    once, the new uses counted, stored and audited together. Uses are decided in order, so
    the cap admits exactly the first that fit. Pictures are not taken here.

    Returns one outcome per use, in order. Raises PermissionDenied, Licence.DoesNotExist."""
    require_report_usage(by)
    for attempt in range(3):
        try:
            with transaction.atomic():
                return _record_batch(by=by, reference=reference, uses=uses)
        except IntegrityError:
            # A concurrent report took one of the batch's keys after the look-up: again,
            # and that key now answers as a replay (or a conflict).
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


def _record_batch(*, by: Membership, reference: str, uses: list[UsageInput]) -> list[UseOutcome]:
    licence = _locked_licence(by, reference)
    keys = [use.idempotency_key.strip() for use in uses]
    earlier = {
        report.idempotency_key: report
        for report in UsageReport.objects.filter(
            brand=by.organisation, idempotency_key__in={k for k in keys if 0 < len(k) <= 120}
        ).select_related("licence")
    }
    outcomes: list[UseOutcome] = []
    new: list[UsageReport] = []
    refused: list[UseRefused] = []
    counted = licence.uses_count
    today = timezone.localdate()
    for data, key in zip(uses, keys, strict=True):
        try:
            if not key or len(key) > 120:
                raise ValidationFailed(
                    "An idempotency key of 1–120 characters is required.",
                    field="idempotency_key",
                )
            previous = earlier.get(key)
            if previous is not None:
                if not _same_usage(previous, data, reference):
                    raise ValidationFailed(
                        "This idempotency key was used for a different report.",
                        code="idempotency_conflict",
                        field="idempotency_key",
                    )
                outcomes.append(UseOutcome("replayed", report=previous))
                continue
            _check_use(licence, data, key=key, counted=counted, today=today)
        except DomainError as exc:
            if isinstance(exc, UseRefused):
                refused.append(exc)
            outcomes.append(UseOutcome("refused", error=exc))
            continue
        report = _report(by=by, licence=licence, data=data, key=key)
        earlier[key] = report  # the same key again in this batch is its replay
        counted += 1
        new.append(report)
        outcomes.append(UseOutcome("created", report=report))
    usage_store.store_uses(licence, new)
    refusals.record(by=by, refused=refused)  # nothing at all when every use was accepted
    return outcomes


def _previous_report_id(by: Membership, key: str) -> int | None:
    return (
        UsageReport.objects.filter(brand=by.organisation, idempotency_key=key)
        .values_list("pk", flat=True)
        .first()
    )


def _record_new_usage(*, by: Membership, reference: str, data: UsageInput, key: str) -> UsageReport:
    """Check the use against the licence and store it.

    On PostgreSQL a use without a picture takes the short path: the licence is read without a
    lock, the use checked, and one statement counts, stores and audits it, on condition that
    the licence is still as read (active, same terms, same end, consent unchanged, under its
    cap). Should it have changed in between, the use is checked again under the licence's
    lock, as every use is on SQLite or with a picture."""
    if data.image is None and usage_store.stores_in_one_statement():
        licence = usage_store.read_licence(brand_id=by.organisation.pk, reference=reference)
        report = _accepted_use(by=by, licence=licence, data=data, key=key)
        if usage_store.store_use_if_unchanged(report, licence):
            return report
    return _record_new_usage_locked(by=by, reference=reference, data=data, key=key)


def _locked_licence(by: Membership, reference: str) -> Licence:
    """The brand's licence, locked, as the checks read it. Raises Licence.DoesNotExist."""
    return _locked(Licence.objects.for_brand(by.organisation).filter(reference=reference))


def _locked(licences: Any) -> Licence:
    return (
        licences.select_related("terms")
        # Of the twin, a use needs only whether its model revoked consent (a narrow row).
        .annotate(consent_revoked_at=F("twin__consent_revoked_at"))
        .select_for_update(of=("self",))
        .get()
    )


@transaction.atomic
def _record_new_usage_locked(
    *, by: Membership, reference: str, data: UsageInput, key: str
) -> UsageReport:
    licence = _locked_licence(by, reference)
    report = _accepted_use(by=by, licence=licence, data=data, key=key)
    if data.image is not None:
        check_upload(data.image)
        # Stored re-encoded, never as uploaded: anything riding along in the file (an appended
        # script or archive, EXIF and GPS) is dropped, and the extension matches the content.
        clean, ext, _size = sanitised(data.image.read())
        report.image.save(f"use.{ext}", ContentFile(clean), save=False)  # a random name
        stored = usage_store.store_use_with_orm(report)
        # Provenance checks the brand's choices for the copies (refusing the use on an
        # unknown one) and, once the use commits, signs its credentialed copies.
        events.picture_recorded(stored.pk, _copy_choices(data))
        return stored
    return usage_store.store_use_with_orm(report)


def _accepted_use(*, by: Membership, licence: Licence, data: UsageInput, key: str) -> UsageReport:
    """The use as a report to store, its fee split, if the licence as read allows it.
    Raises ValidationFailed with the reason."""
    _check_use(licence, data, key=key)
    return _report(by=by, licence=licence, data=data, key=key)


def _check_use(
    licence: Licence,
    data: UsageInput,
    *,
    key: str,
    counted: int | None = None,
    today: date | None = None,
) -> None:
    """The one place a use is checked against its licence (licensing's rules), for a single
    use and for a batch. A refusal is raised as UseRefused, which the callers record.

    Raises UseRefused (a ValidationFailed with the rule's reason)."""
    try:
        revoked_at = licence.consent_revoked_at  # type: ignore[attr-defined]
        check_usage(licence, data, consent_revoked_at=revoked_at, today=today)
        check_cap(licence, counted=counted)
    except DomainError as exc:
        raise UseRefused(exc, licence=licence, data=data, key=key) from exc


def _report(*, by: Membership, licence: Licence, data: UsageInput, key: str) -> UsageReport:
    return _report_for(brand=by.organisation, user=by.user, licence=licence, data=data, key=key)


def _report_for(
    *, brand: Organisation, user: Any, licence: Licence, data: UsageInput, key: str
) -> UsageReport:
    terms = licence.current_terms
    fee = int(
        next(
            line["per_use_fee"]
            for line in terms.quote["lines"]
            if line["media_type"] == data.media_type
        )
    )
    split = split_fee(
        fee,
        platform_fee_bps=terms.quote["platform_fee_bps"],
        agency_commission_bps=terms.quote["agency_commission_bps"],
    )
    return UsageReport(
        licence=licence,
        brand=brand,
        talent_id=licence.talent_id,
        reported_by=user,
        idempotency_key=key,
        used_on=data.used_on,
        media_type=data.media_type,
        territory=data.territory.upper(),
        asset_reference=data.asset_reference.strip()[:300],
        fee=fee,
        talent_share=split.talent_share,
        agency_share=split.agency_commission,
        currency=terms.currency,
    )


@system_entry_point
def record_approved_use(
    *,
    licence_id: int,
    brand: Organisation,
    reported_by: Any,
    data: UsageInput,
    picture: bytes,
    ext: str,
) -> UsageReport:
    """The use of a picture the model approved beforehand (the approvals app's proof, whose
    service checked who decides): checked and counted as every use is, its date possibly still
    ahead, and given its credentialed copy after commit. In the caller's transaction, which
    records a refusal (`refusals.record`) once it rolled back.
    Raises UseRefused (a ValidationFailed with the reason), Licence.DoesNotExist."""
    licence = _locked(Licence.objects.for_brand(brand).filter(pk=licence_id))
    revoked_at = licence.consent_revoked_at  # type: ignore[attr-defined]
    try:
        check_usage(licence, data, consent_revoked_at=revoked_at, proof_approved=True)
        check_cap(licence)
    except DomainError as exc:
        raise UseRefused(
            exc, licence=licence, data=data, key=data.idempotency_key, reported_by=reported_by
        ) from exc
    report = _report_for(
        brand=brand, user=reported_by, licence=licence, data=data, key=data.idempotency_key
    )
    report.image.save(f"use.{ext}", ContentFile(picture), save=False)  # a random name
    stored = usage_store.store_use_with_orm(report)
    events.picture_recorded(stored.pk, _copy_choices(data))
    return stored


def attach_final_asset(
    *, by: Membership, use_id: int, image: UploadedFile, choices: dict[str, str]
) -> UsageReport:
    """The brand uploads the final asset of a use it reported without a picture: stored
    re-encoded like a reported picture, shown to the model, and credentialed (provenance
    checks `choices` and signs the copies after commit). A use's picture is set once.
    Raises PermissionDenied, UsageReport.DoesNotExist (another brand's use), ValidationFailed."""
    require_report_usage(by)
    with transaction.atomic():
        use = (
            UsageReport.objects.for_brand(by.organisation)
            .select_for_update()
            .select_related("licence")
            .get(pk=use_id)
        )
        if use.image:
            raise ValidationFailed(
                "This use has its picture already; each use has one. Report the next "
                "placement as a use of its own.",
                code="picture_already_attached",
                field="image",
            )
        check_upload(image)
        clean, ext, _size = sanitised(image.read())
        use.image.save(f"use.{ext}", ContentFile(clean), save=False)  # a random name
        use.save(update_fields=["image", "updated_at"])
        audit.record(
            use.licence,
            "licence.final_asset_attached",
            actor=by.user,
            organisation=by.organisation,
            data={"usage_id": use.pk},
        )
        events.picture_recorded(use.pk, choices)
    return use


def _copy_choices(data: UsageInput) -> dict[str, str]:
    """The brand's choices for a picture's copies, passed on to provenance unread."""
    return {
        "source_type": data.source_type,
        "label_language": data.label_language,
        "label_position": data.label_position,
    }


def bill_usage(*, by: Membership, currency: str) -> Charge | None:
    """A member who may pay gathers the brand's unbilled uses in one currency into a statement
    and is sent to pay it. Returns None when there is nothing to pay. Raises PermissionDenied."""
    require_pay(by)
    return _bill_usage(brand=by.organisation, currency=currency)


def _bill_usage(*, brand: Organisation, currency: str) -> Charge | None:
    """Claim the unbilled uses for a statement (committed), then open its Checkout Session.

    A statement claimed but without a session (Stripe failed, or the process died) is taken up
    again by the next call, under the same key."""
    with transaction.atomic():
        unsent = (
            Charge.objects.select_for_update()
            .filter(
                kind=Charge.Kind.USAGE,
                brand=brand,
                currency=currency,
                status=Charge.Status.OPEN,
                checkout_session_id__isnull=True,
            )
            .first()
        )
        if unsent is not None:
            charge, attempt = unsent, _claim_session(unsent)
            uses = charge.usage_reports.count()
        else:
            pending = UsageReport.objects.filter(
                brand=brand, currency=currency, charge__isnull=True
            )
            ids = list(pending.select_for_update().values_list("pk", flat=True))
            amount = UsageReport.objects.filter(pk__in=ids).aggregate(s=Sum("fee"))["s"] or 0
            if amount <= 0:
                return None
            charge = Charge.objects.create(
                kind=Charge.Kind.USAGE, brand=brand, amount=amount, currency=currency
            )
            UsageReport.objects.filter(pk__in=ids).update(charge=charge)
            uses = len(ids)
            attempt = charge.updated_at
            audit.record(
                charge,
                "payments.usage_billed",
                organisation=brand,
                data={"uses": uses, "amount": amount},
            )
    if attempt is None:
        return charge
    return _new_session(
        charge,
        attempt=attempt,
        name=f"Likeness usage statement {charge.pk} ({uses} uses)",
        success_path=reverse("payments:checkout_return"),
        cancel_path=reverse("payments:brand_billing"),
    )


@system_entry_point
def bill_all_usage() -> int:
    """Periodic (monthly): one statement per brand and currency, emailed to finance."""
    count = 0
    pairs = (
        UsageReport.objects.filter(charge__isnull=True)
        .values_list("brand_id", "currency")
        .distinct()
    )
    for brand_id, currency in pairs:
        charge = _bill_usage(brand=Organisation.objects.get(pk=brand_id), currency=currency)
        if charge:
            count += 1
            for email in Membership.objects.filter(
                organisation_id=brand_id, role__in=[Role.OWNER, Role.FINANCE]
            ).values_list("user__email", flat=True):
                notify.email(
                    to=[email],
                    subject="Your Likeness usage statement is ready",
                    template="payments/email/statement.txt",
                    context={"charge": charge, "url": _site(reverse("payments:brand_billing"))},
                )
    return count
