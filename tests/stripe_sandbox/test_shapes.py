"""Every object the sandbox serves has the fields (and JSON types) of Stripe's own example.

Stripe's examples come from ``fixtures3.json`` (Stripe's OpenAPI repository), kept outside the
project at ``<repo>/../shared/stripe/fixtures3.json``. Without the file the test skips, except
under ``CI=true`` where a missing file is a failure.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
import stripe

from stripe_sandbox.testing import Sandbox

from .support import api, onboarded_account, paid_checkout

FIXTURES = Path(__file__).resolve().parents[2] / ".." / "shared" / "stripe" / "fixtures3.json"

# Fields real Stripe sends beyond its example: Connect events name the account, a created
# webhook endpoint returns its secret once, external accounts name their account.
ALLOWED_EXTRA = {
    "event": {"account"},
    "webhook_endpoint (created)": {"secret"},
    "bank_account": {"account", "available_payout_methods", "default_for_currency"},
}
# Dicts keyed by data rather than a fixed schema (compared as a whole, not field by field).
MAPS = {
    "metadata",
    "capabilities",
    "source_types",
    "payment_method_options",
    "payment_method_details",
    "data",
    "previous_attributes",
    "wallet_options",
    "amount_details",
    "shipping",
    "fraud_details",
    "sepa_debit_payments",
}


def load_examples() -> dict[str, Any]:
    if not FIXTURES.is_file():
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(f"CI=true and Stripe's fixtures are missing: {FIXTURES}")
        pytest.skip(f"Stripe's fixtures are not available at {FIXTURES}")
    return json.loads(FIXTURES.read_text())["resources"]


def json_type(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list):
        return "array"
    return "object"


def differences(ours: Any, theirs: Any, path: str = "", *, extra_ok: set[str]) -> list[str]:
    """Missing fields, unexpected top-level fields and JSON type clashes (null fits all)."""
    problems: list[str] = []
    for key in sorted(theirs.keys() - ours.keys()):
        problems.append(f"missing {path}{key}")
    if not path:
        for key in sorted(ours.keys() - theirs.keys() - extra_ok):
            problems.append(f"unexpected {key}")
    for key in sorted(theirs.keys() & ours.keys()):
        mine, example = ours[key], theirs[key]
        if mine is None or example is None:
            continue
        if json_type(mine) != json_type(example):
            problems.append(f"{path}{key}: {json_type(mine)} where Stripe has {json_type(example)}")
        elif isinstance(mine, dict) and key not in MAPS:
            problems += differences(mine, example, f"{path}{key}.", extra_ok=set())
    return problems


def test_comparison_catches_differences():
    theirs = {"id": "x", "amount": 1, "nested": {"a": True, "b": None}, "gone": None}
    ours = {"id": "y", "amount": "1", "nested": {"a": 1}, "surplus": 2}
    assert differences(ours, theirs, extra_ok=set()) == [
        "missing gone",
        "unexpected surplus",
        "amount: string where Stripe has number",
        "missing nested.b",
        "nested.a: number where Stripe has boolean",
    ]
    assert differences({"id": None, "n": 2.5}, {"id": "x", "n": 3}, extra_ok=set()) == []


@pytest.fixture(scope="module")
def served(stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox) -> dict[str, Any]:
    """One of each object the sandbox serves, as raw JSON off the wire."""
    box, client = stripe_sandbox, stripe_client

    def get(path: str, account: str | None = None) -> dict[str, Any]:
        result = api(box, "GET", path, account=account)
        assert result.status == 200, result.text
        return result.json()

    def post(path: str, form: dict[str, str], account: str | None = None) -> dict[str, Any]:
        result = api(box, "POST", path, form, account=account)
        assert result.status == 200, result.text
        return result.json()

    model = onboarded_account(client, box)
    session, intent = paid_checkout(
        client, box, 8_000, transfer_group="shape", card="bypass_pending"
    )
    transfer = client.v1.transfers.create(
        params={"amount": 3_000, "currency": "usd", "destination": model.id}
    )
    reversal = client.v1.transfers.reversals.create(transfer.id, params={"amount": 500})
    refund = client.v1.refunds.create(params={"charge": intent.latest_charge, "amount": 1_000})
    payout = client.v1.payouts.create(
        params={"amount": 1_000, "currency": "usd"}, options={"stripe_account": model.id}
    )
    connect_event = box.events("account.updated", account=model.id)[-1]
    endpoint = post(
        "/v1/webhook_endpoints",
        {"url": "https://likeness.test/hooks", "enabled_events[0]": "*"},
    )
    to_delete = client.v1.accounts.create(
        params={"type": "express", "capabilities": {"transfers": {"requested": True}}}
    )
    objects = {
        "account": get(f"/v1/accounts/{model.id}"),
        "account_link": post(
            "/v1/account_links",
            {
                "account": to_delete.id,
                "type": "account_onboarding",
                "refresh_url": "https://likeness.test/r",
                "return_url": "https://likeness.test/ok",
            },
        ),
        "checkout.session": get(f"/v1/checkout/sessions/{session.id}"),
        "item": get(f"/v1/checkout/sessions/{session.id}/line_items")["data"][0],
        "payment_intent": get(f"/v1/payment_intents/{intent.id}"),
        "payment_method": get(f"/v1/payment_methods/{intent.payment_method}"),
        "charge": get(f"/v1/charges/{intent.latest_charge}"),
        "refund": get(f"/v1/refunds/{refund.id}"),
        "transfer": get(f"/v1/transfers/{transfer.id}"),
        "transfer_reversal": get(f"/v1/transfers/{transfer.id}/reversals/{reversal.id}"),
        "payout": get(f"/v1/payouts/{payout.id}", account=model.id),
        "balance": get("/v1/balance"),
        "balance_transaction": get(f"/v1/balance_transactions/{transfer.balance_transaction}"),
        "event": get(f"/v1/events/{connect_event['id']}", account=model.id),
        "webhook_endpoint": get(f"/v1/webhook_endpoints/{endpoint['id']}"),
        "webhook_endpoint (created)": endpoint,
        "bank_account": get(f"/v1/accounts/{model.id}/external_accounts")["data"][0],
        "login_link": post(f"/v1/accounts/{model.id}/login_links", {}),
        "deleted_webhook_endpoint": api(
            box, "DELETE", f"/v1/webhook_endpoints/{endpoint['id']}"
        ).json(),
        "deleted_account": api(box, "DELETE", f"/v1/accounts/{to_delete.id}").json(),
    }
    return objects


SERVED_AS = {
    "account": "account",
    "account_link": "account_link",
    "checkout.session": "checkout.session",
    "item": "item",
    "payment_intent": "payment_intent",
    "payment_method": "payment_method",
    "charge": "charge",
    "refund": "refund",
    "transfer": "transfer",
    "transfer_reversal": "transfer_reversal",
    "payout": "payout",
    "balance": "balance",
    "balance_transaction": "balance_transaction",
    "event": "event",
    "webhook_endpoint": "webhook_endpoint",
    "webhook_endpoint (created)": "webhook_endpoint",
    "bank_account": "bank_account",
    "login_link": "login_link",
    "deleted_webhook_endpoint": "deleted_webhook_endpoint",
    "deleted_account": "deleted_account",
}


@pytest.mark.parametrize("name", sorted(SERVED_AS))
def test_object_has_stripes_shape(name: str, served: dict[str, Any]):
    examples = load_examples()
    example = examples[SERVED_AS[name]]
    ours = served[name]
    assert ours.get("object") == example["object"]
    assert differences(ours, example, extra_ok=ALLOWED_EXTRA.get(name, set())) == []
