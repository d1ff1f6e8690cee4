"""Content Credentials: the credentialed copy of each picture a brand reports with a use."""

from __future__ import annotations

import hashlib
import logging
import secrets
from pathlib import PurePosixPath
from typing import Any

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.urls import reverse

from marketplace.core import audit
from marketplace.core.entry_points import system_entry_point
from marketplace.payments.models import UsageReport

from . import credentials
from .models import CredentialedImage

logger = logging.getLogger("likeness.provenance")


def verify_url(token: str) -> str:
    return settings.SITE_URL + reverse("provenance:verify_use", args=[token])


def licence_assertion(use: UsageReport, *, token: str) -> dict[str, Any]:
    """The Likeness assertion: opaque references only. A manifest is public, so it carries
    no fee, no other term, and nothing about the model or the brand."""
    terms = use.licence.current_terms
    return {
        "licence": use.licence.reference,
        "use": str(use.pk),
        "terms_sha256": terms.terms_hash,
        "territories": sorted(terms.territories),
        "window_end": use.licence.effective_end.isoformat() if use.licence.effective_end else None,
        "verify_url": verify_url(token),
    }


@system_entry_point
def credential_use(*, use_id: int) -> CredentialedImage | None:
    """Sign a copy of the use's picture with the platform's key and keep it as a private file.

    Idempotent: a picture already credentialed returns its copy. Returns None for a use that
    is gone or has no picture. Raises c2pa.C2paError if the picture cannot be signed."""
    use = (
        UsageReport.objects.select_related("licence__terms")
        .filter(pk=use_id)
        .exclude(image="")
        .first()
    )
    if use is None:
        return None
    with use.image.open("rb") as handle:
        source = handle.read()
    source_sha256 = hashlib.sha256(source).hexdigest()
    existing = CredentialedImage.objects.filter(use=use, source_sha256=source_sha256).first()
    if existing is not None:
        return existing
    ext = PurePosixPath(use.image.name).suffix.lower().lstrip(".")
    mime_type = credentials.MIME_TYPES.get(ext)
    if mime_type is None:
        logger.warning("provenance.unsupported_picture", extra={"use_id": use.pk, "ext": ext})
        return None
    token = secrets.token_urlsafe(16)
    manifest = credentials.manifest_definition(
        title=f"use-{use.pk}.{ext}",
        training_forbidden=use.licence.current_terms.ai_training_forbidden,
        licence_assertion=licence_assertion(use, token=token),
    )
    # Signing is slow and touches no row: it happens before the transaction.
    signed, label = credentials.sign(source, mime_type=mime_type, manifest=manifest)
    image = CredentialedImage(
        use=use,
        source_sha256=source_sha256,
        sha256=hashlib.sha256(signed).hexdigest(),
        manifest_label=label,
        verify_token=token,
    )
    image.file.save(f"credentialed.{ext}", ContentFile(signed), save=False)
    try:
        with transaction.atomic():
            image.save()
            audit.record(use.licence, "use.credentialed", actor=None, data={"use": use.pk})
    except IntegrityError:
        # Another worker credentialed the same picture first: keep its copy, drop ours.
        image.file.delete(save=False)
        return CredentialedImage.objects.get(use=use, source_sha256=source_sha256)
    logger.info("provenance.use_credentialed", extra={"use_id": use.pk, "label": label})
    return image
