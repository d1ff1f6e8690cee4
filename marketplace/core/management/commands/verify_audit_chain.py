"""`manage.py verify_audit_chain`: recompute the audit hash chain, name the first broken link."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from marketplace.core import audit


class Command(BaseCommand):
    help = "Verify the audit events' hash chain; exit 1 at the first broken link."

    def handle(self, *args: Any, **options: Any) -> None:
        report = audit.verify_chain()
        if not report.ok:
            raise CommandError(
                f"Audit chain broken at event id {report.broken_event_id} "
                f"(after {report.checked} good event(s)): {report.problem}"
            )
        pending = f"; {report.unsealed} event(s) not sealed yet" if report.unsealed else ""
        self.stdout.write(
            self.style.SUCCESS(f"Audit chain OK: {report.checked} event(s) verified{pending}.")
        )
