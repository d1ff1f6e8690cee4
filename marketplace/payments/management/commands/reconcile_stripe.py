"""Compare the ledger with Stripe and print every difference (exit 1 when any)."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand

from marketplace.payments.reconciliation import reconcile


class Command(BaseCommand):
    help = "Reconcile the ledger with Stripe's transfers, charges and balance."

    def handle(self, *args: Any, **options: Any) -> None:
        report = reconcile()
        for name, count in report.checked.items():
            self.stdout.write(f"checked {count} {name}")
        for line in report.differences:
            self.stdout.write(self.style.ERROR(f"DIFFERENCE {line}"))
        if report.ok:
            self.stdout.write(self.style.SUCCESS("Ledger and Stripe agree."))
        else:
            sys.exit(1)
