from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from marketplace.payments.services.payouts import plan_payout_run


class Command(BaseCommand):
    help = "Plan a payout run now; workers send the transfers."

    def handle(self, *args: Any, **options: Any) -> None:
        run = plan_payout_run()
        self.stdout.write(self.style.SUCCESS(f"Payout run {run.pk}: {run.total} payout(s)."))
