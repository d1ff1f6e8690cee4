"""PaymentIntents: create, confirm (with a test card), capture, cancel, update, list."""

from __future__ import annotations

from typing import Any

from ..cards import TestCard
from ..core import Context, new_id, random_token
from ..errors import DOC_URL, invalid
from ..forms import Params
from .charges import build_charge, card_error, payment_error, settle_charge
from .crud import (
    GET,
    POST,
    emit,
    list_objects,
    present,
    retrieve,
    text,
    update,
)
from .payment_methods import payment_method_for
from .validation import (
    MIN_AMOUNT,
    accept,
    amount,
    currency,
    email,
    payment_method_types,
    url_param,
)


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


AUTHENTICATION_FAILED = (
    "The provided PaymentMethod has failed authentication. You can provide payment_method_data "
    "or a new PaymentMethod to attempt to fulfill this PaymentIntent again."
)


def confirm_payment_intent(
    ctx: Context, pi: dict[str, Any], pm_spec: str | None, *, return_url: str | None = None
) -> dict:
    """Confirm with a test card: a charge (succeeded or declined: 402 ``card_error``), or, for
    a 3-D Secure card, ``requires_action`` until :func:`authenticate_payment_intent`."""
    if pi["status"] not in OPEN_STATES:
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
    if card.three_d_secure:
        return require_action(ctx, pi, pm, return_url)
    return charge_payment_intent(ctx, pi, pm, card)


def require_action(
    ctx: Context, pi: dict[str, Any], pm: dict[str, Any], return_url: str | None
) -> dict[str, Any]:
    """The card asks for 3-D Secure: the customer must authenticate on the (sandbox) issuer's
    page before anything is charged."""
    url = f"{ctx.base_url}/authenticate/{pi['id']}"
    pi["status"] = "requires_action"
    pi["payment_method"] = pm["id"]
    pi["last_payment_error"] = None
    if return_url:
        pi["next_action"] = {
            "type": "redirect_to_url",
            "redirect_to_url": {"return_url": return_url, "url": url},
        }
    else:
        pi["next_action"] = {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {
                "type": "three_d_secure_redirect",
                "stripe_js": url,
                "source": new_id("src"),
            },
        }
    ctx.store.save(pi)
    row = ctx.store.row(pi["id"])
    assert row is not None
    ctx.store.save_meta(pi["id"], {**row.meta, "return_url": return_url})
    emit(ctx, "payment_intent.requires_action", pi)
    return pi


def authenticate_payment_intent(ctx: Context, pi: dict[str, Any], *, succeed: bool) -> dict:
    """The customer completes (or fails) the 3-D Secure challenge of a ``requires_action``
    PaymentIntent: it is charged, or goes back to ``requires_payment_method`` with Stripe's
    ``payment_intent_authentication_failure``."""
    if pi["status"] != "requires_action":
        raise invalid(
            f"This PaymentIntent has a status of {pi['status']} and needs no authentication.",
            code="payment_intent_unexpected_state",
        )
    pm, card = payment_method_for(ctx, pi["payment_method"], param="payment_method")
    pi["next_action"] = None
    if succeed:
        return charge_payment_intent(ctx, pi, pm, card, authenticated=True)
    pi["status"] = "requires_payment_method"
    pi["payment_method"] = None
    pi["last_payment_error"] = {
        "code": "payment_intent_authentication_failure",
        "doc_url": DOC_URL.format(code="payment_intent_authentication_failure"),
        "message": AUTHENTICATION_FAILED,
        "payment_method": pm,
        "type": "invalid_request_error",
    }
    ctx.store.save(pi)
    emit(ctx, "payment_intent.payment_failed", pi)
    return pi


def charge_payment_intent(
    ctx: Context,
    pi: dict[str, Any],
    pm: dict[str, Any],
    card: TestCard,
    *,
    authenticated: bool = False,
) -> dict[str, Any]:
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
        authenticated=authenticated,
    )
    pi["latest_charge"] = charge["id"]
    pi["next_action"] = None
    if card.declines:
        pi["status"] = "requires_payment_method"
        pi["payment_method"] = None
        pi["last_payment_error"] = payment_error(card, charge=charge, pm=pm)
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


def refuse_card_statement_descriptor(p: Params, key: str = "statement_descriptor") -> None:
    """Since 2024 Stripe refuses ``statement_descriptor`` on card PaymentIntents (400)."""
    if p.string(key):
        raise invalid(
            "The statement_descriptor parameter is not supported for the payment_method_type "
            "`card`. To continue supporting payment_method_type `card`, please pass in "
            "`statement_descriptor_suffix` or remove the `statement_descriptor` parameter "
            "altogether. Please see https://support.stripe.com/questions/"
            "use-of-the-statement-descriptor-parameter-on-paymentintents-for-card-charges for "
            "additional details.",
            param=p.name(key),
        )


@POST("/v1/payment_intents")
def payment_intents_create(ctx: Context) -> dict[str, Any]:
    p = accept(
        ctx.params,
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
        unsupported=(
            "customer",
            "on_behalf_of",
            "transfer_data",
            "application_fee_amount",
            "setup_future_usage",
        ),
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
    for flag in ("off_session", "error_on_requires_action", "use_stripe_sdk"):
        p.boolean(flag)
    refuse_card_statement_descriptor(p)
    return_url = url_param(p, "return_url")
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
        receipt_email=email(p, "receipt_email"),
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
        confirm_payment_intent(ctx, pi, None, return_url=return_url)
    return present(ctx, pi)


@GET("/v1/payment_intents")
def payment_intents_list(ctx: Context) -> dict[str, Any]:
    return list_objects(ctx, "payment_intent", "/v1/payment_intents", unsupported=("customer",))


@GET("/v1/payment_intents/{id}")
def payment_intents_retrieve(ctx: Context) -> dict[str, Any]:
    ctx.params.allow("client_secret")
    return present(ctx, retrieve(ctx, "payment_intent", ctx.path["id"]))


OPEN_STATES = ("requires_payment_method", "requires_confirmation", "requires_action")
MONEY_FIELDS = {"amount", "currency", "payment_method", "transfer_group"}


@POST("/v1/payment_intents/{id}")
def payment_intents_update(ctx: Context) -> dict[str, Any]:
    pi = retrieve(ctx, "payment_intent", ctx.path["id"])

    def only_while_open(p: Params) -> None:
        if MONEY_FIELDS & set(p.data) and pi["status"] not in OPEN_STATES:
            raise invalid(
                f"You cannot update this PaymentIntent because it has a status of {pi['status']}.",
                code="payment_intent_unexpected_state",
            )

    def set_amount(obj: dict[str, Any], p: Params, key: str) -> None:
        obj[key] = amount(p, minimum=MIN_AMOUNT)

    def set_currency(obj: dict[str, Any], p: Params, key: str) -> None:
        obj[key] = currency(p)

    def set_receipt_email(obj: dict[str, Any], p: Params, key: str) -> None:
        obj[key] = email(p, key)

    def set_statement_descriptor(obj: dict[str, Any], p: Params, key: str) -> None:
        refuse_card_statement_descriptor(p, key)
        obj[key] = None

    def set_payment_method(obj: dict[str, Any], p: Params, key: str) -> None:
        spec = p.string(key)
        if spec:
            pm, _card = payment_method_for(ctx, spec, param=key)
            obj[key] = pm["id"]
            obj["status"] = "requires_confirmation"
        else:
            obj[key] = None
            obj["status"] = "requires_payment_method"

    return update(
        ctx,
        pi,
        guard=only_while_open,
        fields={
            "amount": set_amount,
            "currency": set_currency,
            "description": text(),
            "receipt_email": set_receipt_email,
            "transfer_group": text(),
            "statement_descriptor": set_statement_descriptor,
            "statement_descriptor_suffix": text(max_length=22),
            "payment_method": set_payment_method,
        },
    )


@POST("/v1/payment_intents/{id}/confirm")
def payment_intents_confirm(ctx: Context) -> dict[str, Any]:
    pi = retrieve(ctx, "payment_intent", ctx.path["id"])
    p = ctx.params.allow(
        "payment_method",
        "return_url",
        "off_session",
        "receipt_email",
        "error_on_requires_action",
        "use_stripe_sdk",
    )
    for flag in ("off_session", "error_on_requires_action", "use_stripe_sdk"):
        p.boolean(flag)
    return_url = url_param(p, "return_url")
    if "receipt_email" in p:
        pi["receipt_email"] = email(p, "receipt_email")
    confirm_payment_intent(ctx, pi, p.string("payment_method"), return_url=return_url)
    return present(ctx, pi)


@POST("/v1/payment_intents/{id}/capture")
def payment_intents_capture(ctx: Context) -> dict[str, Any]:
    pi = retrieve(ctx, "payment_intent", ctx.path["id"])
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
    charge = retrieve(ctx, "charge", pi["latest_charge"])
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
    pi = retrieve(ctx, "payment_intent", ctx.path["id"])
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
        charge = retrieve(ctx, "charge", pi["latest_charge"])
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
