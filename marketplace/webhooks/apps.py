from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "marketplace.webhooks"
    label = "webhooks"
    verbose_name = "Outgoing webhooks"

    def ready(self) -> None:
        from marketplace.licensing import events

        from .services import on_licence_event

        # Every licence event, delivered to the brand's endpoints after it commits.
        events.subscribe(events.ALL, on_licence_event)
