from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect
from django.urls import URLPattern, path
from django.utils.html import format_html

from marketplace.core.admin_kit import ViewOnly
from marketplace.core.errors import PermissionDenied

from .models import (
    Charge,
    ConnectedAccount,
    Earning,
    LedgerAccount,
    LedgerEntry,
    LedgerTransaction,
    Payout,
    PayoutRun,
    UsageReport,
    WebhookEvent,
)
from .services import payouts, refunds


class ReadOnly(ViewOnly, admin.ModelAdmin):
    pass


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnly):
    """Payout runs with their progress, and a button to run payouts now. The page reloads
    itself (a meta refresh: the CSP allows no inline script) while a run is under way."""

    change_list_template = "admin/payments/payoutrun/change_list.html"
    list_display = ["id", "created_at", "status", "planned", "sent", "failed", "progress"]
    list_filter = ["status"]
    REFRESH_SECONDS = 3

    def get_queryset(self, request: HttpRequest) -> QuerySet[PayoutRun]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                paid=Count("payouts", filter=Q(payouts__status="paid")),
                failed_count=Count("payouts", filter=Q(payouts__status="failed")),
            )
        )

    def get_urls(self) -> list[URLPattern]:
        run_now = path(
            "run-now/",
            self.admin_site.admin_view(self.run_now_view),
            name="payments_payoutrun_run_now",
        )
        return [run_now, *super().get_urls()]

    def changelist_view(
        self, request: HttpRequest, extra_context: dict[str, Any] | None = None
    ) -> HttpResponse:
        under_way = PayoutRun.objects.exclude(status=PayoutRun.Status.DONE).exists()
        context = {
            **(extra_context or {}),
            "title": "Payout runs",
            "refresh_seconds": self.REFRESH_SECONDS if under_way else None,
            "payout_hour_utc": settings.PAYOUT_HOUR_UTC,
        }
        return super().changelist_view(request, extra_context=context)

    def run_now_view(self, request: HttpRequest) -> HttpResponse:
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        try:
            run = payouts.start_payout_run(by=request.user)
        except PermissionDenied as exc:
            self.message_user(request, str(exc), messages.ERROR)
        else:
            if run.total:
                self.message_user(
                    request, f"Payout run {run.pk} started: {run.total} payout(s) to send."
                )
            else:
                self.message_user(
                    request,
                    f"Payout run {run.pk}: nobody had earnings ready to pay out.",
                    messages.WARNING,
                )
        return redirect("admin:payments_payoutrun_changelist")

    @admin.display(description="Planned", ordering="total")
    def planned(self, run: PayoutRun) -> int:
        return run.total

    @admin.display(description="Sent")
    def sent(self, run: PayoutRun) -> int:
        return getattr(run, "paid", 0)

    @admin.display(description="Failed")
    def failed(self, run: PayoutRun) -> int:
        return getattr(run, "failed_count", 0)

    @admin.display(description="Progress")
    def progress(self, run: PayoutRun) -> str:
        paid, failed = getattr(run, "paid", 0), getattr(run, "failed_count", 0)
        done = paid + failed
        pct = int(100 * done / run.total) if run.total else 100
        # <progress> rather than styled <div>s: the CSP allows no inline styles.
        return format_html(
            '<progress max="100" value="{}"></progress> {} of {} sent, {} failed',
            pct,
            paid,
            run.total,
            failed,
        )


@admin.register(Payout)
class PayoutAdmin(ReadOnly):
    list_display = [
        "id",
        "account",
        "amount",
        "currency",
        "status",
        "attempts",
        "transfer_id",
        "created_at",
    ]
    list_filter = ["status", "currency"]
    search_fields = ["transfer_id", "account__stripe_id"]


@admin.register(Charge)
class ChargeAdmin(ReadOnly):
    list_display = [
        "id",
        "kind",
        "brand",
        "licence",
        "amount",
        "currency",
        "status",
        "paid_at",
        "refunded_amount",
    ]
    list_filter = ["kind", "status", "currency"]
    search_fields = ["checkout_session_id", "stripe_charge_id", "licence__reference"]
    actions = ["refund_in_full"]

    @admin.action(description="Refund in full (reverses the transfers proportionally)")
    def refund_in_full(self, request: HttpRequest, queryset: QuerySet[Charge]) -> None:
        for charge in queryset:
            try:
                refunds.refund_charge(by=request.user, charge_id=charge.pk)
            except Exception as exc:
                self.message_user(request, f"Charge {charge.pk}: {exc}", messages.ERROR)
            else:
                self.message_user(request, f"Charge {charge.pk} refunded.")


@admin.register(Earning)
class EarningAdmin(ReadOnly):
    list_display = [
        "id",
        "talent",
        "organisation",
        "licence",
        "amount",
        "reversed_amount",
        "currency",
        "status",
        "due_by",
        "flagged_late_at",
    ]
    list_filter = ["status", "source", "currency"]


@admin.register(ConnectedAccount)
class ConnectedAccountAdmin(ReadOnly):
    list_display = ["stripe_id", "talent", "organisation", "payouts_enabled", "details_submitted"]


@admin.register(UsageReport)
class UsageReportAdmin(ReadOnly):
    list_display = ["id", "licence", "brand", "used_on", "media_type", "territory", "fee", "charge"]
    list_filter = ["media_type"]


class EntryInline(admin.TabularInline):
    model = LedgerEntry
    verbose_name_plural = "ledger entries"
    extra = 0
    can_delete = False
    readonly_fields = ["account", "amount", "currency"]


@admin.register(LedgerTransaction)
class LedgerTransactionAdmin(ReadOnly):
    list_display = ["key", "kind", "description", "created_at"]
    list_filter = ["kind"]
    search_fields = ["key"]
    inlines = [EntryInline]


@admin.register(LedgerAccount)
class LedgerAccountAdmin(ReadOnly):
    list_display = ["kind", "currency", "talent", "organisation"]
    list_filter = ["kind", "currency"]


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnly):
    list_display = ["stripe_id", "type", "received_at", "processed_at", "error"]
    list_filter = ["type"]
    search_fields = ["stripe_id"]
