"""Misuse: a sighting reported, matched and classified; a takedown case drafted, sent and
closed. Every write of the app."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlsplit

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone

from marketplace.accounts.models import Membership
from marketplace.core import audit
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import PermissionDenied, TransitionError, ValidationFailed
from marketplace.licensing import territories, usage_rules
from marketplace.payments.models import UsageReport
from marketplace.talent.images import check_upload, sanitised
from marketplace.talent.models import MediaType, Twin

from . import matching, notices, notifications
from .models import Sighting, TakedownCase

logger = logging.getLogger(__name__)

MAX_URL_LENGTH = 500
_URL = URLValidator(schemes=["http", "https"])


@dataclass
class SightingInput:
    twin_id: int
    seen_on: date
    territory: str
    media_type: str
    url: str = ""
    screenshot: UploadedFile | None = None
    note: str = ""


@dataclass
class _SeenUse:
    """A sighting as `usage_rules.check_usage` reads a use."""

    used_on: date
    media_type: str
    territory: str
    asset_reference: str


def _twin_for(viewer: Any, twin_id: int) -> Twin:
    """The twin the viewer may report for: the model's own, or one of the agency's (any of
    its members). Raises Twin.DoesNotExist for anyone else's, as for a missing one."""
    organisation = viewer.organisation
    if organisation is not None and organisation.is_agency:
        return Twin.objects.for_agency(organisation).get(pk=twin_id)
    if viewer.talent is not None:
        return Twin.objects.for_talent(viewer.talent).get(pk=twin_id)
    raise Twin.DoesNotExist


def check_url(url: str) -> tuple[str, str]:
    """(the address, its host), or ("", "") for none. Raises ValidationFailed."""
    url = url.strip()
    if not url:
        return "", ""
    if len(url) > MAX_URL_LENGTH:
        raise ValidationFailed(
            f"The address is longer than {MAX_URL_LENGTH} characters.", field="url"
        )
    if urlsplit(url).scheme.lower() not in ("http", "https"):
        raise ValidationFailed("Give a web address starting with http:// or https://.", field="url")
    try:
        _URL(url)
    except ValidationError as exc:
        raise ValidationFailed("This is not a web address we can read.", field="url") from exc
    host = (urlsplit(url).hostname or "").lower()
    return url, host


def _checked(data: SightingInput) -> tuple[str, str, bytes | None]:
    url, host = check_url(data.url)
    image: bytes | None = None
    if data.screenshot is not None:
        try:
            check_upload(data.screenshot)  # decoded in full: non-images and bombs refused
        except ValidationFailed as exc:
            raise ValidationFailed(exc.message, field="screenshot") from exc
        image = data.screenshot.read()
    if not url and image is None:
        raise ValidationFailed(
            "Give the address where you saw it, a screenshot, or both.", field="url"
        )
    if data.seen_on > timezone.localdate():
        raise ValidationFailed("The day you saw it cannot be in the future.", field="seen_on")
    if data.territory.upper() not in territories.country_names():
        raise ValidationFailed("Choose the country where you saw it.", field="territory")
    if data.media_type not in MediaType.values:
        raise ValidationFailed("Choose where it was used.", field="media_type")
    if len(data.note) > 500:
        raise ValidationFailed("Keep the note under 500 characters.", field="note")
    return url, host, image


def _classify(
    twin: Twin, data: SightingInput, *, url: str, image: bytes | None
) -> tuple[str, str, str, UsageReport | None]:
    """(finding, method, reason, the use matched): a match of another twin is no match."""
    found = matching.match_sighting(image) if image is not None else None
    if found is None:
        found = matching.match_address(url, twin)
    use = (
        UsageReport.objects.select_related("licence__terms", "licence__twin")
        .filter(pk=found.use_id, licence__twin=twin)
        .first()
        if found is not None
        else None
    )
    if found is None or use is None:
        return Sighting.Finding.UNKNOWN, "", "No licence through Likeness covers this use.", None
    licence = use.licence
    seen = _SeenUse(
        used_on=data.seen_on,
        media_type=data.media_type,
        territory=data.territory.upper(),
        asset_reference=url or "screenshot",
    )
    try:
        # The licence's own rules, as for a use the brand reports.
        usage_rules.check_usage(licence, seen, consent_revoked_at=licence.twin.consent_revoked_at)
    except ValidationFailed as exc:
        return Sighting.Finding.OUT_OF_SCOPE, found.method, exc.message, use
    return (
        Sighting.Finding.IN_SCOPE,
        found.method,
        f"Licensed under {licence.reference}, inside its terms.",
        use,
    )


def report_sighting(*, viewer: Any, data: SightingInput) -> Sighting:
    """The model or a member of her agency reports where her twin was seen. The sighting is
    matched and classified; out of its licence, the brand and the agency are told and it is
    recorded against the licence; unknown or out of scope, a takedown case is opened and a
    worker drafts its notice.

    Raises ValidationFailed (bad input, nothing stored), Twin.DoesNotExist (not hers)."""
    twin = _twin_for(viewer, data.twin_id)
    url, host, image = _checked(data)
    finding, method, reason, use = _classify(twin, data, url=url, image=image)
    with transaction.atomic():
        sighting = Sighting(
            twin=twin,
            reported_by=viewer.user,
            url=url,
            host=host,
            seen_on=data.seen_on,
            territory=data.territory.upper(),
            media_type=data.media_type,
            note=data.note.strip(),
            finding=finding,
            method=method,
            reason=reason[:300],
            licence=use.licence if use is not None else None,
            use=use,
        )
        if image is not None:
            sighting.screenshot_sha256 = hashlib.sha256(image).hexdigest()
            # Kept re-encoded, never as uploaded (whatever rode along in the file is dropped);
            # the fingerprint above is of the file as received.
            clean, ext, _size = sanitised(image)
            sighting.screenshot.save(f"sighting.{ext}", ContentFile(clean), save=False)
        sighting.save()
        organisation = twin.agency
        audit.record(
            sighting,
            "misuse.sighting_reported",
            actor=viewer.user,
            organisation=organisation,
            data={"finding": finding, "method": method},
        )
        if finding == Sighting.Finding.OUT_OF_SCOPE and use is not None:
            audit.record(
                use.licence,
                "misuse.seen_out_of_scope",
                actor=viewer.user,
                organisation=organisation,
                data={"sighting_id": sighting.pk, "reason": reason[:300]},
            )
            notifications.out_of_scope(sighting)
        case = None
        if finding != Sighting.Finding.IN_SCOPE:
            case = TakedownCase.objects.create(sighting=sighting)
            audit.record(
                case,
                "misuse.case_opened",
                actor=viewer.user,
                organisation=organisation,
                data={"finding": finding, "reason": reason[:300]},
            )
            case_id = case.pk
            from .tasks import draft_notice_task

            transaction.on_commit(lambda: draft_notice_task.delay(case_id=case_id), robust=True)
        notifications.sighting_reported(sighting, case=case, by=viewer.user)
    logger.info("misuse.sighting_reported", extra={"sighting": sighting.pk, "finding": finding})
    return sighting


@system_entry_point
def draft_notice(*, case_id: int) -> TakedownCase | None:
    """The worker drafts the case's takedown notice (PDF) and tells the agency it is ready
    to review. Idempotent: a case with its notice, a closed one or a missing one is left."""
    with transaction.atomic():
        case = (
            TakedownCase.objects.select_for_update(of=("self",))
            .select_related("sighting__twin__talent", "sighting__twin__agency", "sighting__licence")
            .filter(pk=case_id)
            .first()
        )
        if case is None or case.notice or case.is_closed:
            return case
        pdf = notices.render_notice(case)
        case.notice.save(f"{case.reference}.pdf", ContentFile(pdf), save=False)
        case.notice_sha256 = hashlib.sha256(pdf).hexdigest()
        case.notice_drafted_at = timezone.now()
        case.save(update_fields=["notice", "notice_sha256", "notice_drafted_at", "updated_at"])
        audit.record(
            case,
            "misuse.notice_drafted",
            organisation=case.sighting.twin.agency,
            data={"sha256": case.notice_sha256},
        )
        notifications.notice_drafted(case)
    return case


def move_case(*, by: Membership, case_id: int, to: str, note: str = "") -> TakedownCase:
    """The agency moves a case on: notice sent (once drafted), removed, licensed after all,
    or dismissed, as `TakedownCase.TRANSITIONS` allows. The model and the agency are told.

    Raises TakedownCase.DoesNotExist (another agency's), PermissionDenied, TransitionError."""
    if not by.organisation.is_agency:
        raise TakedownCase.DoesNotExist
    with transaction.atomic():
        case = (
            TakedownCase.objects.for_agency(by.organisation)
            .select_for_update(of=("self",))
            .select_related("sighting__twin__talent", "sighting__twin__agency")
            .get(pk=case_id)
        )
        if not by.can_manage:
            raise PermissionDenied("Only the agency's owners and managers move a case on.")
        if to not in TakedownCase.TRANSITIONS.get(case.status, frozenset()):
            raise TransitionError(
                f"A case that is {case.get_status_display().lower()} cannot become {_label(to)}."
            )
        if to == TakedownCase.Status.NOTICE_SENT and not case.notice:
            raise TransitionError("The notice is still being drafted; review it before sending.")
        if len(note) > 500:
            raise ValidationFailed("Keep the note under 500 characters.", field="note")
        before = case.status
        case.status = to
        now = timezone.now()
        if to == TakedownCase.Status.NOTICE_SENT:
            case.notice_sent_at = now
        if to in TakedownCase.CLOSED:
            case.closed_at = now
        case.save(update_fields=["status", "notice_sent_at", "closed_at", "updated_at"])
        audit.record(
            case,
            f"misuse.case_{to}",
            actor=by.user,
            organisation=by.organisation,
            data={"from": before, "reason": note.strip()},
        )
        notifications.case_moved(case)
    return case


def _label(status: str) -> str:
    try:
        return str(TakedownCase.Status(status).label).lower()
    except ValueError:
        return f"“{status[:20]}”"
