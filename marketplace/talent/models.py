from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from marketplace.accounts.models import Organisation
from marketplace.core.models import ScopedQuerySet, TimeStampedModel
from marketplace.core.money import CURRENCY_CHOICES, MAX_CHARGE
from marketplace.core.storage import media_storage, random_name

# Rate-card bounds. Territory and duration multipliers scale the base fee by 0.1× to 10×; the
# exclusivity premium adds 0 to 500 %, the image-approval premium (licences whose every image
# the model approves first) 0 to 100 %. Fees are at most one Stripe payment (the quote then
# checks the total against the currency's own limits).
MULTIPLIER_MIN_BPS = 1_000
MULTIPLIER_MAX_BPS = 100_000
PREMIUM_MAX_BPS = 50_000
APPROVAL_PREMIUM_MAX_BPS = 10_000
MULTIPLIER_FIELDS = (
    "territory_country_bps",
    "territory_region_bps",
    "territory_worldwide_bps",
    "duration_3m_bps",
    "duration_6m_bps",
    "duration_12m_bps",
    "duration_24m_bps",
)


def _multiplier(default: int) -> models.PositiveIntegerField:
    return models.PositiveIntegerField(
        default=default,
        validators=[MinValueValidator(MULTIPLIER_MIN_BPS), MaxValueValidator(MULTIPLIER_MAX_BPS)],
    )


class MediaType(models.TextChoices):
    SOCIAL = "social", "Social media"
    WEB = "web", "Web / e-commerce"
    PRINT = "print", "Print"
    OOH = "ooh", "Out-of-home"
    VIDEO = "video", "Video / TV"
    IN_STORE = "in_store", "In-store"


class Category(models.Model):
    """An industry or product category a licence is for (fast fashion, beauty, alcohol…).

    Sensitive categories (alcohol, tobacco, politics, adult) are ones talent commonly refuse.
    """

    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=80)
    sensitive = models.BooleanField(default=False)

    class Meta:
        ordering = ["sensitive", "name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class StyleTag(models.Model):
    slug = models.SlugField(max_length=40, unique=True)
    name = models.CharField(max_length=40)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class TalentQuerySet(models.QuerySet["Talent"]):
    def for_agency(self, agency: Organisation) -> TalentQuerySet:
        return self.filter(agency=agency)


class Talent(TimeStampedModel):
    """The real person behind one or more twins. Owns the twins; their agency manages them."""

    agency = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="talent",
        limit_choices_to={"kind": Organisation.Kind.AGENCY},
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="talent_profile",
    )
    full_name = models.CharField(max_length=150)
    email = models.EmailField()
    restricted_categories = models.ManyToManyField(
        Category,
        blank=True,
        related_name="+",
        help_text="Categories the talent refuses to be used for, whatever the agency permits.",
    )

    objects = TalentQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["agency", "email"], name="talent_unique_email_per_agency"
            )
        ]

    def __str__(self) -> str:
        return self.full_name


class TwinQuerySet(models.QuerySet["Twin"]):
    def for_agency(self, agency: Organisation) -> TwinQuerySet:
        return self.filter(agency=agency)

    def for_talent(self, talent: Talent) -> TwinQuerySet:
        return self.filter(talent=talent)

    def in_catalogue(self) -> TwinQuerySet:
        """What brands may browse: published or paused (shown as unavailable)."""
        return self.filter(status__in=Twin.LISTED, consent_revoked_at__isnull=True)


class Twin(TimeStampedModel):
    """A digital twin of a talent, listed by their agency with a rate card."""

    class Status(models.TextChoices):
        DRAFT = "draft", "Draft"
        PUBLISHED = "published", "Published"
        PAUSED = "paused", "Paused"
        RETIRED = "retired", "Retired"

    talent = models.ForeignKey(Talent, on_delete=models.PROTECT, related_name="twins")
    # Denormalised from talent.agency (services keep them equal) so every tenant filter is a
    # single indexed column.
    agency = models.ForeignKey(Organisation, on_delete=models.PROTECT, related_name="twins")
    display_name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    description = models.TextField(max_length=4000)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    # Set when the talent revokes consent for this twin: no new licences, out of the catalogue.
    consent_revoked_at = models.DateTimeField(null=True, blank=True)
    # The model's default for new licences: every image is shown to her for approval before
    # use. Copied into each licence's terms when they are written; changing it later never
    # touches terms already written (the model consented to those).
    image_approval = models.BooleanField(default=False)
    approval_hours = models.PositiveSmallIntegerField(default=72)
    agency_may_answer = models.BooleanField(default=False)

    # Comp card.
    height_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    bust_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    waist_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    hips_cm = models.PositiveSmallIntegerField(null=True, blank=True)
    dress_size_eu = models.PositiveSmallIntegerField(null=True, blank=True)
    shoe_size_eu = models.DecimalField(max_digits=3, decimal_places=1, null=True, blank=True)
    hair = models.CharField(max_length=30, blank=True)
    eyes = models.CharField(max_length=30, blank=True)

    tags = models.ManyToManyField(StyleTag, blank=True, related_name="twins")
    permitted_categories = models.ManyToManyField(Category, blank=True, related_name="twins")

    # Catalogue helpers maintained by services: the cheapest base fee on the rate card, the
    # cover picture, and a lower-cased text for search.
    price_from = models.PositiveBigIntegerField(null=True, blank=True, db_index=True)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    cover = models.ForeignKey(
        "TwinImage", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    search_document = models.TextField(blank=True, editable=False)
    # The twin's tag names, for the weighted full-text vector on PostgreSQL: the column
    # `search_vector` (migration 0011, generated from the name, tags, description and search
    # document, so never out of step with them) and its GIN index; the model leaves it out.
    search_tags = models.TextField(blank=True, editable=False)

    objects = TwinQuerySet.as_manager()

    @property
    def approval_rule(self) -> str:
        """The image-approval term new licences of this twin get (empty when off)."""
        return approval_rule(
            self.image_approval,
            hours=self.approval_hours,
            agency_may_answer=self.agency_may_answer,
        )

    # The statuses the catalogue lists (`in_catalogue`, `is_listed`).
    LISTED = (Status.PUBLISHED, Status.PAUSED)

    class Meta:
        indexes = [
            models.Index(fields=["status", "-published_at"], name="twin_catalogue_idx"),
            models.Index(fields=["agency", "status"], name="twin_agency_idx"),
            # The catalogue's default order, walked in order and stopped after one page
            # (the index above cannot give one order across two statuses). Every catalogue
            # sort lists bookable twins first ("-status": published before paused).
            models.Index(
                fields=["-status", "-published_at", "-id"],
                name="twin_catalogue_newest_idx",
                condition=Q(status__in=["published", "paused"]),
            ),
            # Max(updated_at) keys the cached catalogue facets.
            models.Index(fields=["updated_at"], name="twin_updated_idx"),
            # The catalogue's other sorts (price has its own index): one page is an index walk,
            # not a sort of every listed twin.
            models.Index(
                fields=["-status", "display_name", "id"],
                name="twin_catalogue_name_idx",
                condition=Q(status__in=["published", "paused"]),
            ),
            models.Index(
                fields=["-status", "-height_cm", "id"],
                name="twin_catalogue_height_idx",
                condition=Q(status__in=["published", "paused"]),
            ),
        ]

    def __str__(self) -> str:
        return self.display_name

    @property
    def is_bookable(self) -> bool:
        return self.status == self.Status.PUBLISHED and self.consent_revoked_at is None

    @property
    def state_key(self) -> str:
        """The badge: the status, unless the model revoked consent (which outranks it)."""
        return "revoked" if self.consent_revoked_at else self.status

    @property
    def state_label(self) -> str:
        if self.consent_revoked_at:
            return f"Consent revoked {self.consent_revoked_at:%Y-%m-%d}"
        return self.get_status_display()

    @property
    def is_listed(self) -> bool:
        """In the catalogue (`TwinQuerySet.in_catalogue`), bookable or paused."""
        return self.status in self.LISTED and self.consent_revoked_at is None


# Where a twin's pictures are stored and served (`MEDIA_URL` + this folder + a random name).
TWIN_PICTURES = "twins"


def twin_picture_name(instance: TwinImage, filename: str) -> str:
    return random_name(TWIN_PICTURES, filename)


class TwinImageQuerySet(ScopedQuerySet["TwinImage"]):
    agency_path = "twin__agency"
    talent_path = "twin__talent"


class TwinImage(TimeStampedModel):
    """A preview picture in a twin's gallery. Stored re-encoded, EXIF stripped, privately
    under random names: anyone sees the pictures of a bookable twin, only the twin's parties
    (and signed-in users browsing the catalogue, for a paused one) see the others
    (`selectors.twin_picture`)."""

    class Status(models.TextChoices):
        PROCESSING = "processing", "Processing"
        READY = "ready", "Ready"
        FAILED = "failed", "Failed"

    twin = models.ForeignKey(Twin, on_delete=models.CASCADE, related_name="images")
    # Indexed: a picture's URL is its name, looked up when the picture is asked for.
    image = models.ImageField(storage=media_storage, upload_to=twin_picture_name, db_index=True)
    width = models.PositiveIntegerField(default=0)
    height = models.PositiveIntegerField(default=0)
    thumbnail = models.ImageField(
        storage=media_storage, upload_to=twin_picture_name, blank=True, db_index=True
    )
    alt_text = models.CharField(max_length=200, blank=True)
    position = models.PositiveSmallIntegerField(default=0)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.PROCESSING)

    objects = TwinImageQuerySet.as_manager()

    class Meta:
        ordering = ["position", "id"]

    def __str__(self) -> str:
        return f"Image {self.pk} of {self.twin}"


class RateCardQuerySet(ScopedQuerySet["RateCard"]):
    agency_path = "twin__agency"
    talent_path = "twin__talent"


class RateCard(TimeStampedModel):
    """How the twin is priced: a base fee per media type, scaled by territory, duration and
    exclusivity (classic rights-managed picture licensing). Multipliers are basis points."""

    twin = models.OneToOneField(Twin, on_delete=models.CASCADE, related_name="rate_card")
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES)
    exclusivity_premium_bps = models.PositiveIntegerField(
        default=5000, validators=[MaxValueValidator(PREMIUM_MAX_BPS)]
    )
    # Added to the licence fee when its terms require the model's approval of every image.
    approval_premium_bps = models.PositiveIntegerField(
        default=0, validators=[MaxValueValidator(APPROVAL_PREMIUM_MAX_BPS)]
    )
    territory_country_bps = _multiplier(10000)
    territory_region_bps = _multiplier(20000)
    territory_worldwide_bps = _multiplier(40000)
    duration_3m_bps = _multiplier(10000)
    duration_6m_bps = _multiplier(15000)
    duration_12m_bps = _multiplier(25000)
    duration_24m_bps = _multiplier(40000)

    objects = RateCardQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(exclusivity_premium_bps__lte=PREMIUM_MAX_BPS),
                name="rate_card_premium_bounded",
            ),
            models.CheckConstraint(
                condition=Q(approval_premium_bps__lte=APPROVAL_PREMIUM_MAX_BPS),
                name="rate_card_approval_premium_bounded",
            ),
            *(
                models.CheckConstraint(
                    condition=Q(
                        **{
                            f"{name}__gte": MULTIPLIER_MIN_BPS,
                            f"{name}__lte": MULTIPLIER_MAX_BPS,
                        }
                    ),
                    name=f"rate_card_{name}_bounded",
                )
                for name in MULTIPLIER_FIELDS
            ),
        ]

    def __str__(self) -> str:
        return f"Rate card of {self.twin}"


class RateCardLineQuerySet(ScopedQuerySet["RateCardLine"]):
    agency_path = "rate_card__twin__agency"
    talent_path = "rate_card__twin__talent"


class RateCardLine(models.Model):
    rate_card = models.ForeignKey(RateCard, on_delete=models.CASCADE, related_name="lines")
    media_type = models.CharField(max_length=10, choices=MediaType.choices)
    base_fee = models.PositiveBigIntegerField(
        help_text="Minor units, for a 3-month licence in one country.",
        validators=[MinValueValidator(1), MaxValueValidator(MAX_CHARGE)],
    )
    per_use_fee = models.PositiveBigIntegerField(
        default=0, help_text="Minor units per use.", validators=[MaxValueValidator(MAX_CHARGE)]
    )

    objects = RateCardLineQuerySet.as_manager()

    class Meta:
        ordering = ["media_type"]
        constraints = [
            models.UniqueConstraint(fields=["rate_card", "media_type"], name="rate_line_unique"),
            models.CheckConstraint(condition=Q(base_fee__gt=0), name="rate_line_fee_positive"),
            models.CheckConstraint(
                condition=Q(base_fee__lte=MAX_CHARGE, per_use_fee__lte=MAX_CHARGE),
                name="rate_line_fees_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_media_type_display()}: {self.base_fee}"


# The model's answer time for a proof, in hours: one day to two weeks.
MIN_APPROVAL_HOURS = 24
MAX_APPROVAL_HOURS = 14 * 24


def approval_rule(required: bool, *, hours: int, agency_may_answer: bool) -> str:
    """The one wording of the image-approval term (empty when it is off)."""
    if not required:
        return ""
    who = "the model or, on her behalf, her agency" if agency_may_answer else "the model herself"
    return (
        f"Every image needs the model's approval before use: the brand submits each image as a "
        f"proof and may use it only once {who} approves it. The answer is due within {hours} "
        f"hours; no answer is never an approval."
    )
