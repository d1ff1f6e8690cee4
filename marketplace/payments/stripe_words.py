"""Stripe's failure codes in plain words, for the person who can act on them: the brand whose
card was declined, the model whose bank refused a payout. One home for each wording."""

from __future__ import annotations

from typing import Any

# Stripe's decline_code (or, without one, its error code) → what the brand should know.
DECLINES = {
    "insufficient_funds": "The card has insufficient funds.",
    "lost_card": "The card was reported lost. Please use another card.",
    "stolen_card": "The card was reported stolen. Please use another card.",
    "expired_card": "The card has expired. Please use another card.",
    "incorrect_cvc": "The card's security code (CVC) is incorrect.",
    "incorrect_number": "The card number is incorrect.",
    "processing_error": "The card could not be processed. Please try again in a moment.",
    "do_not_honor": "The card's bank declined the payment. Please contact your bank or use "
    "another card.",
    "generic_decline": "The card's bank declined the payment. Please contact your bank or use "
    "another card.",
    "card_declined": "The card's bank declined the payment. Please contact your bank or use "
    "another card.",
    "fraudulent": "The card's bank declined the payment. Please contact your bank or use "
    "another card.",
    "card_velocity_exceeded": "The card has reached its spending limit. Please use another card.",
    "payment_intent_authentication_failure": "The card's 3-D Secure check was not completed, "
    "so nothing was charged. Please try again or use another card.",
    "authentication_required": "The card's bank asks for 3-D Secure, which was not completed. "
    "Please try again.",
}
DECLINE_FALLBACK = "The payment did not go through. Please try again or use another card."
ASYNC_FAILURE = "Your bank did not complete the payment, so nothing was charged. Please pay again."

# Stripe's payout failure_code → what the payee should know and do.
PAYOUT_FAILURES = {
    "account_closed": "your bank account is closed",
    "account_frozen": "your bank account is frozen",
    "bank_account_restricted": "your bank account does not accept this kind of payment",
    "bank_ownership_changed": "your bank account has changed owner",
    "could_not_process": "your bank could not process it",
    "debit_not_authorized": "your bank account does not allow Stripe's payouts",
    "declined": "your bank declined it",
    "incorrect_account_holder_name": "the account holder's name does not match your bank's",
    "insufficient_funds": "your Stripe balance was too low when it was sent",
    "invalid_account_number": "the bank account number is wrong",
    "invalid_currency": "your bank account cannot receive this currency",
    "no_account": "no bank account matches the details given",
}


def decline_sentence(error: Any) -> str:
    """A PaymentIntent's `last_payment_error` (or a card error's details) in plain words."""
    if not error:
        return DECLINE_FALLBACK
    get = error.get if hasattr(error, "get") else lambda key: getattr(error, key, None)
    for key in ("decline_code", "code"):
        sentence = DECLINES.get(get(key) or "")
        if sentence:
            return sentence
    return DECLINE_FALLBACK


def payout_failure_sentence(code: str | None) -> str:
    """Why Stripe could not pay the money to the payee's bank, and what happens next."""
    reason = PAYOUT_FAILURES.get(code or "", "your bank returned it")
    return (
        f"Your bank refused this payout: {reason}. The money is back in your Stripe balance; "
        "update your bank details in your Stripe dashboard and Stripe pays it out again."
    )


# Stripe's refund failure_reason → why the brand's card could not take the money back.
REFUND_FAILURES = {
    "expired_or_canceled_card": "the card was cancelled or has expired",
    "lost_or_stolen_card": "the card was reported lost or stolen",
    "declined": "the card's bank declined it",
    "insufficient_funds": "the card's bank could not take it",
    "merchant_request": "it was cancelled",
    "charge_for_pending_refund_disputed": "the payment is disputed",
}


def refund_failure_sentence(reason: str | None) -> str:
    """Why a refund Stripe accepted did not reach the brand's card, and what happens next."""
    why = REFUND_FAILURES.get(reason or "", "the card's bank returned it")
    return (
        f"Stripe could not return this refund to the card: {why}. The amount is owed to the "
        "brand and the platform settles it with them directly."
    )
