from django.contrib import admin, messages
from django.db.models import Count, Q, QuerySet
from django.http import HttpRequest
from django.utils.html import format_html

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


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False


@admin.register(PayoutRun)
class PayoutRunAdmin(ReadOnly):
    list_display = ["id", "created_at", "status", "progress", "finished_at"]
    actions = ["start_run"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[PayoutRun]:
        return (
            super()
            .get_queryset(request)
            .annotate(
                paid=Count("payouts", filter=Q(payouts__status="paid")),
                failed=Count("payouts", filter=Q(payouts__status="failed")),
            )
        )

    @admin.display(description="Progress")
    def progress(self, run: PayoutRun) -> str:
        paid, failed = getattr(run, "paid", 0), getattr(run, "failed", 0)
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

    @admin.action(description="Start a payout run now")
    def start_run(self, request: HttpRequest, queryset: QuerySet[PayoutRun]) -> None:
        run = payouts.plan_payout_run()
        self.message_user(request, f"Payout run {run.pk} started with {run.total} payouts.")


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
