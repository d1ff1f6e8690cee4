"""Proofs: under a licence whose terms require it, the brand shows the model each image and
its placement before use; she approves, rejects or asks for changes. An approved proof
becomes the use (payments' usage report) and gets its credentialed copy."""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.utils import timezone

from marketplace.accounts.models import Organisation
from marketplace.core.models import ScopedQuerySet, TimeStampedModel
from marketplace.core.storage import PrivateStorage, random_name
from marketplace.licensing.models import Licence
from marketplace.payments.models import UsageReport
from marketplace.talent.models import MediaType, Talent

PROOF_FOLDER = "proofs"


def proof_storage() -> PrivateStorage:
    """Private files: a proof is shown only through a view that checks who asks."""
    return PrivateStorage()


def proof_name(instance: ProofVersion, filename: str) -> str:
    return random_name(PROOF_FOLDER, filename)


class ProofQuerySet(ScopedQuerySet["Proof"]):
    brand_path = "brand"
    agency_path = "agency"
    talent_path = "talent"


class Proof(TimeStampedModel):
    """One image a brand wants to use under a licence, through its versions, until the model
    approves it (it becomes the use) or rejects it."""

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting for the model"
        CHANGES_REQUESTED = "changes_requested", "Changes asked for"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        LAPSED = "lapsed", "No answer in time: not approved"

    reference = models.CharField(max_length=20, unique=True)
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="proofs")
    # Denormalised from the licence (services keep them equal): every tenant filter is one
    # indexed column.
    brand = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    agency = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    talent = models.ForeignKey(Talent, on_delete=models.PROTECT, related_name="proofs")
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    idempotency_key = models.CharField(max_length=120)
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.PENDING, db_index=True
    )
    latest = models.ForeignKey(
        "ProofVersion", null=True, on_delete=models.PROTECT, related_name="+"
    )
    due_at = models.DateTimeField(help_text="The model's answer is due by then.")
    decided_at = models.DateTimeField(null=True, blank=True)
    use = models.OneToOneField(
        UsageReport, null=True, blank=True, on_delete=models.PROTECT, related_name="proof"
    )

    objects = ProofQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["brand", "idempotency_key"], name="proof_once_per_brand_key"
            ),
        ]
        indexes = [
            models.Index(fields=["brand", "-created_at"], name="proof_brand_idx"),
            models.Index(fields=["talent", "status", "due_at"], name="proof_talent_idx"),
            models.Index(fields=["agency", "-created_at"], name="proof_agency_idx"),
            models.Index(fields=["status", "due_at"], name="proof_due_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def awaiting_answer(self) -> bool:
        return self.status == self.Status.PENDING

    def overdue(self, now: datetime | None = None) -> bool:
        return self.awaiting_answer and self.due_at <= (now or timezone.now())


class ProofVersionQuerySet(ScopedQuerySet["ProofVersion"]):
    brand_path = "proof__brand"
    agency_path = "proof__agency"
    talent_path = "proof__talent"


class ProofVersion(models.Model):
    """One submission of the proof: the picture (stored re-encoded, without metadata), its
    watermarked preview for the brand, and the intended placement. Immutable once written."""

    proof = models.ForeignKey(Proof, on_delete=models.CASCADE, related_name="versions")
    number = models.PositiveSmallIntegerField()
    idempotency_key = models.CharField(max_length=120)
    media_type = models.CharField(max_length=20, choices=MediaType.choices)
    territory = models.CharField(max_length=2)
    publish_on = models.DateField()
    caption = models.TextField(max_length=1000, blank=True)
    image = models.FileField(storage=proof_storage, upload_to=proof_name)
    preview = models.FileField(storage=proof_storage, upload_to=proof_name)
    sha256 = models.CharField(max_length=64)
    width = models.PositiveIntegerField()
    height = models.PositiveIntegerField()
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProofVersionQuerySet.as_manager()

    class Meta:
        ordering = ["number"]
        constraints = [
            models.UniqueConstraint(fields=["proof", "number"], name="proof_version_unique"),
            models.UniqueConstraint(
                fields=["proof", "idempotency_key"], name="proof_version_once_per_key"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.proof_id} v{self.number}"


class ProofDecisionQuerySet(ScopedQuerySet["ProofDecision"]):
    brand_path = "proof__brand"
    agency_path = "proof__agency"
    talent_path = "proof__talent"


class ProofDecision(models.Model):
    """The model's answer (or her agency's, where her consent allows it) to one version.

    Like her consent holds the terms' hash, her approval holds the SHA-256 of the very
    picture she approved."""

    class Decision(models.TextChoices):
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"
        CHANGES_REQUESTED = "changes_requested", "Changes asked for"

    proof = models.ForeignKey(Proof, on_delete=models.PROTECT, related_name="decisions")
    version = models.OneToOneField(ProofVersion, on_delete=models.PROTECT, related_name="decision")
    decision = models.CharField(max_length=20, choices=Decision.choices)
    note = models.TextField(blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    # Set when the agency answered for the model (her consent lets it).
    on_behalf_of = models.ForeignKey(
        Organisation, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    image_sha256 = models.CharField(max_length=64)
    statement = models.TextField()
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ProofDecisionQuerySet.as_manager()

    def __str__(self) -> str:
        return f"{self.get_decision_display()} for {self.proof_id}"
