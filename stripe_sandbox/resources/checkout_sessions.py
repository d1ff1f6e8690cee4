"""Checkout Sessions (``mode=payment``) and what the hosted payment page does with them."""

from __future__ import annotations

from typing import Any

from ..cards import TOKENS, lookup
from ..core import Context, new_id, random_token
from ..errors import StripeError, invalid, missing_param, no_such, unsupported
from ..forms import Params
from .crud import (
    GET,
    POST,
    Listing,
    Updating,
    emit,
    list_objects,
    retrieve,
    serve,
)
from .payment_intents import (
    authenticate_payment_intent,
    confirm_payment_intent,
    new_payment_intent,
    refuse_card_statement_descriptor,
)
from .validation import (
    MIN_AMOUNT,
    accept,
    currency,
    email,
    payment_method_types,
    url_param,
)

LOCALES = (
    "auto bg cs da de el en en-GB es es-419 et fi fil fr fr-CA hr hu id it ja ko lt lv ms mt "
    "nb nl pl pt pt-BR ro ru sk sl sv th tr vi zh zh-HK zh-TW"
)


def build_line_items(ctx: Context, p: Params) -> tuple[list[dict[str, Any]], str]:
    raw = p.array("line_items", required=True)
    if not raw:
        raise missing_param("line_items")
    items: list[dict[str, Any]] = []
    currencies: set[str] = set()
    for index, entry in enumerate(raw):
        item = Params(entry, f"line_items[{index}]")
        accept(
            item,
            "price",
            "price_data",
            "quantity",
            unsupported=("adjustable_quantity", "tax_rates"),
        )
        price_id = item.string("price")
        if price_id:
            raise no_such("price", price_id, param=item.name("price"), status=400)
        price_data = item.hash("price_data")
        if price_data is None:
            raise invalid(
                "You must specify either `price` or `price_data` for each line item.",
                param=item.name("price_data"),
            )
        accept(
            price_data,
            "currency",
            "unit_amount",
            "product_data",
            "tax_behavior",
            unsupported=("recurring", "unit_amount_decimal", "product"),
        )
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
    p = accept(
        ctx.params,
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
        unsupported=(
            "customer",
            "discounts",
            "automatic_tax",
            "shipping_address_collection",
            "subscription_data",
            "return_url",
        ),
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
        accept(
            pid,
            "description",
            "metadata",
            "transfer_group",
            "receipt_email",
            "statement_descriptor",
            "statement_descriptor_suffix",
            "capture_method",
            unsupported=(
                "setup_future_usage",
                "application_fee_amount",
                "transfer_data",
                "on_behalf_of",
            ),
        )
        if pid.string("capture_method", choices=("automatic", "automatic_async", "manual")) == (
            "manual"
        ):
            raise unsupported(pid.name("capture_method"), "manual capture in Checkout")
        refuse_card_statement_descriptor(pid)
        pi_data = {
            "description": pid.string("description"),
            "metadata": pid.metadata(),
            "transfer_group": pid.string("transfer_group"),
            "receipt_email": email(pid, "receipt_email"),
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
        "customer_email": email(p, "customer_email"),
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
        "locale": p.string("locale", choices=tuple(LOCALES.split())),
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


serve(
    "checkout.session",
    "/v1/checkout/sessions",
    listing=Listing(
        filters=("payment_intent", "status", "client_reference_id"),
        unsupported=("customer", "customer_details", "payment_link", "subscription"),
    ),
    retrieving=False,  # an open session past its expiry is expired first
    updating=Updating(),
)


@GET("/v1/checkout/sessions/{id}")
def checkout_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow()
    return expire_if_due(ctx, retrieve(ctx, "checkout.session", ctx.path["id"]))


@POST("/v1/checkout/sessions/{id}/expire")
def checkout_expire(ctx: Context) -> dict[str, Any]:
    session = retrieve(ctx, "checkout.session", ctx.path["id"])
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
    session = retrieve(ctx, "checkout.session", ctx.path["id"])
    return list_objects(
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
    if pi["status"] == "requires_action":
        # 3-D Secure: the page shows the challenge; the session completes once it is passed.
        ctx.store.save_meta(session["id"], {**row.meta, "email": email})
        return session, None
    return complete_session(ctx, session, email or session["customer_email"]), None


def authenticate_checkout(
    ctx: Context, session: dict[str, Any], *, succeed: bool
) -> tuple[dict[str, Any], StripeError | None]:
    """The customer completes (or fails) the 3-D Secure challenge on the payment page: the
    session completes, or stays open with Stripe's authentication failure shown."""
    pi = ctx.store.get(session["payment_intent"] or "", "payment_intent")
    if session["status"] != "open" or pi is None or pi["status"] != "requires_action":
        raise invalid("This Checkout Session is not waiting for authentication.", param="session")
    authenticate_payment_intent(ctx, pi, succeed=succeed)
    if pi["status"] != "succeeded":
        error = pi["last_payment_error"]
        return session, StripeError(
            402, error["type"], CHECKOUT_AUTHENTICATION_FAILED, code=error["code"]
        )
    row = ctx.store.row(session["id"])
    assert row is not None
    return complete_session(ctx, session, row.meta.get("email") or session["customer_email"]), None


CHECKOUT_AUTHENTICATION_FAILED = (
    "We are unable to authenticate your payment method. Please choose a different payment "
    "method and try again."
)


def complete_session(ctx: Context, session: dict[str, Any], email: str | None) -> dict:
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
    return session


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
