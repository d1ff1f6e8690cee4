"""Content Credentials: the signed copies of the pictures brands report with their uses."""

from __future__ import annotations

from django.db import models

from marketplace.core.models import TimeStampedModel
from marketplace.core.storage import PrivateStorage, random_name
from marketplace.payments.models import UsageReport

CREDENTIALED_FOLDER = "credentialed"


def credentialed_storage() -> PrivateStorage:
    """Private files: a credentialed copy is read only through a view that checks who asks."""
    return PrivateStorage()


def credentialed_name(instance: CredentialedImage, filename: str) -> str:
    return random_name(CREDENTIALED_FOLDER, filename)


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

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["use", "source_sha256"], name="credentialed_once_per_picture"
            ),
        ]

    def __str__(self) -> str:
        return f"Credentialed copy of use {self.use_id}"
