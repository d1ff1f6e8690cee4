"""Proofs for platform staff: to look up and search, never to edit. Proofs, versions and the
model's decisions are evidence; every change goes through the services."""

from __future__ import annotations

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from marketplace.core.admin_kit import ViewOnly

from .models import Proof, ProofDecision, ProofVersion


class VersionInline(ViewOnly, admin.TabularInline):
    model = ProofVersion
    extra = 0
    fields = readonly_fields = (
        "number",
        "media_type",
        "territory",
        "publish_on",
        "caption",
        "sha256",
        "width",
        "height",
        "submitted_by",
        "created_at",
    )


class DecisionInline(ViewOnly, admin.TabularInline):
    model = ProofDecision
    extra = 0
    fields = readonly_fields = (
        "version",
        "decision",
        "note",
        "decided_by",
        "on_behalf_of",
        "statement",
        "ip_address",
        "created_at",
    )


@admin.register(Proof)
class ProofAdmin(ViewOnly, admin.ModelAdmin):
    list_display = [
        "reference",
        "status",
        "licence",
        "brand",
        "agency",
        "talent",
        "due_at",
        "decided_at",
        "created_at",
    ]
    list_filter = [
        "status",
        ("brand", admin.RelatedOnlyFieldListFilter),
        ("agency", admin.RelatedOnlyFieldListFilter),
        "created_at",
    ]
    search_fields = [
        "reference",
        "licence__reference",
        "brand__name",
        "agency__name",
        "talent__full_name",
        "talent__email",
        "versions__sha256",
    ]
    list_select_related = ["licence", "brand", "agency", "talent"]
    date_hierarchy = "created_at"
    inlines = [VersionInline, DecisionInline]
    exclude = ["latest"]

    def get_queryset(self, request: HttpRequest) -> QuerySet[Proof]:
        return super().get_queryset(request).select_related(*self.list_select_related)
