"""Content Credentials: the signed copies of the pictures brands report with their uses."""

from __future__ import annotations

from django.db import models

from marketplace.core.models import ScopedQuerySet, TimeStampedModel
from marketplace.core.storage import PrivateStorage, random_name
from marketplace.payments.models import UsageReport

from .options import LabelLanguage, LabelPosition, SourceType, label_text

CREDENTIALED_FOLDER = "credentialed"


def credentialed_storage() -> PrivateStorage:
    """Private files: a credentialed copy is read only through a view that checks who asks."""
    return PrivateStorage()


def credentialed_name(instance: CredentialedImage, filename: str) -> str:
    return random_name(CREDENTIALED_FOLDER, filename)


class Copy(models.TextChoices):
    CREDENTIALED = "credentialed", "Credentialed copy"
    LABELLED = "labelled", "Labelled copy (EU AI Act art. 50)"


class CredentialedImageQuerySet(ScopedQuerySet["CredentialedImage"]):
    brand_path = "use__brand"
    agency_path = "use__licence__agency"
    talent_path = "use__talent"


class CredentialedImage(TimeStampedModel):
    """A copy of a use's picture carrying a C2PA manifest signed with the platform's key.

    The manifest is public (it travels with the file), so it holds opaque references only;
    `verify_token` is the use's public verification address, unrelated to any id."""

    use = models.ForeignKey(
        UsageReport, on_delete=models.PROTECT, related_name="credentialed_images"
    )
    # The SHA-256 of the picture that was signed: one credentialed copy per picture of a use.
    source_sha256 = models.CharField(max_length=64)
    file = models.FileField(storage=credentialed_storage, upload_to=credentialed_name)
    sha256 = models.CharField(max_length=64, db_index=True)
    manifest_label = models.CharField(max_length=120, unique=True)
    verify_token = models.CharField(max_length=32, unique=True)
    # What the brand said about the picture when it reported the use (options.CopyOptions).
    source_type = models.CharField(
        max_length=40, choices=SourceType.choices, default=SourceType.TRAINED
    )
    label_language = models.CharField(
        max_length=2, choices=LabelLanguage.choices, default=LabelLanguage.EN
    )
    label_position = models.CharField(
        max_length=12, choices=LabelPosition.choices, default=LabelPosition.BOTTOM_RIGHT
    )
    # The EU AI Act label kit: a second copy, the label drawn on it, signed after that
    # re-encode; and the disclosure text to publish beside it.
    labelled_file = models.FileField(
        storage=credentialed_storage, upload_to=credentialed_name, blank=True
    )
    labelled_sha256 = models.CharField(max_length=64, blank=True, db_index=True)
    labelled_manifest_label = models.CharField(max_length=120, blank=True, db_index=True)
    disclosure = models.TextField(blank=True)

    objects = CredentialedImageQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["use", "source_sha256"], name="credentialed_once_per_picture"
            ),
            models.UniqueConstraint(
                fields=["labelled_manifest_label"],
                condition=~models.Q(labelled_manifest_label=""),
                name="labelled_manifest_label_unique",
            ),
        ]

    def __str__(self) -> str:
        return f"Credentialed copy of use {self.use_id}"

    @property
    def label_text(self) -> str:
        """The visible label drawn on the labelled copy."""
        return label_text(self.label_language)


class FingerprintQuerySet(ScopedQuerySet["Fingerprint"]):
    brand_path = "image__use__brand"
    agency_path = "image__use__licence__agency"
    talent_path = "image__use__talent"


class Fingerprint(models.Model):
    """Perceptual hashes of one copy, found again once its manifest is stripped.

    Each 64-bit hash is also kept as four 16-bit bands, each indexed (multi-index hashing):
    a picture within a few bits of a stored one shares a band, or a band one bit away, with
    it, so a look-up reads a few index entries and Hamming-checks only those candidates."""

    image = models.ForeignKey(
        CredentialedImage, on_delete=models.CASCADE, related_name="fingerprints"
    )
    copy = models.CharField(max_length=12, choices=Copy.choices)
    # The hashes as signed 64-bit integers (their bit patterns; see fingerprints.to_signed).
    phash = models.BigIntegerField()
    dhash = models.BigIntegerField()
    p0 = models.IntegerField()
    p1 = models.IntegerField()
    p2 = models.IntegerField()
    p3 = models.IntegerField()
    d0 = models.IntegerField()
    d1 = models.IntegerField()
    d2 = models.IntegerField()
    d3 = models.IntegerField()

    objects = FingerprintQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["image", "copy"], name="fingerprint_once_per_copy"),
        ]
        indexes = [
            models.Index(fields=[band], name=f"fingerprint_{band}_idx")
            for band in ("p0", "p1", "p2", "p3", "d0", "d1", "d2", "d3")
        ]

    def __str__(self) -> str:
        return f"Fingerprint of {self.copy} copy {self.image_id}"
