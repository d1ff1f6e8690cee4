"""Writes for talent, twins, rate cards and gallery images."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.files.base import ContentFile
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils import timezone

from marketplace.accounts.models import Membership, unique_slug
from marketplace.accounts.services import invite_talent
from marketplace.core import audit
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import PermissionDenied, TransitionError, ValidationFailed
from marketplace.core.money import CHARGE_LIMITS, format_money

from . import images
from .models import (
    APPROVAL_PREMIUM_MAX_BPS,
    MAX_APPROVAL_HOURS,
    MIN_APPROVAL_HOURS,
    MULTIPLIER_FIELDS,
    MULTIPLIER_MAX_BPS,
    MULTIPLIER_MIN_BPS,
    PREMIUM_MAX_BPS,
    Category,
    MediaType,
    RateCard,
    RateCardLine,
    StyleTag,
    Talent,
    Twin,
    TwinImage,
)

MAX_IMAGES_PER_TWIN = 12


def _require_manager(by: Membership) -> None:
    if not by.organisation.is_agency:
        raise PermissionDenied("Only agencies manage talent and twins.")
    if not by.can_manage:
        raise PermissionDenied("Only owners and bookers can change listings.")


def _locked_twin(by: Membership, twin_id: int) -> Twin:
    return Twin.objects.select_for_update().for_agency(by.organisation).get(pk=twin_id)


@transaction.atomic
def create_talent(*, by: Membership, full_name: str, email: str, invite: bool = True) -> Talent:
    """The agency adds a person it represents and (by default) emails them a login link."""
    _require_manager(by)
    try:
        with transaction.atomic():
            talent = Talent.objects.create(
                agency=by.organisation, full_name=full_name.strip(), email=email.strip().lower()
            )
    except IntegrityError as exc:
        raise ValidationFailed(
            "This agency already represents someone with that email.", field="email"
        ) from exc
    audit.record(talent, "talent.created", actor=by.user, organisation=by.organisation)
    if invite:
        invite_talent(by=by, talent=talent)
    return talent


@dataclass
class TwinDetails:
    display_name: str
    description: str
    height_cm: int | None = None
    bust_cm: int | None = None
    waist_cm: int | None = None
    hips_cm: int | None = None
    dress_size_eu: int | None = None
    shoe_size_eu: object = None
    hair: str = ""
    eyes: str = ""
    tags: Iterable[str] = ()
    permitted_categories: Iterable[Category] = ()


def _apply_details(twin: Twin, details: TwinDetails) -> list[StyleTag]:
    for field in (
        "display_name",
        "description",
        "height_cm",
        "bust_cm",
        "waist_cm",
        "hips_cm",
        "dress_size_eu",
        "shoe_size_eu",
        "hair",
        "eyes",
    ):
        setattr(twin, field, getattr(details, field))
    tags = []
    for name in dict.fromkeys(t.strip().lower() for t in details.tags if t.strip()):
        tag, _ = StyleTag.objects.get_or_create(
            slug=unique_tag_slug(name), defaults={"name": name[:40]}
        )
        tags.append(tag)
    return tags


def unique_tag_slug(name: str) -> str:
    from django.utils.text import slugify

    return slugify(name)[:40] or "tag"


def _refresh_search_document(twin: Twin, tags: Iterable[StyleTag]) -> None:
    parts = [
        twin.display_name,
        twin.description,
        twin.hair,
        twin.eyes,
        twin.talent.full_name,
        twin.agency.name,
        *(t.name for t in tags),
    ]
    twin.search_document = " ".join(p for p in parts if p).lower()
    twin.search_tags = " ".join(t.name for t in tags)


@transaction.atomic
def create_twin(*, by: Membership, talent_id: int, details: TwinDetails) -> Twin:
    """A new twin in draft, with a default rate card in the agency's currency."""
    _require_manager(by)
    talent = Talent.objects.for_agency(by.organisation).get(pk=talent_id)
    twin = Twin(
        talent=talent,
        agency=by.organisation,
        currency=by.organisation.currency,
        slug=unique_slug(Twin, details.display_name),
    )
    tags = _apply_details(twin, details)
    _refresh_search_document(twin, tags)
    twin.save()
    twin.tags.set(tags)
    twin.permitted_categories.set(details.permitted_categories)
    RateCard.objects.create(twin=twin, currency=twin.currency)
    audit.record(twin, "twin.created", actor=by.user, organisation=by.organisation)
    return twin


@transaction.atomic
def update_twin(*, by: Membership, twin_id: int, details: TwinDetails) -> Twin:
    _require_manager(by)
    twin = _locked_twin(by, twin_id)
    tags = _apply_details(twin, details)
    _refresh_search_document(twin, tags)
    twin.save()
    twin.tags.set(tags)
    twin.permitted_categories.set(details.permitted_categories)
    audit.record(twin, "twin.updated", actor=by.user, organisation=by.organisation)
    return twin


@dataclass
class RateCardInput:
    lines: dict[str, tuple[int, int]]  # media type -> (base fee, per-use fee), minor units
    exclusivity_premium_bps: int = 5000
    approval_premium_bps: int = 0
    territory_country_bps: int = 10000
    territory_region_bps: int = 20000
    territory_worldwide_bps: int = 40000
    duration_3m_bps: int = 10000
    duration_6m_bps: int = 15000
    duration_12m_bps: int = 25000
    duration_24m_bps: int = 40000


def check_rate_card(card: RateCardInput, *, currency: str) -> None:
    """Every fee and multiplier within its bounds. Raises ValidationFailed naming the field."""
    low, high = CHARGE_LIMITS[currency]
    for media_type, (base, per_use) in card.lines.items():
        if not low <= base <= high:
            raise ValidationFailed(
                f"A base fee is between {format_money(low, currency)} and "
                f"{format_money(high, currency)} (one payment).",
                field=f"base_{media_type}",
            )
        if not 0 <= per_use <= high:
            raise ValidationFailed(
                f"A per-use fee is between {format_money(0, currency)} and "
                f"{format_money(high, currency)}.",
                field=f"use_{media_type}",
            )
    for name in MULTIPLIER_FIELDS:
        if not MULTIPLIER_MIN_BPS <= getattr(card, name) <= MULTIPLIER_MAX_BPS:
            raise ValidationFailed(
                f"Multipliers are between {MULTIPLIER_MIN_BPS // 100} % and "
                f"{MULTIPLIER_MAX_BPS // 100} % (0.1× to 10×).",
                field=name,
            )
    if not 0 <= card.exclusivity_premium_bps <= PREMIUM_MAX_BPS:
        raise ValidationFailed(
            f"The exclusivity premium is between 0 % and {PREMIUM_MAX_BPS // 100} %.",
            field="exclusivity_premium_bps",
        )
    if not 0 <= card.approval_premium_bps <= APPROVAL_PREMIUM_MAX_BPS:
        raise ValidationFailed(
            f"The image-approval premium is between 0 % and {APPROVAL_PREMIUM_MAX_BPS // 100} %.",
            field="approval_premium_bps",
        )


@transaction.atomic
def set_rate_card(*, by: Membership, twin_id: int, card: RateCardInput) -> RateCard:
    """Replace the rate card's fees and multipliers. Raises ValidationFailed."""
    _require_manager(by)
    twin = _locked_twin(by, twin_id)
    unknown = set(card.lines) - set(MediaType.values)
    if unknown:
        raise ValidationFailed(f"Unknown media type: {', '.join(sorted(unknown))}.")
    multipliers = {k: v for k, v in vars(card).items() if k != "lines"}
    check_rate_card(card, currency=twin.currency)
    rate_card, _ = RateCard.objects.update_or_create(
        twin=twin, defaults={"currency": twin.currency, **multipliers}
    )
    rate_card.lines.exclude(media_type__in=list(card.lines)).delete()
    for media_type, (base_fee, per_use_fee) in card.lines.items():
        RateCardLine.objects.update_or_create(
            rate_card=rate_card,
            media_type=media_type,
            defaults={"base_fee": base_fee, "per_use_fee": per_use_fee},
        )
    twin.price_from = min((base for base, _ in card.lines.values()), default=None)
    twin.save(update_fields=["price_from", "updated_at"])
    audit.record(
        twin,
        "twin.rate_card_set",
        actor=by.user,
        organisation=by.organisation,
        data={
            "lines": {k: list(v) for k, v in card.lines.items()},
            "approval_premium_bps": card.approval_premium_bps,
        },
    )
    return rate_card


_TRANSITIONS = {
    "publish": ({Twin.Status.DRAFT, Twin.Status.PAUSED}, Twin.Status.PUBLISHED),
    "pause": ({Twin.Status.PUBLISHED}, Twin.Status.PAUSED),
    "retire": ({Twin.Status.DRAFT, Twin.Status.PUBLISHED, Twin.Status.PAUSED}, Twin.Status.RETIRED),
}


@transaction.atomic
def change_twin_status(*, by: Membership, twin_id: int, action: str) -> Twin:
    """publish / pause / retire. Raises TransitionError, ValidationFailed, PermissionDenied."""
    _require_manager(by)
    if action not in _TRANSITIONS:
        raise ValidationFailed("Unknown action.")
    twin = _locked_twin(by, twin_id)
    if twin.consent_revoked_at:
        raise TransitionError("The model revoked consent for this twin; its status is final.")
    allowed_from, target = _TRANSITIONS[action]
    if twin.status not in allowed_from:
        raise TransitionError(
            f"A {twin.get_status_display().lower()} twin cannot be {target.label.lower()}."
        )
    if target == Twin.Status.PUBLISHED:
        problems = publish_blockers(twin)
        if problems:
            raise ValidationFailed("Cannot publish yet: " + "; ".join(problems) + ".")
        twin.published_at = twin.published_at or timezone.now()
    twin.status = target
    twin.save(update_fields=["status", "published_at", "updated_at"])
    audit.record(twin, f"twin.{target}", actor=by.user, organisation=by.organisation)
    return twin


def publish_blockers(twin: Twin) -> list[str]:
    problems = []
    if twin.price_from is None:
        problems.append("add at least one fee to the rate card")
    if not twin.images.filter(status=TwinImage.Status.READY).exists():
        problems.append("add a preview image")
    if not twin.permitted_categories.exists():
        problems.append("permit at least one usage category")
    return problems


@transaction.atomic
def add_twin_image(
    *, by: Membership, twin_id: int, upload: UploadedFile, alt_text: str = ""
) -> TwinImage:
    """Store a checked upload; a worker strips metadata and makes the thumbnail.

    Raises ValidationFailed with a message for the person uploading.
    """
    _require_manager(by)
    twin = _locked_twin(by, twin_id)
    checked = images.check_upload(upload)
    if twin.images.count() >= MAX_IMAGES_PER_TWIN:
        raise ValidationFailed(
            f"A gallery holds at most {MAX_IMAGES_PER_TWIN} images.", field="image"
        )
    position = (twin.images.aggregate(m=Max("position"))["m"] or 0) + 1
    image = TwinImage(
        twin=twin,
        alt_text=alt_text[:200],
        position=position,
        width=checked.width,
        height=checked.height,
    )
    image.image.save(f"upload.{images.ALLOWED_FORMATS[checked.format]}", upload, save=False)
    image.save()
    audit.record(
        twin,
        "twin.image_added",
        actor=by.user,
        organisation=by.organisation,
        data={"image_id": image.pk},
    )
    from .tasks import process_twin_image_task

    transaction.on_commit(lambda: process_twin_image_task.delay(image_id=image.pk))
    return image


@system_entry_point
@transaction.atomic
def process_twin_image(*, image_id: int) -> TwinImage | None:
    """Re-encode without metadata and make the thumbnail. Idempotent."""
    image = TwinImage.objects.select_for_update().filter(pk=image_id).first()
    if image is None or image.status == TwinImage.Status.READY:
        return image
    with image.image.open("rb") as fh:
        original = fh.read()
    try:
        clean, ext, (width, height) = images.sanitised(original)
        thumb = images.thumbnail(clean)
    except OSError:
        image.status = TwinImage.Status.FAILED
        image.save(update_fields=["status", "updated_at"])
        return image
    old_name = image.image.name
    # Stored under new random names (the field's upload_to): nothing in a picture's URL says
    # whose it is, and the raw upload's name is never reused.
    image.image.save(f"picture.{ext}", ContentFile(clean), save=False)
    image.thumbnail.save("thumbnail.jpg", ContentFile(thumb), save=False)
    image.width, image.height = width, height
    image.status = TwinImage.Status.READY
    image.save()
    if old_name != image.image.name:
        image.image.storage.delete(old_name)
    Twin.objects.filter(pk=image.twin_id, cover__isnull=True).update(cover=image)
    return image


@transaction.atomic
def remove_twin_image(*, by: Membership, twin_id: int, image_id: int) -> None:
    _require_manager(by)
    twin = _locked_twin(by, twin_id)
    image = twin.images.get(pk=image_id)
    files = [f.name for f in (image.image, image.thumbnail) if f]
    storage = image.image.storage
    image.delete()
    if twin.cover_id == image_id or twin.cover_id is None:
        twin.cover = twin.images.filter(status=TwinImage.Status.READY).first()
        twin.save(update_fields=["cover", "updated_at"])
    audit.record(
        twin,
        "twin.image_removed",
        actor=by.user,
        organisation=by.organisation,
        data={"image_id": image_id},
    )
    transaction.on_commit(lambda: [storage.delete(name) for name in files])


@transaction.atomic
def set_cover_image(*, by: Membership, twin_id: int, image_id: int) -> Twin:
    _require_manager(by)
    twin = _locked_twin(by, twin_id)
    twin.cover = twin.images.get(pk=image_id, status=TwinImage.Status.READY)
    twin.save(update_fields=["cover", "updated_at"])
    return twin


@transaction.atomic
def update_restrictions(*, talent: Talent, categories: Iterable[Category]) -> Talent:
    """The talent (only they) decides which categories their likeness is never used for."""
    locked = Talent.objects.select_for_update().get(pk=talent.pk)
    chosen = list(categories)
    locked.restricted_categories.set(chosen)
    audit.record(
        locked,
        "talent.restrictions_updated",
        actor=locked.user,
        organisation=locked.agency,
        data={"categories": sorted(c.slug for c in chosen)},
    )
    return locked


@transaction.atomic
def set_image_approval(
    *, talent: Talent, twin_id: int, required: bool, hours: int, agency_may_answer: bool
) -> Twin:
    """The model (only she) decides whether every image of her twin needs her approval, her
    answer time and whether her agency may answer for her. For new licences only: terms
    already written keep what they say. Raises Twin.DoesNotExist (not her twin),
    ValidationFailed."""
    twin = Twin.objects.for_talent(talent).select_for_update().get(pk=twin_id)
    if not MIN_APPROVAL_HOURS <= hours <= MAX_APPROVAL_HOURS:
        raise ValidationFailed(
            f"Choose an answer time between {MIN_APPROVAL_HOURS} and {MAX_APPROVAL_HOURS} hours.",
            field="approval_hours",
        )
    twin.image_approval = required
    twin.approval_hours = hours
    twin.agency_may_answer = agency_may_answer and required
    twin.save(update_fields=["image_approval", "approval_hours", "agency_may_answer", "updated_at"])
    audit.record(
        twin,
        "twin.image_approval_set",
        actor=talent.user,
        organisation=twin.agency,
        data={
            "required": twin.image_approval,
            "hours": twin.approval_hours,
            "agency_may_answer": twin.agency_may_answer,
        },
    )
    return twin
