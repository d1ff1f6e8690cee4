"""Events and their webhook delivery.

An event is stored in the same transaction as the change it describes, together with one
delivery row per target (each enabled webhook endpoint that wants it, plus the ``--forward-to``
URL). A pool of background threads posts due deliveries, signed exactly like Stripe
(``Stripe-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<payload>">``). A delivery that
does not get a 2xx answer is retried with exponential backoff; rows survive restarts and
in-flight rows are re-queued on start, so delivery is at least once. Targets are served
concurrently, so events can arrive out of order, as with Stripe.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import threading
import time
import urllib.error
import urllib.request
from typing import TYPE_CHECKING, Any

from .core import Context, new_id

if TYPE_CHECKING:
    from .app import App

log = logging.getLogger("stripe_sandbox.webhooks")


def sign(payload: str, secret: str, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.{payload}".encode(), hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def wants(enabled_events: list[str], event_type: str) -> bool:
    for pattern in enabled_events:
        if pattern == "*" or pattern == event_type:
            return True
        if pattern.endswith(".*") and event_type.startswith(pattern[:-1]):
            return True
    return False


def emit(
    ctx: Context,
    event_type: str,
    obj: dict[str, Any],
    *,
    previous: dict[str, Any] | None = None,
    account: str = "",
) -> dict[str, Any]:
    """Record an event (in the caller's transaction) and queue its deliveries."""
    store = ctx.store
    data: dict[str, Any] = {"object": obj}
    if previous:
        data["previous_attributes"] = previous
    event: dict[str, Any] = {
        "id": new_id("evt"),
        "object": "event",
    }
    if account:
        event["account"] = account
    event.update(
        {
            "api_version": ctx.app.default_api_version(),
            "created": ctx.now,
            "data": data,
            "livemode": False,
            "pending_webhooks": 0,
            "request": {"id": ctx.request_id, "idempotency_key": ctx.idempotency_key},
            "type": event_type,
        }
    )
    targets: list[tuple[str | None, str, str, str | None]] = []
    # An account's own endpoints get its events (a platform's Connect endpoints get none of the
    # platform's own); the platform's Connect endpoints get the events of connected accounts.
    endpoints = [
        row
        for row in store.find("webhook_endpoint", account=account)
        if account or not row.meta.get("connect")
    ]
    if account:
        endpoints += [r for r in store.find("webhook_endpoint", account="") if r.meta["connect"]]
    for row in endpoints:
        endpoint = row.data
        if endpoint["status"] != "enabled" or not wants(endpoint["enabled_events"], event_type):
            continue
        targets.append(
            (endpoint["id"], endpoint["url"], row.meta["secret"], endpoint["api_version"])
        )
    config = ctx.config
    if config.forward_to and config.webhook_secret:
        targets.append((None, config.forward_to, config.webhook_secret, None))
    event["pending_webhooks"] = len(targets)
    store.insert(event, account=account)
    now = time.time()
    for endpoint_id, url, secret, api_version in targets:
        store.execute(
            "INSERT INTO deliveries (event_id, endpoint_id, url, secret, api_version, "
            "next_attempt, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (event["id"], endpoint_id, url, secret, api_version, now, now),
        )
    if targets:
        # The workers need the store lock to claim the rows, so they see them once committed.
        ctx.app.deliverer.wake()
    return event


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # a redirect is a failed delivery, as with Stripe


class Deliverer:
    """Background delivery with retries and exponential backoff."""

    def __init__(self, app: App, threads: int = 4) -> None:
        self.app = app
        self.threads = threads
        self._cond = threading.Condition()
        self._stopping = False
        self._workers: list[threading.Thread] = []
        self._opener = urllib.request.build_opener(_NoRedirect())

    def start(self) -> None:
        with self.app.store.transaction():
            self.app.store.execute(
                "UPDATE deliveries SET status = 'pending' WHERE status = 'in_flight'"
            )
        for index in range(self.threads):
            worker = threading.Thread(
                target=self._run, name=f"stripe-sandbox-webhooks-{index}", daemon=True
            )
            worker.start()
            self._workers.append(worker)

    def stop(self, timeout: float = 5.0) -> None:
        with self._cond:
            self._stopping = True
            self._cond.notify_all()
        deadline = time.monotonic() + timeout
        for worker in self._workers:
            worker.join(max(deadline - time.monotonic(), 0))

    def wake(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _run(self) -> None:
        while True:
            with self._cond:
                if self._stopping:
                    return
            try:
                job = self._claim()
                if job is not None:
                    self._deliver(job)
                    continue
                self.app.sweep()
                wait = self._next_due_in()
            except Exception:  # pragma: no cover - keep the worker alive
                log.exception("webhook worker error")
                wait = 0.5
            with self._cond:
                if self._stopping:
                    return
                self._cond.wait(timeout=min(wait, 0.5))

    def _claim(self) -> dict[str, Any] | None:
        store = self.app.store
        with store.transaction():
            record = store.execute(
                "SELECT * FROM deliveries WHERE status = 'pending' AND next_attempt <= ? "
                "ORDER BY next_attempt, id LIMIT 1",
                (time.time(),),
            ).fetchone()
            if record is None:
                return None
            store.execute(
                "UPDATE deliveries SET status = 'in_flight', attempts = attempts + 1 WHERE id = ?",
                (record["id"],),
            )
            job = dict(record)
            job["attempts"] += 1
            event = store.get(job["event_id"], "event")
            job["event"] = event
            return job

    def _next_due_in(self) -> float:
        record = self.app.store.execute(
            "SELECT MIN(next_attempt) AS due FROM deliveries WHERE status = 'pending'"
        ).fetchone()
        if record is None or record["due"] is None:
            return 0.5
        return max(record["due"] - time.time(), 0.0)

    def _deliver(self, job: dict[str, Any]) -> None:
        event = job["event"]
        store = self.app.store
        if event is None:  # the sandbox was reset meanwhile
            with store.transaction():
                store.execute("DELETE FROM deliveries WHERE id = ?", (job["id"],))
            return
        if job["endpoint_id"]:
            endpoint = store.get(job["endpoint_id"], "webhook_endpoint")
            if endpoint is None or endpoint["status"] != "enabled":
                # Deleted or disabled endpoints get nothing more.
                state = "deleted" if endpoint is None else "disabled"
                self._record(job, ok=False, status=None, error=f"endpoint {state}", final=True)
                return
        if job["api_version"]:
            event = {**event, "api_version": job["api_version"]}
        payload = json.dumps(event, indent=2)
        request = urllib.request.Request(  # noqa: S310 - endpoint URLs are http(s) only
            job["url"],
            data=payload.encode(),
            method="POST",
            headers={
                "Content-Type": "application/json; charset=utf-8",
                "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
                "Stripe-Signature": sign(payload, job["secret"]),
            },
        )
        status: int | None = None
        error: str | None = None
        try:
            with self._opener.open(request, timeout=self.app.config.webhook_timeout) as response:
                status = response.status
                response.read(65536)
        except urllib.error.HTTPError as exc:
            status = exc.code
            error = f"HTTP {exc.code}"
        except (OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}"
        ok = status is not None and 200 <= status < 300
        self._record(job, ok=ok, status=status, error=error)

    def _record(
        self,
        job: dict[str, Any],
        *,
        ok: bool,
        status: int | None,
        error: str | None,
        final: bool = False,
    ) -> None:
        config = self.app.config
        store = self.app.store
        now = time.time()
        with store.transaction():
            record = store.execute(
                "SELECT history FROM deliveries WHERE id = ?", (job["id"],)
            ).fetchone()
            if record is None:
                return
            history = json.loads(record["history"])
            history.append(
                {"attempt": job["attempts"], "at": now, "status": status, "error": error}
            )
            finished = ok or final or job["attempts"] >= config.webhook_max_attempts
            if ok:
                state, next_attempt = "succeeded", now
            elif finished:
                state, next_attempt = "failed", now
            else:
                delay = min(
                    config.webhook_retry_base * (2 ** (job["attempts"] - 1)),
                    config.webhook_retry_max_delay,
                )
                state, next_attempt = "pending", now + delay
            store.execute(
                "UPDATE deliveries SET status = ?, next_attempt = ?, history = ?, "
                "delivered_at = ? WHERE id = ?",
                (state, next_attempt, json.dumps(history), now if ok else None, job["id"]),
            )
            if finished:
                event = store.get(job["event_id"], "event")
                if event is not None:
                    event["pending_webhooks"] = max(event["pending_webhooks"] - 1, 0)
                    store.save(event)
        if not ok:
            log.info(
                "webhook %s to %s failed (attempt %s): %s",
                job["event_id"],
                job["url"],
                job["attempts"],
                error or status,
            )


def deliveries(app: App, **filters: Any) -> list[dict[str, Any]]:
    clauses, args = [], []
    for key in ("event_id", "endpoint_id", "status", "url"):
        if filters.get(key):
            clauses.append(f"{key} = ?")
            args.append(filters[key])
    where = " AND ".join(clauses) or "1 = 1"
    records = app.store.execute(
        f"SELECT * FROM deliveries WHERE {where} ORDER BY id",  # noqa: S608 - fixed columns
        args,
    ).fetchall()
    result = []
    for record in records:
        item = dict(record)
        item["history"] = json.loads(item["history"])
        item.pop("secret")
        result.append(item)
    return result
