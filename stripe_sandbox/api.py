"""The ``/v1`` resources: handlers, object builders and the money movements behind them.

Every handler runs inside one store transaction (see :mod:`.app`) and returns the JSON object
(or ``(status, object)``); raising :class:`~.errors.StripeError` answers a Stripe-shaped error.
"""

from __future__ import annotations

import copy
import re
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlparse

from . import webhooks
from .cards import TOKENS, TestCard, lookup
from .core import Context, Router, new_id, random_token
from .errors import (
    StripeError,
    balance_insufficient,
    invalid,
    missing_param,
    no_such,
    unsupported,
)
from .forms import Params
from .store import Like

router = Router()
GET = lambda pattern: router.add("GET", pattern)  # noqa: E731
POST = lambda pattern: router.add("POST", pattern)  # noqa: E731
DELETE = lambda pattern: router.add("DELETE", pattern)  # noqa: E731

MIN_AMOUNT = 50
MAX_AMOUNT = 99_999_999

LABELS = {
    "payment_method": "PaymentMethod",
    "checkout.session": "checkout.session",
    "balance_transaction": "balance transaction",
    "transfer_reversal": "transfer reversal",
    "webhook_endpoint": "webhook endpoint",
}

# -------------------------------------------------------------------------------------------------
# helpers


def label(object_type: str) -> str:
    return LABELS.get(object_type, object_type)


def fetch(
    ctx: Context,
    object_type: str,
    object_id: str,
    *,
    param: str = "id",
    status: int = 404,
    account: str | None = None,
) -> dict[str, Any]:
    owner = ctx.account if account is None else account
    obj = ctx.store.get(object_id, object_type, owner)
    if obj is None:
        raise no_such(label(object_type), object_id, param=param, status=status)
    return obj


def diff(before: dict[str, Any], after: dict[str, Any]) -> dict[str, Any]:
    return {k: before.get(k) for k in after if before.get(k) != after.get(k)}


def emit(
    ctx: Context,
    event_type: str,
    obj: dict[str, Any],
    *,
    previous: dict[str, Any] | None = None,
    account: str | None = None,
) -> None:
    webhooks.emit(
        ctx,
        event_type,
        present(ctx, obj),
        previous=previous,
        account=ctx.account if account is None else account,
    )


def present(ctx: Context, obj: dict[str, Any]) -> dict[str, Any]:
    """The public form of a stored object: derived sub-lists filled in."""
    obj = copy.deepcopy(obj)
    kind = obj.get("object")
    if kind == "charge":
        obj["refunds"] = embedded_list(ctx, "refund", obj["id"], f"/v1/charges/{obj['id']}/refunds")
    elif kind == "transfer":
        obj["reversals"] = embedded_list(
            ctx, "transfer_reversal", obj["id"], f"/v1/transfers/{obj['id']}/reversals"
        )
    elif kind == "account" and obj["id"] != platform_id(ctx):
        obj["external_accounts"] = embedded_list(
            ctx, "bank_account", obj["id"], f"/v1/accounts/{obj['id']}/external_accounts"
        )
    return obj


def embedded_list(ctx: Context, object_type: str, parent: str, url: str) -> dict[str, Any]:
    data, has_more = ctx.store.page(object_type, account=None, parent=parent, limit=10)
    return {"object": "list", "data": data, "has_more": has_more, "url": url}


def list_response(
    ctx: Context,
    object_type: str,
    url: str,
    *,
    parent: str | None = None,
    where: dict[str, Any] | None = None,
    account: str | None = None,
    allowed: tuple[str, ...] = (),
    oldest_first: bool = False,
) -> dict[str, Any]:
    p = ctx.params
    p.allow("limit", "starting_after", "ending_before", "created", *allowed)
    limit = p.integer("limit", minimum=1, maximum=100)
    limit = 10 if limit is None else limit
    after_id = p.string("starting_after")
    before_id = p.string("ending_before")
    if after_id and before_id:
        raise invalid(
            "You may only specify one of these parameters: starting_after, ending_before.",
            param="ending_before",
        )
    owner = ctx.account if account is None else account
    cursors: dict[str, int] = {}
    for name, cursor_id in (("starting_after", after_id), ("ending_before", before_id)):
        if cursor_id:
            row = ctx.store.row(cursor_id)
            if row is None or row.type != object_type or row.account != owner:
                raise no_such(label(object_type), cursor_id, param=name, status=400)
            cursors[name] = row.seq
    data, has_more = ctx.store.page(
        object_type,
        account=owner,
        parent=parent,
        where=where,
        created=created_filter(p),
        limit=limit,
        starting_after=cursors.get("starting_after"),
        ending_before=cursors.get("ending_before"),
        oldest_first=oldest_first,
    )
    return {
        "object": "list",
        "data": [present(ctx, item) for item in data],
        "has_more": has_more,
        "url": url,
    }


def created_filter(p: Params) -> dict[str, int] | None:
    value = p.raw("created")
    if value is None or value == "":
        return None
    if isinstance(value, str):
        return {"eq": p.integer("created") or 0}
    sub = p.hash("created")
    assert sub is not None
    sub.allow("gt", "gte", "lt", "lte")
    return {op: n for op in ("gt", "gte", "lt", "lte") if (n := sub.integer(op)) is not None}


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


# -------------------------------------------------------------------------------------------------
# platform account, balances and balance transactions


def platform_id(ctx: Context) -> str:
    return ctx.app.platform_account_id()


def card_fee(ctx: Context, value: int) -> int:
    percent = ctx.config.fee_percent
    variable = (Decimal(value) * percent / Decimal(100)).quantize(Decimal(1), ROUND_HALF_UP)
    return int(variable) + ctx.config.fee_fixed if (percent or ctx.config.fee_fixed) else 0


def balances(ctx: Context, account: str) -> dict[str, dict[str, int]]:
    records = ctx.store.execute(
        "SELECT json_extract(data, '$.currency') AS currency, "
        "SUM(CASE WHEN json_extract(data, '$.available_on') <= ? "
        "THEN json_extract(data, '$.net') ELSE 0 END) AS available, "
        "SUM(CASE WHEN json_extract(data, '$.available_on') > ? "
        "THEN json_extract(data, '$.net') ELSE 0 END) AS pending "
        "FROM objects WHERE type = 'balance_transaction' AND account = ? "
        "GROUP BY currency ORDER BY currency",
        (ctx.now, ctx.now, account),
    ).fetchall()
    return {r["currency"]: {"available": r["available"], "pending": r["pending"]} for r in records}


def available(ctx: Context, account: str, cur: str) -> int:
    return balances(ctx, account).get(cur, {}).get("available", 0)


def add_balance_transaction(
    ctx: Context,
    account: str,
    *,
    value: int,
    cur: str,
    txn_type: str,
    source: str,
    reporting_category: str,
    description: str | None = None,
    fee: int = 0,
) -> dict[str, Any]:
    fee_details = []
    if fee:
        fee_details.append(
            {
                "amount": fee,
                "application": None,
                "currency": cur,
                "description": "Stripe processing fees",
                "type": "stripe_fee",
            }
        )
    txn = {
        "id": new_id("txn"),
        "object": "balance_transaction",
        "amount": value,
        "available_on": ctx.now,
        "balance_type": "payments",
        "created": ctx.now,
        "currency": cur,
        "description": description,
        "exchange_rate": None,
        "fee": fee,
        "fee_details": fee_details,
        "net": value - fee,
        "reporting_category": reporting_category,
        "source": source,
        "status": "available",
        "type": txn_type,
    }
    return ctx.store.insert(txn, account=account)


@GET("/v1/balance")
def balance_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    amounts = balances(ctx, ctx.account) or {default_currency(ctx): {"available": 0, "pending": 0}}
    obj: dict[str, Any] = {
        "object": "balance",
        "available": [
            {"amount": v["available"], "currency": c, "source_types": {"card": v["available"]}}
            for c, v in amounts.items()
        ],
        "livemode": False,
        "pending": [
            {"amount": v["pending"], "currency": c, "source_types": {"card": v["pending"]}}
            for c, v in amounts.items()
        ],
    }
    obj["connect_reserved"] = [{"amount": 0, "currency": c} for c in amounts]
    return obj


def default_currency(ctx: Context) -> str:
    if ctx.account:
        account = ctx.store.get(ctx.account, "account")
        if account and account.get("default_currency"):
            return account["default_currency"]
    return "usd"


@GET("/v1/balance_transactions")
def balance_transactions_list(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    where: dict[str, Any] = {}
    for key in ("type", "source", "currency"):
        if (value := p.string(key)) is not None:
            where[key] = value
    reject_unsupported(p, "payout")
    return list_response(
        ctx,
        "balance_transaction",
        "/v1/balance_transactions",
        where=where,
        allowed=("type", "source", "currency", "payout"),
    )


@GET("/v1/balance_transactions/{id}")
def balance_transactions_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    return fetch(ctx, "balance_transaction", ctx.path["id"])


# -------------------------------------------------------------------------------------------------
# accounts

CURRENTLY_DUE = [
    "business_profile.mcc",
    "business_profile.url",
    "business_type",
    "external_account",
    "representative.first_name",
    "representative.last_name",
    "tos_acceptance.date",
    "tos_acceptance.ip",
]
BUSINESS_PROFILE_FIELDS = (
    "mcc",
    "name",
    "product_description",
    "support_email",
    "support_phone",
    "support_url",
    "url",
)


def requirements(due: list[str], disabled_reason: str | None) -> dict[str, Any]:
    return {
        "alternatives": [],
        "current_deadline": None,
        "currently_due": list(due),
        "disabled_reason": disabled_reason,
        "errors": [],
        "eventually_due": list(due),
        "past_due": list(due),
        "pending_verification": [],
    }


def business_profile(values: dict[str, Any] | None = None) -> dict[str, Any]:
    profile: dict[str, Any] = {
        "annual_revenue": None,
        "estimated_worker_count": None,
        "mcc": None,
        "minority_owned_business_designation": None,
        "name": None,
        "product_description": None,
        "support_address": None,
        "support_email": None,
        "support_phone": None,
        "support_url": None,
        "url": None,
    }
    profile.update(values or {})
    return profile


def account_settings(display_name: str | None, cur: str) -> dict[str, Any]:
    return {
        "bacs_debit_payments": {"display_name": None, "service_user_number": None},
        "branding": {"icon": None, "logo": None, "primary_color": None, "secondary_color": None},
        "card_issuing": {"tos_acceptance": {"date": None, "ip": None}},
        "card_payments": {
            "decline_on": {"avs_failure": False, "cvc_failure": False},
            "statement_descriptor_prefix": None,
            "statement_descriptor_prefix_kana": None,
            "statement_descriptor_prefix_kanji": None,
        },
        "dashboard": {"display_name": display_name, "timezone": "Etc/UTC"},
        "invoices": {"default_account_tax_ids": None, "hosted_payment_method_save": "offer"},
        "payments": {
            "statement_descriptor": None,
            "statement_descriptor_kana": None,
            "statement_descriptor_kanji": None,
            "statement_descriptor_prefix_kana": None,
            "statement_descriptor_prefix_kanji": None,
        },
        "payouts": {
            "debit_negative_balances": True,
            "schedule": {"delay_days": 2, "interval": "daily"},
            "statement_descriptor": None,
        },
        "sepa_debit_payments": {},
    }


CONTROLLERS = {
    "express": {
        "fees": {"payer": "application"},
        "is_controller": True,
        "losses": {"payments": "application"},
        "requirement_collection": "stripe",
        "stripe_dashboard": {"type": "express"},
        "type": "application",
    },
    "custom": {
        "fees": {"payer": "application"},
        "is_controller": True,
        "losses": {"payments": "application"},
        "requirement_collection": "application",
        "stripe_dashboard": {"type": "none"},
        "type": "application",
    },
    "standard": {
        "is_controller": True,
        "stripe_dashboard": {"type": "full"},
        "type": "account",
    },
}


def build_platform_account(account_id: str, created: int) -> dict[str, Any]:
    return {
        "id": account_id,
        "object": "account",
        "business_profile": business_profile({"name": "Likeness (sandbox platform)"}),
        "business_type": "company",
        "capabilities": {"card_payments": "active", "transfers": "active"},
        "charges_enabled": True,
        "controller": {"type": "account"},
        "country": "US",
        "created": created,
        "default_currency": "usd",
        "details_submitted": True,
        "email": "platform@likeness.test",
        "external_accounts": {
            "object": "list",
            "data": [],
            "has_more": False,
            "url": f"/v1/accounts/{account_id}/external_accounts",
        },
        "future_requirements": requirements([], None),
        "metadata": {},
        "payouts_enabled": True,
        "requirements": requirements([], None),
        "settings": account_settings("Likeness", "usd"),
        "tos_acceptance": {"date": created, "ip": "127.0.0.1", "user_agent": None},
        "type": "standard",
    }


def load_account(ctx: Context, account_id: str, *, param: str = "id", status: int = 404):
    if account_id == platform_id(ctx):
        return ctx.app.platform_account()
    return fetch(ctx, "account", account_id, param=param, status=status, account="")


def apply_capability_requests(
    caps_param: Params | None, capabilities: dict[str, str], onboarded: bool
) -> dict[str, str]:
    result = dict(capabilities)
    if caps_param is None:
        return result
    for name in caps_param.data:
        spec = caps_param.hash(name, required=True)
        assert spec is not None
        spec.allow("requested")
        requested = spec.boolean("requested")
        if requested is None:
            raise missing_param(spec.name("requested"))
        if requested:
            if result.get(name) != "active":
                result[name] = "active" if onboarded else "inactive"
        else:
            result.pop(name, None)
    return result


def profile_updates(p: Params) -> dict[str, Any] | None:
    bp = p.hash("business_profile")
    if bp is None:
        return None
    bp.allow(*BUSINESS_PROFILE_FIELDS)
    return {key: bp.string(key) for key in BUSINESS_PROFILE_FIELDS if key in bp}


@POST("/v1/accounts")
def accounts_create(ctx: Context) -> dict[str, Any]:
    require_platform(ctx, "Creating connected accounts")
    p = ctx.params.allow(
        "type",
        "country",
        "email",
        "capabilities",
        "business_type",
        "business_profile",
        "metadata",
        "default_currency",
        "controller",
        "individual",
        "company",
        "external_account",
        "settings",
        "tos_acceptance",
    )
    for name in ("individual", "company", "external_account", "settings", "tos_acceptance"):
        if name in p:
            raise unsupported(name, "onboarding details are collected on the onboarding page")
    account_type = p.string("type", choices=("custom", "express", "standard"))
    controller = p.hash("controller")
    if account_type is None:
        if controller is None:
            raise missing_param("type")
        dashboard = controller.hash("stripe_dashboard")
        kind = dashboard.string("type") if dashboard else None
        account_type = {"express": "express", "full": "standard", "none": "custom"}.get(
            kind or "", "standard"
        )
    elif controller is not None:
        raise invalid(
            "You cannot specify both `type` and `controller` when creating an account.",
            param="controller",
        )
    country = (p.string("country") or "US").upper()
    if not re.fullmatch(r"[A-Z]{2}", country):
        raise invalid(f"Invalid country: {country}", param="country")
    email = p.string("email")
    business_type = p.string(
        "business_type", choices=("company", "government_entity", "individual", "non_profit")
    )
    capabilities = apply_capability_requests(p.hash("capabilities"), {}, onboarded=False)
    if account_type in ("express", "custom") and not capabilities:
        raise invalid(
            f"{account_type.capitalize()} accounts must request at least one capability, for "
            "example capabilities[transfers][requested]=true.",
            param="capabilities",
        )
    cur = currency(p, "default_currency", required=False) or (
        "usd" if country == "US" else {"GB": "gbp", "CA": "cad", "AU": "aud"}.get(country, "eur")
    )
    account_id = new_id("acct", 16)
    due = list(CURRENTLY_DUE)
    account = {
        "id": account_id,
        "object": "account",
        "business_profile": business_profile(profile_updates(p)),
        "business_type": business_type,
        "capabilities": capabilities,
        "charges_enabled": False,
        "controller": copy.deepcopy(CONTROLLERS[account_type]),
        "country": country,
        "created": ctx.now,
        "default_currency": cur,
        "details_submitted": False,
        "email": email,
        "external_accounts": {},
        "future_requirements": requirements([], None),
        "metadata": p.metadata(),
        "payouts_enabled": False,
        "requirements": requirements(due, "requirements.past_due"),
        "settings": account_settings(None, cur),
        "tos_acceptance": {"date": None, "ip": None, "user_agent": None},
        "type": account_type,
    }
    ctx.store.insert(account, account="", meta={"onboarded": False})
    return present(ctx, account)


@GET("/v1/accounts")
def accounts_list(ctx: Context) -> dict[str, Any]:
    require_platform(ctx, "Listing connected accounts")
    return list_response(ctx, "account", "/v1/accounts", account="")


@GET("/v1/account")
def account_current(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    if ctx.account:
        return present(ctx, load_account(ctx, ctx.account))
    return ctx.app.platform_account()


@GET("/v1/accounts/{id}")
def accounts_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    return present(ctx, load_account(ctx, ctx.path["id"]))


@POST("/v1/accounts/{id}")
def accounts_update(ctx: Context) -> dict[str, Any]:
    account = fetch(ctx, "account", ctx.path["id"], account="")
    row = ctx.store.row(account["id"])
    assert row is not None
    p = ctx.params.allow(
        "metadata", "email", "business_profile", "capabilities", "default_currency", "business_type"
    )
    before = copy.deepcopy(account)
    if "email" in p:
        account["email"] = p.string("email")
    if (updates := profile_updates(p)) is not None:
        account["business_profile"].update(updates)
    if "business_type" in p:
        account["business_type"] = p.string(
            "business_type", choices=("company", "government_entity", "individual", "non_profit")
        )
    if "default_currency" in p:
        account["default_currency"] = currency(p, "default_currency")
    account["capabilities"] = apply_capability_requests(
        p.hash("capabilities"), account["capabilities"], bool(row.meta.get("onboarded"))
    )
    account["metadata"] = p.metadata(account["metadata"])
    refresh_account_status(account, onboarded=bool(row.meta.get("onboarded")))
    ctx.store.save(account)
    previous = diff(before, account)
    if previous:
        emit(ctx, "account.updated", account, previous=previous, account=account["id"])
    return present(ctx, account)


def refresh_account_status(account: dict[str, Any], *, onboarded: bool) -> None:
    caps = account["capabilities"]
    account["charges_enabled"] = onboarded and caps.get("card_payments") == "active"
    account["payouts_enabled"] = onboarded and any(v == "active" for v in caps.values())


@DELETE("/v1/accounts/{id}")
def accounts_delete(ctx: Context) -> dict[str, Any]:
    require_platform(ctx, "Deleting connected accounts")
    account = fetch(ctx, "account", ctx.path["id"], account="")
    ctx.store.delete(account["id"])
    return {"id": account["id"], "object": "account", "deleted": True}


@GET("/v1/accounts/{id}/external_accounts")
def external_accounts_list(ctx: Context) -> dict[str, Any]:
    account = load_account(ctx, ctx.path["id"])
    return list_response(
        ctx,
        "bank_account",
        f"/v1/accounts/{account['id']}/external_accounts",
        parent=account["id"],
        account=account["id"],
        allowed=("object",),
    )


def complete_onboarding(ctx: Context, account_id: str, *, complete: bool) -> dict[str, Any]:
    """What the hosted onboarding page does when the user finishes (or leaves) it."""
    account = fetch(ctx, "account", account_id, account="")
    row = ctx.store.row(account_id)
    assert row is not None
    if not complete or row.meta.get("onboarded"):
        return present(ctx, account)
    before = present(ctx, account)
    account["details_submitted"] = True
    account["capabilities"] = dict.fromkeys(account["capabilities"], "active")
    account["requirements"] = requirements([], None)
    account["future_requirements"] = requirements([], None)
    account["tos_acceptance"] = {"date": ctx.now, "ip": "127.0.0.1", "user_agent": "sandbox"}
    if account["business_type"] is None:
        account["business_type"] = "individual"
    profile = account["business_profile"]
    profile["mcc"] = profile["mcc"] or "7299"
    profile["url"] = profile["url"] or "https://likeness.test"
    refresh_account_status(account, onboarded=True)
    ctx.store.save(account)
    ctx.store.save_meta(account_id, {**row.meta, "onboarded": True})
    bank = {
        "id": new_id("ba"),
        "object": "bank_account",
        "account": account_id,
        "account_holder_name": profile.get("name"),
        "account_holder_type": "individual",
        "account_type": None,
        "available_payout_methods": ["standard"],
        "bank_name": "STRIPE TEST BANK",
        "country": account["country"],
        "currency": account["default_currency"],
        "customer": None,
        "default_for_currency": True,
        "fingerprint": random_token(16),
        "last4": "6789",
        "metadata": {},
        "routing_number": "110000000",
        "status": "new",
    }
    ctx.store.insert(bank, account=account_id, parent=account_id)
    after = present(ctx, account)
    emit(ctx, "account.external_account.created", bank, account=account_id)
    emit(ctx, "account.updated", after, previous=diff(before, after), account=account_id)
    return after


@POST("/v1/accounts/{id}/login_links")
def login_links_create(ctx: Context) -> dict[str, Any]:
    require_platform(ctx, "Creating login links")
    account = fetch(ctx, "account", ctx.path["id"], account="")
    ctx.params.allow()
    if account["type"] != "express":
        raise invalid("Login links can only be created for Express accounts.", param="account")
    if not account["details_submitted"]:
        raise invalid(
            "Cannot create a login link for an account that has not completed onboarding.",
            param="account",
        )
    return {
        "object": "login_link",
        "created": ctx.now,
        "url": f"{ctx.base_url}/express/{account['id']}",
    }


@POST("/v1/account_links")
def account_links_create(ctx: Context) -> dict[str, Any]:
    require_platform(ctx, "Creating account links")
    p = ctx.params.allow(
        "account", "type", "refresh_url", "return_url", "collect", "collection_options"
    )
    account_id = p.string("account", required=True)
    assert account_id is not None
    link_type = p.string("type", required=True, choices=("account_onboarding", "account_update"))
    refresh_url = url_param(p, "refresh_url", required=True)
    return_url = url_param(p, "return_url", required=True)
    if account_id == platform_id(ctx):
        raise invalid("You cannot create an account link for the platform itself.", param="account")
    account = fetch(ctx, "account", account_id, param="account", status=400, account="")
    token = random_token(24)
    expires_at = ctx.now + 300
    ctx.store.insert(
        {
            "id": f"link_{token}",
            "object": "_account_link",
            "account": account["id"],
            "type": link_type,
            "refresh_url": refresh_url,
            "return_url": return_url,
            "expires_at": expires_at,
            "used": False,
        },
        account="",
    )
    return {
        "object": "account_link",
        "created": ctx.now,
        "expires_at": expires_at,
        "url": f"{ctx.base_url}/connect/onboarding/{token}",
    }


# -------------------------------------------------------------------------------------------------
# payment methods, payment intents, charges


def payment_method_for(ctx: Context, spec: str, *, param: str) -> tuple[dict[str, Any], TestCard]:
    """A PaymentMethod from a test id (``pm_card_visa``), a token, or an existing ``pm_``."""
    card = lookup(spec) if (spec in TOKENS or not spec.startswith(("pm_", "tok_"))) else None
    if card is None:
        row = ctx.store.row(spec)
        if row is None or row.type != "payment_method" or row.account != ctx.account:
            if spec.startswith("tok_"):
                raise no_such("token", spec, param=param, status=400)
            raise no_such("PaymentMethod", spec, param=param, status=400)
        found = lookup(row.meta["number"])
        assert found is not None
        return row.data, found
    pm = {
        "id": new_id("pm"),
        "object": "payment_method",
        "allow_redisplay": "unspecified",
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "card": {
            "brand": card.brand,
            "checks": {
                "address_line1_check": None,
                "address_postal_code_check": None,
                "cvc_check": "unchecked",
            },
            "country": "US",
            "display_brand": card.brand,
            "exp_month": 12,
            "exp_year": 2034,
            "fingerprint": card.fingerprint,
            "funding": card.funding,
            "generated_from": None,
            "last4": card.last4,
            "networks": {"available": [card.brand], "preferred": None},
            "regulated_status": "unregulated",
            "three_d_secure_usage": {"supported": True},
            "wallet": None,
        },
        "created": ctx.now,
        "customer": None,
        "customer_account": None,
        "livemode": False,
        "metadata": {},
        "type": "card",
    }
    ctx.store.insert(pm, account=ctx.account, meta={"number": card.number})
    return pm, card


@GET("/v1/payment_methods/{id}")
def payment_methods_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    return fetch(ctx, "payment_method", ctx.path["id"])


def new_payment_intent(
    ctx: Context,
    *,
    value: int,
    cur: str,
    metadata: dict[str, str],
    description: str | None = None,
    transfer_group: str | None = None,
    capture_method: str = "automatic",
    receipt_email: str | None = None,
    statement_descriptor: str | None = None,
    statement_descriptor_suffix: str | None = None,
    automatic_payment_methods: bool = True,
) -> dict[str, Any]:
    pi_id = new_id("pi")
    pi = {
        "id": pi_id,
        "object": "payment_intent",
        "amount": value,
        "amount_capturable": 0,
        "amount_details": {"tip": {}},
        "amount_received": 0,
        "application": None,
        "application_fee_amount": None,
        "automatic_payment_methods": {"allow_redirects": "always", "enabled": True}
        if automatic_payment_methods
        else None,
        "canceled_at": None,
        "cancellation_reason": None,
        "capture_method": capture_method,
        "client_secret": f"{pi_id}_secret_{random_token(25)}",
        "confirmation_method": "automatic",
        "created": ctx.now,
        "currency": cur,
        "customer": None,
        "customer_account": None,
        "description": description,
        "excluded_payment_method_types": None,
        "last_payment_error": None,
        "latest_charge": None,
        "livemode": False,
        "managed_payments": None,
        "metadata": metadata,
        "next_action": None,
        "on_behalf_of": None,
        "payment_method": None,
        "payment_method_configuration_details": None,
        "payment_method_options": {
            "card": {
                "installments": None,
                "mandate_options": None,
                "network": None,
                "request_three_d_secure": "automatic",
            }
        },
        "payment_method_types": ["card"],
        "processing": None,
        "receipt_email": receipt_email,
        "review": None,
        "setup_future_usage": None,
        "shipping": None,
        "source": None,
        "statement_descriptor": statement_descriptor,
        "statement_descriptor_suffix": statement_descriptor_suffix,
        "status": "requires_payment_method",
        "transfer_data": None,
        "transfer_group": transfer_group,
    }
    ctx.store.insert(pi, account=ctx.account)
    emit(ctx, "payment_intent.created", pi)
    return pi


def build_charge(
    ctx: Context,
    *,
    value: int,
    cur: str,
    card: TestCard,
    pm_id: str | None,
    pi: dict[str, Any] | None,
    description: str | None,
    metadata: dict[str, str],
    transfer_group: str | None,
    receipt_email: str | None,
    capture: bool,
) -> dict[str, Any]:
    declined = card.declines
    charge_id = new_id("ch")
    charge = {
        "id": charge_id,
        "object": "charge",
        "amount": value,
        "amount_captured": value if capture and not declined else 0,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": None,
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": "LIKENESS",
        "captured": capture and not declined,
        "created": ctx.now,
        "currency": cur,
        "customer": None,
        "description": description,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": card.error_code if declined else None,
        "failure_message": card.message if declined else None,
        "fraud_details": {},
        "livemode": False,
        "metadata": dict(metadata),
        "on_behalf_of": None,
        "outcome": {
            "advice_code": None,
            "network_advice_code": None,
            "network_decline_code": None,
            "network_status": "declined_by_network" if declined else "approved_by_network",
            "reason": card.decline_code,
            "risk_level": "normal",
            "risk_score": 32,
            "seller_message": "The bank did not return any further details with this decline."
            if declined
            else "Payment complete.",
            "type": "issuer_declined" if declined else "authorized",
        },
        "paid": not declined,
        "payment_intent": pi["id"] if pi else None,
        "payment_method": pm_id,
        "payment_method_details": {
            "card": {
                "amount_authorized": None if declined else value,
                "authorization_code": None if declined else random_token(6).upper(),
                "brand": card.brand,
                "checks": {
                    "address_line1_check": None,
                    "address_postal_code_check": None,
                    "cvc_check": "fail" if card.decline_code == "incorrect_cvc" else "pass",
                },
                "country": "US",
                "exp_month": 12,
                "exp_year": 2034,
                "extended_authorization": {"status": "disabled"},
                "fingerprint": card.fingerprint,
                "funding": card.funding,
                "incremental_authorization": {"status": "unavailable"},
                "installments": None,
                "last4": card.last4,
                "mandate": None,
                "multicapture": {"status": "unavailable"},
                "network": card.brand,
                "network_token": {"used": False},
                "network_transaction_id": random_token(15),
                "overcapture": {"maximum_amount_capturable": value, "status": "unavailable"},
                "regulated_status": "unregulated",
                "three_d_secure": None,
                "wallet": None,
            },
            "type": "card",
        },
        "receipt_email": receipt_email,
        "receipt_number": None,
        "receipt_url": f"{ctx.base_url}/receipts/{charge_id}",
        "refunded": False,
        "refunds": {},
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": None,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "failed" if declined else "succeeded",
        "transfer_data": None,
        "transfer_group": transfer_group,
    }
    ctx.store.insert(charge, account=ctx.account)
    if capture and not declined:
        settle_charge(ctx, charge)
    return charge


def settle_charge(ctx: Context, charge: dict[str, Any]) -> None:
    """Credit the captured amount (minus Stripe's fee) to the balance of the charge's owner."""
    captured = charge["amount_captured"]
    txn = add_balance_transaction(
        ctx,
        ctx.account,
        value=captured,
        cur=charge["currency"],
        txn_type="charge",
        source=charge["id"],
        reporting_category="charge",
        description=charge["description"],
        fee=card_fee(ctx, captured),
    )
    charge["balance_transaction"] = txn["id"]
    ctx.store.save(charge)


def card_error(
    card: TestCard,
    *,
    charge: dict[str, Any],
    pi: dict[str, Any] | None,
    pm: dict[str, Any] | None,
    ctx: Context,
) -> StripeError:
    extra: dict[str, Any] = {"charge": charge["id"], "decline_code": card.decline_code}
    if pi is not None:
        extra["payment_intent"] = present(ctx, pi)
    if pm is not None:
        extra["payment_method"] = pm
    return StripeError(
        402,
        "card_error",
        card.message,
        code=card.error_code,
        extra=extra,
        persist=True,
    )


def confirm_payment_intent(ctx: Context, pi: dict[str, Any], pm_spec: str | None) -> dict:
    if pi["status"] not in ("requires_payment_method", "requires_confirmation"):
        if pi["status"] == "succeeded":
            message = (
                "You cannot confirm this PaymentIntent because it has already succeeded after "
                "being previously confirmed."
            )
        else:
            message = (
                "You cannot confirm this PaymentIntent because it has a status of "
                f"{pi['status']}. Only a PaymentIntent with one of the following statuses may "
                "be confirmed: requires_payment_method, requires_confirmation, requires_action."
            )
        raise invalid(message, code="payment_intent_unexpected_state")
    pm_spec = pm_spec or pi["payment_method"]
    if not pm_spec:
        raise invalid(
            "You cannot confirm this PaymentIntent because it's missing a payment method. To "
            "confirm the PaymentIntent with a payment method, pass `payment_method`.",
            code="payment_intent_unexpected_state",
        )
    pm, card = payment_method_for(ctx, pm_spec, param="payment_method")
    manual = pi["capture_method"] == "manual"
    charge = build_charge(
        ctx,
        value=pi["amount"],
        cur=pi["currency"],
        card=card,
        pm_id=pm["id"],
        pi=pi,
        description=pi["description"],
        metadata=pi["metadata"],
        transfer_group=pi["transfer_group"],
        receipt_email=pi["receipt_email"],
        capture=not manual,
    )
    pi["latest_charge"] = charge["id"]
    if card.declines:
        pi["status"] = "requires_payment_method"
        pi["payment_method"] = None
        pi["last_payment_error"] = {
            "advice_code": None,
            "charge": charge["id"],
            "code": card.error_code,
            "decline_code": card.decline_code,
            "doc_url": f"https://stripe.com/docs/error-codes/{card.error_code}",
            "message": card.message,
            "network_advice_code": None,
            "network_decline_code": None,
            "param": None,
            "payment_method": pm,
            "payment_method_type": "card",
            "type": "card_error",
        }
        ctx.store.save(pi)
        emit(ctx, "charge.failed", charge)
        emit(ctx, "payment_intent.payment_failed", pi)
        raise card_error(card, charge=charge, pi=pi, pm=pm, ctx=ctx)
    pi["payment_method"] = pm["id"]
    pi["last_payment_error"] = None
    if manual:
        pi["status"] = "requires_capture"
        pi["amount_capturable"] = pi["amount"]
        ctx.store.save(pi)
        emit(ctx, "charge.succeeded", charge)
        emit(ctx, "payment_intent.amount_capturable_updated", pi)
    else:
        pi["status"] = "succeeded"
        pi["amount_received"] = pi["amount"]
        ctx.store.save(pi)
        emit(ctx, "charge.succeeded", charge)
        emit(ctx, "payment_intent.succeeded", pi)
    return pi


PI_CREATE = (
    "amount",
    "currency",
    "payment_method",
    "confirm",
    "metadata",
    "description",
    "transfer_group",
    "payment_method_types",
    "automatic_payment_methods",
    "capture_method",
    "receipt_email",
    "statement_descriptor",
    "statement_descriptor_suffix",
    "return_url",
    "off_session",
    "error_on_requires_action",
    "confirmation_method",
    "use_stripe_sdk",
    "customer",
    "on_behalf_of",
    "transfer_data",
    "application_fee_amount",
    "setup_future_usage",
)


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


@POST("/v1/payment_intents")
def payment_intents_create(ctx: Context) -> dict[str, Any]:
    p = ctx.params.allow(*PI_CREATE)
    reject_unsupported(
        p,
        "customer",
        "on_behalf_of",
        "transfer_data",
        "application_fee_amount",
        "setup_future_usage",
    )
    value = amount(p, minimum=MIN_AMOUNT)
    cur = currency(p)
    assert cur is not None
    automatic = payment_method_types(p)
    apm = p.hash("automatic_payment_methods")
    if apm is not None:
        apm.allow("enabled", "allow_redirects")
        automatic = bool(apm.boolean("enabled", default=True))
    p.string("confirmation_method", choices=("automatic", "manual"))
    pi = new_payment_intent(
        ctx,
        value=value,
        cur=cur,
        metadata=p.metadata(),
        description=p.string("description"),
        transfer_group=p.string("transfer_group"),
        capture_method=p.string(
            "capture_method", choices=("automatic", "automatic_async", "manual")
        )
        or "automatic_async",
        receipt_email=p.string("receipt_email"),
        statement_descriptor=p.string("statement_descriptor", max_length=22),
        statement_descriptor_suffix=p.string("statement_descriptor_suffix", max_length=22),
        automatic_payment_methods=automatic,
    )
    pm_spec = p.string("payment_method")
    if pm_spec:
        pm, _card = payment_method_for(ctx, pm_spec, param="payment_method")
        pi["payment_method"] = pm["id"]
        pi["status"] = "requires_confirmation"
        ctx.store.save(pi)
    if p.boolean("confirm"):
        confirm_payment_intent(ctx, pi, None)
    return present(ctx, pi)


@GET("/v1/payment_intents")
def payment_intents_list(ctx: Context) -> dict[str, Any]:
    reject_unsupported(ctx.params, "customer")
    return list_response(ctx, "payment_intent", "/v1/payment_intents", allowed=("customer",))


@GET("/v1/payment_intents/{id}")
def payment_intents_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow("client_secret")
    return fetch(ctx, "payment_intent", ctx.path["id"])


@POST("/v1/payment_intents/{id}")
def payment_intents_update(ctx: Context) -> dict[str, Any]:
    pi = fetch(ctx, "payment_intent", ctx.path["id"])
    p = ctx.params.allow(
        "amount",
        "currency",
        "description",
        "metadata",
        "payment_method",
        "receipt_email",
        "transfer_group",
        "statement_descriptor",
        "statement_descriptor_suffix",
    )
    open_states = ("requires_payment_method", "requires_confirmation", "requires_action")
    money_fields = {"amount", "currency", "payment_method", "transfer_group"} & set(p.data)
    if money_fields and pi["status"] not in open_states:
        raise invalid(
            f"You cannot update this PaymentIntent because it has a status of {pi['status']}.",
            code="payment_intent_unexpected_state",
        )
    if "amount" in p:
        pi["amount"] = amount(p, minimum=MIN_AMOUNT)
    if "currency" in p:
        pi["currency"] = currency(p)
    for key in ("description", "receipt_email", "transfer_group"):
        if key in p:
            pi[key] = p.string(key)
    for key in ("statement_descriptor", "statement_descriptor_suffix"):
        if key in p:
            pi[key] = p.string(key, max_length=22)
    if "payment_method" in p:
        spec = p.string("payment_method")
        if spec:
            pm, _card = payment_method_for(ctx, spec, param="payment_method")
            pi["payment_method"] = pm["id"]
            pi["status"] = "requires_confirmation"
        else:
            pi["payment_method"] = None
            pi["status"] = "requires_payment_method"
    pi["metadata"] = p.metadata(pi["metadata"])
    ctx.store.save(pi)
    return present(ctx, pi)


@POST("/v1/payment_intents/{id}/confirm")
def payment_intents_confirm(ctx: Context) -> dict[str, Any]:
    pi = fetch(ctx, "payment_intent", ctx.path["id"])
    p = ctx.params.allow(
        "payment_method",
        "return_url",
        "off_session",
        "receipt_email",
        "error_on_requires_action",
        "use_stripe_sdk",
    )
    if "receipt_email" in p:
        pi["receipt_email"] = p.string("receipt_email")
    confirm_payment_intent(ctx, pi, p.string("payment_method"))
    return present(ctx, pi)


@POST("/v1/payment_intents/{id}/capture")
def payment_intents_capture(ctx: Context) -> dict[str, Any]:
    pi = fetch(ctx, "payment_intent", ctx.path["id"])
    p = ctx.params.allow("amount_to_capture", "metadata", "description")
    if pi["status"] != "requires_capture":
        raise invalid(
            f"This PaymentIntent could not be captured because it has a status of {pi['status']}. "
            "Only a PaymentIntent with one of the following statuses may be captured: "
            "requires_capture.",
            code="payment_intent_unexpected_state",
        )
    to_capture = p.integer("amount_to_capture", minimum=1)
    to_capture = pi["amount_capturable"] if to_capture is None else to_capture
    if to_capture > pi["amount_capturable"]:
        raise invalid(
            f"The amount_to_capture ({to_capture}) is greater than the amount_capturable "
            f"({pi['amount_capturable']}).",
            param="amount_to_capture",
            code="amount_too_large",
        )
    charge = fetch(ctx, "charge", pi["latest_charge"])
    charge["captured"] = True
    charge["amount_captured"] = to_capture
    charge["amount_refunded"] = charge["amount"] - to_capture
    settle_charge(ctx, charge)
    pi["metadata"] = p.metadata(pi["metadata"])
    if "description" in p:
        pi["description"] = p.string("description")
    pi["amount_received"] = to_capture
    pi["amount_capturable"] = 0
    pi["status"] = "succeeded"
    ctx.store.save(pi)
    emit(ctx, "charge.captured", charge)
    emit(ctx, "payment_intent.succeeded", pi)
    return present(ctx, pi)


@POST("/v1/payment_intents/{id}/cancel")
def payment_intents_cancel(ctx: Context) -> dict[str, Any]:
    pi = fetch(ctx, "payment_intent", ctx.path["id"])
    p = ctx.params.allow("cancellation_reason")
    reason = p.string(
        "cancellation_reason",
        choices=("abandoned", "duplicate", "fraudulent", "requested_by_customer"),
    )
    if pi["status"] in ("succeeded", "canceled"):
        raise invalid(
            f"You cannot cancel this PaymentIntent because it has a status of {pi['status']}. "
            "Only a PaymentIntent with one of the following statuses may be canceled: "
            "requires_payment_method, requires_capture, requires_confirmation, requires_action, "
            "processing.",
            code="payment_intent_unexpected_state",
        )
    if pi["status"] == "requires_capture":
        charge = fetch(ctx, "charge", pi["latest_charge"])
        charge["amount_refunded"] = charge["amount"]
        charge["refunded"] = True
        ctx.store.save(charge)
        pi["amount_capturable"] = 0
    pi["status"] = "canceled"
    pi["canceled_at"] = ctx.now
    pi["cancellation_reason"] = reason
    ctx.store.save(pi)
    emit(ctx, "payment_intent.canceled", pi)
    return present(ctx, pi)


@POST("/v1/charges")
def charges_create(ctx: Context) -> dict[str, Any]:
    p = ctx.params.allow(
        "amount",
        "currency",
        "source",
        "description",
        "metadata",
        "transfer_group",
        "receipt_email",
        "capture",
        "customer",
        "on_behalf_of",
        "transfer_data",
        "application_fee_amount",
        "destination",
    )
    reject_unsupported(
        p, "customer", "on_behalf_of", "transfer_data", "application_fee_amount", "destination"
    )
    value = amount(p, minimum=MIN_AMOUNT)
    cur = currency(p)
    assert cur is not None
    source = p.string("source", required=True)
    assert source is not None
    card = lookup(source) if source in TOKENS else None
    if card is None:
        raise no_such("source", source, param="source", status=400)
    if p.boolean("capture") is False:
        raise unsupported("capture", "use a PaymentIntent with capture_method=manual")
    charge = build_charge(
        ctx,
        value=value,
        cur=cur,
        card=card,
        pm_id=None,
        pi=None,
        description=p.string("description"),
        metadata=p.metadata(),
        transfer_group=p.string("transfer_group"),
        receipt_email=p.string("receipt_email"),
        capture=True,
    )
    if card.declines:
        emit(ctx, "charge.failed", charge)
        raise card_error(card, charge=charge, pi=None, pm=None, ctx=ctx)
    emit(ctx, "charge.succeeded", charge)
    return present(ctx, charge)


@GET("/v1/charges")
def charges_list(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    where = {}
    for key in ("payment_intent", "transfer_group"):
        if (value := p.string(key)) is not None:
            where[key] = value
    reject_unsupported(p, "customer")
    return list_response(
        ctx,
        "charge",
        "/v1/charges",
        where=where,
        allowed=("payment_intent", "transfer_group", "customer"),
    )


@GET("/v1/charges/{id}")
def charges_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    return present(ctx, fetch(ctx, "charge", ctx.path["id"]))


@POST("/v1/charges/{id}")
def charges_update(ctx: Context) -> dict[str, Any]:
    charge = fetch(ctx, "charge", ctx.path["id"])
    p = ctx.params.allow("metadata", "description", "receipt_email", "transfer_group")
    before = copy.deepcopy(charge)
    for key in ("description", "receipt_email"):
        if key in p:
            charge[key] = p.string(key)
    if "transfer_group" in p:
        if charge["transfer_group"]:
            raise invalid(
                "The transfer_group of a charge can only be set once.", param="transfer_group"
            )
        charge["transfer_group"] = p.string("transfer_group")
    charge["metadata"] = p.metadata(charge["metadata"])
    ctx.store.save(charge)
    previous = diff(before, charge)
    if previous:
        emit(ctx, "charge.updated", charge, previous=previous)
    return present(ctx, charge)


@GET("/v1/charges/{id}/refunds")
def charge_refunds_list(ctx: Context) -> dict[str, Any]:
    charge = fetch(ctx, "charge", ctx.path["id"])
    return list_response(ctx, "refund", f"/v1/charges/{charge['id']}/refunds", parent=charge["id"])


# -------------------------------------------------------------------------------------------------
# refunds


def new_refund(
    ctx: Context,
    charge: dict[str, Any],
    value: int,
    *,
    account: str,
    reason: str | None = None,
    metadata: dict[str, str] | None = None,
    txn_type: str = "refund",
    prefix: str = "re",
) -> dict[str, Any]:
    refund_id = new_id(prefix)
    txn = add_balance_transaction(
        ctx,
        account,
        value=-value,
        cur=charge["currency"],
        txn_type=txn_type,
        source=refund_id,
        reporting_category="refund",
        description="REFUND FOR CHARGE" if txn_type == "refund" else "REFUND FOR PAYMENT",
    )
    refund = {
        "id": refund_id,
        "object": "refund",
        "amount": value,
        "balance_transaction": txn["id"],
        "charge": charge["id"],
        "created": ctx.now,
        "currency": charge["currency"],
        "customer": None,
        "customer_account": None,
        "destination_details": {
            "card": {
                "reference": random_token(10),
                "reference_status": "available",
                "reference_type": "acquirer_reference_number",
                "type": "refund",
            },
            "type": "card",
        }
        if charge["payment_method_details"]["type"] == "card"
        else None,
        "metadata": metadata or {},
        "payment_intent": charge["payment_intent"],
        "payment_method": charge["payment_method"],
        "reason": reason,
        "receipt_number": None,
        "source_transfer_reversal": None,
        "status": "succeeded",
        "transfer_reversal": None,
    }
    ctx.store.insert(refund, account=account, parent=charge["id"])
    charge["amount_refunded"] += value
    charge["refunded"] = charge["amount_refunded"] >= charge["amount"]
    ctx.store.save(charge)
    return refund


@POST("/v1/refunds")
def refunds_create(ctx: Context) -> dict[str, Any]:
    p = ctx.params.allow(
        "charge",
        "payment_intent",
        "amount",
        "reason",
        "metadata",
        "refund_application_fee",
        "reverse_transfer",
        "instructions_email",
        "origin",
    )
    reject_unsupported(p, "reverse_transfer", "refund_application_fee", "origin")
    charge_id = p.string("charge")
    pi_id = p.string("payment_intent")
    if charge_id and pi_id:
        raise invalid(
            "You can only specify one of these parameters: charge, payment_intent.",
            param="payment_intent",
        )
    if pi_id:
        pi = fetch(ctx, "payment_intent", pi_id, param="payment_intent", status=400)
        if pi["status"] != "succeeded" or not pi["latest_charge"]:
            raise invalid(
                f"This PaymentIntent ({pi_id}) does not have a successful charge to refund.",
                param="payment_intent",
                code="charge_not_refundable",
            )
        charge_id = pi["latest_charge"]
    if not charge_id:
        raise invalid(
            "One of the following params should be provided for this request: payment_intent "
            "or charge.",
        )
    charge = fetch(ctx, "charge", charge_id, param="charge", status=400)
    if charge["status"] != "succeeded" or not charge["captured"]:
        raise invalid(
            f"Charge {charge['id']} cannot be refunded because it has not succeeded or was not "
            "captured.",
            param="charge",
            code="charge_not_refundable",
        )
    # Uncaptured parts of a charge count as refunded already (as in Stripe).
    remaining = charge["amount"] - charge["amount_refunded"]
    if remaining <= 0:
        raise invalid(
            f"Charge {charge['id']} has already been refunded.", code="charge_already_refunded"
        )
    value = p.integer("amount", minimum=1)
    value = remaining if value is None else value
    if value > remaining:
        raise invalid(
            f"Refund amount ({value}) is greater than unrefunded amount on charge ({remaining})",
            param="amount",
            code="amount_too_large",
        )
    before = present(ctx, charge)
    refund = new_refund(
        ctx,
        charge,
        value,
        account=ctx.account,
        reason=p.string("reason", choices=("duplicate", "fraudulent", "requested_by_customer")),
        metadata=p.metadata(),
    )
    after = present(ctx, charge)
    emit(ctx, "refund.created", refund)
    emit(
        ctx,
        "charge.refunded",
        after,
        previous={k: before[k] for k in ("amount_refunded", "refunded", "refunds")},
    )
    return refund


@GET("/v1/refunds")
def refunds_list(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    where = {key: value for key in ("charge", "payment_intent") if (value := p.string(key))}
    return list_response(
        ctx, "refund", "/v1/refunds", where=where, allowed=("charge", "payment_intent")
    )


@GET("/v1/refunds/{id}")
def refunds_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    return fetch(ctx, "refund", ctx.path["id"])


@POST("/v1/refunds/{id}")
def refunds_update(ctx: Context) -> dict[str, Any]:
    refund = fetch(ctx, "refund", ctx.path["id"])
    p = ctx.params.allow("metadata")
    before = copy.deepcopy(refund)
    refund["metadata"] = p.metadata(refund["metadata"])
    ctx.store.save(refund)
    if before != refund:
        emit(ctx, "refund.updated", refund, previous=diff(before, refund))
    return refund


# -------------------------------------------------------------------------------------------------
# transfers and reversals


def transferable(account: dict[str, Any]) -> bool:
    caps = account.get("capabilities") or {}
    return any(caps.get(name) == "active" for name in ("transfers", "crypto_transfers"))


@POST("/v1/transfers")
def transfers_create(ctx: Context) -> dict[str, Any]:
    require_platform(ctx, "Transfers")
    p = ctx.params.allow(
        "amount",
        "currency",
        "destination",
        "transfer_group",
        "source_transaction",
        "metadata",
        "description",
        "source_type",
    )
    value = amount(p)
    cur = currency(p)
    assert cur is not None
    destination_id = p.string("destination", required=True)
    assert destination_id is not None
    if p.string("source_type", choices=("bank_account", "card", "fpx")) not in (None, "card"):
        raise unsupported("source_type", "only card balances exist in the sandbox")
    destination = ctx.store.get(destination_id, "account", "")
    if destination is None:
        raise no_such("destination", destination_id, param="destination", status=400)
    if not transferable(destination):
        raise invalid(
            "Your destination account needs to have at least one of the following capabilities "
            "enabled: transfers, crypto_transfers, legacy_payments",
            code="insufficient_capabilities_for_transfer",
        )
    source_id = p.string("source_transaction")
    if source_id:
        source = ctx.store.get(source_id, "charge", ctx.account)
        if source is None:
            raise no_such("charge", source_id, param="source_transaction", status=400)
        if source["status"] != "succeeded" or not source["captured"]:
            raise invalid(
                f"The source_transaction {source_id} must be a succeeded, captured charge.",
                param="source_transaction",
            )
        if source["currency"] != cur:
            raise invalid(
                f"The currency of source_transaction's balance transaction ({source['currency']}) "
                f"must be the same as the transfer currency ({cur})",
                param="currency",
            )
        already = sum(
            row.data["amount"] - row.data["amount_reversed"]
            for row in ctx.store.find(
                "transfer", account="", where={"source_transaction": source_id}
            )
        )
        left = source["amount_captured"] - source["amount_refunded"] - already
        if value > left:
            raise invalid(
                f"Insufficient funds in source_transaction {source_id}: the transfer amount "
                f"({value}) exceeds what remains of the charge ({left}).",
                param="amount",
                code="balance_insufficient",
            )
    elif available(ctx, ctx.account, cur) < value:
        raise balance_insufficient()
    transfer_id = new_id("tr")
    platform_txn = add_balance_transaction(
        ctx,
        ctx.account,
        value=-value,
        cur=cur,
        txn_type="transfer",
        source=transfer_id,
        reporting_category="transfer",
        description=p.string("description"),
    )
    payment = destination_payment(ctx, destination["id"], transfer_id, value, cur)
    transfer = {
        "id": transfer_id,
        "object": "transfer",
        "amount": value,
        "amount_reversed": 0,
        "balance_transaction": platform_txn["id"],
        "created": ctx.now,
        "currency": cur,
        "description": p.string("description"),
        "destination": destination["id"],
        "destination_payment": payment["id"],
        "livemode": False,
        "metadata": p.metadata(),
        "reversals": {},
        "reversed": False,
        "source_transaction": source_id,
        "source_type": "card",
        "transfer_group": p.string("transfer_group"),
    }
    ctx.store.insert(transfer, account=ctx.account)
    emit(ctx, "transfer.created", transfer)
    return present(ctx, transfer)


def destination_payment(
    ctx: Context, account_id: str, transfer_id: str, value: int, cur: str
) -> dict[str, Any]:
    """The ``py_`` Charge a transfer creates on the connected account, with its credit."""
    payment_id = new_id("py")
    txn = add_balance_transaction(
        ctx,
        account_id,
        value=value,
        cur=cur,
        txn_type="payment",
        source=payment_id,
        reporting_category="charge",
    )
    payment = {
        "id": payment_id,
        "object": "charge",
        "amount": value,
        "amount_captured": value,
        "amount_refunded": 0,
        "application": None,
        "application_fee": None,
        "application_fee_amount": None,
        "balance_transaction": txn["id"],
        "billing_details": {
            "address": {
                "city": None,
                "country": None,
                "line1": None,
                "line2": None,
                "postal_code": None,
                "state": None,
            },
            "email": None,
            "name": None,
            "phone": None,
            "tax_id": None,
        },
        "calculated_statement_descriptor": None,
        "captured": True,
        "created": ctx.now,
        "currency": cur,
        "customer": None,
        "description": None,
        "disputed": False,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "fraud_details": {},
        "livemode": False,
        "metadata": {},
        "on_behalf_of": None,
        "outcome": None,
        "paid": True,
        "payment_intent": None,
        "payment_method": None,
        "payment_method_details": {"stripe_account": {}, "type": "stripe_account"},
        "receipt_email": None,
        "receipt_number": None,
        "receipt_url": None,
        "refunded": False,
        "refunds": {},
        "review": None,
        "shipping": None,
        "source": None,
        "source_transfer": transfer_id,
        "statement_descriptor": None,
        "statement_descriptor_suffix": None,
        "status": "succeeded",
        "transfer_data": None,
        "transfer_group": None,
    }
    return ctx.store.insert(payment, account=account_id)


@GET("/v1/transfers")
def transfers_list(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    where = {key: value for key in ("destination", "transfer_group") if (value := p.string(key))}
    return list_response(
        ctx, "transfer", "/v1/transfers", where=where, allowed=("destination", "transfer_group")
    )


@GET("/v1/transfers/{id}")
def transfers_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    return present(ctx, fetch(ctx, "transfer", ctx.path["id"]))


@POST("/v1/transfers/{id}")
def transfers_update(ctx: Context) -> dict[str, Any]:
    transfer = fetch(ctx, "transfer", ctx.path["id"])
    p = ctx.params.allow("metadata", "description")
    before = copy.deepcopy(transfer)
    if "description" in p:
        transfer["description"] = p.string("description")
    transfer["metadata"] = p.metadata(transfer["metadata"])
    ctx.store.save(transfer)
    if before != transfer:
        emit(ctx, "transfer.updated", transfer, previous=diff(before, transfer))
    return present(ctx, transfer)


@POST("/v1/transfers/{id}/reversals")
def reversals_create(ctx: Context) -> dict[str, Any]:
    transfer = fetch(ctx, "transfer", ctx.path["id"])
    p = ctx.params.allow("amount", "description", "metadata", "refund_application_fee")
    remaining = transfer["amount"] - transfer["amount_reversed"]
    if remaining <= 0:
        raise invalid(f"Transfer {transfer['id']} has already been fully reversed.", param="amount")
    value = p.integer("amount", minimum=1)
    value = remaining if value is None else value
    if value > remaining:
        raise invalid(
            f"You cannot reverse more than the remaining amount of the transfer: {value} "
            f"requested, {remaining} remaining.",
            param="amount",
        )
    destination = transfer["destination"]
    if available(ctx, destination, transfer["currency"]) < value:
        raise balance_insufficient()
    reversal_id = new_id("trr")
    txn = add_balance_transaction(
        ctx,
        ctx.account,
        value=value,
        cur=transfer["currency"],
        txn_type="transfer_refund",
        source=reversal_id,
        reporting_category="transfer_reversal",
        description=p.string("description"),
    )
    payment = ctx.store.get(transfer["destination_payment"], "charge", destination)
    assert payment is not None
    payment_refund = new_refund(
        ctx, payment, value, account=destination, txn_type="payment_refund", prefix="pyr"
    )
    reversal = {
        "id": reversal_id,
        "object": "transfer_reversal",
        "amount": value,
        "balance_transaction": txn["id"],
        "created": ctx.now,
        "currency": transfer["currency"],
        "destination_payment_refund": payment_refund["id"],
        "metadata": p.metadata(),
        "source_refund": None,
        "transfer": transfer["id"],
    }
    ctx.store.insert(reversal, account=ctx.account, parent=transfer["id"])
    before = present(ctx, transfer)
    transfer["amount_reversed"] += value
    transfer["reversed"] = transfer["amount_reversed"] >= transfer["amount"]
    ctx.store.save(transfer)
    after = present(ctx, transfer)
    emit(ctx, "transfer.reversed", after)
    emit(ctx, "transfer.updated", after, previous=diff(before, after))
    return reversal


@GET("/v1/transfers/{id}/reversals")
def reversals_list(ctx: Context) -> dict[str, Any]:
    transfer = fetch(ctx, "transfer", ctx.path["id"])
    return list_response(
        ctx,
        "transfer_reversal",
        f"/v1/transfers/{transfer['id']}/reversals",
        parent=transfer["id"],
    )


def fetch_reversal(ctx: Context) -> dict[str, Any]:
    transfer = fetch(ctx, "transfer", ctx.path["id"])
    reversal = fetch(ctx, "transfer_reversal", ctx.path["reversal"])
    if reversal["transfer"] != transfer["id"]:
        raise no_such(label("transfer_reversal"), reversal["id"])
    return reversal


@GET("/v1/transfers/{id}/reversals/{reversal}")
def reversals_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    return fetch_reversal(ctx)


@POST("/v1/transfers/{id}/reversals/{reversal}")
def reversals_update(ctx: Context) -> dict[str, Any]:
    reversal = fetch_reversal(ctx)
    p = ctx.params.allow("metadata")
    reversal["metadata"] = p.metadata(reversal["metadata"])
    return ctx.store.save(reversal)


# -------------------------------------------------------------------------------------------------
# payouts


def platform_bank(ctx: Context) -> str:
    bank = ctx.store.kv_get("platform_bank_account")
    if bank is None:
        bank = new_id("ba")
        ctx.store.kv_set("platform_bank_account", bank)
    return bank


@POST("/v1/payouts")
def payouts_create(ctx: Context) -> dict[str, Any]:
    p = ctx.params.allow(
        "amount",
        "currency",
        "metadata",
        "description",
        "method",
        "statement_descriptor",
        "destination",
        "source_type",
    )
    value = amount(p)
    cur = currency(p)
    assert cur is not None
    if p.string("method", choices=("instant", "standard")) == "instant":
        raise unsupported("method", "instant payouts")
    if p.string("source_type", choices=("bank_account", "card", "fpx")) not in (None, "card"):
        raise unsupported("source_type", "only card balances exist in the sandbox")
    if ctx.account:
        account = fetch(ctx, "account", ctx.account, account="")
        if not account["payouts_enabled"]:
            raise invalid(
                "Payouts are not enabled for this account: it has not completed onboarding "
                "(payouts_enabled is false).",
                code="payouts_not_allowed",
            )
        banks = [
            row.data
            for row in ctx.store.find("bank_account", account=ctx.account, parent=ctx.account)
            if row.data["currency"] == cur
        ]
        if not banks:
            raise invalid(
                f"You don't have any external accounts in that currency ({cur}).",
                param="currency",
            )
        bank_id = banks[0]["id"]
    else:
        bank_id = platform_bank(ctx)
    requested = p.string("destination")
    if requested and requested != bank_id:
        raise no_such("external account", requested, param="destination", status=400)
    if available(ctx, ctx.account, cur) < value:
        raise balance_insufficient(payout=True)
    payout_id = new_id("po")
    txn = add_balance_transaction(
        ctx,
        ctx.account,
        value=-value,
        cur=cur,
        txn_type="payout",
        source=payout_id,
        reporting_category="payout",
        description=p.string("description") or "STRIPE PAYOUT",
    )
    payout = {
        "id": payout_id,
        "object": "payout",
        "amount": value,
        "application_fee": None,
        "application_fee_amount": None,
        "arrival_date": ctx.now,
        "automatic": False,
        "balance_transaction": txn["id"],
        "created": ctx.now,
        "currency": cur,
        "description": p.string("description") or "STRIPE PAYOUT",
        "destination": bank_id,
        "failure_balance_transaction": None,
        "failure_code": None,
        "failure_message": None,
        "livemode": False,
        "metadata": p.metadata(),
        "method": "standard",
        "original_payout": None,
        "payout_method": None,
        "reconciliation_status": "not_applicable",
        "reversed_by": None,
        "source_type": "card",
        "statement_descriptor": p.string("statement_descriptor", max_length=22),
        "status": "pending",
        "trace_id": {"status": "pending", "value": None},
        "type": "bank_account",
    }
    ctx.store.insert(payout, account=ctx.account)
    response = copy.deepcopy(payout)
    emit(ctx, "payout.created", payout)
    # Test-mode payouts arrive at once: the sandbox settles them in the same request.
    payout["status"] = "paid"
    payout["reconciliation_status"] = "completed"
    payout["trace_id"] = {"status": "supported", "value": random_token(15).upper()}
    ctx.store.save(payout)
    emit(ctx, "payout.updated", payout, previous=diff(response, payout))
    emit(ctx, "payout.paid", payout)
    return response


@GET("/v1/payouts")
def payouts_list(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    where = {key: value for key in ("status", "destination") if (value := p.string(key))}
    return list_response(
        ctx,
        "payout",
        "/v1/payouts",
        where=where,
        allowed=("status", "destination", "arrival_date"),
    )


@GET("/v1/payouts/{id}")
def payouts_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    return fetch(ctx, "payout", ctx.path["id"])


@POST("/v1/payouts/{id}")
def payouts_update(ctx: Context) -> dict[str, Any]:
    payout = fetch(ctx, "payout", ctx.path["id"])
    p = ctx.params.allow("metadata")
    before = copy.deepcopy(payout)
    payout["metadata"] = p.metadata(payout["metadata"])
    ctx.store.save(payout)
    if before != payout:
        emit(ctx, "payout.updated", payout, previous=diff(before, payout))
    return payout


# -------------------------------------------------------------------------------------------------
# checkout sessions


def build_line_items(ctx: Context, p: Params) -> tuple[list[dict[str, Any]], str]:
    raw = p.array("line_items", required=True)
    if not raw:
        raise missing_param("line_items")
    items: list[dict[str, Any]] = []
    currencies: set[str] = set()
    for index, entry in enumerate(raw):
        item = Params(entry, f"line_items[{index}]")
        item.allow("price", "price_data", "quantity", "adjustable_quantity", "tax_rates")
        reject_unsupported(item, "adjustable_quantity", "tax_rates")
        price_id = item.string("price")
        if price_id:
            raise no_such("price", price_id, param=item.name("price"), status=400)
        price_data = item.hash("price_data")
        if price_data is None:
            raise invalid(
                "You must specify either `price` or `price_data` for each line item.",
                param=item.name("price_data"),
            )
        price_data.allow(
            "currency",
            "unit_amount",
            "unit_amount_decimal",
            "product",
            "product_data",
            "tax_behavior",
            "recurring",
        )
        reject_unsupported(price_data, "recurring", "unit_amount_decimal", "product")
        cur = currency(price_data)
        assert cur is not None
        unit_amount = price_data.integer("unit_amount", required=True, minimum=0)
        assert unit_amount is not None
        product = price_data.hash("product_data", required=True)
        assert product is not None
        product.allow("name", "description", "images", "metadata", "tax_code", "unit_label")
        name = product.string("name", required=True)
        quantity = item.integer("quantity", required=True, minimum=1)
        assert quantity is not None
        currencies.add(cur)
        price = {
            "id": new_id("price"),
            "object": "price",
            "active": False,
            "billing_scheme": "per_unit",
            "created": ctx.now,
            "currency": cur,
            "custom_unit_amount": None,
            "livemode": False,
            "lookup_key": None,
            "metadata": {},
            "nickname": None,
            "product": new_id("prod", 14),
            "recurring": None,
            "tax_behavior": price_data.string(
                "tax_behavior", choices=("exclusive", "inclusive", "unspecified")
            )
            or "unspecified",
            "tiers_mode": None,
            "transform_quantity": None,
            "type": "one_time",
            "unit_amount": unit_amount,
            "unit_amount_decimal": str(unit_amount),
        }
        total = unit_amount * quantity
        items.append(
            {
                "id": new_id("li"),
                "object": "item",
                "adjustable_quantity": None,
                "amount_discount": 0,
                "amount_subtotal": total,
                "amount_tax": 0,
                "amount_total": total,
                "currency": cur,
                "description": name,
                "metadata": None,
                "price": price,
                "quantity": quantity,
            }
        )
    if len(currencies) > 1:
        raise invalid("All line items must have the same currency.", param="line_items", code=None)
    return items, currencies.pop()


def session_url(ctx: Context, session_id: str) -> str:
    return f"{ctx.base_url}/checkout/pay/{session_id}"


@POST("/v1/checkout/sessions")
def checkout_create(ctx: Context) -> dict[str, Any]:
    p = ctx.params.allow(
        "mode",
        "line_items",
        "success_url",
        "cancel_url",
        "metadata",
        "client_reference_id",
        "customer_email",
        "payment_intent_data",
        "expires_at",
        "payment_method_types",
        "locale",
        "submit_type",
        "billing_address_collection",
        "customer_creation",
        "allow_promotion_codes",
        "ui_mode",
        "currency",
        "customer",
        "discounts",
        "automatic_tax",
        "shipping_address_collection",
        "subscription_data",
        "return_url",
    )
    reject_unsupported(
        p,
        "customer",
        "discounts",
        "automatic_tax",
        "shipping_address_collection",
        "subscription_data",
        "return_url",
    )
    mode = p.string("mode", required=True, choices=("payment", "setup", "subscription"))
    if mode != "payment":
        raise unsupported("mode", f"mode={mode}; only mode=payment is implemented")
    if p.string("ui_mode", choices=("custom", "embedded", "hosted")) not in (None, "hosted"):
        raise unsupported("ui_mode", "only the hosted payment page is implemented")
    payment_method_types(p)
    success_url = url_param(p, "success_url")
    cancel_url = url_param(p, "cancel_url")
    session_id = "cs_test_" + random_token(58)
    items, cur = build_line_items(ctx, p)
    declared = currency(p, required=False)
    if declared and declared != cur:
        raise invalid(
            f"The currency ({declared}) does not match the line items' currency ({cur}).",
            param="currency",
        )
    total = sum(item["amount_total"] for item in items)
    if total < MIN_AMOUNT:
        raise invalid(
            f"The Checkout Session's total amount due must add up to at least {MIN_AMOUNT} "
            f"({cur}).",
            param="line_items",
            code="amount_too_small",
        )
    pid = p.hash("payment_intent_data")
    pi_data: dict[str, Any] = {"metadata": {}}
    if pid is not None:
        pid.allow(
            "description",
            "metadata",
            "transfer_group",
            "receipt_email",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "capture_method",
            "setup_future_usage",
            "application_fee_amount",
            "transfer_data",
            "on_behalf_of",
        )
        reject_unsupported(
            pid, "setup_future_usage", "application_fee_amount", "transfer_data", "on_behalf_of"
        )
        if pid.string("capture_method", choices=("automatic", "automatic_async", "manual")) == (
            "manual"
        ):
            raise unsupported(pid.name("capture_method"), "manual capture in Checkout")
        pi_data = {
            "description": pid.string("description"),
            "metadata": pid.metadata(),
            "transfer_group": pid.string("transfer_group"),
            "receipt_email": pid.string("receipt_email"),
            "statement_descriptor": pid.string("statement_descriptor", max_length=22),
            "statement_descriptor_suffix": pid.string("statement_descriptor_suffix", max_length=22),
        }
    expires_at = p.integer("expires_at")
    if expires_at is None:
        expires_at = ctx.now + 24 * 3600
    elif not ctx.now + 30 * 60 <= expires_at <= ctx.now + 24 * 3600:
        raise invalid(
            "The `expires_at` timestamp must be at least 30 minutes and at most 24 hours from "
            "Checkout Session creation.",
            param="expires_at",
        )
    session = {
        "id": session_id,
        "object": "checkout.session",
        "adaptive_pricing": {"enabled": False},
        "after_expiration": None,
        "allow_promotion_codes": p.boolean("allow_promotion_codes"),
        "amount_subtotal": total,
        "amount_total": total,
        "automatic_tax": {"enabled": False, "liability": None, "provider": None, "status": None},
        "billing_address_collection": p.string(
            "billing_address_collection", choices=("auto", "required")
        ),
        "cancel_url": cancel_url,
        "client_reference_id": p.string("client_reference_id", max_length=200),
        "client_secret": None,
        "collected_information": None,
        "consent": None,
        "consent_collection": None,
        "created": ctx.now,
        "currency": cur,
        "currency_conversion": None,
        "custom_fields": [],
        "custom_text": {
            "after_submit": None,
            "shipping_address": None,
            "submit": None,
            "terms_of_service_acceptance": None,
        },
        "customer": None,
        "customer_account": None,
        "customer_creation": p.string("customer_creation", choices=("always", "if_required"))
        or "if_required",
        "customer_details": None,
        "customer_email": p.string("customer_email"),
        "discounts": [],
        "expires_at": expires_at,
        "integration_identifier": None,
        "invoice": None,
        "invoice_creation": {
            "enabled": False,
            "invoice_data": {
                "account_tax_ids": None,
                "custom_fields": None,
                "description": None,
                "footer": None,
                "issuer": None,
                "metadata": {},
                "rendering_options": None,
            },
        },
        "livemode": False,
        "locale": p.string("locale"),
        "managed_payments": None,
        "metadata": p.metadata(),
        "mode": "payment",
        "origin_context": None,
        "payment_intent": None,
        "payment_link": None,
        "payment_method_collection": "if_required",
        "payment_method_configuration_details": None,
        "payment_method_options": {"card": {"request_three_d_secure": "automatic"}},
        "payment_method_types": ["card"],
        "payment_status": "unpaid",
        "permissions": None,
        "phone_number_collection": {"enabled": False},
        "recovered_from": None,
        "saved_payment_method_options": None,
        "setup_intent": None,
        "shipping_address_collection": None,
        "shipping_cost": None,
        "shipping_options": [],
        "status": "open",
        "submit_type": p.string(
            "submit_type", choices=("auto", "book", "donate", "pay", "subscribe")
        ),
        "subscription": None,
        "success_url": success_url,
        "total_details": {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0},
        "ui_mode": "hosted",
        "url": session_url(ctx, session_id),
        "wallet_options": None,
    }
    ctx.store.insert(session, account=ctx.account, meta={"payment_intent_data": pi_data})
    for item in items:
        ctx.store.insert(item, account=ctx.account, parent=session_id)
    return session


def line_items_list(ctx: Context, session: dict[str, Any]) -> dict[str, Any]:
    data, has_more = ctx.store.page(
        "item", account=None, parent=session["id"], limit=100, oldest_first=True
    )
    return {
        "object": "list",
        "data": data,
        "has_more": has_more,
        "url": f"/v1/checkout/sessions/{session['id']}/line_items",
    }


def expire_if_due(ctx: Context, session: dict[str, Any]) -> dict[str, Any]:
    if session["status"] == "open" and session["expires_at"] <= ctx.now:
        expire_session(ctx, session)
    return session


def expire_session(ctx: Context, session: dict[str, Any]) -> None:
    session["status"] = "expired"
    session["url"] = None
    ctx.store.save(session)
    emit(ctx, "checkout.session.expired", session)


@GET("/v1/checkout/sessions")
def checkout_list(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    where = {
        key: value
        for key in ("payment_intent", "status", "client_reference_id")
        if (value := p.string(key))
    }
    reject_unsupported(p, "customer", "customer_details", "payment_link", "subscription")
    return list_response(
        ctx,
        "checkout.session",
        "/v1/checkout/sessions",
        where=where,
        allowed=(
            "payment_intent",
            "status",
            "client_reference_id",
            "customer",
            "customer_details",
            "payment_link",
            "subscription",
        ),
    )


@GET("/v1/checkout/sessions/{id}")
def checkout_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    return expire_if_due(ctx, fetch(ctx, "checkout.session", ctx.path["id"]))


@POST("/v1/checkout/sessions/{id}")
def checkout_update(ctx: Context) -> dict[str, Any]:
    session = fetch(ctx, "checkout.session", ctx.path["id"])
    p = ctx.params.allow("metadata")
    session["metadata"] = p.metadata(session["metadata"])
    return ctx.store.save(session)


@POST("/v1/checkout/sessions/{id}/expire")
def checkout_expire(ctx: Context) -> dict[str, Any]:
    session = fetch(ctx, "checkout.session", ctx.path["id"])
    ctx.params.allow()
    if session["status"] != "open":
        raise invalid(
            f'Only Checkout Sessions with a status in ["open"] can be expired. This session '
            f'has a status of "{session["status"]}".',
        )
    expire_session(ctx, session)
    return session


@GET("/v1/checkout/sessions/{id}/line_items")
def checkout_line_items(ctx: Context) -> dict[str, Any]:
    session = fetch(ctx, "checkout.session", ctx.path["id"])
    return list_response(
        ctx,
        "item",
        f"/v1/checkout/sessions/{session['id']}/line_items",
        parent=session["id"],
        oldest_first=True,
    )


def pay_checkout_session(
    ctx: Context, session: dict[str, Any], card_spec: str, *, email: str | None = None
) -> tuple[dict[str, Any], StripeError | None]:
    """Pay an open session with a test card, as the hosted page does.

    Returns the session and, for a declined card, the card error (the session stays open).
    """
    expire_if_due(ctx, session)
    if session["status"] != "open":
        raise invalid(
            f"This Checkout Session is {session['status']} and can no longer be paid.",
            param="session",
        )
    row = ctx.store.row(session["id"])
    assert row is not None
    pi_data = row.meta.get("payment_intent_data", {})
    pi = ctx.store.get(session["payment_intent"]) if session["payment_intent"] else None
    if pi is None:
        pi = new_payment_intent(
            ctx,
            value=session["amount_total"],
            cur=session["currency"],
            metadata=pi_data.get("metadata") or {},
            description=pi_data.get("description"),
            transfer_group=pi_data.get("transfer_group"),
            capture_method="automatic",
            receipt_email=pi_data.get("receipt_email") or email or session["customer_email"],
            statement_descriptor=pi_data.get("statement_descriptor"),
            statement_descriptor_suffix=pi_data.get("statement_descriptor_suffix"),
            automatic_payment_methods=False,
        )
        session["payment_intent"] = pi["id"]
        ctx.store.save(session)
    spec = card_spec.strip()
    if lookup(spec) is None:
        raise invalid(f"Unknown test card: {card_spec}", param="card")
    pm_spec = spec if spec in TOKENS else _token_for(spec)
    try:
        confirm_payment_intent(ctx, pi, pm_spec)
    except StripeError as error:
        if error.status != 402:
            raise
        return session, error
    email = email or session["customer_email"]
    session["status"] = "complete"
    session["payment_status"] = "paid"
    session["url"] = None
    session["customer_details"] = {
        "address": {
            "city": None,
            "country": "US",
            "line1": None,
            "line2": None,
            "postal_code": "10001",
            "state": None,
        },
        "business_name": None,
        "email": email,
        "individual_name": None,
        "name": "Sandbox Customer",
        "phone": None,
        "tax_exempt": "none",
        "tax_ids": [],
    }
    ctx.store.save(session)
    emit(ctx, "checkout.session.completed", session)
    return session, None


def _token_for(spec: str) -> str:
    card = lookup(spec)
    assert card is not None
    for token, number in TOKENS.items():
        if token.startswith("pm_") and number == card.number:
            return token
    raise AssertionError(spec)


def success_redirect(session: dict[str, Any]) -> str | None:
    url = session.get("success_url")
    if url is None:
        return None
    return url.replace("{CHECKOUT_SESSION_ID}", session["id"])


# -------------------------------------------------------------------------------------------------
# events and webhook endpoints


@GET("/v1/events")
def events_list(ctx: Context) -> dict[str, Any]:
    p = ctx.params
    where: dict[str, Any] = {}
    event_type = p.string("type")
    if event_type:
        where["type"] = Like(event_type.replace("*", "%")) if "*" in event_type else event_type
    types = p.strings("types")
    if types:
        if event_type:
            raise invalid("You may only specify one of these parameters: type, types.")
        where["type"] = types
    return list_response(
        ctx,
        "event",
        "/v1/events",
        where=where,
        allowed=("type", "types", "delivery_success"),
    )


@GET("/v1/events/{id}")
def events_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    return fetch(ctx, "event", ctx.path["id"])


EVENT_PATTERN = re.compile(r"^(\*|[a-z_]+(\.[a-z_]+)*(\.\*)?)$")


def enabled_events(p: Params, *, required: bool) -> list[str] | None:
    if "enabled_events" not in p and not required:
        return None
    events = p.strings("enabled_events", required=required)
    if not events:
        raise missing_param("enabled_events")
    for index, name in enumerate(events):
        if not EVENT_PATTERN.match(name):
            raise invalid(
                f"Invalid enabled_events[{index}]: {name} is not a valid event type",
                param=f"enabled_events[{index}]",
            )
    return events


@POST("/v1/webhook_endpoints")
def webhook_endpoints_create(ctx: Context) -> dict[str, Any]:
    p = ctx.params.allow(
        "url", "enabled_events", "description", "metadata", "connect", "api_version"
    )
    url = url_param(p, "url", required=True)
    events = enabled_events(p, required=True)
    endpoint_id = new_id("we")
    secret = "whsec_" + random_token(32)
    endpoint = {
        "id": endpoint_id,
        "object": "webhook_endpoint",
        "api_version": p.string("api_version"),
        "application": None,
        "created": ctx.now,
        "description": p.string("description"),
        "enabled_events": events,
        "livemode": False,
        "metadata": p.metadata(),
        "status": "enabled",
        "url": url,
    }
    ctx.store.insert(
        endpoint,
        account=ctx.account,
        meta={"secret": secret, "connect": bool(p.boolean("connect", default=False))},
    )
    return {**endpoint, "secret": secret}


@GET("/v1/webhook_endpoints")
def webhook_endpoints_list(ctx: Context) -> dict[str, Any]:
    return list_response(ctx, "webhook_endpoint", "/v1/webhook_endpoints")


@GET("/v1/webhook_endpoints/{id}")
def webhook_endpoints_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    return fetch(ctx, "webhook_endpoint", ctx.path["id"])


@POST("/v1/webhook_endpoints/{id}")
def webhook_endpoints_update(ctx: Context) -> dict[str, Any]:
    endpoint = fetch(ctx, "webhook_endpoint", ctx.path["id"])
    p = ctx.params.allow("url", "enabled_events", "description", "metadata", "disabled")
    if "url" in p:
        endpoint["url"] = url_param(p, "url", required=True)
    events = enabled_events(p, required=False)
    if events is not None:
        endpoint["enabled_events"] = events
    if "description" in p:
        endpoint["description"] = p.string("description")
    disabled = p.boolean("disabled")
    if disabled is not None:
        endpoint["status"] = "disabled" if disabled else "enabled"
    endpoint["metadata"] = p.metadata(endpoint["metadata"])
    return ctx.store.save(endpoint)


@DELETE("/v1/webhook_endpoints/{id}")
def webhook_endpoints_delete(ctx: Context) -> dict[str, Any]:
    endpoint = fetch(ctx, "webhook_endpoint", ctx.path["id"])
    ctx.store.delete(endpoint["id"])
    return {"id": endpoint["id"], "object": "webhook_endpoint", "deleted": True}


# -------------------------------------------------------------------------------------------------
# expansion


def expand(ctx: Context, obj: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    for path in paths:
        parts = path.split(".")
        if len(parts) > 4:
            raise invalid(
                f"You cannot expand more than 4 levels of a property. Property: {path}",
                param="expand",
            )
        _expand(ctx, obj, parts, path)
    return obj


def _expand(ctx: Context, node: Any, parts: list[str], path: str) -> None:
    if not parts or node is None:
        return
    if isinstance(node, dict) and node.get("object") == "list" and parts[0] == "data":
        for item in node["data"]:
            _expand(ctx, item, parts[1:], path)
        return
    key = parts[0]
    if not isinstance(node, dict):
        raise invalid(f"This property cannot be expanded ({path}).", param="expand")
    if node.get("object") == "checkout.session" and key == "line_items":
        node[key] = line_items_list(ctx, node)
    elif key not in node:
        raise invalid(f"This property cannot be expanded ({path}).", param="expand")
    value = node[key]
    if isinstance(value, str):
        if value == platform_id(ctx):
            target: dict[str, Any] | None = ctx.app.platform_account()
        else:
            row = ctx.store.row(value)
            target = None if row is None or row.type.startswith("_") else row.data
        if target is None:
            raise invalid(f"This property cannot be expanded ({path}).", param="expand")
        node[key] = value = present(ctx, target)
    _expand(ctx, value, parts[1:], path)
