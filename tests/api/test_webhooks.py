"""Brand webhooks: licence events POSTed to the brand's own endpoints only, signed like
Stripe's, retried with backoff, every attempt recorded. The receiver is a real HTTP server on
127.0.0.1."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from marketplace.licensing import services as licensing
from marketplace.webhooks import services, signing
from marketplace.webhooks.models import BrandWebhookEndpoint, WebhookDelivery
from tests.api.conftest import active_licence, key_client, session_client
from tests.licensing.conftest import make_terms

pytestmark = pytest.mark.django_db


class Receiver:
    """Records every POST; answers with the next status of `statuses` (the last repeats)."""

    def __init__(self) -> None:
        self.requests: list[dict] = []
        self.statuses = [200]
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append(
                    {"path": self.path, "headers": dict(self.headers), "body": body}
                )
                status = (
                    receiver.statuses.pop(0) if len(receiver.statuses) > 1 else receiver.statuses[0]
                )
                self.send_response(status)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def events(self) -> list[dict]:
        return [json.loads(r["body"]) for r in self.requests]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receivers() -> Iterator[tuple[Receiver, Receiver]]:
    a, b = Receiver(), Receiver()
    yield a, b
    a.close()
    b.close()


@pytest.fixture
def endpoints(world, receivers):
    a, b = receivers
    ep_a = services.create_endpoint(by=world.members["brand_a_manager"], url=a.url)
    ep_b = services.create_endpoint(by=world.members["brand_b_manager"], url=b.url)
    return ep_a, ep_b


def test_licence_events_reach_only_the_brand_s_own_endpoint_signed(
    world, receivers, endpoints, django_capture_on_commit_callbacks
):
    a, b = receivers
    issued_a, _ = endpoints
    with django_capture_on_commit_callbacks(execute=True):
        licence = licensing.request_licence(
            by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
        )
    with django_capture_on_commit_callbacks(execute=True):
        licensing.approve_licence(by=world.members["agency_a_manager"], reference=licence.reference)

    assert [e["type"] for e in a.events()] == ["licence.requested", "licence.approved"]
    assert b.requests == []
    request = a.requests[1]
    assert signing.verify(
        issued_a.secret, request["headers"]["Likeness-Signature"], request["body"]
    )
    assert not signing.verify(
        "whsec_other", request["headers"]["Likeness-Signature"], request["body"]
    )
    event = a.events()[1]
    assert request["headers"]["Likeness-Event-Id"] == event["id"]
    assert event["data"]["licence"]["reference"] == licence.reference
    assert event["data"]["licence"]["status"] == "awaiting_consent"
    assert event["data"]["licence"]["url"] == f"/api/v1/licences/{licence.reference}"
    delivery = WebhookDelivery.objects.get(event_id=event["id"])
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_activation_announced_twice_is_delivered_once(
    world, receivers, endpoints, django_capture_on_commit_callbacks
):
    a, _ = receivers
    with django_capture_on_commit_callbacks(execute=True):
        licence = active_licence(
            brand_manager=world.members["brand_a_manager"],
            agency_manager=world.members["agency_a_manager"],
            twin=world.twin,
        )
    with django_capture_on_commit_callbacks(execute=True):
        # The payments app announces activation again once the payment is booked.
        from marketplace.licensing.notifications import tell

        tell(licence, "activated", brand=True)

    types = [e["type"] for e in a.events()]
    assert types.count("licence.activated") == 1
    assert "licence.consent_needed" not in types


def test_a_failing_endpoint_is_retried_until_it_answers(
    world, receivers, endpoints, django_capture_on_commit_callbacks
):
    a, _ = receivers
    a.statuses = [500, 503, 200]
    with django_capture_on_commit_callbacks(execute=True):
        licensing.request_licence(
            by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
        )

    delivery = WebhookDelivery.objects.get()
    attempts = list(delivery.attempt_log.values_list("number", "status_code", "error"))
    assert attempts == [(1, 500, "HTTP 500"), (2, 503, "HTTP 503"), (3, 200, "")]
    assert (delivery.status, delivery.attempts) == ("delivered", 3)
    assert len({r["body"] for r in a.requests}) == 1  # the same event each time


def test_an_endpoint_that_never_answers_fails_after_the_last_attempt(
    world, receivers, endpoints, django_capture_on_commit_callbacks
):
    a, _ = receivers
    a.statuses = [500]
    with django_capture_on_commit_callbacks(execute=True):
        licensing.request_licence(
            by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
        )

    delivery = WebhookDelivery.objects.get()
    assert delivery.status == "failed"
    assert delivery.attempt_log.count() == services.MAX_ATTEMPTS == len(a.requests)
    assert services.deliver(delivery_id=delivery.pk) is None  # nothing more is tried


def test_an_unreachable_endpoint_records_why(world, django_capture_on_commit_callbacks):
    services.create_endpoint(by=world.members["brand_a_manager"], url="http://127.0.0.1:9/")
    with django_capture_on_commit_callbacks(execute=True):
        licensing.request_licence(
            by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
        )

    delivery = WebhookDelivery.objects.get()
    first = delivery.attempt_log.first()
    assert first.status_code is None
    assert "refused" in first.error.lower() or "errno" in first.error.lower()


def test_a_disabled_endpoint_gets_nothing(
    world, receivers, endpoints, django_capture_on_commit_callbacks
):
    a, _ = receivers
    issued_a, _ = endpoints
    services.disable_endpoint(by=world.members["brand_a_manager"], endpoint_id=issued_a.endpoint.pk)
    with django_capture_on_commit_callbacks(execute=True):
        licensing.request_licence(
            by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
        )

    assert a.requests == []
    assert not WebhookDelivery.objects.exists()


def test_a_private_address_is_refused_unless_allowed(world, settings):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    manager = world.members["brand_a_manager"]

    for url in [
        "http://example.com/hooks",
        "https://127.0.0.1/hooks",
        "https://10.1.2.3/hooks",
        "https://[::1]/hooks",
        "https://localhost/hooks",
        "https://user:pw@example.com/hooks",
    ]:
        with pytest.raises(services.ValidationFailed):
            services.create_endpoint(by=manager, url=url)
    assert not BrandWebhookEndpoint.objects.exists()


def test_a_name_that_resolves_to_a_private_address_is_not_posted_to(world, settings):
    issued = services.create_endpoint(
        by=world.members["brand_a_manager"], url="https://localhost:9/hooks"
    )
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    licence = licensing.request_licence(
        by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
    )
    delivery = WebhookDelivery.objects.get(endpoint=issued.endpoint)

    services.deliver(delivery_id=delivery.pk)

    attempt = delivery.attempt_log.get()
    assert "private address" in attempt.error
    assert licence.reference == delivery.licence_reference


def test_signatures_expire_and_cover_the_exact_body():
    body = b'{"id":"evt_1"}'
    header = signing.header_value("whsec_x", body, timestamp=1_000_000)

    assert signing.verify("whsec_x", header, body, now=1_000_100)
    assert not signing.verify("whsec_x", header, body, now=1_000_400)
    assert not signing.verify("whsec_x", header, body + b" ", now=1_000_100)
    assert not signing.verify("whsec_x", "t=x,v1=y", body)


# --- The API and the page -------------------------------------------------------------------


def test_endpoints_over_the_api_show_the_secret_once(world, receivers):
    a, _ = receivers
    client = key_client(world.tokens["brand_a"])

    created = client.post("/api/v1/webhooks/endpoints", {"url": a.url}, format="json")
    listed = client.get("/api/v1/webhooks/endpoints").json()["results"]
    one = client.get(f"/api/v1/webhooks/endpoints/{created.json()['id']}").json()

    assert created.status_code == 201
    assert created.json()["secret"].startswith("whsec_")
    assert created.json()["live"] is True
    assert created.json()["url"] == a.url
    assert "secret" not in listed[0]
    assert "secret" not in one
    assert client.delete(f"/api/v1/webhooks/endpoints/{one['id']}").status_code == 204
    assert client.get(f"/api/v1/webhooks/endpoints/{one['id']}").json()["live"] is False


def test_another_brand_s_endpoint_and_deliveries_are_404(world, endpoints):
    _, issued_b = endpoints
    client = key_client(world.tokens["brand_a"])
    pk = issued_b.endpoint.pk

    assert client.get(f"/api/v1/webhooks/endpoints/{pk}").status_code == 404
    assert client.get(f"/api/v1/webhooks/endpoints/{pk}/deliveries").status_code == 404
    assert client.delete(f"/api/v1/webhooks/endpoints/{pk}").status_code == 404
    issued_b.endpoint.refresh_from_db()
    assert issued_b.endpoint.is_live


def test_deliveries_are_listed_with_their_attempts(world, receivers, endpoints):
    issued_a, _ = endpoints
    licensing.request_licence(
        by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
    )
    services.deliver(delivery_id=WebhookDelivery.objects.get(endpoint=issued_a.endpoint).pk)

    body = (
        key_client(world.tokens["brand_a"])
        .get(f"/api/v1/webhooks/endpoints/{issued_a.endpoint.pk}/deliveries")
        .json()
    )

    assert [d["event_type"] for d in body["results"]] == ["licence.requested"]
    assert body["results"][0]["attempt_log"][0]["status_code"] == 200


def test_the_web_page_shows_the_secret_once(world, client, receivers):
    a, _ = receivers
    client.force_login(world.user("brand_a_owner"))

    created = client.post("/team/webhooks/", {"url": a.url, "description": "DAM"})
    listed = client.get("/team/webhooks/")

    secret = BrandWebhookEndpoint.objects.get().secret
    assert secret in created.content.decode()
    assert secret not in listed.content.decode()
    assert a.url in listed.content.decode()


@pytest.mark.parametrize("who", ["brand_a_finance", "brand_a_member"])
def test_only_brand_managers_manage_webhooks(world, who, receivers):
    a, _ = receivers
    client = session_client(world.user(who))

    assert (
        client.post("/api/v1/webhooks/endpoints", {"url": a.url}, format="json").status_code == 403
    )
    assert not BrandWebhookEndpoint.objects.exists()


def test_an_endpoint_over_the_limit_is_409_and_nothing_is_created(world):
    """The limit is the brand's state, not a fault of the URL: 409, as the schema says."""
    client = key_client(world.tokens["brand_a"])
    for n in range(services.MAX_ENDPOINTS_PER_BRAND):
        services.create_endpoint(
            by=world.members["brand_a_manager"], url=f"https://hooks{n}.example.com/"
        )

    response = client.post(
        "/api/v1/webhooks/endpoints", {"url": "https://one-more.example.com/"}, format="json"
    )

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "endpoint_limit"
    assert BrandWebhookEndpoint.objects.count() == services.MAX_ENDPOINTS_PER_BRAND
