"""Misuse: sightings of a twin out in the world, as the model or her agency report them, and
the takedown cases opened for those no licence covers."""

from __future__ import annotations

from django.conf import settings
from django.db import models

from marketplace.core.models import ScopedQuerySet, TimeStampedModel
from marketplace.core.storage import PrivateStorage, media_storage, random_name
from marketplace.licensing.models import Licence
from marketplace.payments.models import UsageReport
from marketplace.talent.models import MediaType, Twin

SCREENSHOT_FOLDER = "sightings"
NOTICE_FOLDER = "takedown-notices"


def screenshot_name(instance: Sighting, filename: str) -> str:
    return random_name(SCREENSHOT_FOLDER, filename)


def notice_storage() -> PrivateStorage:
    """Private files: a notice is read only through a view that checks who asks."""
    return PrivateStorage()


def notice_name(instance: TakedownCase, filename: str) -> str:
    return random_name(NOTICE_FOLDER, filename)


class SightingQuerySet(ScopedQuerySet["Sighting"]):
    # The model's and her agency's: a brand, even the licensee, reaches none.
    agency_path = "twin__agency"
    talent_path = "twin__talent"


class Sighting(TimeStampedModel):
    """Where the model or her agency saw her twin used: a URL and/or a screenshot, matched
    against the credentialed pictures and classified."""

    class Finding(models.TextChoices):
        IN_SCOPE = "in_scope", "Licensed and in scope"
        OUT_OF_SCOPE = "out_of_scope", "Licensed, but outside its terms"
        UNKNOWN = "unknown", "No licence found"

    class Method(models.TextChoices):
        MANIFEST = "manifest", "Content Credentials"
        FINGERPRINT = "fingerprint", "Picture fingerprint"
        ASSET_REFERENCE = "asset_reference", "Address the brand reported"
        NONE = "", "No match"

    twin = models.ForeignKey(Twin, on_delete=models.PROTECT, related_name="sightings")
    reported_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    url = models.CharField(max_length=500, blank=True)
    host = models.CharField(max_length=253, blank=True)
    screenshot = models.ImageField(
        storage=media_storage, upload_to=screenshot_name, max_length=200, blank=True
    )
    # Of the file as it was received (the evidence), not of the copy kept (re-encoded).
    screenshot_sha256 = models.CharField(max_length=64, blank=True)
    seen_on = models.DateField()
    territory = models.CharField(max_length=2)
    media_type = models.CharField(max_length=10, choices=MediaType.choices)
    note = models.CharField(max_length=500, blank=True)
    finding = models.CharField(max_length=12, choices=Finding.choices)
    method = models.CharField(max_length=16, choices=Method.choices, blank=True)
    reason = models.CharField(max_length=300, blank=True)
    # The licence and use it matched (recorded against the licence when out of its terms).
    licence = models.ForeignKey(
        Licence, null=True, blank=True, on_delete=models.PROTECT, related_name="sightings"
    )
    use = models.ForeignKey(
        UsageReport, null=True, blank=True, on_delete=models.PROTECT, related_name="sightings"
    )

    objects = SightingQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(url="", screenshot=""), name="sighting_has_evidence"
            ),
        ]

    def __str__(self) -> str:
        return f"Sighting {self.pk} of twin {self.twin_id} ({self.finding})"


class TakedownCaseQuerySet(ScopedQuerySet["TakedownCase"]):
    agency_path = "sighting__twin__agency"
    talent_path = "sighting__twin__talent"


class TakedownCase(TimeStampedModel):
    """A sighting no licence covers (or one outside its licence), followed until the picture
    is gone: a worker drafts the notice, the agency reviews and sends it, then says how it
    ended. Its history is its audit events."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        NOTICE_SENT = "notice_sent", "Notice sent"
        REMOVED = "removed", "Removed"
        LICENSED = "licensed", "Licensed after all"
        DISMISSED = "dismissed", "Dismissed"

    # Which status may follow which: the one home of the case's lifecycle.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.OPEN: frozenset({Status.NOTICE_SENT, Status.LICENSED, Status.DISMISSED}),
        Status.NOTICE_SENT: frozenset({Status.REMOVED, Status.LICENSED, Status.DISMISSED}),
    }
    CLOSED = frozenset({Status.REMOVED, Status.LICENSED, Status.DISMISSED})

    sighting = models.OneToOneField(Sighting, on_delete=models.PROTECT, related_name="case")
    status = models.CharField(
        max_length=12, choices=Status.choices, default=Status.OPEN, db_index=True
    )
    notice = models.FileField(
        storage=notice_storage, upload_to=notice_name, max_length=200, blank=True
    )
    notice_sha256 = models.CharField(max_length=64, blank=True)
    notice_drafted_at = models.DateTimeField(null=True, blank=True)
    notice_sent_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    objects = TakedownCaseQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return self.reference

    @property
    def reference(self) -> str:
        return f"TD-{self.pk:06d}"

    @property
    def is_closed(self) -> bool:
        return self.status in self.CLOSED

    def next_statuses(self) -> list[str]:
        return sorted(self.TRANSITIONS.get(self.status, frozenset()))
