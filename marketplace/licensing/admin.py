"""Licences and consents for platform staff: to look up and search, never to edit. Every
change goes through the services, which check state and write the audit trail."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from marketplace.core.admin_kit import ViewOnly

from .models import Consent, ConsentRevocation, Licence, LicenceTerms


class TermsInline(ViewOnly, admin.StackedInline):
    model = LicenceTerms
    extra = 0
    verbose_name = "terms version"
    verbose_name_plural = "terms, every version"
    fields = readonly_fields = (
        "version",
        "proposed_by",
        "start_date",
        "end_date",
        "category",
        "media_types",
        "territory_label",
        "max_uses",
        "exclusive",
        "alteration_limits",
        "ai_training_forbidden",
        "intended_use",
        "revocation_notice_days",
        "total_fee",
        "currency",
        "terms_hash",
        "created_at",
    )


class ConsentInline(ViewOnly, admin.TabularInline):
    model = Consent
    extra = 0
    fields = readonly_fields = ("terms", "decision", "typed_name", "user", "created_at")


@admin.register(Licence)
class LicenceAdmin(ViewOnly, admin.ModelAdmin):
    list_display = [
        "reference",
        "status",
        "brand",
        "agency",
        "twin",
        "talent",
        "created_at",
        "activated_at",
        "ended_at",
    ]
    list_filter = [
        "status",
        ("brand", admin.RelatedOnlyFieldListFilter),
        ("agency", admin.RelatedOnlyFieldListFilter),
        "created_at",
    ]
    search_fields = [
        "reference",
        "brand__name",
        "agency__name",
        "twin__display_name",
        "talent__full_name",
        "talent__email",
    ]
    list_select_related = ["brand", "agency", "twin", "talent"]
    date_hierarchy = "created_at"
    inlines = [TermsInline, ConsentInline]
    exclude = ["terms"]  # the version in force is the last of the inline's

    def get_queryset(self, request: HttpRequest) -> QuerySet[Licence]:
        return super().get_queryset(request).select_related(*self.list_select_related)


@admin.register(Consent)
class ConsentAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["licence", "decision", "talent", "typed_name", "user", "created_at"]
    list_filter = ["decision", "created_at"]
    search_fields = [
        "licence__reference",
        "talent__full_name",
        "talent__email",
        "typed_name",
        "terms_hash",
    ]
    list_select_related = ["licence", "talent", "user"]
    date_hierarchy = "created_at"


@admin.register(ConsentRevocation)
class ConsentRevocationAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["twin", "talent", "user", "created_at"]
    list_filter = ["created_at"]
    search_fields = ["twin__display_name", "talent__full_name", "talent__email", "reason"]
    list_select_related = ["twin", "talent", "user"]
    date_hierarchy = "created_at"
