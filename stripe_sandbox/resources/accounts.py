"""Connected accounts (Express, Custom, Standard), their onboarding and external accounts.

The platform itself is an account too (:func:`build_platform_account`), kept outside the
objects table; ``Stripe-Account`` names a connected account on every endpoint.
"""

from __future__ import annotations

import copy
from typing import Any

from ..core import Context, new_id, random_token
from ..errors import invalid, missing_param, unsupported
from ..forms import Params
from . import validation
from .crud import (
    DELETE,
    GET,
    POST,
    diff,
    emit,
    list_objects,
    platform_id,
    present,
    retrieve,
    update,
)
from .validation import (
    currency,
    require_platform,
)

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


BUSINESS_TYPES = ("company", "government_entity", "individual", "non_profit")


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
    return retrieve(ctx, "account", account_id, param=param, status=status, account="")


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
    country = validation.country(p) or "US"
    email = validation.email(p)
    business_type = p.string("business_type", choices=BUSINESS_TYPES)
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
    return list_objects(ctx, "account", "/v1/accounts", account="")


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
    account = retrieve(ctx, "account", ctx.path["id"], account="")
    row = ctx.store.row(account["id"])
    assert row is not None
    onboarded = bool(row.meta.get("onboarded"))

    def set_profile(obj: dict[str, Any], p: Params, key: str) -> None:
        if (updates := profile_updates(p)) is not None:
            obj["business_profile"].update(updates)

    def set_business_type(obj: dict[str, Any], p: Params, key: str) -> None:
        obj[key] = p.string(key, choices=BUSINESS_TYPES)

    def set_currency(obj: dict[str, Any], p: Params, key: str) -> None:
        obj[key] = currency(p, key)

    def set_capabilities(obj: dict[str, Any], p: Params, key: str) -> None:
        # charges_enabled and payouts_enabled change only with the capabilities (or onboarding).
        obj[key] = apply_capability_requests(p.hash(key), obj[key], onboarded)
        refresh_account_status(obj, onboarded=onboarded)

    return update(
        ctx,
        account,
        fields={
            "email": lambda obj, p, key: obj.__setitem__(key, validation.email(p, key)),
            "business_profile": set_profile,
            "business_type": set_business_type,
            "default_currency": set_currency,
            "capabilities": set_capabilities,
        },
        event="account.updated",
        event_account=account["id"],
    )


def refresh_account_status(account: dict[str, Any], *, onboarded: bool) -> None:
    caps = account["capabilities"]
    account["charges_enabled"] = onboarded and caps.get("card_payments") == "active"
    account["payouts_enabled"] = onboarded and any(v == "active" for v in caps.values())


@DELETE("/v1/accounts/{id}")
def accounts_delete(ctx: Context) -> dict[str, Any]:
    require_platform(ctx, "Deleting connected accounts")
    account = retrieve(ctx, "account", ctx.path["id"], account="")
    ctx.store.delete(account["id"])
    return {"id": account["id"], "object": "account", "deleted": True}


@GET("/v1/accounts/{id}/external_accounts")
def external_accounts_list(ctx: Context) -> dict[str, Any]:
    account = load_account(ctx, ctx.path["id"])
    return list_objects(
        ctx,
        "bank_account",
        f"/v1/accounts/{account['id']}/external_accounts",
        parent=account["id"],
        account=account["id"],
        allowed=("object",),
    )


def complete_onboarding(
    ctx: Context, account_id: str, *, complete: bool, account_number: str = "000123456789"
) -> dict[str, Any]:
    """What the hosted onboarding page does when the user finishes (or leaves) it; the bank
    account may be one of Stripe's failing test accounts (``000111111113``: account_closed)."""
    account = retrieve(ctx, "account", account_id, account="")
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
        "last4": account_number[-4:],
        "metadata": {},
        "routing_number": "110000000",
        "status": "new",
    }
    ctx.store.insert(
        bank, account=account_id, parent=account_id, meta={"account_number": account_number}
    )
    after = present(ctx, account)
    emit(ctx, "account.external_account.created", bank, account=account_id)
    emit(ctx, "account.updated", after, previous=diff(before, after), account=account_id)
    return after
