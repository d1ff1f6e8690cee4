"""Process stored Stripe events again: all, unprocessed ones, or some by id."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from marketplace.payments.models import WebhookEvent
from marketplace.payments.services.stripe_events import process_webhook_event


class Command(BaseCommand):
    help = "Replay stored Stripe webhook events (handlers are idempotent)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("event_ids", nargs="*", help="Stripe event ids (evt_...)")
        parser.add_argument(
            "--unprocessed", action="store_true", help="only events never processed"
        )

    def handle(self, *args: Any, event_ids: list[str], unprocessed: bool, **options: Any) -> None:
        events = WebhookEvent.objects.order_by("received_at", "id")
        if event_ids:
            events = events.filter(stripe_id__in=event_ids)
        if unprocessed:
            events = events.filter(processed_at__isnull=True)
        done = 0
        for event in events:
            process_webhook_event(event_id=event.pk)
            done += 1
        self.stdout.write(self.style.SUCCESS(f"Replayed {done} event(s)."))
