"""What licensing tells the apps that build on it, after commit and once per change.

Licensing imports none of them: they connect a receiver in their `AppConfig.ready`."""

from django.dispatch import Signal

# Sent with `licence_id` when consent is revoked and an active licence's end moves earlier
# (`Licence.ends_early_on`): payments refunds the brand for the days it loses.
licence_ends_early = Signal()
