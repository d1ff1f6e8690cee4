"""Run the sandbox in a separate process for tests and scripts.

    with run_sandbox() as sandbox:
        client = sandbox.client()            # a stripe.StripeClient pointed at the sandbox
        session = client.v1.checkout.sessions.create(params={...})
        sandbox.complete_checkout(session.id)           # pay it with 4242 4242 4242 4242
        sandbox.state("transfer")                       # every transfer, as JSON
        sandbox.reset()

The server gets a free port and (unless given) a temporary SQLite file, and is stopped when the
``with`` block ends. Only the standard library is used here; ``client()`` imports ``stripe``.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

REPO_ROOT = Path(__file__).resolve().parents[1]
API_KEY = "sk_test_likeness_sandbox"

T = TypeVar("T")


class SandboxError(RuntimeError):
    pass


class Sandbox:
    """A running sandbox process and helpers to drive and inspect it."""

    def __init__(
        self,
        db_path: Path,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        args: list[str] | None = None,
        startup_timeout: float = 20.0,
    ) -> None:
        self.db_path = Path(db_path).resolve()
        self.host = host
        self.port = port
        self.args = list(args or [])
        self.startup_timeout = startup_timeout
        self.api_key = API_KEY
        self.process: subprocess.Popen[bytes] | None = None
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - closed in stop()
            prefix="stripe-sandbox-", suffix=".log", delete=False
        )

    # -- process --------------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self, *extra_args: str) -> Sandbox:
        ready = Path(self._log.name).with_suffix(".ready")
        ready.unlink(missing_ok=True)
        command = [
            sys.executable,
            "-m",
            "stripe_sandbox",
            "--host",
            self.host,
            "--port",
            str(self.port),
            "--db",
            str(self.db_path),
            "--ready-file",
            str(ready),
            *self.args,
            *extra_args,
        ]
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
        self.process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
            command, cwd=REPO_ROOT, env=env, stdout=self._log, stderr=subprocess.STDOUT
        )
        deadline = time.monotonic() + self.startup_timeout
        while not ready.exists():
            if self.process.poll() is not None:
                raise SandboxError(f"the sandbox exited early:\n{self.output()}")
            if time.monotonic() > deadline:
                self.stop()
                raise SandboxError(f"the sandbox did not start in time:\n{self.output()}")
            time.sleep(0.02)
        self.port = json.loads(ready.read_text())["port"]
        ready.unlink(missing_ok=True)
        return self

    def stop(self, timeout: float = 10.0) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def restart(self, *extra_args: str) -> Sandbox:
        """Stop and start again on the same port with the same SQLite file."""
        self.stop()
        return self.start(*extra_args)

    def output(self) -> str:
        self._log.flush()
        return Path(self._log.name).read_text(errors="replace")

    def close(self) -> None:
        self.stop()
        self._log.close()
        Path(self._log.name).unlink(missing_ok=True)

    # -- HTTP -----------------------------------------------------------------------------------

    def request(self, method: str, path: str, payload: dict[str, Any] | None = None) -> Any:
        """Call a ``/_sandbox`` endpoint; answers the decoded JSON (errors included)."""
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(  # noqa: S310 - http to our own server
            self.base_url + path,
            data=data,
            method=method,
            headers={"Content-Type": "application/json"},
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return json.loads(response.read())
        except urllib.error.HTTPError as error:
            body = error.read()
            try:
                return json.loads(body)
            except json.JSONDecodeError:
                raise SandboxError(f"{method} {path}: HTTP {error.code}: {body!r}") from None

    def client(self, **options: Any) -> Any:
        """A ``stripe.StripeClient`` pointed at this sandbox."""
        import stripe

        base = self.base_url
        return stripe.StripeClient(
            options.pop("api_key", self.api_key),
            base_addresses={"api": base, "connect": base, "files": base},
            **options,
        )

    # -- control --------------------------------------------------------------------------------

    def reset(self) -> dict[str, Any]:
        return self.request("POST", "/_sandbox/reset", {})

    def configure(self, **settings: Any) -> dict[str, Any]:
        """Change runtime settings, e.g. ``rate_limit=25`` or ``webhook_retry_base=0.05``."""
        result = self.request("POST", "/_sandbox/config", settings)
        if "error" in result:
            raise SandboxError(result["error"]["message"])
        return result

    def advance_clock(self, seconds: float) -> dict[str, Any]:
        return self.request("POST", "/_sandbox/clock/advance", {"seconds": seconds})

    def complete_checkout(
        self, session_id: str, card: str = "visa", email: str | None = None
    ) -> dict[str, Any]:
        """Pay a Checkout Session as the hosted page would (``card``: visa, declined, a test
        card number or a ``pm_card_*`` id). Returns ``{"session", "payment_intent", "redirect"}``
        plus ``"error"`` for a declined card."""
        payload: dict[str, Any] = {"card": card}
        if email:
            payload["email"] = email
        return self.request("POST", f"/_sandbox/checkout/{session_id}/pay", payload)

    def authenticate(self, payment_intent_id: str, succeed: bool = True) -> dict[str, Any]:
        """Pass (or fail) the 3-D Secure challenge of a ``requires_action`` PaymentIntent, as the
        customer would; for a Checkout Session's PaymentIntent the answer is shaped like
        :meth:`complete_checkout`'s, else ``{"payment_intent": ...}``."""
        return self.request(
            "POST",
            f"/_sandbox/payment_intents/{payment_intent_id}/authenticate",
            {"succeed": succeed},
        )

    def complete_onboarding(
        self, account_id: str, complete: bool = True, account_number: str | None = None
    ) -> dict[str, Any]:
        """Finish (or leave) Connect onboarding for an account; returns the account.
        ``account_number`` picks the test bank account (``000111111113``: payouts fail with
        ``account_closed``)."""
        payload: dict[str, Any] = {"complete": complete}
        if account_number:
            payload["account_number"] = account_number
        return self.request("POST", f"/_sandbox/accounts/{account_id}/onboarding", payload)

    def retry_webhooks_now(self) -> int:
        return self.request("POST", "/_sandbox/deliveries/retry", {})["rescheduled"]

    # -- inspection -----------------------------------------------------------------------------

    def state(self, object_type: str | None = None, **filters: Any) -> Any:
        """Without arguments: a summary (counts, balances, deliveries, config).

        With an object type (``"transfer"``, ``"checkout.session"``...): those objects, oldest
        first; filters are ``account="platform"|"acct_..."``, ``parent=...`` or top-level fields
        (``status="open"``).
        """
        if object_type is None:
            return self.request("GET", "/_sandbox/state")
        query: dict[str, Any] = {"type": object_type}
        for key, value in filters.items():
            query[key if key in ("account", "parent") else f"where.{key}"] = value
        return self.request("GET", "/_sandbox/objects?" + urllib.parse.urlencode(query))["data"]

    def object(self, object_id: str) -> dict[str, Any] | None:
        found = self.request("GET", f"/_sandbox/objects/{object_id}")
        return None if "error" in found else found["object"]

    def balance(self, account: str | None = None) -> dict[str, dict[str, int]]:
        """``{"usd": {"available": ..., "pending": ...}}`` for the platform or an account."""
        return self.request("GET", f"/_sandbox/balances/{account or 'platform'}")

    def events(self, event_type: str | None = None, **filters: Any) -> list[dict[str, Any]]:
        if event_type:
            filters["type"] = event_type
        return self.state("event", **filters)

    def deliveries(self, **filters: Any) -> list[dict[str, Any]]:
        query = urllib.parse.urlencode(filters)
        return self.request("GET", "/_sandbox/deliveries?" + query)["data"]

    def wait_for(
        self, predicate: Callable[[], T], timeout: float = 10.0, interval: float = 0.02
    ) -> T:
        """Poll until ``predicate()`` is truthy; returns its value or raises TimeoutError."""
        deadline = time.monotonic() + timeout
        while True:
            value = predicate()
            if value:
                return value
            if time.monotonic() > deadline:
                raise TimeoutError(f"condition not met within {timeout} s")
            time.sleep(interval)


@contextmanager
def run_sandbox(
    db_path: str | Path | None = None,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    args: list[str] | None = None,
    webhook_retry_base: float | None = None,
) -> Iterator[Sandbox]:
    """Start a sandbox process (free port, temporary SQLite file unless given); stop it after."""
    with tempfile.TemporaryDirectory(prefix="stripe-sandbox-") as tmp:
        path = Path(db_path) if db_path is not None else Path(tmp) / "stripe_sandbox.sqlite3"
        extra = list(args or [])
        if webhook_retry_base is not None:
            extra += ["--webhook-retry-base", str(webhook_retry_base)]
        sandbox = Sandbox(path, host=host, port=port, args=extra)
        try:
            sandbox.start()
            yield sandbox
        finally:
            sandbox.close()
