"""Stripe's test cards, test PaymentMethods (``pm_card_*``) and test tokens (``tok_*``)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass


@dataclass(frozen=True)
class TestCard:
    number: str
    brand: str
    funding: str = "credit"
    decline_code: str | None = None
    # An error code of its own (processing_error, expired_card...), else card_declined.
    code: str | None = None
    # 3-D Secure 2 authentication is required before the charge (PaymentIntent requires_action).
    three_d_secure: bool = False
    # Funds are available at once instead of after the test-mode delay (4000 0000 0000 0077).
    bypass_pending: bool = False
    # What happens to a refund of this card's charge: pending first, or failing after a while.
    refund: str = "succeeds"  # succeeds | pending | fails

    @property
    def last4(self) -> str:
        return self.number[-4:]

    @property
    def fingerprint(self) -> str:
        return hashlib.sha256(self.number.encode()).hexdigest()[:16]

    @property
    def declines(self) -> bool:
        return self.decline_code is not None or self.code is not None

    @property
    def error_code(self) -> str:
        return self.code or "card_declined"

    @property
    def message(self) -> str:
        return DECLINE_MESSAGES.get(self.code or self.decline_code or "", "Your card was declined.")


DECLINE_MESSAGES = {
    "generic_decline": "Your card was declined.",
    "insufficient_funds": "Your card has insufficient funds.",
    "lost_card": "Your card was declined.",
    "stolen_card": "Your card was declined.",
    "expired_card": "Your card has expired.",
    "incorrect_cvc": "Your card's security code is incorrect.",
    "processing_error": "An error occurred while processing your card. Try again in a little bit.",
}

CARDS = {
    card.number: card
    for card in (
        TestCard("4242424242424242", "visa"),
        TestCard("4000056655665556", "visa", funding="debit"),
        TestCard("5555555555554444", "mastercard"),
        TestCard("378282246310005", "amex"),
        TestCard("4000000000000077", "visa", bypass_pending=True),
        TestCard("4000000000003220", "visa", three_d_secure=True),
        TestCard("4000000000007726", "visa", refund="pending"),
        TestCard("4000000000005126", "visa", refund="fails"),
        TestCard("4000000000000002", "visa", decline_code="generic_decline"),
        TestCard("4000000000000341", "visa", decline_code="generic_decline"),
        TestCard("4000000000009995", "visa", decline_code="insufficient_funds"),
        TestCard("4000000000009987", "visa", decline_code="lost_card"),
        TestCard("4000000000009979", "visa", decline_code="stolen_card"),
        TestCard("4000000000000069", "visa", decline_code="expired_card", code="expired_card"),
        TestCard("4000000000000127", "visa", decline_code="incorrect_cvc", code="incorrect_cvc"),
        TestCard("4000000000000119", "visa", code="processing_error"),
    )
}

# Test PaymentMethod ids and legacy tokens → card numbers (https://stripe.com/docs/testing).
TOKENS = {
    "pm_card_visa": "4242424242424242",
    "pm_card_visa_debit": "4000056655665556",
    "pm_card_mastercard": "5555555555554444",
    "pm_card_amex": "378282246310005",
    "pm_card_bypassPending": "4000000000000077",
    "pm_card_threeDSecure2Required": "4000000000003220",
    "pm_card_pendingRefund": "4000000000007726",
    "pm_card_refundFail": "4000000000005126",
    "pm_card_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclined": "4000000000000002",
    "pm_card_visa_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_visa_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_visa_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedProcessingError": "4000000000000119",
    "pm_card_chargeCustomerFail": "4000000000000341",
    "pm_card_chargeDeclinedInsufficientFunds": "4000000000009995",
    "pm_card_chargeDeclinedLostCard": "4000000000009987",
    "pm_card_chargeDeclinedStolenCard": "4000000000009979",
    "pm_card_chargeDeclinedExpiredCard": "4000000000000069",
    "pm_card_chargeDeclinedIncorrectCvc": "4000000000000127",
    "tok_visa": "4242424242424242",
    "tok_visa_debit": "4000056655665556",
    "tok_mastercard": "5555555555554444",
    "tok_amex": "378282246310005",
    "tok_bypassPending": "4000000000000077",
    "tok_threeDSecure2Required": "4000000000003220",
    "tok_pendingRefund": "4000000000007726",
    "tok_refundFail": "4000000000005126",
    "tok_chargeDeclinedProcessingError": "4000000000000119",
    "tok_chargeCustomerFail": "4000000000000341",
    "tok_chargeDeclined": "4000000000000002",
    "tok_chargeDeclinedInsufficientFunds": "4000000000009995",
    "tok_chargeDeclinedLostCard": "4000000000009987",
    "tok_chargeDeclinedStolenCard": "4000000000009979",
    "tok_chargeDeclinedExpiredCard": "4000000000000069",
    "tok_chargeDeclinedIncorrectCvc": "4000000000000127",
}

# Short names accepted by the sandbox's own checkout helpers (``card=visa|declined|...``).
NICKNAMES = {
    "visa": "4242424242424242",
    "visa_debit": "4000056655665556",
    "mastercard": "5555555555554444",
    "amex": "378282246310005",
    "bypass_pending": "4000000000000077",
    "declined": "4000000000000002",
    "insufficient_funds": "4000000000009995",
    "lost_card": "4000000000009987",
    "stolen_card": "4000000000009979",
    "expired_card": "4000000000000069",
    "incorrect_cvc": "4000000000000127",
    "processing_error": "4000000000000119",
    "three_d_secure": "4000000000003220",
    "pending_refund": "4000000000007726",
    "refund_fail": "4000000000005126",
}


def lookup(spec: str) -> TestCard | None:
    """A test card by number (spaces allowed), ``pm_card_*``/``tok_*`` id, or nickname."""
    spec = spec.strip()
    number = TOKENS.get(spec) or NICKNAMES.get(spec) or spec.replace(" ", "").replace("-", "")
    return CARDS.get(number)
