from __future__ import annotations

from typing import Any, ClassVar, Self, TypeVar

from django.conf import settings
from django.db import models

_M = TypeVar("_M", bound=models.Model)


class ScopedQuerySet(models.QuerySet[_M]):
    """Rows of a tenant-owned model, narrowed to one tenant: the only way front doors reach
    them (tenancy fails closed). A subclass names the lookup paths from its model to the
    owners it has; a scope the model does not have answers no rows.

        class ChargeQuerySet(ScopedQuerySet["Charge"]):
            brand_path = "brand"
            agency_path = "licence__agency"
            talent_path = "licence__talent"
    """

    brand_path: ClassVar[str | None] = None
    agency_path: ClassVar[str | None] = None
    talent_path: ClassVar[str | None] = None
    # The organisation that owns the row itself (its members, its account, what it earns);
    # when unset, `for_organisation` is the brand's or the agency's scope.
    organisation_path: ClassVar[str | None] = None
    user_path: ClassVar[str | None] = None

    def _owned(self, path: str | None, owner: Any) -> Self:
        if path is None or owner is None:
            return self.none()
        return self.filter(**{path: owner})

    def for_brand(self, brand: Any) -> Self:
        return self._owned(self.brand_path, brand)

    def for_agency(self, agency: Any) -> Self:
        return self._owned(self.agency_path, agency)

    def for_talent(self, talent: Any) -> Self:
        return self._owned(self.talent_path, talent)

    def for_user(self, user: Any) -> Self:
        return self._owned(self.user_path, user)

    def for_organisation(self, organisation: Any) -> Self:
        """The rows the organisation owns: itself, or as the brand or the agency."""
        if self.organisation_path or organisation is None:
            return self._owned(self.organisation_path, organisation)
        if organisation.is_brand:
            return self.for_brand(organisation)
        if organisation.is_agency:
            return self.for_agency(organisation)
        return self.none()

    def visible_to(self, viewer: Any) -> Self:
        """What the viewer's active organisation, or the model signed in, may see. Fails
        closed: a viewer that is none of these sees nothing."""
        if viewer.membership is not None:
            return self.for_organisation(viewer.organisation)
        if viewer.talent is not None:
            return self.for_talent(viewer.talent)
        return self.none()

    @classmethod
    def scopes(cls) -> set[str]:
        """The owners this model can be narrowed to."""
        return {
            name
            for name, path in {
                "brand": cls.brand_path,
                "agency": cls.agency_path,
                "talent": cls.talent_path,
                "organisation": cls.organisation_path,
                "user": cls.user_path,
            }.items()
            if path
        }


class TimeStampedModel(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class AuditEventQuerySet(ScopedQuerySet["AuditEvent"]):
    organisation_path = "organisation"
    user_path = "actor"


class AuditEvent(models.Model):
    """Who did what to which object, and when. Written by services, never edited.

    Events are hash-chained once committed (`marketplace.core.audit.seal_pending`): `seq` is
    the position in the chain, `hash` = SHA-256(`prev_hash` + the event's canonical JSON).
    Actor and organisation are protected from deletion because the hash covers their ids.
    """

    organisation = models.ForeignKey(
        "accounts.Organisation",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    verb = models.CharField(max_length=64)
    target_type = models.CharField(max_length=64)
    target_id = models.BigIntegerField()
    data = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    seq = models.BigIntegerField(null=True, blank=True, unique=True, editable=False)
    prev_hash = models.CharField(max_length=64, blank=True, default="", editable=False)
    hash = models.CharField(max_length=64, blank=True, default="", editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        indexes = [models.Index(fields=["target_type", "target_id", "created_at"])]
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.verb} {self.target_type}#{self.target_id}"


class NotificationQuerySet(ScopedQuerySet["Notification"]):
    user_path = "user"


class Notification(models.Model):
    """An in-app notice for one person; the header shows the unread count."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    title = models.CharField(max_length=200)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["user", "read_at"], name="notification_unread_idx")]

    def __str__(self) -> str:
        return self.title
