from django.contrib import admin

from .models import BrandWebhookEndpoint, WebhookAttempt, WebhookDelivery


@admin.register(BrandWebhookEndpoint)
class EndpointAdmin(admin.ModelAdmin):
    list_display = ["url", "brand", "created_at", "disabled_at"]
    search_fields = ["url", "brand__name"]
    exclude = ["secret"]  # signs deliveries; never displayed after creation
    readonly_fields = ["brand", "url", "created_by", "disabled_at"]


class AttemptInline(admin.TabularInline):
    model = WebhookAttempt
    extra = 0
    can_delete = False
    readonly_fields = ["number", "status_code", "error", "duration_ms", "created_at"]


@admin.register(WebhookDelivery)
class DeliveryAdmin(admin.ModelAdmin):
    list_display = ["event_type", "licence_reference", "endpoint", "status", "attempts"]
    list_filter = ["status", "event_type"]
    search_fields = ["event_id", "licence_reference"]
    readonly_fields = [f.name for f in WebhookDelivery._meta.fields]
    inlines = [AttemptInline]
