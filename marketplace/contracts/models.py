"""Contracts: the document generated from a licence's consented terms, its signatures and the
executed, sealed copy."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.core.models import ScopedQuerySet, TimeStampedModel
from marketplace.licensing.models import Consent, Licence, LicenceTerms

from .storage import contract_storage


class Party(models.TextChoices):
    BRAND = "brand", "Brand"
    AGENCY = "agency", "Agency"
    TALENT = "talent", "Model"


# Who signs when: the brand commits first, the agency countersigns, the model signs last,
# seeing both commitments already made (README, "Licensing rules").
SIGNING_ORDER: tuple[str, ...] = (Party.BRAND, Party.AGENCY, Party.TALENT)


def next_signer(signed: list[str]) -> str | None:
    """Whose turn it is: brand, then agency, then the model; None when all have signed."""
    done = set(signed)
    return next((role for role in SIGNING_ORDER if role not in done), None)


def _document_path(contract: Contract, filename: str) -> str:
    return f"contracts/{contract.licence.reference}/{filename}"


class ContractQuerySet(ScopedQuerySet["Contract"]):
    brand_path = "licence__brand"
    agency_path = "licence__agency"
    talent_path = "licence__talent"


class Contract(TimeStampedModel):
    """One contract per consent: generated once, signed by the three parties, then sealed."""

    class Status(models.TextChoices):
        GENERATING = "generating", "Generating"
        # Rendering kept failing after the worker's retries; a party's manager or staff retries.
        FAILED = "failed", "Generation failed"
        AWAITING_SIGNATURES = "awaiting_signatures", "Awaiting signatures"
        SEALING = "sealing", "Signed — sealing"
        EXECUTED = "executed", "Executed"
        VOID = "void", "Void"

    reference = models.CharField(max_length=32, unique=True)
    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="contracts")
    consent = models.OneToOneField(Consent, on_delete=models.PROTECT, related_name="contract")
    terms = models.ForeignKey(LicenceTerms, on_delete=models.PROTECT, related_name="+")
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.GENERATING, db_index=True
    )
    render_attempts = models.PositiveSmallIntegerField(default=0)
    generation_error = models.TextField(blank=True)  # for staff; the parties see a sentence
    failed_at = models.DateTimeField(null=True, blank=True)
    document = models.FileField(
        storage=contract_storage, upload_to=_document_path, max_length=200, blank=True
    )
    document_sha256 = models.CharField(max_length=64, blank=True)
    document_size = models.PositiveIntegerField(null=True, blank=True)
    generated_at = models.DateTimeField(null=True, blank=True)
    executed_document = models.FileField(
        storage=contract_storage, upload_to=_document_path, max_length=200, blank=True
    )
    executed_sha256 = models.CharField(max_length=64, blank=True)
    executed_at = models.DateTimeField(null=True, blank=True)
    void_reason = models.TextField(blank=True)
    declined_role = models.CharField(max_length=10, choices=Party.choices, blank=True)
    declined_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    declined_at = models.DateTimeField(null=True, blank=True)

    objects = ContractQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["licence"],
                condition=~Q(status="void"),
                name="one_live_contract_per_licence",
            ),
            models.CheckConstraint(
                condition=Q(status__in=["generating", "failed"]) | ~Q(document_sha256=""),
                name="contract_document_hashed",
            ),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def is_live(self) -> bool:
        return self.status != self.Status.VOID

    @property
    def awaiting_role(self) -> str | None:
        """Whose signature is awaited while the contract awaits signatures, else None."""
        if self.status != self.Status.AWAITING_SIGNATURES:
            return None
        return next_signer([s.role for s in self.signatures.all()])


class SignatureQuerySet(ScopedQuerySet["Signature"]):
    brand_path = "contract__licence__brand"
    agency_path = "contract__licence__agency"
    talent_path = "contract__licence__talent"


class Signature(models.Model):
    """One party's signature: who, in which role, when, from where, on which exact bytes."""

    contract = models.ForeignKey(Contract, on_delete=models.PROTECT, related_name="signatures")
    role = models.CharField(max_length=10, choices=Party.choices)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    organisation = models.ForeignKey(
        "accounts.Organisation", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    typed_name = models.CharField(max_length=150)
    document_sha256 = models.CharField(max_length=64)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    signed_at = models.DateTimeField(auto_now_add=True)

    objects = SignatureQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["contract", "role"], name="one_signature_per_role"),
        ]
        ordering = ["signed_at", "id"]

    def __str__(self) -> str:
        return f"{self.get_role_display()} signature on {self.contract_id}"
