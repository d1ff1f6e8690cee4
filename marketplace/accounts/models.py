from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import ClassVar

from django.conf import settings
from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.text import slugify

from marketplace.core.models import ScopedQuerySet, TimeStampedModel
from marketplace.core.money import CURRENCY_CHOICES, MAX_AGENCY_COMMISSION_BPS


class UserManager(BaseUserManager["User"]):
    use_in_migrations = True

    def _create(self, email: str, password: str | None, **extra: object) -> User:
        if not email:
            raise ValueError("Users need an email address")
        user = self.model(email=self.normalize_email(email).lower(), **extra)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.setdefault("is_staff", False)
        extra.setdefault("is_superuser", False)
        return self._create(email, password, **extra)

    def create_superuser(self, email: str, password: str | None = None, **extra: object) -> User:
        extra.update(is_staff=True, is_superuser=True)
        return self._create(email, password, **extra)


class User(AbstractUser):
    """A person who signs in: a member of an organisation, a talent, or platform staff."""

    username = None  # type: ignore[assignment]
    email = models.EmailField("email address", unique=True)
    full_name = models.CharField(max_length=150, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = []
    objects = UserManager()  # type: ignore[misc,assignment]

    def __str__(self) -> str:
        return self.full_name or self.email

    def get_full_name(self) -> str:
        return self.full_name or self.email


class Organisation(TimeStampedModel):
    """A tenant: an agency that represents talent, or a brand that licenses twins."""

    class Kind(models.TextChoices):
        AGENCY = "agency", "Agency"
        BRAND = "brand", "Brand"

    kind = models.CharField(max_length=10, choices=Kind.choices)
    name = models.CharField(max_length=120)
    slug = models.SlugField(max_length=140, unique=True)
    currency = models.CharField(max_length=3, choices=CURRENCY_CHOICES, default="EUR")
    country = models.CharField(max_length=2, default="GB", help_text="ISO 3166-1 alpha-2")
    # Commission the agency takes from the model's fee; capped at 20 % by the FWA.
    commission_bps = models.PositiveIntegerField(default=2000)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(commission_bps__lte=MAX_AGENCY_COMMISSION_BPS),
                name="organisation_commission_cap_20pct",
            )
        ]

    def __str__(self) -> str:
        return self.name

    def save(self, *args: object, **kwargs: object) -> None:
        if not self.slug:
            self.slug = unique_slug(Organisation, self.name)
        super().save(*args, **kwargs)  # type: ignore[arg-type]

    @property
    def is_agency(self) -> bool:
        return self.kind == self.Kind.AGENCY

    @property
    def is_brand(self) -> bool:
        return self.kind == self.Kind.BRAND


class Role(models.TextChoices):
    OWNER = "owner", "Owner"
    MANAGER = "manager", "Manager / booker"
    FINANCE = "finance", "Finance"
    MEMBER = "member", "Member"


class MembershipQuerySet(ScopedQuerySet["Membership"]):
    organisation_path = "organisation"
    user_path = "user"


class Membership(TimeStampedModel):
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "organisation"], name="membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.organisation} ({self.get_role_display()})"

    @property
    def can_manage(self) -> bool:
        """Owners and managers/bookers change listings and licences."""
        return self.role in {Role.OWNER, Role.MANAGER}

    @property
    def is_owner(self) -> bool:
        return self.role == Role.OWNER


class InvitationQuerySet(models.QuerySet["Invitation"]):
    def for_organisation(self, organisation: Organisation) -> InvitationQuerySet:
        return self.filter(organisation=organisation)

    def for_team(self) -> InvitationQuerySet:
        """Invitations to join the organisation's team (not a talent's or a crew member's)."""
        return self.filter(talent__isnull=True, crew_member__isnull=True)

    def pending(self) -> InvitationQuerySet:
        return self.filter(
            accepted_at__isnull=True, revoked_at__isnull=True, expires_at__gt=timezone.now()
        )


def _default_expiry():
    return timezone.now() + timedelta(days=settings.INVITATION_TTL_DAYS)


class Invitation(TimeStampedModel):
    """An emailed link that creates an account: a team member, the talent behind a twin, or a
    crew member credited on the agency's twins (at most one of talent and crew member).

    Only the SHA-256 of the token is stored; the link itself is shown once, in the email.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField()
    role = models.CharField(max_length=10, choices=Role.choices, default=Role.MEMBER)
    talent = models.ForeignKey(
        "talent.Talent", null=True, blank=True, on_delete=models.CASCADE, related_name="invitations"
    )
    crew_member = models.ForeignKey(
        "crew.CrewMember",
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="invitations",
    )
    token_hash = models.CharField(max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    expires_at = models.DateTimeField(default=_default_expiry)
    accepted_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = InvitationQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(talent__isnull=True) | Q(crew_member__isnull=True),
                name="invitation_talent_or_crew_not_both",
            )
        ]

    def __str__(self) -> str:
        return f"Invitation for {self.email} to {self.organisation}"

    @staticmethod
    def new_token() -> tuple[str, str]:
        token = secrets.token_urlsafe(32)
        return token, hash_token(token)

    @property
    def is_pending(self) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > timezone.now()
        )


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def unique_slug(model: type[models.Model], text: str, *, field: str = "slug") -> str:
    base = slugify(text)[:100] or "item"
    slug, n = base, 2
    while model._default_manager.filter(**{field: slug}).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


# --- API access -----------------------------------------------------------------------------

API_SCOPES = [
    ("catalogue:read", "Search the catalogue, read twins and quotes"),
    ("licences:read", "Read licences and their reported uses"),
    ("licences:write", "Request, withdraw, approve, counter and decline licences"),
    ("usage:write", "Report uses of licensed twins"),
    ("earnings:read", "Read earnings figures"),
    ("webhooks:write", "Manage webhook endpoints and read their deliveries"),
    ("protection:read", "Read the sightings of the agency's twins and their takedown cases"),
    ("protection:write", "Report sightings of the agency's twins"),
]
API_KEY_PREFIX = "lk"


class ApiKeyQuerySet(models.QuerySet["ApiKey"]):
    def for_organisation(self, organisation: Organisation) -> ApiKeyQuerySet:
        return self.filter(organisation=organisation)

    def live(self) -> ApiKeyQuerySet:
        return self.filter(revoked_at__isnull=True)


class ApiKey(models.Model):
    """An organisation's key for the REST API: `lk_<prefix>_<secret>`, shown once.

    Only the SHA-256 of the whole key is stored. Each key acts through its own inactive
    service user (the actor in audit trails and the `requested_by` of what it creates), which
    has no membership: the API gives it a manager's role in the key's organisation for the
    length of one request, and the key's scopes narrow that further.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=80)
    prefix = models.CharField(max_length=16, unique=True)
    key_hash = models.CharField(max_length=64, unique=True)
    scopes = models.JSONField(default=list)
    service_user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="api_key"
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    objects = ApiKeyQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"{self.name} ({self.display_prefix})"

    @property
    def display_prefix(self) -> str:
        return f"{API_KEY_PREFIX}_{self.prefix}_…"

    @property
    def is_live(self) -> bool:
        return self.revoked_at is None

    def has_scope(self, scope: str) -> bool:
        return scope in self.scopes


class IdempotencyRecordQuerySet(ScopedQuerySet["IdempotencyRecord"]):
    organisation_path = "organisation"


class IdempotencyRecord(models.Model):
    """The first response to an API request sent with an `Idempotency-Key` header.

    Keys are per organisation, kept 24 hours. `status_code` is empty while the first request
    is still running; a retry then is told to wait rather than run twice.
    """

    organisation = models.ForeignKey(
        Organisation, on_delete=models.CASCADE, related_name="idempotency_records"
    )
    key = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=300)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    response = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    # How long a key is remembered.
    TTL = timedelta(hours=24)

    objects = IdempotencyRecordQuerySet.as_manager()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organisation", "key"], name="idempotency_key_per_organisation"
            )
        ]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
