"""The sandbox application: request dispatch for the API, the sandbox's own JSON endpoints and
the hosted pages, independent of the HTTP server that feeds it."""

from __future__ import annotations

import base64
import binascii
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from . import pages, webhooks
from .core import DEFAULT_API_VERSION, Config, Context, RateLimiter, Router, new_id
from .errors import (
    StripeError,
    account_invalid,
    api_error,
    authentication_invalid,
    authentication_missing,
    idempotency_endpoint,
    idempotency_params,
    invalid,
    no_such,
    rate_limited,
    unrecognized_url,
)
from .forms import Params, decode, parse_expand
from .resources import expand, present, router
from .resources.accounts import build_platform_account, complete_onboarding
from .resources.balance import balances
from .resources.checkout_sessions import (
    authenticate_checkout,
    expire_session,
    pay_checkout_session,
    success_redirect,
)
from .resources.payment_intents import authenticate_payment_intent
from .resources.payouts import advance_payouts
from .resources.refunds import advance_refunds
from .store import Store

log = logging.getLogger("stripe_sandbox")


@dataclass
class Request:
    method: str
    path: str
    query: str = ""
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names
    body: bytes = b""

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


@dataclass
class Response:
    status: int
    body: bytes = b""
    headers: list[tuple[str, str]] = field(default_factory=list)

    @classmethod
    def json(cls, status: int, payload: Any, headers: list[tuple[str, str]] | None = None):
        return cls(
            status,
            (json.dumps(payload, indent=2) + "\n").encode(),
            [("Content-Type", "application/json"), *(headers or [])],
        )

    @classmethod
    def html(cls, status: int, text: str, headers: list[tuple[str, str]] | None = None):
        return cls(
            status, text.encode(), [("Content-Type", "text/html; charset=utf-8"), *(headers or [])]
        )

    @classmethod
    def redirect(cls, location: str) -> Response:
        return cls(303, b"", [("Location", location), ("Content-Type", "text/plain")])


class App:
    def __init__(self, db_path: str | Path, config: Config | None = None, *, threads: int = 4):
        self.store = Store(db_path)
        self.config = config or Config()
        self.limiter = RateLimiter()
        self.deliverer = webhooks.Deliverer(self, threads)
        self.sandbox_router = Router()
        self._register_sandbox_routes()
        self._sweep_lock = threading.Lock()
        self._last_sweep = 0.0
        with self.store.transaction():
            self._ensure_platform()

    # -- lifecycle ------------------------------------------------------------------------------

    def start(self) -> None:
        self.deliverer.start()

    def close(self) -> None:
        self.deliverer.stop()
        self.store.close()

    def reset(self) -> None:
        with self.store.transaction():
            self.store.wipe()
            self._ensure_platform()
        self.limiter.clear()

    def now(self) -> int:
        return int(time.time() + self.config.clock_offset)

    def _ensure_platform(self) -> None:
        if self.store.kv_get("platform_account") is None:
            account_id = new_id("acct", 16)
            self.store.kv_set("platform_account", build_platform_account(account_id, self.now()))

    def platform_account_id(self) -> str:
        return self.platform_account()["id"]

    def platform_account(self) -> dict[str, Any]:
        account = self.store.kv_get("platform_account")
        if account is None:
            with self.store.transaction():
                self._ensure_platform()
            account = self.store.kv_get("platform_account")
        return account

    def default_api_version(self) -> str:
        return self.store.kv_get("api_version") or DEFAULT_API_VERSION

    def context(self, account: str = "", *, base_url: str = "", params: Any = None) -> Context:
        return Context(
            app=self,
            account=account,
            params=Params(params or {}),
            path={},
            base_url=base_url or self.config.public_url or "",
            api_version=self.default_api_version(),
        )

    def sweep(self, *, force: bool = False) -> None:
        """Periodic housekeeping (at most once a second unless forced): expire due Checkout
        Sessions, move payouts and refunds on, forget expired idempotency keys."""
        with self._sweep_lock:
            if not force and time.monotonic() - self._last_sweep < 1.0:
                return
            self._last_sweep = time.monotonic()
        now = self.now()
        with self.store.transaction():
            for row in self.store.find("checkout.session", where={"status": "open"}):
                if row.data["expires_at"] <= now:
                    expire_session(self.context(row.account), row.data)
            advance_payouts(self)
            advance_refunds(self)
            self.store.execute(
                "DELETE FROM idempotency WHERE created <= ?", (now - self.config.idempotency_ttl,)
            )

    # -- dispatch -------------------------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        try:
            if request.path.startswith("/v1/") or request.path == "/v1":
                return self.handle_api(request)
            if request.path.startswith("/_sandbox/"):
                return self.handle_sandbox(request)
            return pages.handle(self, request)
        except Exception:
            log.exception("unhandled error for %s %s", request.method, request.path)
            return Response.json(500, api_error().body())

    def base_url(self, request: Request) -> str:
        if self.config.public_url:
            return self.config.public_url
        return f"http://{request.header('host') or 'localhost'}"

    # -- /v1 ------------------------------------------------------------------------------------

    def handle_api(self, request: Request) -> Response:
        request_id = new_id("req", 14)
        headers = [("Request-Id", request_id), ("Cache-Control", "no-cache, no-store")]
        version = request.header("stripe-version")
        if version:
            headers.append(("Stripe-Version", version))
        try:
            api_key = self.authenticate(request)
            found = router.match(request.method, request.path)
            if found is None:
                raise unrecognized_url(request.method, request.path)
            route, path_params = found
            self.check_rate_limit(route.name)
            params = decode(request.query)
            if request.method == "POST":
                params.update(decode(request.body.decode("utf-8", errors="replace")))
            idempotency_key = request.header("idempotency-key")
            if idempotency_key is not None and len(idempotency_key) > 255:
                raise invalid(
                    "Idempotency-Key must be at most 255 characters long.",
                    param="Idempotency-Key",
                )
            if request.method != "POST":
                idempotency_key = None
            if version and self.store.kv_get("api_version") is None:
                with self.store.transaction():
                    self.store.kv_set("api_version", version)
            ctx = Context(
                app=self,
                account="",
                params=Params(params),
                path=path_params,
                base_url=self.base_url(request),
                api_version=version or self.default_api_version(),
                request_id=request_id,
                idempotency_key=idempotency_key,
                api_key=api_key,
            )
            account_header = request.header("stripe-account")
            if account_header and account_header != self.platform_account_id():
                if self.store.get(account_header, "account", "") is None:
                    raise account_invalid(api_key, account_header)
                ctx.account = account_header
            if idempotency_key:
                headers.append(("Idempotency-Key", idempotency_key))
            status, body, extra = self.execute(
                ctx, route.handler, f"{request.method} {request.path}"
            )
            return Response(status, body, [("Content-Type", "application/json"), *headers, *extra])
        except StripeError as error:
            return Response.json(error.status, error.body(), headers + list(error.headers.items()))

    def authenticate(self, request: Request) -> str:
        header = request.header("authorization")
        if not header:
            raise authentication_missing()
        scheme, _, credentials = header.partition(" ")
        credentials = credentials.strip()
        if scheme.lower() == "basic":
            try:
                credentials = base64.b64decode(credentials).decode().partition(":")[0]
            except (binascii.Error, UnicodeDecodeError):
                raise authentication_invalid("") from None
        elif scheme.lower() != "bearer":
            raise authentication_invalid(credentials)
        if not credentials:
            raise authentication_missing()
        if not credentials.startswith("sk_test_") or len(credentials) <= len("sk_test_"):
            raise authentication_invalid(credentials)
        return credentials

    def check_rate_limit(self, route_name: str) -> None:
        checks: list[tuple[str, int]] = []
        if self.config.rate_limit:
            checks.append(("*", self.config.rate_limit))
        limit = self.config.endpoint_rate_limits.get(route_name)
        if limit:
            checks.append((route_name, limit))
        if checks and not self.limiter.allow(checks):
            raise rate_limited()

    def execute(
        self, ctx: Context, handler: Callable[[Context], Any], endpoint: str
    ) -> tuple[int, bytes, list[tuple[str, str]]]:
        """Run a handler atomically, honouring (and recording) its idempotency key."""
        key = ctx.idempotency_key
        canonical = json.dumps(ctx.params.data, sort_keys=True)
        store = self.store
        with store.transaction():
            if key:
                record = store.execute(
                    "SELECT * FROM idempotency WHERE account = ? AND key = ?", (ctx.account, key)
                ).fetchone()
                if (
                    record is not None
                    and record["created"] + self.config.idempotency_ttl <= self.now()
                ):
                    store.execute(
                        "DELETE FROM idempotency WHERE account = ? AND key = ?", (ctx.account, key)
                    )
                    record = None
                if record is not None:
                    if record["endpoint"] != endpoint:
                        raise idempotency_endpoint(key, record["endpoint"], endpoint)
                    if record["params"] != canonical:
                        raise idempotency_params(key)
                    return (
                        record["status"],
                        bytes(record["body"]),
                        [
                            ("Idempotent-Replayed", "true"),
                            ("Original-Request", record["request_id"]),
                        ],
                    )
            try:
                result = handler(ctx)
                status, obj = result if isinstance(result, tuple) else (200, result)
                obj = expand(ctx, obj, parse_expand(ctx.params))
                body = (json.dumps(obj, indent=2) + "\n").encode()
            except StripeError as error:
                if not error.persist:
                    raise
                status, body = error.status, (json.dumps(error.body(), indent=2) + "\n").encode()
            if key:
                store.execute(
                    "INSERT INTO idempotency (account, key, endpoint, params, status, body, "
                    "request_id, created) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                    (
                        ctx.account,
                        key,
                        endpoint,
                        canonical,
                        status,
                        body,
                        ctx.request_id,
                        self.now(),
                    ),
                )
            return status, body, []

    # -- /_sandbox ------------------------------------------------------------------------------

    def _register_sandbox_routes(self) -> None:
        r = self.sandbox_router
        r.add("GET", "/_sandbox/health")(lambda req, p: {"ok": True})
        r.add("POST", "/_sandbox/reset")(self._sandbox_reset)
        r.add("GET", "/_sandbox/state")(self._sandbox_state)
        r.add("GET", "/_sandbox/objects")(self._sandbox_objects)
        r.add("GET", "/_sandbox/objects/{id}")(self._sandbox_object)
        r.add("GET", "/_sandbox/balances/{account}")(self._sandbox_balance)
        r.add("GET", "/_sandbox/deliveries")(self._sandbox_deliveries)
        r.add("POST", "/_sandbox/deliveries/retry")(self._sandbox_retry)
        r.add("GET", "/_sandbox/config")(lambda req, p: self.config.public())
        r.add("POST", "/_sandbox/config")(self._sandbox_configure)
        r.add("POST", "/_sandbox/clock/advance")(self._sandbox_advance)
        r.add("POST", "/_sandbox/checkout/{id}/pay")(self._sandbox_pay)
        r.add("POST", "/_sandbox/checkout/{id}/cancel")(self._sandbox_cancel)
        r.add("POST", "/_sandbox/payment_intents/{id}/authenticate")(self._sandbox_authenticate)
        r.add("POST", "/_sandbox/accounts/{id}/onboarding")(self._sandbox_onboarding)

    def handle_sandbox(self, request: Request) -> Response:
        found = self.sandbox_router.match(request.method, request.path)
        if found is None:
            return Response.json(404, unrecognized_url(request.method, request.path).body())
        route, path_params = found
        values: dict[str, Any] = dict(parse_qsl(request.query))
        if request.body:
            text = request.body.decode("utf-8", errors="replace")
            content_type = request.header("content-type") or ""
            if "json" in content_type or text.lstrip().startswith("{"):
                try:
                    values.update(json.loads(text))
                except json.JSONDecodeError:
                    return Response.json(400, invalid("Invalid JSON body").body())
            else:
                values.update(dict(parse_qsl(text, keep_blank_values=True)))
        values["_base_url"] = self.base_url(request)
        try:
            result = route.handler(values, path_params)
        except StripeError as error:
            return Response.json(error.status, error.body())
        except ValueError as error:
            return Response.json(400, invalid(str(error)).body())
        status, payload = result if isinstance(result, tuple) else (200, result)
        return Response.json(status, payload)

    def _sandbox_reset(self, values: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
        self.reset()
        return {"reset": True, "platform_account": self.platform_account_id()}

    def balance_summary(self, account: str) -> dict[str, dict[str, int]]:
        ctx = self.context(account)
        with self.store.transaction():
            return balances(ctx, account)

    def _sandbox_state(self, values: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
        with self.store.transaction():
            accounts = [row.id for row in self.store.find("account", account="")]
            counts = self.store.counts()
            counts = {k: v for k, v in counts.items() if not k.startswith("_")}
            records = self.store.execute(
                "SELECT status, COUNT(*) AS n FROM deliveries GROUP BY status"
            ).fetchall()
            platform = self.platform_account_id()
            by_account = {"platform": balances(self.context(), "")}
            for account in accounts:
                by_account[account] = balances(self.context(account), account)
        return {
            "platform_account": platform,
            "counts": counts,
            "balances": by_account,
            "deliveries": {r["status"]: r["n"] for r in records},
            "config": self.config.public(),
            "now": self.now(),
        }

    def _sandbox_objects(self, values: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
        object_type = values.get("type")
        if not object_type:
            raise ValueError("the `type` query parameter is required")
        account = values.get("account")
        if account == "platform":
            account = ""
        where = {k[len("where.") :]: v for k, v in values.items() if k.startswith("where.")}
        with self.store.transaction():
            rows = self.store.find(
                object_type, account=account, parent=values.get("parent"), where=where
            )
            ctx = self.context()
            data = [present(ctx, row.data) for row in rows]
        return {"data": data}

    def _sandbox_object(self, values: dict[str, Any], path: dict[str, str]):
        with self.store.transaction():
            row = self.store.row(path["id"])
            if row is None:
                return 404, {"error": {"message": f"No such object: {path['id']}"}}
            return {
                "account": row.account or None,
                "parent": row.parent,
                "object": present(self.context(), row.data),
            }

    def _sandbox_balance(self, values: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
        account = "" if path["account"] == "platform" else path["account"]
        return self.balance_summary(account)

    def _sandbox_deliveries(self, values: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
        with self.store.transaction():
            return {"data": webhooks.deliveries(self, **values)}

    def _sandbox_retry(self, values: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
        with self.store.transaction():
            cursor = self.store.execute(
                "UPDATE deliveries SET next_attempt = ? WHERE status = 'pending'", (time.time(),)
            )
        self.deliverer.wake()
        return {"rescheduled": cursor.rowcount}

    def _sandbox_configure(self, values: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
        values.pop("_base_url", None)
        self.config.update(values)
        self.limiter.clear()
        self.deliverer.wake()
        return self.config.public()

    def _sandbox_advance(self, values: dict[str, Any], path: dict[str, str]) -> dict[str, Any]:
        self.config.clock_offset += float(values.get("seconds", 0))
        self.sweep(force=True)
        return {"now": self.now(), "clock_offset": self.config.clock_offset}

    def _sandbox_pay(self, values: dict[str, Any], path: dict[str, str]):
        with self.store.transaction():
            row = self.store.row(path["id"])
            if row is None or row.type != "checkout.session":
                return 404, no_such("checkout.session", path["id"]).body()
            ctx = self.context(row.account, base_url=values["_base_url"])
            session, error = pay_checkout_session(
                ctx, row.data, str(values.get("card") or "visa"), email=values.get("email")
            )
            return self._checkout_result(session, error)

    def _checkout_result(self, session: dict[str, Any], error: StripeError | None):
        pi = self.store.get(session["payment_intent"])
        result: dict[str, Any] = {
            "session": session,
            "payment_intent": pi,
            "redirect": success_redirect(session) if session["status"] == "complete" else None,
        }
        if error is not None:
            result.update(error.body())
            return 402, result
        return result

    def _sandbox_authenticate(self, values: dict[str, Any], path: dict[str, str]):
        """Pass (``succeed``: true, the default) or fail a 3-D Secure challenge, as the
        customer would on the authentication page (or the Checkout page's challenge)."""
        succeed = str(values.get("succeed", "true")).lower() not in ("false", "0", "no")
        with self.store.transaction():
            row = self.store.row(path["id"])
            if row is None or row.type != "payment_intent":
                return 404, no_such("payment_intent", path["id"]).body()
            ctx = self.context(row.account, base_url=values["_base_url"])
            sessions = self.store.find("checkout.session", where={"payment_intent": path["id"]})
            if sessions:
                session, error = authenticate_checkout(ctx, sessions[0].data, succeed=succeed)
                return self._checkout_result(session, error)
            return {"payment_intent": authenticate_payment_intent(ctx, row.data, succeed=succeed)}

    def _sandbox_cancel(self, values: dict[str, Any], path: dict[str, str]):
        with self.store.transaction():
            session = self.store.get(path["id"], "checkout.session")
            if session is None:
                return 404, no_such("checkout.session", path["id"]).body()
            return {"session": session, "redirect": session["cancel_url"]}

    def _sandbox_onboarding(self, values: dict[str, Any], path: dict[str, str]):
        complete = str(values.get("complete", "true")).lower() not in ("false", "0", "no")
        with self.store.transaction():
            if self.store.get(path["id"], "account", "") is None:
                return 404, no_such("account", path["id"]).body()
            ctx = self.context(base_url=values["_base_url"])
            return complete_onboarding(
                ctx,
                path["id"],
                complete=complete,
                account_number=str(values.get("account_number") or "000123456789"),
            )
