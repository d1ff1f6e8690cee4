"""Checks on request parameters that several resources share (amounts, currencies, URLs...).

Each raises Stripe's error for the parameter (:mod:`..errors`); resource-specific rules stay
with their resource.
"""

from __future__ import annotations

import re
from urllib.parse import urlparse

from ..core import Context
from ..errors import invalid, missing_param, unsupported
from ..forms import Params

MIN_AMOUNT = 50
MAX_AMOUNT = 99_999_999


def currency(p: Params, key: str = "currency", *, required: bool = True) -> str | None:
    value = p.string(key, required=required)
    if value is None:
        return None
    if not re.fullmatch(r"[A-Za-z]{3}", value):
        raise invalid(f"Invalid currency: {value}", param=p.name(key))
    return value.lower()


def amount(p: Params, key: str = "amount", *, required: bool = True, minimum: int = 1) -> int:
    value = p.integer(key, required=required)
    if value is None:
        raise missing_param(p.name(key))
    if value < minimum:
        if minimum == MIN_AMOUNT:
            raise invalid(
                f"Amount must be at least {minimum} cents",
                param=p.name(key),
                code="amount_too_small",
            )
        raise invalid(
            f"Invalid {key}: must be at least {minimum}",
            param=p.name(key),
            code="parameter_invalid_integer",
        )
    if value > MAX_AMOUNT:
        raise invalid(
            f"Amount must be no more than {MAX_AMOUNT}", param=p.name(key), code="amount_too_large"
        )
    return value


def url_param(p: Params, key: str, *, required: bool = False) -> str | None:
    value = p.string(key, required=required, max_length=5000)
    if value is None:
        return None
    parsed = urlparse(value)
    if parsed.scheme not in ("http", "https") or not parsed.netloc:
        raise invalid("Not a valid URL", param=p.name(key), code="url_invalid")
    return value


def require_platform(ctx: Context, what: str) -> None:
    if ctx.account:
        raise invalid(
            f"{what} can only be made by the platform account (without a Stripe-Account "
            "header) in this sandbox.",
        )


def accept(p: Params, *supported: str, unsupported: tuple[str, ...] = ()) -> Params:
    """Refuse unknown parameters (``parameter_unknown``), then real Stripe parameters the sandbox
    does not implement (``unsupported``: they would change the outcome)."""
    p.allow(*supported, *unsupported)
    reject_unsupported(p, *unsupported)
    return p


def reject_unsupported(p: Params, *names: str) -> None:
    for name in names:
        if name in p:
            raise unsupported(p.name(name))


def payment_method_types(p: Params) -> bool:
    """Validate ``payment_method_types``; returns whether automatic payment methods apply."""
    types = p.strings("payment_method_types")
    if types and types != ["card"]:
        raise unsupported(p.name("payment_method_types"), "only card is supported")
    return not types
