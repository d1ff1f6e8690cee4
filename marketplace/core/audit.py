"""Audit trail: one row per state change, written inside the service's transaction."""

from __future__ import annotations

import logging
from typing import Any

from django.db import models

from .models import AuditEvent

logger = logging.getLogger("likeness.audit")


def record(
    target: models.Model,
    verb: str,
    *,
    actor: Any = None,
    organisation: Any = None,
    data: dict[str, Any] | None = None,
) -> AuditEvent:
    event = AuditEvent.objects.create(
        target_type=target._meta.label_lower,
        target_id=target.pk,
        verb=verb,
        actor=actor if getattr(actor, "pk", None) else None,
        organisation=organisation,
        data=data or {},
    )
    logger.info(
        verb,
        extra={"target": f"{event.target_type}#{event.target_id}", "actor_id": event.actor_id},
    )
    return event


def events_for(target: models.Model) -> models.QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        target_type=target._meta.label_lower, target_id=target.pk
    ).select_related("actor")
