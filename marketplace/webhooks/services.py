"""Brands' webhook endpoints, and delivering licence events to them.

An event is written as one delivery row per live endpoint of the licence's brand, in the
transaction that caused it, and POSTed by a worker after commit, signed with the endpoint's
secret. Failed attempts are retried with growing delays; each attempt is recorded. Events go
only to the endpoints of the brand whose licence it is."""

from __future__ import annotations

import hashlib
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from marketplace.accounts.models import Membership
from marketplace.core import audit
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.licensing.models import Licence

from . import signing
from .models import BrandWebhookEndpoint, WebhookAttempt, WebhookDelivery

logger = logging.getLogger("likeness.webhooks")

MAX_ENDPOINTS_PER_BRAND = 10
# Seconds before attempt 2, 3, …: about two hours in all, then the delivery has failed.
RETRY_DELAYS = [10, 60, 300, 900, 1800, 3600]
MAX_ATTEMPTS = len(RETRY_DELAYS) + 1
# Events for the brand's own systems; prompts addressed to the model or a signatory are not.
EVENTS = {
    "requested",
    "countered",
    "approved",
    "consented",
    "refused",
    "declined",
    "withdrawn",
    "counter_accepted",
    "counter_declined",
    "lapsed",
    "activated",
    "expired",
    "ending_soon",
    "revoked",
    "contract_ready",
    "contract_executed",
    "contract_declined",
    "usage_paid",
}
# Announced once per occurrence; every other event once per state of the licence.
OCCURRENCE_EVENTS = {"usage_paid"}


# --- Endpoints ------------------------------------------------------------------------------


@dataclass(frozen=True)
class IssuedEndpoint:
    endpoint: BrandWebhookEndpoint
    secret: str  # shown once


class UnsafeUrl(Exception):
    """The URL points somewhere webhooks must not go."""


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    return not ip.is_global or ip.is_multicast


def check_url(url: str) -> str:
    """A URL webhooks may be sent to. Raises ValidationFailed."""
    url = url.strip()
    parts = urlsplit(url)
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_URLS
    schemes = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in schemes or not parts.hostname or len(url) > 500:
        raise ValidationFailed(
            "Give an https:// URL of at most 500 characters."
            if not allow_private
            else "Give an http(s):// URL of at most 500 characters.",
            field="url",
        )
    if parts.username or parts.password:
        raise ValidationFailed("Credentials in the URL are not allowed.", field="url")
    try:
        literal = ipaddress.ip_address(parts.hostname)
    except ValueError:
        literal = None
    if literal is not None and not allow_private and _private(str(literal)):
        raise ValidationFailed("Private and loopback addresses are not allowed.", field="url")
    if not allow_private and parts.hostname.lower() in {"localhost", "localhost.localdomain"}:
        raise ValidationFailed("Private and loopback addresses are not allowed.", field="url")
    return url


def _brand_manager(by: Membership) -> None:
    if not by.organisation.is_brand:
        raise PermissionDenied("Only brands receive licence webhooks.")
    if not by.can_manage:
        raise PermissionDenied("Only owners and managers can manage webhooks.")


@transaction.atomic
def create_endpoint(*, by: Membership, url: str, description: str = "") -> IssuedEndpoint:
    """Raises PermissionDenied, ValidationFailed."""
    _brand_manager(by)
    url = check_url(url)
    live = BrandWebhookEndpoint.objects.select_for_update().for_brand(by.organisation).live()
    if len(live) >= MAX_ENDPOINTS_PER_BRAND:
        raise ValidationFailed(
            f"At most {MAX_ENDPOINTS_PER_BRAND} endpoints; disable one first.",
            field="url",
            code="endpoint_limit",
        )
    secret = "whsec_" + secrets.token_urlsafe(32)
    endpoint = BrandWebhookEndpoint.objects.create(
        brand=by.organisation,
        url=url,
        description=" ".join(description.split())[:200],
        secret=secret,
        created_by=by.user,
    )
    audit.record(
        endpoint,
        "webhook.endpoint_created",
        actor=by.user,
        organisation=by.organisation,
        data={"url": url},
    )
    return IssuedEndpoint(endpoint=endpoint, secret=secret)


@transaction.atomic
def disable_endpoint(*, by: Membership, endpoint_id: int) -> BrandWebhookEndpoint:
    """Stops deliveries; pending ones fail. Raises PermissionDenied,
    BrandWebhookEndpoint.DoesNotExist (also for another brand's endpoint)."""
    _brand_manager(by)
    endpoint = (
        BrandWebhookEndpoint.objects.select_for_update()
        .for_brand(by.organisation)
        .get(pk=endpoint_id)
    )
    if endpoint.disabled_at is None:
        endpoint.disabled_at = timezone.now()
        endpoint.save(update_fields=["disabled_at", "updated_at"])
        endpoint.deliveries.filter(status=WebhookDelivery.Status.PENDING).update(
            status=WebhookDelivery.Status.FAILED,
            last_error="The endpoint was disabled.",
            updated_at=timezone.now(),
        )
        audit.record(
            endpoint, "webhook.endpoint_disabled", actor=by.user, organisation=by.organisation
        )
    return endpoint


# --- Events ---------------------------------------------------------------------------------


def event_id(licence: Licence, event: str) -> str:
    """The same event about the same state of a licence has one id (activation is announced
    by the licensing service and again once the payment is booked; receivers get it once)."""
    if event in OCCURRENCE_EVENTS:
        return "evt_" + uuid.uuid4().hex
    basis = f"{licence.pk}:{event}:{licence.status}:{licence.updated_at.isoformat()}"
    return "evt_" + hashlib.sha256(basis.encode()).hexdigest()[:32]


def licence_payload(licence: Licence) -> dict[str, Any]:
    """What the brand is told: its own licence, as it is now. Never another brand's data."""
    terms = licence.terms
    end = licence.effective_end
    return {
        "reference": licence.reference,
        "status": licence.status,
        "status_reason": licence.status_reason,
        "twin": licence.twin.slug,
        "terms_version": terms.version if terms else None,
        "terms_hash": terms.terms_hash if terms else None,
        "start_date": terms.start_date.isoformat() if terms else None,
        "end_date": end.isoformat() if end else None,
        "total_fee": terms.total_fee if terms else None,
        "currency": terms.currency if terms else None,
        "uses_count": licence.uses_count,
        "url": reverse("api:licence-detail", args=[licence.reference]),
    }


def announce_licence_event(licence: Licence, event: str) -> int:
    """Queue the event for every live endpoint of the licence's brand. Returns how many.

    Called by licensing.notifications.tell inside the service's transaction; the worker is
    handed the deliveries once it commits."""
    if event not in EVENTS:
        return 0
    endpoints = list(
        BrandWebhookEndpoint.objects.live().filter(brand_id=licence.brand_id).only("pk")
    )
    if not endpoints:
        return 0
    identifier = event_id(licence, event)
    now = timezone.now()
    event_type = f"licence.{event}"
    payload: dict[str, Any] = {
        "id": identifier,
        "type": event_type,
        "created": int(now.timestamp()),
        "data": {"licence": licence_payload(licence)},
    }
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=endpoint.pk,
                event_id=identifier,
                event_type=event_type,
                licence_reference=licence.reference,
                payload=payload,
                next_attempt_at=now,
            )
            for endpoint in endpoints
        ],
        ignore_conflicts=True,
    )
    transaction.on_commit(lambda: _hand_to_workers(identifier))
    return len(endpoints)


def _hand_to_workers(identifier: str) -> None:
    from .tasks import deliver_webhook_task

    for delivery_id in WebhookDelivery.objects.filter(
        event_id=identifier, status=WebhookDelivery.Status.PENDING, attempts=0
    ).values_list("pk", flat=True):
        deliver_webhook_task.delay(delivery_id=delivery_id)


# --- Delivery -------------------------------------------------------------------------------


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is an answer, not an instruction to post elsewhere


# No proxies from the environment: the address checked is the address connected to.
_opener = urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirects)


def _check_destination(url: str) -> None:
    """Raises UnsafeUrl when the host resolves to a private address (unless allowed)."""
    if settings.WEBHOOK_ALLOW_PRIVATE_URLS:
        return
    parts = urlsplit(url)
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = socket.getaddrinfo(parts.hostname, port, proto=socket.IPPROTO_TCP)
    except socket.gaierror as exc:
        raise UnsafeUrl(f"cannot resolve {parts.hostname}") from exc
    if any(_private(str(info[4][0])) for info in infos):
        raise UnsafeUrl(f"{parts.hostname} resolves to a private address")


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST and return the status code. Raises OSError (incl. URLError), UnsafeUrl."""
    _check_destination(url)
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")  # noqa: S310
    try:
        with _opener.open(request, timeout=settings.WEBHOOK_TIMEOUT_SECONDS) as response:
            response.read(1024)
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return int(exc.code)


@dataclass(frozen=True)
class Outcome:
    status: str
    retry_in: int | None = None


def deliver(*, delivery_id: int) -> Outcome | None:
    """One attempt at one delivery. Idempotent: a delivery already delivered, failed or
    claimed by another worker is left alone (returns None)."""
    delivery = WebhookDelivery.objects.select_related("endpoint").filter(pk=delivery_id).first()
    if delivery is None or delivery.status != WebhookDelivery.Status.PENDING:
        return None
    endpoint = delivery.endpoint
    number = delivery.attempts + 1
    now = timezone.now()
    claimed = WebhookDelivery.objects.filter(
        pk=delivery.pk, status=WebhookDelivery.Status.PENDING, attempts=delivery.attempts
    ).update(attempts=number, updated_at=now)
    if not claimed:
        return None
    if not endpoint.is_live:
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            status=WebhookDelivery.Status.FAILED, last_error="The endpoint was disabled."
        )
        return Outcome(WebhookDelivery.Status.FAILED)
    body = json.dumps(delivery.payload, sort_keys=True, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "Likeness-Webhooks/1.0",
        "Likeness-Event-Id": delivery.event_id,
        "Likeness-Event-Type": delivery.event_type,
        signing.HEADER: signing.header_value(endpoint.secret, body),
    }
    started = time.monotonic()
    code: int | None
    try:
        code = _post(endpoint.url, body, headers)
        error = "" if 200 <= code < 300 else f"HTTP {code}"
    except (OSError, UnsafeUrl, ValueError) as exc:
        code, error = None, (str(exc) or exc.__class__.__name__)[:500]
    duration = int((time.monotonic() - started) * 1000)
    WebhookAttempt.objects.create(
        delivery=delivery, number=number, status_code=code, error=error, duration_ms=duration
    )
    fields: dict[str, Any] = {"last_status_code": code, "last_error": error}
    if not error:
        outcome = Outcome(WebhookDelivery.Status.DELIVERED)
        fields.update(status=outcome.status, delivered_at=timezone.now(), next_attempt_at=None)
    elif number >= MAX_ATTEMPTS:
        outcome = Outcome(WebhookDelivery.Status.FAILED)
        fields.update(status=outcome.status, next_attempt_at=None)
    else:
        delay = RETRY_DELAYS[number - 1]
        outcome = Outcome(WebhookDelivery.Status.PENDING, retry_in=delay)
        fields.update(next_attempt_at=timezone.now() + timedelta(seconds=delay))
    WebhookDelivery.objects.filter(pk=delivery.pk).update(**fields)
    logger.info(
        "webhook.attempt",
        extra={
            "delivery": delivery.pk,
            "attempt": number,
            "status_code": code,
            "outcome": outcome.status,
        },
    )
    return outcome
