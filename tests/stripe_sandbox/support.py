"""Helpers shared by the sandbox tests: raw HTTP, a webhook receiver, common setups."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, TypeVar

import stripe

from stripe_sandbox.testing import Sandbox

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.02) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"condition not met within {timeout} s")
        time.sleep(interval)


@dataclass
class HttpResult:
    status: int
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)

    @property
    def text(self) -> str:
        return self.body.decode()


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


_opener = urllib.request.build_opener(_NoRedirect())


def http(
    method: str,
    url: str,
    *,
    form: dict[str, str] | list[tuple[str, str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResult:
    """One HTTP request without following redirects; never raises for HTTP errors."""
    data = None if form is None else urllib.parse.urlencode(form).encode()
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    if data is not None:
        request.add_header("Content-Type", "application/x-www-form-urlencoded")
    try:
        with _opener.open(request, timeout=30) as response:
            return HttpResult(response.status, dict(response.headers.items()), response.read())
    except urllib.error.HTTPError as error:
        return HttpResult(error.code, dict(error.headers.items()), error.read())


def api(
    sandbox: Sandbox,
    method: str,
    path: str,
    form: dict[str, str] | list[tuple[str, str]] | None = None,
    *,
    account: str | None = None,
    key: str | None = None,
    idempotency_key: str | None = None,
) -> HttpResult:
    """A raw ``/v1`` call (JSON stays JSON, no StripeObject conversion); ``key=""`` sends no
    Authorization header."""
    key = sandbox.api_key if key is None else key
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    if account:
        headers["Stripe-Account"] = account
    if idempotency_key:
        headers["Idempotency-Key"] = idempotency_key
    url = sandbox.base_url + path
    if method == "GET" and form:
        url += "?" + urllib.parse.urlencode(form)
        form = None
    return http(method, url, form=form, headers=headers)


def as_dict(obj: Any) -> Any:
    return json.loads(str(obj))


# -- webhook receiver -------------------------------------------------------------------------


@dataclass
class Delivery:
    body: bytes
    headers: dict[str, str]
    at: float


@dataclass
class Receiver:
    """A tiny local webhook endpoint; answers 500 to the first ``fail_first`` requests."""

    fail_first: int = 0
    fail_status: int = 500
    deliveries: list[Delivery] = field(default_factory=list)
    attempts: list[tuple[float, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        receiver = self
        self._lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            disable_nagle_algorithm = True

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    failing = len(receiver.attempts) < receiver.fail_first
                    status = receiver.fail_status if failing else 200
                    receiver.attempts.append((time.monotonic(), status))
                    if not failing:
                        receiver.deliveries.append(
                            Delivery(body, dict(self.headers.items()), time.monotonic())
                        )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/webhooks/stripe"

    def events(self) -> list[dict[str, Any]]:
        with self._lock:
            return [json.loads(d.body) for d in self.deliveries]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


def stripe_id(value: object) -> str:
    """The id an unexpanded field holds (the SDK types it as "id | object | None")."""
    assert isinstance(value, str), value
    return value


# -- common setups ----------------------------------------------------------------------------


def onboarded_account(client: stripe.StripeClient, sandbox: Sandbox, **params: Any) -> Any:
    account = client.v1.accounts.create(
        params={  # type: ignore[arg-type]  # extended by the caller's **params
            "type": "express",
            "country": "US",
            "email": params.pop("email", "model@likeness.test"),
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
            **params,
        }
    )
    sandbox.complete_onboarding(account.id)
    return client.v1.accounts.retrieve(account.id)


def paid_checkout(
    client: stripe.StripeClient,
    sandbox: Sandbox,
    amount: int = 10_000,
    *,
    transfer_group: str | None = None,
    metadata: dict[str, str] | None = None,
    card: str = "visa",
) -> tuple[Any, Any]:
    """A completed Checkout Session and its PaymentIntent (``card="bypass_pending"``: the
    funds are available at once instead of pending for two days)."""
    pid: dict[str, Any] = {"metadata": metadata or {}}
    if transfer_group:
        pid["transfer_group"] = transfer_group
    session = client.v1.checkout.sessions.create(
        params={  # type: ignore[arg-type]  # payment_intent_data is a plain dict
            "mode": "payment",
            "success_url": "https://brand.test/done?session={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://brand.test/cancelled",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": amount,
                        "product_data": {"name": "Digital twin licence"},
                    },
                    "quantity": 1,
                }
            ],
            "payment_intent_data": pid,
        }
    )
    result = sandbox.complete_checkout(session.id, card=card)
    assert "error" not in result, result
    return client.v1.checkout.sessions.retrieve(session.id), client.v1.payment_intents.retrieve(
        result["session"]["payment_intent"]
    )


def fee(amount: int) -> int:
    """Stripe's standard card fee (2.9 % + 30 cents), the sandbox default."""
    return (amount * 29 + 500) // 1000 + 30


def usd_available(sandbox: Sandbox, account: str | None = None) -> int:
    """The available USD balance (0 before the first movement)."""
    return sandbox.balance(account).get("usd", {}).get("available", 0)


def usd_of(balance: object) -> int:
    """The available USD amount of a Balance object; other currencies (left by other tests
    on the same sandbox) are ignored."""
    return next((a.amount for a in balance.available if a.currency == "usd"), 0)  # type: ignore[attr-defined]
