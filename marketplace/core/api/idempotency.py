"""`Idempotency-Key`, as Stripe honours it.

The first request with a key runs and its response (success or refusal) is stored for 24
hours, per organisation. A retry with the same key and the same request gets that response
again, marked `Idempotent-Replayed: true`, without running anything; the same key with a
different request is refused (409 idempotency_conflict), and so is a retry while the first is
still running (409 idempotency_in_progress). Input that fails validation is refused before a
key is taken, and an unexpected server error releases the key, so both can be retried. The
caller's permission is checked before anything else: a colleague who may not make the request
is refused (403) exactly as without a key, never shown the stored response.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Callable
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from marketplace.accounts.models import IdempotencyRecord, Organisation
from marketplace.core.errors import ValidationFailed

from .errors import IdempotencyConflict, error_response

HEADER = "Idempotency-Key"
TTL = timedelta(hours=24)
MAX_KEY_LENGTH = 100
# Printable ASCII, no surrounding spaces: survives every proxy and log unchanged.
KEY_PATTERN = r"^[!-~](?:[ -~]{0,98}[!-~])?$"


def _json(data: object) -> str:
    return json.dumps(data, cls=JSONEncoder, sort_keys=True, separators=(",", ":"))


def _file_digest(upload: UploadedFile) -> dict[str, object]:
    digest = hashlib.sha256()
    for chunk in upload.chunks():
        digest.update(chunk)
    upload.seek(0)
    return {"file": upload.name, "size": upload.size, "sha256": digest.hexdigest()}


def _body(data: object) -> object:
    """The body as hashed: JSON as sent; a form (multipart) as its fields' lists of values,
    each uploaded file by its name, size and SHA-256 (so a different file is a different
    request)."""
    if isinstance(data, MultiValueDict):  # a QueryDict too
        return {
            key: [_file_digest(v) if isinstance(v, UploadedFile) else v for v in values]
            for key, values in sorted(data.lists())
        }
    return data


def request_hash(request: Request) -> str:
    canonical = _json(
        {
            "method": request.method,
            "path": request.path,
            "query": sorted(request.query_params.lists()),
            "body": _body(request.data),
        }
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def header_key(request: Request) -> str | None:
    """The request's Idempotency-Key, checked. Raises ValidationFailed."""
    raw = request.headers.get(HEADER)
    if raw is None:
        return None
    if not re.fullmatch(KEY_PATTERN, raw):
        raise ValidationFailed(
            f"An Idempotency-Key is 1–{MAX_KEY_LENGTH} printable ASCII characters.", field=HEADER
        )
    return raw


def _claim(
    request: Request, organisation: Organisation, key: str, digest: str
) -> tuple[IdempotencyRecord | None, Response | None]:
    """Take the key, or find the stored response to replay. Raises IdempotencyConflict."""
    IdempotencyRecord.objects.filter(
        organisation=organisation, key=key, created_at__lt=timezone.now() - TTL
    ).delete()
    try:
        with transaction.atomic():
            record = IdempotencyRecord.objects.create(
                organisation=organisation,
                key=key,
                request_hash=digest,
                method=request.method or "",
                path=request.path[:300],
            )
        return record, None
    except IntegrityError:
        existing = IdempotencyRecord.objects.filter(organisation=organisation, key=key).first()
    if existing is not None and existing.request_hash != digest:
        raise IdempotencyConflict(
            "This Idempotency-Key was used for a different request.", field=HEADER
        )
    if existing is None or existing.status_code is None:
        raise IdempotencyConflict(
            "A request with this Idempotency-Key is still being processed; retry shortly.",
            code="idempotency_in_progress",
            field=HEADER,
        )
    replay = Response(
        existing.response, status=existing.status_code, headers={"Idempotent-Replayed": "true"}
    )
    return None, replay


def run_idempotent(
    request: Request,
    *,
    organisation: Organisation,
    authorise: Callable[[], None],
    execute: Callable[[], Response],
) -> Response:
    """Run `execute` once per Idempotency-Key (when the request has one).

    `authorise` is the service's own permission check (raises PermissionDenied). It is asked
    first, every time: a stored response is replayed only to someone who may make the request,
    and someone who may not never takes (or spoils) a key."""
    key = header_key(request)
    if key is None:
        return execute()
    authorise()
    record, replay = _claim(request, organisation, key, request_hash(request))
    if replay is not None:
        return replay
    assert record is not None
    try:
        response = execute()
    except Exception as exc:
        handled = error_response(exc)
        if handled is None:
            record.delete()
            raise
        response = handled
    if response.status_code >= 500:
        record.delete()
        return response
    IdempotencyRecord.objects.filter(pk=record.pk).update(
        status_code=response.status_code, response=json.loads(_json(response.data))
    )
    return response


def purge_expired(*, now=None) -> int:
    """Delete records older than 24 hours. Returns how many."""
    cutoff = (now or timezone.now()) - TTL
    deleted, _ = IdempotencyRecord.objects.filter(created_at__lt=cutoff).delete()
    return deleted
