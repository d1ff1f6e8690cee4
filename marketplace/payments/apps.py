from typing import Any

from django.apps import AppConfig


class PaymentsConfig(AppConfig):
    name = "marketplace.payments"
    label = "payments"
    verbose_name = "Payments and payouts"

    def ready(self) -> None:
        from marketplace.licensing.signals import licence_ends_early

        licence_ends_early.connect(_refund_revoked_licence, dispatch_uid="payments.revocation")


def _refund_revoked_licence(sender: Any, *, licence_id: int, **kwargs: Any) -> None:
    """A revocation moved a licence's end earlier: refund the brand (`refunds`)."""
    from .tasks import refund_revoked_licence_task

    refund_revoked_licence_task.delay(licence_id=licence_id)
