"""Read-only admin: contracts and signatures are evidence; staff look and download, never edit."""

from __future__ import annotations

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html

from marketplace.core.admin_kit import ViewOnly

from .models import Contract, Signature

CONTRACT_FIELDS: tuple[str, ...] = (
    "reference",
    "licence",
    "consent",
    "terms",
    "status",
    "render_attempts",
    "generation_error",
    "failed_at",
    "documents",
    "document_sha256",
    "document_size",
    "generated_at",
    "executed_sha256",
    "executed_at",
    "void_reason",
    "declined_role",
    "declined_by",
    "declined_at",
    "created_at",
)


class SignatureInline(ViewOnly, admin.TabularInline):
    model = Signature
    extra = 0
    fields = ["role", "typed_name", "user", "signed_at", "ip_address", "document_sha256"]
    readonly_fields = ("role", "typed_name", "user", "signed_at", "ip_address", "document_sha256")
    can_delete = False


@admin.register(Contract)
class ContractAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["reference", "licence", "status", "signed", "generated_at", "executed_at"]
    list_filter = ["status"]
    search_fields = ["reference", "licence__reference", "licence__brand__name"]
    list_select_related = ["licence"]
    date_hierarchy = "created_at"
    inlines = [SignatureInline]
    fields = CONTRACT_FIELDS
    readonly_fields = CONTRACT_FIELDS

    @admin.display(description="Signatures")
    def signed(self, obj: Contract) -> str:
        return f"{obj.signatures.count()}/3"

    @admin.display(description="Documents")
    def documents(self, obj: Contract) -> str:
        ref = obj.licence.reference
        links = []
        if obj.document:
            url = reverse("contracts:document", args=[ref, obj.reference])
            links.append(format_html('<a href="{}?download=1">contract PDF</a>', url))
        if obj.executed_document:
            url = reverse("contracts:executed", args=[ref, obj.reference])
            links.append(format_html('<a href="{}?download=1">executed (sealed) PDF</a>', url))
        return format_html(" · ".join(["{}"] * len(links)), *links) if links else "—"


@admin.register(Signature)
class SignatureAdmin(ViewOnly, admin.ModelAdmin):
    list_display = ["contract", "role", "typed_name", "user", "signed_at", "ip_address"]
    list_filter = ["role"]
    search_fields = ["contract__reference", "typed_name", "user__email"]
    list_select_related = ["contract", "user"]
    readonly_fields = [
        "contract",
        "role",
        "user",
        "organisation",
        "typed_name",
        "document_sha256",
        "ip_address",
        "user_agent",
        "signed_at",
    ]
