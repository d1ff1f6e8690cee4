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

from marketplace.core import audit, notify
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import ValidationFailed
from marketplace.crew import selectors as crew_selectors
from marketplace.payments.models import UsageReport

from . import credentials, fingerprints, labels, xmp
from .models import Copy, CredentialedImage, Fingerprint
from .options import CopyOptions, disclosure_text, label_text

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


FORMATS = {"jpg": "JPEG", "jpeg": "JPEG", "png": "PNG", "webp": "WEBP"}


def _signed_copy(
    data: bytes,
    *,
    mime_type: str,
    use: UsageReport,
    options: CopyOptions,
    token: str,
    ext: str,
    label: str = "",
) -> tuple[bytes, str]:
    """`data` with the XMP fields and a signed manifest: (signed bytes, manifest label)."""
    training_forbidden = use.licence.current_terms.ai_training_forbidden
    assertion = licence_assertion(use, token=token)
    # The crew credited on the twin when the copy is made, as its public page names them.
    crew = [
        credentials.Contributor(name=c["name"], role=c["role"])
        for c in crew_selectors.public_credits(use.licence.twin)
    ]
    packet = xmp.packet(
        source_type=options.source_type,
        licence_id=use.licence.reference,
        licensor_url=assertion["verify_url"],
        training_forbidden=training_forbidden,
        contributors=[(c.name, c.role) for c in crew],
    )
    manifest = credentials.manifest_definition(
        title=f"use-{use.pk}{'-labelled' if label else ''}.{ext}",
        training_forbidden=training_forbidden,
        licence_assertion=assertion,
        source_type=options.source_type,
        label=label,
        contributors=crew,
    )
    with_xmp = xmp.embed(data, mime_type=mime_type, xmp=packet)
    return credentials.sign(with_xmp, mime_type=mime_type, manifest=manifest)


@system_entry_point
def credential_use(
    *,
    use_id: int,
    source_type: str | None = None,
    label_language: str | None = None,
    label_position: str | None = None,
) -> CredentialedImage | None:
    """Make the two copies of the use's picture and keep them as private files: the
    credentialed copy (the picture as reported) and the labelled copy (the EU AI Act label
    drawn on it), each with the IPTC/XMP fields and a C2PA manifest signed with the platform's
    key after its last re-encode; fingerprint both; tell the reporter they are ready.

    Idempotent: a picture already credentialed returns its copies. Returns None for a use that
    is gone or has no picture. Raises c2pa.C2paError if the picture cannot be signed."""
    use = (
        UsageReport.objects.select_related("licence__terms", "licence__twin")
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
    try:
        options = CopyOptions.checked(
            source_type=source_type, label_language=label_language, label_position=label_position
        )
    except ValidationFailed:
        # The front doors offer the choices; a task queued with others gets the defaults.
        logger.warning("provenance.unknown_options", extra={"use_id": use.pk})
        options = CopyOptions()
    token = secrets.token_urlsafe(16)
    # Signing and drawing are slow and touch no row: they happen before the transaction.
    signed, label = _signed_copy(
        source, mime_type=mime_type, use=use, options=options, token=token, ext=ext
    )
    text = label_text(options.label_language)
    drawn = labels.labelled(
        source, language=options.label_language, position=options.label_position, fmt=FORMATS[ext]
    )
    labelled_signed, labelled_label = _signed_copy(
        drawn, mime_type=mime_type, use=use, options=options, token=token, ext=ext, label=text
    )
    image = CredentialedImage(
        use=use,
        source_sha256=source_sha256,
        sha256=hashlib.sha256(signed).hexdigest(),
        manifest_label=label,
        verify_token=token,
        source_type=options.source_type,
        label_language=options.label_language,
        label_position=options.label_position,
        labelled_sha256=hashlib.sha256(labelled_signed).hexdigest(),
        labelled_manifest_label=labelled_label,
        disclosure=disclosure_text(
            language=options.label_language,
            source_type=options.source_type,
            reference=use.licence.reference,
            url=verify_url(token),
        ),
    )
    image.file.save(f"credentialed.{ext}", ContentFile(signed), save=False)
    image.labelled_file.save(f"labelled.{ext}", ContentFile(labelled_signed), save=False)
    prints = [
        (Copy.CREDENTIALED, fingerprints.hashes_of_bytes(source)),
        (Copy.LABELLED, fingerprints.hashes_of_bytes(drawn)),
    ]
    try:
        with transaction.atomic():
            image.save()
            Fingerprint.objects.bulk_create(
                Fingerprint(image=image, copy=copy, **fingerprints.fingerprint_row(hashes))
                for copy, hashes in prints
            )
            audit.record(use.licence, "use.credentialed", actor=None, data={"use": use.pk})
            notify.in_app(
                users=[use.reported_by],
                title=f"The Content Credentials of your use of {use.licence.reference} are ready",
                url=reverse("provenance:use_credentials", args=[use.pk]),
                body="Download the credentialed copy and the labelled copy.",
            )
    except IntegrityError:
        # Another worker credentialed the same picture first: keep its copies, drop ours.
        image.file.delete(save=False)
        image.labelled_file.delete(save=False)
        return CredentialedImage.objects.get(use=use, source_sha256=source_sha256)
    logger.info("provenance.use_credentialed", extra={"use_id": use.pk, "label": label})
    return image
