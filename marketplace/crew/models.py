"""The crew behind a twin: the photographers, stylists, hair and make-up and scan artists whose
work the twin was made from, credited by the agency, each with a login of their own."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower

from marketplace.accounts.models import Organisation
from marketplace.core.models import ScopedQuerySet, TimeStampedModel


class CrewRole(models.TextChoices):
    PHOTOGRAPHER = "photographer", "Photographer"
    STYLIST = "stylist", "Stylist"
    HAIR = "hair", "Hair"
    MAKE_UP = "make_up", "Make-up"
    SCAN_ARTIST = "scan_artist", "3D / scan artist"
    OTHER = "other", "Other"


class CrewMemberQuerySet(ScopedQuerySet["CrewMember"]):
    agency_path = "agency"
    user_path = "user"


class CrewMember(TimeStampedModel):
    """A person an agency credits on its twins. One row per agency: the same person credited
    by two agencies is two crew members, which one login may hold (one per agency)."""

    agency = models.ForeignKey(
        Organisation,
        on_delete=models.PROTECT,
        related_name="crew",
        limit_choices_to={"kind": Organisation.Kind.AGENCY},
    )
    full_name = models.CharField(max_length=150)
    email = models.EmailField()
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="crew_profiles",
    )

    objects = CrewMemberQuerySet.as_manager()

    class Meta:
        ordering = ["full_name", "id"]
        constraints = [
            models.UniqueConstraint(
                "agency", Lower("email"), name="crew_member_unique_email_per_agency"
            ),
            models.UniqueConstraint(
                fields=["agency", "user"],
                condition=Q(user__isnull=False),
                name="crew_member_one_profile_per_login_per_agency",
            ),
        ]

    def __str__(self) -> str:
        return self.full_name


class CreditQuerySet(ScopedQuerySet["Credit"]):
    agency_path = "twin__agency"
    talent_path = "twin__talent"
    user_path = "crew_member__user"


class Credit(TimeStampedModel):
    """A crew member's credit on a twin: their role, and the shoot or work it is for."""

    twin = models.ForeignKey("talent.Twin", on_delete=models.CASCADE, related_name="credits")
    crew_member = models.ForeignKey(CrewMember, on_delete=models.PROTECT, related_name="credits")
    role = models.CharField(max_length=20, choices=CrewRole.choices)
    work = models.CharField(
        max_length=200, help_text="The shoot or work the credit is for, e.g. “SS26 studio scan”."
    )
    work_date = models.DateField(null=True, blank=True)

    objects = CreditQuerySet.as_manager()

    class Meta:
        ordering = ["role", "crew_member__full_name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["twin", "crew_member", "role"], name="credit_unique_per_twin_person_role"
            ),
            models.CheckConstraint(condition=Q(role__in=CrewRole.values), name="credit_role_known"),
        ]

    def __str__(self) -> str:
        return f"{self.crew_member} · {self.get_role_display()} · {self.twin}"
