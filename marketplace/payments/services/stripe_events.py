"""Stripe's webhook: events verified and stored once, then dispatched to the money flow they
concern. Every handler reads Stripe again, so duplicates and any order are safe."""

from __future__ import annotations

import stripe
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from marketplace.core.entry_points import system_entry_point

from ..models import WebhookEvent
from .checkout import (
    complete_checkout,
    expire_checkout,
    fail_async_checkout,
    record_payment_failure,
)
from .onboarding import sync_account
from .payouts import sync_bank_payout
from .refunds import sync_refund


@system_entry_point
def receive_webhook(*, payload: bytes, signature: str) -> WebhookEvent:
    """Verify Stripe's signature (300 s tolerance) and store the event once by id.

    Raises ValueError / stripe.SignatureVerificationError for forged or stale requests."""
    event = stripe.Webhook.construct_event(
        payload, signature, settings.STRIPE_WEBHOOK_SECRET, tolerance=300
    )
    stored, created = WebhookEvent.objects.get_or_create(
        stripe_id=event.id,
        defaults={
            "type": event.type,
            "account": getattr(event, "account", None) or "",
            "payload": event.to_dict(),
        },
    )
    if created:
        from ..tasks import process_webhook_event_task

        transaction.on_commit(lambda: process_webhook_event_task.delay(event_id=stored.pk))
    return stored


@system_entry_point
def process_webhook_event(*, event_id: int) -> WebhookEvent | None:
    """Apply one stored event. Handlers re-read Stripe, so duplicates and any order are safe."""
    event = WebhookEvent.objects.filter(pk=event_id).first()
    if event is None:
        return None
    obj = event.payload.get("data", {}).get("object", {})
    if event.type in {"checkout.session.completed", "checkout.session.async_payment_succeeded"}:
        complete_checkout(session_id=obj["id"])
    elif event.type == "checkout.session.async_payment_failed":
        fail_async_checkout(session_id=obj["id"])
    elif event.type == "checkout.session.expired":
        expire_checkout(session_id=obj["id"])
    elif event.type == "payment_intent.payment_failed":
        record_payment_failure(payment_intent_id=obj["id"])
    elif event.type.startswith("payout.") and event.account:
        # A payee's Stripe balance paid to (or refused by) their bank.
        sync_bank_payout(account=event.account, payout_id=obj["id"])
    elif event.type == "account.updated":
        sync_account(stripe_id=obj["id"])
    elif event.type in REFUND_EVENTS:
        _refund_updated(obj)
    WebhookEvent.objects.filter(pk=event.pk).update(processed_at=timezone.now(), error="")
    return event


# A refund's status at Stripe moved (pending → succeeded, or failed).
REFUND_EVENTS = frozenset({"charge.refund.updated", "refund.updated", "refund.failed"})


def _refund_updated(obj: dict) -> None:
    if obj.get("object") == "refund":
        sync_refund(stripe_id=obj["id"])
