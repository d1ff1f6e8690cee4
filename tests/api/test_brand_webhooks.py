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
    assert first is not None
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


# --- Names that lead to private addresses, and DNS rebinding ----------------------------------

PRIVATE_NAMES = [
    "https://127.0.0.1.nip.io/hooks",
    "https://169.254.169.254.nip.io/latest/meta-data/",
    "https://app-10-0-0-1.sslip.io/hooks",
    "https://foo.localhost/hooks",
    "https://LOCALHOST./hooks",
    "https://metadata.google.internal/computeMetadata/v1/",
    "https://printer.local/hooks",
    "https://[fd00::1]/hooks",
    "https://169.254.169.254/latest/meta-data/",
    "https://0.0.0.0/hooks",
]


class Resolver:
    """socket.getaddrinfo for the names of a test: each name answers its next address in turn
    (the last repeats), every other name is resolved as usual. Records each name looked up."""

    def __init__(self, monkeypatch, answers: dict[str, list[str]]) -> None:
        import socket

        self.answers = {name: list(addresses) for name, addresses in answers.items()}
        self.lookups: list[str] = []
        real = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            name = host.decode() if isinstance(host, bytes) else host
            if name not in self.answers:
                return real(host, port, *args, **kwargs)
            self.lookups.append(name)
            queue = self.answers[name]
            address = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, int(port)))]

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)


@pytest.mark.parametrize("url", PRIVATE_NAMES)
def test_names_of_private_and_metadata_addresses_are_refused_at_creation(world, settings, url):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    with pytest.raises(services.ValidationFailed) as refused:
        services.create_endpoint(by=world.members["brand_a_manager"], url=url)

    assert refused.value.field == "url"
    assert "private" in refused.value.message.lower()
    assert not BrandWebhookEndpoint.objects.exists()


def test_private_names_are_refused_with_a_clear_error_on_the_page_and_the_api(
    world, client, settings
):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    client.force_login(world.user("brand_a_owner"))
    api = key_client(world.tokens["brand_a"])

    # (URL validation already refuses "LOCALHOST." with a trailing dot, and the API takes no
    # IPv6 literal at all; both are refused before the address check.)
    for url in [url for url in PRIVATE_NAMES if "LOCALHOST." not in url and "[" not in url]:
        page = client.post("/team/webhooks/", {"url": url, "description": "x"})
        answer = api.post("/api/v1/webhooks/endpoints", {"url": url}, format="json")

        assert page.status_code == 200, url
        assert "private, loopback or internal address" in page.content.decode(), url
        assert answer.status_code == 400, url
        assert "private, loopback or internal address" in json.dumps(answer.json()), url
    assert not BrandWebhookEndpoint.objects.exists()


def test_a_name_resolving_to_a_private_address_is_refused_at_creation(world, settings, monkeypatch):
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    Resolver(monkeypatch, {"hooks.brand-a.example": ["10.20.30.40"]})

    with pytest.raises(services.ValidationFailed) as refused:
        services.create_endpoint(
            by=world.members["brand_a_manager"], url="https://hooks.brand-a.example/in"
        )

    assert "resolves to a private, loopback or internal address" in refused.value.message
    assert not BrandWebhookEndpoint.objects.exists()


def test_a_name_that_does_not_resolve_yet_is_accepted(world, settings, monkeypatch):
    import socket

    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False

    def unresolvable(*args, **kwargs):
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", unresolvable)

    issued = services.create_endpoint(
        by=world.members["brand_a_manager"], url="https://hooks.brand-a.example/in"
    )

    assert issued.endpoint.url == "https://hooks.brand-a.example/in"


def test_delivery_resolves_once_and_posts_to_the_checked_address(
    world, receivers, monkeypatch, django_capture_on_commit_callbacks
):
    a, _ = receivers
    port = a.server.server_port
    # The first answer is the receiver; any later lookup (a rebinding) answers an address
    # nothing listens on.
    resolver = Resolver(monkeypatch, {"hooks.brand-a.example": ["127.0.0.1", "127.0.0.9"]})
    services.create_endpoint(
        by=world.members["brand_a_manager"], url=f"http://hooks.brand-a.example:{port}/in?x=1"
    )
    resolver.lookups.clear()

    with django_capture_on_commit_callbacks(execute=True):
        licensing.request_licence(
            by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
        )

    delivery = WebhookDelivery.objects.get()
    assert (delivery.status, delivery.last_status_code) == ("delivered", 200)
    assert resolver.lookups == ["hooks.brand-a.example"]
    [request] = a.requests
    assert request["path"] == "/in?x=1"
    assert request["headers"]["Host"] == f"hooks.brand-a.example:{port}"
    assert request["headers"]["Likeness-Event-Type"] == "licence.requested"


def test_delivery_refuses_a_name_that_now_resolves_to_a_private_address(
    world, receivers, settings, monkeypatch
):
    a, _ = receivers
    port = a.server.server_port
    resolver = Resolver(monkeypatch, {"hooks.brand-a.example": ["127.0.0.1"]})
    issued = services.create_endpoint(
        by=world.members["brand_a_manager"], url=f"http://hooks.brand-a.example:{port}/in"
    )
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    licensing.request_licence(
        by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
    )
    resolver.lookups.clear()

    services.deliver(delivery_id=WebhookDelivery.objects.get(endpoint=issued.endpoint).pk)

    attempt = WebhookDelivery.objects.get().attempt_log.get()
    assert attempt.status_code is None
    assert "resolves to a private address" in attempt.error
    assert resolver.lookups == ["hooks.brand-a.example"]
    assert a.requests == []


def test_a_rebinding_name_is_posted_to_the_address_that_was_checked(
    world, receivers, settings, monkeypatch, django_capture_on_commit_callbacks
):
    import socket

    a, _ = receivers
    port = a.server.server_port
    public = "93.184.216.34"
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    resolver = Resolver(monkeypatch, {"hooks.brand-a.example": [public]})
    services.create_endpoint(
        by=world.members["brand_a_manager"], url=f"https://hooks.brand-a.example:{port}/in"
    )
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True  # plain http to the local receiver below
    BrandWebhookEndpoint.objects.update(url=f"http://hooks.brand-a.example:{port}/in")
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = False
    # The name answers the public address once, then the receiver's loopback address.
    resolver.answers["hooks.brand-a.example"] = [public, "127.0.0.1"]
    resolver.lookups.clear()
    # Stands in for the brand's server at the public address: connections to it reach the
    # receiver. Every connection is recorded.
    connected: list[tuple] = []
    real_connect = socket.socket.connect

    def connect(sock, address):
        connected.append(tuple(address[:2]))
        if address[0] == public:
            address = ("127.0.0.1", port)
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)

    with django_capture_on_commit_callbacks(execute=True):
        licensing.request_licence(
            by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
        )

    assert resolver.lookups == ["hooks.brand-a.example"]
    assert (public, port) in connected
    assert ("127.0.0.1", port) not in connected
    [request] = a.requests
    assert request["headers"]["Host"] == f"hooks.brand-a.example:{port}"
    assert WebhookDelivery.objects.get().status == "delivered"


def _certificate_for(name: str, folder) -> tuple[str, str, str]:
    """A certificate authority and a server certificate for `name` it signed (PEM paths)."""
    from datetime import UTC, datetime, timedelta

    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Test CA")])
    ca = (
        x509.CertificateBuilder()
        .subject_name(ca_name)
        .issuer_name(ca_name)
        .public_key(ca_key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(
            x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False
        )
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    cert = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)]))
        .issuer_name(ca_name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(name)]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    paths = (folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return tuple(str(p) for p in paths)  # type: ignore[return-value]


def test_https_delivery_to_the_checked_address_verifies_the_name_s_certificate(
    world, receivers, monkeypatch, tmp_path, django_capture_on_commit_callbacks
):
    import ssl

    a, _ = receivers
    name = "hooks.brand-a.example"
    ca, cert, key = _certificate_for(name, tmp_path)
    server_names: list[str | None] = []
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert, key)
    tls.sni_callback = lambda sock, server_name, context: server_names.append(server_name)
    a.server.socket = tls.wrap_socket(a.server.socket, server_side=True)
    monkeypatch.setenv("SSL_CERT_FILE", ca)  # the delivery's default context trusts the CA
    port = a.server.server_port
    resolver = Resolver(monkeypatch, {name: ["127.0.0.1", "127.0.0.9"]})
    services.create_endpoint(by=world.members["brand_a_manager"], url=f"https://{name}:{port}/in")
    resolver.lookups.clear()

    with django_capture_on_commit_callbacks(execute=True):
        licensing.request_licence(
            by=world.members["brand_a_manager"], twin_id=world.twin.pk, terms=make_terms()
        )

    assert resolver.lookups == [name]
    assert server_names == [name]
    [request] = a.requests
    assert request["headers"]["Host"] == f"{name}:{port}"
    assert WebhookDelivery.objects.get().status == "delivered"


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
