"""Errors in Stripe's shape: ``{"error": {"type", "code", "message", "param", ...}}``.

The status codes follow Stripe's, so the official ``stripe`` library raises the same exception
classes it raises against api.stripe.com (400/404 -> InvalidRequestError, 401 ->
AuthenticationError, 402 -> CardError, 403 -> PermissionError, 429 -> RateLimitError, 400 with
type ``idempotency_error`` -> IdempotencyError).
"""

from __future__ import annotations

from typing import Any

DOC_URL = "https://stripe.com/docs/error-codes/{code}"


class StripeError(Exception):
    """An API error answered to the client.

    ``persist`` marks errors raised after the request did its work (a declined card leaves a
    failed Charge and an updated PaymentIntent behind): the transaction is committed and the
    response is stored under the request's idempotency key, as Stripe does.
    """

    def __init__(
        self,
        status: int,
        error_type: str,
        message: str,
        *,
        code: str | None = None,
        param: str | None = None,
        extra: dict[str, Any] | None = None,
        persist: bool = False,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message
        self.code = code
        self.param = param
        self.extra = extra or {}
        self.persist = persist
        self.headers = headers or {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {}
        if self.code:
            error["code"] = self.code
            error["doc_url"] = DOC_URL.format(code=self.code)
        error["message"] = self.message
        if self.param:
            error["param"] = self.param
        error["type"] = self.error_type
        error.update(self.extra)
        return {"error": error}


def invalid(
    message: str,
    *,
    param: str | None = None,
    code: str | None = None,
    status: int = 400,
) -> StripeError:
    return StripeError(status, "invalid_request_error", message, code=code, param=param)


def missing_param(param: str) -> StripeError:
    return invalid(f"Missing required param: {param}.", param=param, code="parameter_missing")


def unknown_param(param: str) -> StripeError:
    return invalid(f"Received unknown parameter: {param}", param=param, code="parameter_unknown")


def unsupported(param: str, detail: str = "") -> StripeError:
    """A real Stripe parameter (or value) that this sandbox does not implement."""
    suffix = f" ({detail})" if detail else ""
    return invalid(
        f"The Likeness Stripe sandbox does not support the parameter {param}{suffix}.",
        param=param,
        code="parameter_unknown",
    )


def no_such(kind: str, object_id: str, *, param: str = "id", status: int = 404) -> StripeError:
    return invalid(
        f"No such {kind}: '{object_id}'", param=param, code="resource_missing", status=status
    )


def unrecognized_url(method: str, path: str) -> StripeError:
    return StripeError(
        404,
        "invalid_request_error",
        f"Unrecognized request URL ({method}: {path}). Please see https://stripe.com/docs or "
        "we can help at https://support.stripe.com/.",
    )


def redact_key(key: str) -> str:
    if len(key) <= 12:
        return key[:8] + "*" * max(len(key) - 8, 0)
    return key[:8] + "*" * (len(key) - 12) + key[-4:]


def authentication_missing() -> StripeError:
    return StripeError(
        401,
        "invalid_request_error",
        "You did not provide an API key. You need to provide your API key in the Authorization "
        "header, using Bearer auth (e.g. 'Authorization: Bearer YOUR_SECRET_KEY'). See "
        "https://stripe.com/docs/api#authentication for details, or we can help at "
        "https://support.stripe.com/.",
    )


def authentication_invalid(key: str) -> StripeError:
    return StripeError(
        401,
        "invalid_request_error",
        f"Invalid API Key provided: {redact_key(key)}",
        code="api_key_invalid" if key else None,
    )


def account_invalid(key: str, account: str) -> StripeError:
    return StripeError(
        403,
        "invalid_request_error",
        f"The provided key '{redact_key(key)}' does not have access to account '{account}' (or "
        "that account does not exist). Application access may have been revoked.",
        code="account_invalid",
    )


def rate_limited() -> StripeError:
    return StripeError(
        429,
        "invalid_request_error",
        "Request rate limit exceeded. Learn more about rate limits here "
        "https://stripe.com/docs/rate-limits.",
        code="rate_limit",
    )


def idempotency_params(key: str) -> StripeError:
    return StripeError(
        400,
        "idempotency_error",
        "Keys for idempotent requests can only be used with the same parameters they were first "
        f"used with. Try using a key other than '{key}' if you meant to execute a different "
        "request.",
    )


def idempotency_endpoint(key: str, first: str, now: str) -> StripeError:
    return StripeError(
        400,
        "idempotency_error",
        "Keys for idempotent requests can only be used for the same endpoint they were first "
        f"used for ('{first}' vs '{now}'). Try using a key other than '{key}' if you meant to "
        "execute a different request.",
    )


def balance_insufficient(*, payout: bool = False) -> StripeError:
    if payout:
        message = (
            "You have insufficient funds in your Stripe account for this transfer. Your card "
            "balance is too low. You can use the /v1/balance endpoint to view your Stripe "
            "balance (for more details, see stripe.com/docs/api#balance)."
        )
    else:
        message = (
            "You have insufficient available funds in your Stripe account. Try adding funds "
            "directly to your available balance by creating Charges using the 4000000000000077 "
            "test card. See: https://stripe.com/docs/testing#available-balance"
        )
    return invalid(message, code="balance_insufficient")


def api_error() -> StripeError:
    return StripeError(500, "api_error", "An unknown error occurred in the Stripe sandbox.")
