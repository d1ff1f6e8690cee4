"""Reads: verifying a picture against the platform's Content Credentials, and the private
credentialed copies, to the parties of their licence only."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from django.utils import timezone

from marketplace.licensing.models import Licence
from marketplace.payments.models import UsageReport

from . import credentials
from .matching import PICTURE_KINDS, Match, fingerprint_match, manifest_match, picture_problem
from .models import CredentialedImage


class Outcome:
    LICENSED = "licensed"  # ours, intact
    CHANGED = "changed"  # ours, but the file was altered after signing
    # no credentials left, but its fingerprint is that of one of ours (a stripped copy)
    MATCHED = "matched"
    NOT_LICENSED = "not_licensed"  # credentials from someone else, or a use not on record
    NO_CREDENTIALS = "no_credentials"
    DAMAGED = "damaged"  # a manifest that cannot be read or checked: broken or forged
    NOT_AN_IMAGE = "not_an_image"
    TOO_MANY = "too_many"  # the address's checks this minute are used up


@dataclass(frozen=True)
class Verdict:
    """What the public may learn about a picture: never a fee, other terms, or another brand."""

    outcome: str
    headline: str
    details: list[str] = field(default_factory=list)
    twin_name: str = ""
    # active | ending (consent revoked, notice running) | expired | revoked | ended | ""
    licence_standing: str = ""
    standing_date: date | None = None
    licence_reference: str = ""
    # How the picture was recognised: "manifest" (its signed credentials) or "fingerprint".
    method: str = ""
    verify_token: str = ""

    @property
    def licensed(self) -> bool:
        return self.outcome in (Outcome.LICENSED, Outcome.CHANGED, Outcome.MATCHED)

    @property
    def changed(self) -> bool:
        return self.outcome == Outcome.CHANGED

    @property
    def in_licence_today(self) -> bool:
        return self.licensed and self.licence_standing in ("active", "ending")


def _standing(licence: Licence, today: date) -> tuple[str, date | None, str]:
    """(standing, its date, the sentence saying it) of a licence today."""
    end = licence.effective_end
    revoked_on = licence.twin.consent_revoked_at
    if licence.status == Licence.Status.ACTIVE and end is not None and end >= today:
        if revoked_on is not None:
            return (
                "ending",
                end,
                f"The model revoked her consent on {revoked_on:%d %B %Y}; this use is covered "
                f"only until {end:%d %B %Y}.",
            )
        return "active", end, f"This use is inside its licence today (until {end:%d %B %Y})."
    ended = licence.ended_at.date() if licence.ended_at else end
    if licence.status == Licence.Status.REVOKED or (
        revoked_on is not None and licence.status != Licence.Status.EXPIRED
    ):
        when = ended or (revoked_on.date() if revoked_on else None)
        on = f" on {when:%d %B %Y}" if when else ""
        return (
            "revoked",
            when,
            f"The model revoked her consent: this licence ended{on}. The use is no longer "
            "licensed.",
        )
    if licence.status == Licence.Status.EXPIRED or (end is not None and end < today):
        on = f" on {end:%d %B %Y}" if end else ""
        return "expired", end, f"This licence expired{on}. The use is no longer licensed."
    return "ended", ended, "This licence is not in force today. The use is not licensed."


def verdict_for(
    image: CredentialedImage, *, changed: bool = False, method: str = "manifest"
) -> Verdict:
    licence = image.use.licence
    standing, when, sentence = _standing(licence, timezone.localdate())
    twin = licence.twin.display_name
    if method == Match.FINGERPRINT:
        outcome = Outcome.MATCHED
        headline = f"This picture matches one licensed through Likeness: a digital twin of {twin}."
        last = (
            "It carries no Content Credentials (social networks often remove them), so it was "
            "recognised by its likeness to the signed picture, not by a signature: it may have "
            "been resized, recompressed or trimmed."
        )
    elif changed:
        outcome = Outcome.CHANGED
        headline = (
            f"Licensed through Likeness (digital twin {twin}), but this file was changed after "
            "it was signed."
        )
        last = "The picture no longer matches what Likeness signed: it was edited, or damaged."
    else:
        outcome = Outcome.LICENSED
        headline = f"Licensed through Likeness: a digital twin of {twin}, used under a licence."
        last = "The file is exactly as Likeness signed it."
    return Verdict(
        outcome=outcome,
        headline=headline,
        details=[sentence, f"Licence reference {licence.reference}.", last],
        twin_name=twin,
        licence_standing=standing,
        standing_date=when,
        licence_reference=licence.reference,
        method=method,
        verify_token=image.verify_token,
    )


def _with_use(queryset: Any) -> Any:
    return queryset.select_related("use__licence__terms", "use__licence__twin")


def verify_image(data: bytes) -> Verdict:
    """Whether `data` is a picture credentialed by Likeness, and what its licence says today.
    Never raises: unreadable, stripped, forged or foreign files are verdicts too."""
    problem = picture_problem(data)
    if problem:
        return Verdict(
            outcome=Outcome.NOT_AN_IMAGE,
            headline="This file is not an image we can check.",
            details=[problem],
        )
    reading = credentials.read(data)
    if not reading.found:
        if reading.error in ("C2paNotSupported", "ValueError"):
            return Verdict(
                outcome=Outcome.NOT_AN_IMAGE,
                headline="This file is not an image we can check.",
                details=[PICTURE_KINDS],
            )
        if reading.error == "C2paManifestNotFound":
            found = fingerprint_match(data)
            if found is not None:
                return verdict_for(found.image, changed=True, method=found.method)
            return Verdict(
                outcome=Outcome.NO_CREDENTIALS,
                headline="This image carries no Content Credentials.",
                details=[
                    "Nothing in it shows a licence through Likeness. Social networks often strip "
                    "credentials, so this alone does not mean the use is unlicensed."
                ],
            )
        return Verdict(
            outcome=Outcome.DAMAGED,
            headline="This image's Content Credentials cannot be verified.",
            details=["They are damaged or were tampered with. Nothing in them can be relied on."],
        )
    if not reading.signed_by_platform:
        return Verdict(
            outcome=Outcome.NOT_LICENSED,
            headline="Not licensed through Likeness.",
            details=["This image carries Content Credentials, but Likeness did not sign them."],
        )
    found = manifest_match(data, reading)
    if found is None:
        return Verdict(
            outcome=Outcome.NOT_LICENSED,
            headline="Not licensed through Likeness.",
            details=["Its credentials name no use on record at Likeness."],
        )
    return verdict_for(found.image, changed=found.changed)


def verdict_for_token(token: str) -> Verdict | None:
    """The verdict behind a use's public verify URL; None if no such URL was issued."""
    image = _with_use(CredentialedImage.objects).filter(verify_token=token).first()
    return verdict_for(image) if image is not None else None


def credentialed_image(viewer: Any, image_id: int) -> CredentialedImage:
    """A credentialed copy, for a party to its licence (brand, agency, model) or platform
    staff. Raises CredentialedImage.DoesNotExist for everyone else, as for a missing one."""
    if not viewer.is_authenticated:
        raise CredentialedImage.DoesNotExist
    images = CredentialedImage.objects.filter(pk=image_id)
    if not viewer.user.is_staff:
        images = images.filter(use__licence__in=Licence.objects.visible_to(viewer).values("pk"))
    return images.get()


# After this long without its copies, a use's page stops saying "being made" and says that
# they are late (the worker failed or is down; staff are alerted by the task's error log).
CREDENTIALING_EXPECTED_SECONDS = 15 * 60


@dataclass(frozen=True)
class UseCredentials:
    """A use and its copies as its parties see them. `state`: ready (both copies made),
    pending (a worker is making them), late (expected by now), none (the use has no
    picture, so there is nothing to sign)."""

    use: UsageReport
    image: CredentialedImage | None
    state: str


def credentials_state(use: UsageReport, image: CredentialedImage | None) -> str:
    if image is not None:
        return "ready"
    if not use.image:
        return "none"
    # Since the picture came: with the use, or later as its final asset (which saves the use).
    age = (timezone.now() - use.updated_at).total_seconds()
    return "late" if age > CREDENTIALING_EXPECTED_SECONDS else "pending"


def use_credentials(viewer: Any, use_id: int) -> UseCredentials:
    """A use's copies, for a party to its licence (brand, agency, model) or platform staff.
    Raises UsageReport.DoesNotExist for everyone else, as for a missing use."""
    if not viewer.is_authenticated:
        raise UsageReport.DoesNotExist
    uses = UsageReport.objects.filter(pk=use_id).select_related("licence__twin")
    if not viewer.user.is_staff:
        uses = uses.filter(licence__in=Licence.objects.visible_to(viewer).values("pk"))
    use = uses.get()
    image = CredentialedImage.objects.filter(use=use).order_by("-id").first()
    return UseCredentials(use=use, image=image, state=credentials_state(use, image))


def credentialed_images_of_use(viewer: Any, use_id: int) -> list[CredentialedImage]:
    if not viewer.is_authenticated:
        return []
    visible = Licence.objects.visible_to(viewer).values("pk")
    return list(
        CredentialedImage.objects.filter(use_id=use_id, use__licence__in=visible).order_by("-id")
    )
