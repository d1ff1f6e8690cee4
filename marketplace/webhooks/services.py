"""Brands' webhook endpoints, and delivering licence events to them.

Licensing publishes its licence events (`licensing.events`); this app subscribes to all of
them. An event is written as one delivery row per live endpoint of the licence's brand, in
the transaction that caused it, and POSTed by a worker after commit, signed with the
endpoint's secret. Failed attempts are retried with growing delays; each attempt is
recorded. Events go only to the endpoints of the brand whose licence it is."""

from __future__ import annotations

import hashlib
import http.client
import ipaddress
import json
import logging
import re
import secrets
import socket
import ssl
import time
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
from marketplace.core.entry_points import system_entry_point
from marketplace.core.errors import PermissionDenied, ValidationFailed
from marketplace.licensing.events import LicenceEvent
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


PRIVATE_URL = (
    "The URL leads to a private, loopback or internal address; webhooks go to public "
    "https:// endpoints only."
)
PRIVATE_NAME = (
    "The URL's host resolves to a private, loopback or internal address; webhooks go to "
    "public https:// endpoints only."
)
# Names for the machine itself, the local network or a cloud's internal services
# (metadata.google.internal), whatever they resolve to where the check runs.
INTERNAL_NAMES = {"localhost", "metadata"}
INTERNAL_SUFFIXES = (".localhost", ".localdomain", ".local", ".internal", ".home.arpa", ".lan")
# Wildcard DNS that answers the address written in the name (10.0.0.1.nip.io,
# app-10-0-0-1.sslip.io, 0a000001.nip.io), or loopback for every name (lvh.me).
ADDRESS_IN_NAME_DOMAINS = ("nip.io", "sslip.io", "xip.io")
LOOPBACK_DOMAINS = ("localtest.me", "lvh.me", "vcap.me")
_DOTTED_QUAD = re.compile(r"(?<!\d)(\d{1,3})[.-](\d{1,3})[.-](\d{1,3})[.-](\d{1,3})(?!\d)")


def _private(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 scope (fe80::1%eth0)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return not ip.is_global or ip.is_multicast


def _under(host: str, domains: tuple[str, ...]) -> bool:
    return any(host == domain or host.endswith("." + domain) for domain in domains)


def _addresses_in_name(host: str) -> list[str]:
    """The IP addresses a name spells out: dotted or dashed quads anywhere in it, and on the
    wildcard-DNS services also hexadecimal IPv4 and dashed IPv6 labels."""
    found = [".".join(quad) for quad in _DOTTED_QUAD.findall(host)]
    if _under(host, ADDRESS_IN_NAME_DOMAINS):
        for label in host.split("."):
            if re.fullmatch(r"[0-9a-f]{8}", label):
                found.append(str(ipaddress.IPv4Address(int(label, 16))))
            elif "--" in label or label.count("-") >= 2:
                found.append(label.replace("-", ":"))
    valid = []
    for text in found:
        try:
            valid.append(str(ipaddress.ip_address(text)))
        except ValueError:
            continue
    return valid


def _internal_host(host: str) -> bool:
    """Whether the host, without resolving it, leads to a private or internal address."""
    try:
        return _private(host)  # a literal address
    except ValueError:
        pass
    if host in INTERNAL_NAMES or host.endswith(INTERNAL_SUFFIXES):
        return True
    if _under(host, LOOPBACK_DOMAINS):
        return True
    return any(_private(address) for address in _addresses_in_name(host))


def check_url(url: str) -> str:
    """A URL webhooks may be sent to. Raises ValidationFailed.

    Unless private URLs are allowed (development and tests), the host must not be a private,
    loopback, link-local or reserved address, nor a name for one (localhost, *.internal,
    127.0.0.1.nip.io, …), nor a name that resolves to one now. A name that does not resolve
    yet is accepted: every delivery resolves it again and refuses a private address."""
    url = url.strip()
    parts = urlsplit(url)
    allow_private = settings.WEBHOOK_ALLOW_PRIVATE_URLS
    schemes = {"https", "http"} if allow_private else {"https"}
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        port = None
    if parts.scheme not in schemes or not parts.hostname or not port or len(url) > 500:
        raise ValidationFailed(
            "Give an https:// URL of at most 500 characters."
            if not allow_private
            else "Give an http(s):// URL of at most 500 characters.",
            field="url",
        )
    if parts.username or parts.password:
        raise ValidationFailed("Credentials in the URL are not allowed.", field="url")
    if allow_private:
        return url
    host = parts.hostname.rstrip(".").lower()
    if _internal_host(host):
        raise ValidationFailed(PRIVATE_URL, field="url")
    try:
        addresses = _resolve(host, port)
    except UnsafeUrl:
        return url  # not resolvable yet (or here): each delivery checks it
    if any(_private(_address(info)) for info in addresses):
        raise ValidationFailed(PRIVATE_NAME, field="url")
    return url


def _brand_manager(by: Membership) -> None:
    if not by.organisation.is_brand:
        raise PermissionDenied("Only brands receive licence webhooks.")
    if not by.can_manage:
        raise PermissionDenied("Only owners and managers can manage webhooks.")


def create_endpoint(*, by: Membership, url: str, description: str = "") -> IssuedEndpoint:
    """Raises PermissionDenied, ValidationFailed."""
    _brand_manager(by)
    url = check_url(url)  # may resolve the name: before the transaction
    with transaction.atomic():
        return _create_endpoint(by=by, url=url, description=description)


def _create_endpoint(*, by: Membership, url: str, description: str) -> IssuedEndpoint:
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


@system_entry_point
def on_licence_event(event: LicenceEvent) -> None:
    """Subscriber to every licence event, in the licensing change's transaction: queue it for
    the brand's endpoints (the workers are handed the deliveries after commit)."""
    if event.kind in EVENTS:
        announce_licence_event(event.licence, event.kind)


@system_entry_point
def announce_licence_event(licence: Licence, event: str) -> int:
    """Queue the event for every live endpoint of the licence's brand. Returns how many.

    The worker is handed the deliveries once they commit."""
    if event not in EVENTS:
        return 0
    return announce_brand_event(
        brand_id=licence.brand_id,
        event_type=f"licence.{event}",
        identifier=event_id(licence, event),
        reference=licence.reference,
        data={"licence": licence_payload(licence)},
    )


@system_entry_point
def announce_brand_event(
    *, brand_id: int, event_type: str, identifier: str, reference: str, data: dict[str, Any]
) -> int:
    """Queue an event about the brand's own objects (a licence; a proof, from the approvals
    app above this one) for every live endpoint of that brand, in the caller's transaction.
    Returns how many; the workers are handed the deliveries once they commit."""
    endpoints = list(BrandWebhookEndpoint.objects.live().filter(brand_id=brand_id).only("pk"))
    if not endpoints:
        return 0
    now = timezone.now()
    payload: dict[str, Any] = {
        "id": identifier,
        "type": event_type,
        "created": int(now.timestamp()),
        "data": data,
    }
    WebhookDelivery.objects.bulk_create(
        [
            WebhookDelivery(
                endpoint_id=endpoint.pk,
                event_id=identifier,
                event_type=event_type,
                licence_reference=reference[:20],
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


AddressInfo = tuple[Any, ...]  # one answer of socket.getaddrinfo


def _address(info: AddressInfo) -> str:
    return str(info[4][0])


def _resolve(host: str, port: int) -> list[AddressInfo]:
    """Every address the name has now. Raises UnsafeUrl when it has none."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"cannot resolve {host}") from exc
    if not infos:
        raise UnsafeUrl(f"cannot resolve {host}")
    return infos


def _connect(infos: list[AddressInfo], timeout: float | None) -> socket.socket:
    """A TCP connection to the first of these (already checked) addresses that answers."""
    error: OSError = OSError("no address to connect to")
    for family, kind, proto, _, sockaddr in infos:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
        except OSError as exc:
            sock.close()
            error = exc
        else:
            return sock
    raise error


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """HTTP to the addresses resolved and checked for this attempt: the name is not looked
    up again (a second answer could be a private address), the Host header still names it.
    No proxy and no redirect: the address checked is the address posted to."""

    def __init__(self, host: str, port: int, *, infos: list[AddressInfo], timeout: float):
        super().__init__(host, port, timeout=timeout)
        self.infos = infos

    def connect(self) -> None:
        self.sock = _connect(self.infos, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """HTTPS likewise; the certificate is verified for the name (SNI server_hostname)."""

    def __init__(self, host: str, port: int, *, infos: list[AddressInfo], timeout: float):
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.infos = infos

    def connect(self) -> None:
        sock = _connect(self.infos, self.timeout)
        self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)


def _post(url: str, body: bytes, headers: dict[str, str]) -> int:
    """POST and return the status code. Raises OSError, http.client.HTTPException,
    UnsafeUrl (the host resolves to a private address, unless allowed)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    secure = parts.scheme == "https"
    port = parts.port or (443 if secure else 80)
    infos = _resolve(host, port)  # once per attempt: the answer checked is the one used
    if not settings.WEBHOOK_ALLOW_PRIVATE_URLS and any(_private(_address(i)) for i in infos):
        raise UnsafeUrl(f"{host} resolves to a private address")
    timeout = settings.WEBHOOK_TIMEOUT_SECONDS
    connection_class = _PinnedHTTPSConnection if secure else _PinnedHTTPConnection
    connection = connection_class(host, port, infos=infos, timeout=timeout)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    try:
        connection.request("POST", target, body=body, headers=headers)
        response = connection.getresponse()
        response.read(1024)
        return int(response.status)
    finally:
        connection.close()


@dataclass(frozen=True)
class Outcome:
    status: str
    retry_in: int | None = None


@system_entry_point
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
    except (OSError, http.client.HTTPException, UnsafeUrl, ValueError) as exc:
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
