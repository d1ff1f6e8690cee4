"""The hosted pages over plain HTTP: Checkout's payment page and Connect onboarding."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import stripe

from stripe_sandbox.testing import Sandbox

from .support import http, stripe_id

TITLE = "Likeness Stripe sandbox"


def new_session(client: stripe.StripeClient, **extra):
    return client.v1.checkout.sessions.create(
        params={  # type: ignore[arg-type]  # extended by the caller's **extra
            "mode": "payment",
            "success_url": "https://brand.test/thanks?cs={CHECKOUT_SESSION_ID}",
            "cancel_url": "https://brand.test/basket",
            "customer_email": "buyer@brand.test",
            "line_items": [
                {
                    "price_data": {
                        "currency": "usd",
                        "unit_amount": 12_500,
                        "product_data": {"name": "Spring campaign <licence>"},
                    },
                    "quantity": 1,
                }
            ],
            "payment_intent_data": {"transfer_group": "spring"},
            **extra,
        }
    )


def form_of(html: str) -> tuple[str, dict[str, str]]:
    action = re.search(r"<form method='post' action='([^']+)'", html)
    assert action, html
    fields = dict(re.findall(r"<input type='[a-z]+' id='\w+' name='(\w+)' value='([^']*)'", html))
    return action.group(1), fields


def test_checkout_page_pays_and_redirects(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    session = new_session(stripe_client)
    page = http("GET", session.url)
    assert page.status == 200
    assert page.headers["Content-Type"] == "text/html; charset=utf-8"
    assert f"<title>Checkout · {TITLE}</title>" in page.text
    assert "Spring campaign &lt;licence&gt;" in page.text  # escaped
    assert "Pay $125.00" in page.text
    assert "value='buyer@brand.test'" in page.text
    action, fields = form_of(page.text)
    assert action == f"/checkout/pay/{session.id}"
    assert fields["card"] == "4242 4242 4242 4242"

    paid = http("POST", stripe_sandbox.base_url + action, form={**fields, "action": "pay"})
    assert paid.status == 303
    assert paid.headers["Location"] == f"https://brand.test/thanks?cs={session.id}"
    done = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (done.status, done.payment_status) == ("complete", "paid")
    intent = stripe_client.v1.payment_intents.retrieve(stripe_id(done.payment_intent))
    assert intent.transfer_group == "spring"
    assert intent.amount_received == 12_500

    again = http("GET", f"{stripe_sandbox.base_url}/checkout/pay/{session.id}")
    assert again.status == 200
    assert "This payment is complete." in again.text
    receipt_url = stripe_client.v1.charges.retrieve(stripe_id(intent.latest_charge)).receipt_url
    assert receipt_url is not None
    receipt = http("GET", receipt_url)
    assert receipt.status == 200
    assert "$125.00" in receipt.text


def test_checkout_page_decline_and_cancel(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    session = new_session(stripe_client)
    url = f"{stripe_sandbox.base_url}/checkout/pay/{session.id}"

    declined = http("POST", url, form={"card": "4000 0000 0000 0002", "action": "pay"})
    assert declined.status == 402
    assert "<div class='error' role='alert'>Your card was declined.</div>" in declined.text
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "open"

    button = http("POST", url, form={"action": "decline"})
    assert button.status == 402
    funds = http("POST", url, form={"card": "4000000000009995", "action": "pay"})
    assert "Your card has insufficient funds." in funds.text

    not_a_test_card = http("POST", url, form={"card": "1234 5678", "action": "pay"})
    assert not_a_test_card.status == 400
    assert "not a Stripe test card" in not_a_test_card.text

    cancel = http("POST", url, form={"action": "cancel"})
    assert cancel.status == 303
    assert cancel.headers["Location"] == "https://brand.test/basket"
    still_open = stripe_client.v1.checkout.sessions.retrieve(session.id)
    assert (still_open.status, still_open.payment_status) == ("open", "unpaid")
    charges = stripe_client.v1.charges.list(
        params={"payment_intent": stripe_id(still_open.payment_intent)}
    )
    assert [c.outcome.reason for c in charges.data] == [
        "insufficient_funds",
        "generic_decline",
        "generic_decline",
    ]

    stripe_client.v1.checkout.sessions.expire(session.id)
    expired = http("GET", url)
    assert "This Checkout Session has expired" in expired.text
    assert http("POST", url, form={"action": "pay"}).status == 200  # shows the expired page
    assert stripe_client.v1.checkout.sessions.retrieve(session.id).status == "expired"


def onboarding_link(client: stripe.StripeClient, account_id: str):
    return client.v1.account_links.create(
        params={
            "account": account_id,
            "type": "account_onboarding",
            "refresh_url": "https://likeness.test/connect/refresh",
            "return_url": "https://likeness.test/connect/done",
        }
    )


def new_account(client: stripe.StripeClient):
    return client.v1.accounts.create(
        params={
            "type": "express",
            "email": "noor@likeness.test",
            "capabilities": {
                "card_payments": {"requested": True},
                "transfers": {"requested": True},
            },
        }
    )


def test_onboarding_page_completes_the_account(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    account = new_account(stripe_client)
    link = onboarding_link(stripe_client, account.id)
    page = http("GET", link.url)
    assert page.status == 200
    assert f"<title>Connect onboarding · {TITLE}</title>" in page.text
    assert "noor@likeness.test" in page.text
    assert ">Complete onboarding</button>" in page.text
    assert ">Leave incomplete</button>" in page.text
    action = urlsplit(link.url).path
    assert f"action='{action}'" in page.text

    done = http("POST", link.url, form={"action": "complete"})
    assert done.status == 303
    assert done.headers["Location"] == "https://likeness.test/connect/done"
    onboarded = stripe_client.v1.accounts.retrieve(account.id)
    assert onboarded.details_submitted is True
    assert onboarded.charges_enabled is True
    assert onboarded.payouts_enabled is True
    assert onboarded.capabilities.transfers == "active"
    assert onboarded.requirements.currently_due == []

    # account links are single use: a revisit is sent to refresh_url
    revisit = http("GET", link.url)
    assert revisit.status == 303
    assert revisit.headers["Location"] == "https://likeness.test/connect/refresh"

    dashboard = http("GET", stripe_client.v1.accounts.login_links.create(account.id).url)
    assert dashboard.status == 200
    assert "Express dashboard" in dashboard.text


def test_onboarding_page_left_incomplete_or_expired(
    stripe_client: stripe.StripeClient, stripe_sandbox: Sandbox
):
    account = new_account(stripe_client)
    link = onboarding_link(stripe_client, account.id)
    left = http("POST", link.url, form={"action": "incomplete"})
    assert left.status == 303
    assert left.headers["Location"] == "https://likeness.test/connect/refresh"
    restricted = stripe_client.v1.accounts.retrieve(account.id)
    assert restricted.details_submitted is False
    assert restricted.payouts_enabled is False

    fresh = onboarding_link(stripe_client, account.id)
    try:
        stripe_sandbox.advance_clock(301)
        expired = http("GET", fresh.url)
        assert expired.status == 303
        assert expired.headers["Location"] == "https://likeness.test/connect/refresh"
    finally:
        stripe_sandbox.configure(clock_offset=0)
    assert http("GET", f"{stripe_sandbox.base_url}/connect/onboarding/nope").status == 404


def test_overview_page(stripe_sandbox: Sandbox):
    page = http("GET", stripe_sandbox.base_url + "/")
    assert page.status == 200
    assert f"<h1>{TITLE}</h1>" in page.text
    assert http("GET", stripe_sandbox.base_url + "/nothing-here").status == 404
