from __future__ import annotations

from datetime import date

from django.conf import settings
from django.db import models
from django.db.models import Q

from marketplace.accounts.models import Organisation
from marketplace.core.models import ScopedQuerySet, TimeStampedModel
from marketplace.core.money import format_money
from marketplace.talent.models import Category, MediaType, Talent, Twin, approval_rule

from .quotes import REVOCATION_REFUND_RULE
from .states import LicenceState, licence_state

ALTERATION_LIMITS = [
    ("no_body_reshaping", "No retouching of body shape or proportions"),
    ("no_compositing", "No compositing with other people"),
    ("no_face_change", "No change to facial features, skin tone or age"),
    ("no_nudity", "No nudity or implied nudity"),
    ("no_voice", "No synthetic voice"),
]


class LicenceQuerySet(models.QuerySet["Licence"]):
    def for_brand(self, brand: Organisation) -> LicenceQuerySet:
        return self.filter(brand=brand)

    def for_agency(self, agency: Organisation) -> LicenceQuerySet:
        return self.filter(agency=agency)

    def for_talent(self, talent: Talent) -> LicenceQuerySet:
        return self.filter(talent=talent)

    def visible_to(self, viewer) -> LicenceQuerySet:
        """Fails closed: a viewer that is none of brand, agency or talent sees nothing."""
        if viewer.is_brand:
            return self.for_brand(viewer.organisation)
        if viewer.is_agency:
            return self.for_agency(viewer.organisation)
        if viewer.is_talent:
            return self.for_talent(viewer.talent)
        return self.none()


class Licence(TimeStampedModel):
    """A brand's right to use a twin, from request to expiry."""

    class Status(models.TextChoices):
        REQUESTED = "requested", "Requested"
        COUNTERED = "countered", "Counter-offer"
        AWAITING_CONSENT = "awaiting_consent", "Awaiting model's consent"
        CONSENTED = "consented", "Consented — contract next"
        AWAITING_PAYMENT = "awaiting_payment", "Signed — awaiting payment"
        ACTIVE = "active", "Active"
        EXPIRED = "expired", "Expired"
        TERMINATED = "terminated", "Terminated"
        REVOKED = "revoked", "Ended: consent revoked"
        DECLINED = "declined", "Declined"
        WITHDRAWN = "withdrawn", "Withdrawn"
        REFUSED = "refused", "Refused by the model"
        LAPSED = "lapsed", "Lapsed"

    OPEN = (
        Status.REQUESTED,
        Status.COUNTERED,
        Status.AWAITING_CONSENT,
        Status.CONSENTED,
        Status.AWAITING_PAYMENT,
    )
    HOLDING = (*OPEN, Status.ACTIVE)

    reference = models.CharField(max_length=20, unique=True)
    brand = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="licences")
    agency = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="+")
    twin = models.ForeignKey(Twin, on_delete=models.PROTECT, related_name="licences")
    talent = models.ForeignKey(Talent, on_delete=models.PROTECT, related_name="licences")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    status = models.CharField(
        max_length=20, choices=Status.choices, default=Status.REQUESTED, db_index=True
    )
    terms = models.ForeignKey("LicenceTerms", null=True, on_delete=models.PROTECT, related_name="+")
    reserved_until = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Exclusivity is held until then while consent, signing and payment happen.",
    )
    status_reason = models.TextField(blank=True)
    ends_early_on = models.DateField(
        null=True,
        blank=True,
        help_text="Set when consent is revoked: the earliest end the terms allow.",
    )
    signing_started_at = models.DateTimeField(
        null=True,
        blank=True,
        help_text="Set by the contracts app at the first signature: the brand can no longer "
        "withdraw. Cleared when that contract is declined.",
    )
    activated_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(null=True, blank=True)
    reminded_at = models.DateTimeField(null=True, blank=True)
    uses_count = models.PositiveIntegerField(default=0)

    objects = LicenceQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(fields=["brand", "status"], name="licence_brand_idx"),
            models.Index(fields=["agency", "status"], name="licence_agency_idx"),
            models.Index(fields=["talent", "status"], name="licence_talent_idx"),
            models.Index(fields=["status", "reserved_until"], name="licence_reserved_idx"),
        ]

    def __str__(self) -> str:
        return self.reference

    @property
    def current_terms(self) -> LicenceTerms:
        """The terms in force. Only None inside request_licence, before they are written."""
        if self.terms is None:
            raise LicenceTerms.DoesNotExist(f"{self.reference} has no terms yet")
        return self.terms

    @property
    def effective_end(self) -> date | None:
        if self.ends_early_on and self.terms and self.ends_early_on < self.terms.end_date:
            return self.ends_early_on
        return self.terms.end_date if self.terms else None

    @property
    def is_open(self) -> bool:
        return self.status in self.OPEN

    @property
    def state(self) -> LicenceState:
        """The state as people read it (labels/badges): see states.py."""
        return licence_state(self)

    @property
    def is_scheduled(self) -> bool:
        return self.state.key == "scheduled"


class LicenceTermsQuerySet(ScopedQuerySet["LicenceTerms"]):
    brand_path = "licence__brand"
    agency_path = "licence__agency"
    talent_path = "licence__talent"


class LicenceTerms(models.Model):
    """One version of the terms: the request, or a counter-offer. Immutable once written.

    `quote` is the price snapshot computed from the rate card when the terms were made;
    `terms_hash` is the SHA-256 of terms and quote, shown to and consented by the model.
    """

    class Proposer(models.TextChoices):
        BRAND = "brand", "Brand"
        AGENCY = "agency", "Agency"

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="versions")
    version = models.PositiveSmallIntegerField()
    proposed_by = models.CharField(max_length=10, choices=Proposer.choices)
    media_types = models.JSONField()
    territories = models.JSONField(help_text="ISO 3166-1 alpha-2 country codes.")
    territory_label = models.CharField(max_length=200)
    start_date = models.DateField()
    end_date = models.DateField()
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    max_uses = models.PositiveIntegerField(
        null=True, blank=True, help_text="Empty: metered, paid per use."
    )
    exclusive = models.BooleanField(default=False)
    alteration_limits = models.JSONField(default=list)
    ai_training_forbidden = models.BooleanField(default=True)
    intended_use = models.TextField()
    revocation_notice_days = models.PositiveSmallIntegerField(default=30)
    # Every image needs the model's approval (a proof) before it is used; she answers within
    # `approval_hours`; her agency may answer for her only when `agency_may_answer`.
    image_approval = models.BooleanField(default=False)
    approval_hours = models.PositiveSmallIntegerField(default=72)
    agency_may_answer = models.BooleanField(default=False)
    quote = models.JSONField()
    currency = models.CharField(max_length=3)
    total_fee = models.PositiveBigIntegerField()
    terms_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = LicenceTermsQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["licence", "version"], name="terms_version_unique"),
            models.CheckConstraint(
                condition=Q(end_date__gte=models.F("start_date")), name="terms_dates_ordered"
            ),
        ]
        ordering = ["version"]

    def __str__(self) -> str:
        return f"{self.licence_id} v{self.version}"

    def media_labels(self) -> list[str]:
        return [MediaType(m).label for m in self.media_types]

    def alteration_labels(self) -> list[str]:
        labels = dict(ALTERATION_LIMITS)
        return [labels.get(a, a) for a in self.alteration_limits]

    @property
    def duration_days(self) -> int:
        return (self.end_date - self.start_date).days + 1

    @property
    def revocation_refund_rule(self) -> str:
        return REVOCATION_REFUND_RULE

    @property
    def approval_rule(self) -> str:
        """The approval clause as the quote, the consent and the contract state it."""
        return approval_rule(
            self.image_approval,
            hours=self.approval_hours,
            agency_may_answer=self.agency_may_answer,
        )

    @property
    def approval_premium_note(self) -> str:
        """What the image-approval term costs, as the consent and the contract state it (empty
        when the term is off)."""
        if not self.image_approval:
            return ""
        premium = int(self.quote.get("approval_premium", 0))
        if not premium:
            return "No premium is charged for it."
        bps = int(self.quote["approval_premium_bps"])
        return (
            f"The licence fee includes an image-approval premium of "
            f"{format_money(premium, self.currency)} (+ {bps / 100:g} %)."
        )


class ExclusivityHoldQuerySet(ScopedQuerySet["ExclusivityHold"]):
    brand_path = "brand"
    agency_path = "twin__agency"
    talent_path = "twin__talent"

    def overlapping(
        self,
        *,
        twin: Twin | int,
        category: Category | int,
        territories: list[str],
        start: date,
        end: date,
    ) -> ExclusivityHoldQuerySet:
        """Active holds on the twin in the category sharing a territory and a day with the
        window. The one overlap query: every exclusivity check starts from it."""
        return self.filter(
            twin=twin,
            category=category,
            territory__in=territories,
            active=True,
            start_date__lte=end,
            end_date__gte=start,
        )


class ExclusivityHold(models.Model):
    """One row per territory of a licence's window: what the licence occupies.

    Exclusive rows conflict with every overlapping row of another brand; non-exclusive rows
    conflict only with exclusive ones. PostgreSQL enforces it with an exclusion constraint
    (migration 0002); SQLite relies on the per-twin lock taken by the services.
    """

    licence = models.ForeignKey(Licence, on_delete=models.CASCADE, related_name="holds")
    twin = models.ForeignKey(Twin, on_delete=models.CASCADE, related_name="+")
    brand = models.ForeignKey(Organisation, on_delete=models.CASCADE, related_name="+")
    category = models.ForeignKey(Category, on_delete=models.PROTECT, related_name="+")
    territory = models.CharField(max_length=2)
    start_date = models.DateField()
    end_date = models.DateField()
    exclusive = models.BooleanField()
    active = models.BooleanField(default=True)

    objects = ExclusivityHoldQuerySet.as_manager()

    class Meta:
        indexes = [
            models.Index(
                fields=["twin", "category", "territory", "start_date"],
                condition=Q(active=True),
                name="hold_lookup_idx",
            ),
            models.Index(fields=["licence"], name="hold_licence_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.territory} {self.start_date}–{self.end_date}"


class ConsentQuerySet(ScopedQuerySet["Consent"]):
    brand_path = "licence__brand"
    agency_path = "licence__agency"
    talent_path = "talent"


class Consent(models.Model):
    """The model's explicit written decision on one version of the terms."""

    class Decision(models.TextChoices):
        GIVEN = "given", "Consent given"
        REFUSED = "refused", "Consent refused"

    licence = models.ForeignKey(Licence, on_delete=models.PROTECT, related_name="consents")
    terms = models.ForeignKey(LicenceTerms, on_delete=models.PROTECT, related_name="consents")
    talent = models.ForeignKey(Talent, on_delete=models.PROTECT, related_name="consents")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    decision = models.CharField(max_length=10, choices=Decision.choices)
    typed_name = models.CharField(max_length=150)
    statement = models.TextField(help_text="The exact text the model agreed to or refused.")
    terms_hash = models.CharField(max_length=64)
    reason = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    user_agent = models.CharField(max_length=400, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ConsentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["terms"], name="one_decision_per_terms"),
        ]

    def __str__(self) -> str:
        return f"{self.get_decision_display()} for {self.licence_id}"


class ConsentRevocationQuerySet(ScopedQuerySet["ConsentRevocation"]):
    agency_path = "twin__agency"
    talent_path = "talent"


class ConsentRevocation(models.Model):
    """The model withdraws consent for a twin: no new licences, active ones wind down."""

    twin = models.OneToOneField(Twin, on_delete=models.PROTECT, related_name="revocation")
    talent = models.ForeignKey(Talent, on_delete=models.PROTECT, related_name="+")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    reason = models.TextField(blank=True)
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ConsentRevocationQuerySet.as_manager()

    def __str__(self) -> str:
        return f"Revocation for {self.twin}"
