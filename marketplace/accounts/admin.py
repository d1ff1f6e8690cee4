from __future__ import annotations

from typing import Any, cast

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.db.models import QuerySet
from django.http import HttpRequest

from .models import ApiKey, Invitation, Membership, Organisation, Role, User
from .services import revoke_api_key


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 0
    autocomplete_fields = ["user"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    ordering = ["email"]
    list_display = ["email", "full_name", "is_staff", "is_active", "last_login"]
    search_fields = ["email", "full_name"]
    fieldsets = (
        (None, {"fields": ("email", "password", "full_name")}),
        (
            "Permissions",
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        ("Dates", {"fields": ("last_login", "date_joined")}),
    )
    add_fieldsets = (
        (None, {"classes": ("wide",), "fields": ("email", "full_name", "password1", "password2")}),
    )


@admin.register(Organisation)
class OrganisationAdmin(admin.ModelAdmin):
    list_display = ["name", "kind", "currency", "country", "commission_bps", "created_at"]
    list_filter = ["kind", "currency"]
    search_fields = ["name", "slug"]
    inlines = [MembershipInline]


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = [
        "email",
        "organisation",
        "role",
        "talent",
        "crew_member",
        "expires_at",
        "accepted_at",
        "revoked_at",
    ]
    list_filter = ["role"]
    search_fields = ["email", "organisation__name"]
    readonly_fields = ["token_hash", "accepted_at", "invited_by"]


class ApiKeyStatusFilter(admin.SimpleListFilter):
    title = "status"
    parameter_name = "status"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        return [("live", "Live"), ("revoked", "Revoked")]

    def queryset(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> QuerySet[ApiKey]:
        if self.value() == "live":
            return queryset.filter(revoked_at__isnull=True)
        if self.value() == "revoked":
            return queryset.filter(revoked_at__isnull=False)
        return queryset


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Organisations' API keys, to look at and revoke. Read-only otherwise: a key is made by
    an owner, who alone sees its secret once; its hash is never shown, and scopes are not
    widened behind the owner's back."""

    list_display = [
        "name",
        "organisation",
        "scope_list",
        "key_prefix",
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = [
        ApiKeyStatusFilter,
        "organisation__kind",
        "created_at",
        ("last_used_at", admin.EmptyFieldListFilter),
    ]
    list_select_related = ["organisation"]
    search_fields = ["name", "prefix", "organisation__name", "organisation__slug"]
    date_hierarchy = "created_at"
    readonly_fields = (
        "organisation",
        "name",
        "key_prefix",
        "scope_list",
        "service_user",
        "created_by",
        "created_at",
        "last_used_at",
        "revoked_at",
    )
    fields = readonly_fields  # never key_hash
    actions = ["revoke"]

    @admin.display(description="scopes")
    def scope_list(self, api_key: ApiKey) -> str:
        return ", ".join(api_key.scopes)

    @admin.display(description="prefix", ordering="prefix")
    def key_prefix(self, api_key: ApiKey) -> str:
        return api_key.display_prefix

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        # Revoked, never deleted: the key stays the actor of what it did.
        return False

    def has_revoke_permission(self, request: HttpRequest) -> bool:
        opts = self.opts
        codename = get_permission_codename("change", opts)
        return request.user.has_perm(f"{opts.app_label}.{codename}")

    @admin.action(description="Revoke the selected API keys", permissions=["revoke"])
    def revoke(self, request: HttpRequest, queryset: QuerySet[ApiKey]) -> None:
        revoked = 0
        for api_key in queryset.filter(revoked_at__isnull=True).select_related("organisation"):
            # Platform staff act with the organisation owner's authority, through the owner's
            # own service: the same lock, the same audit event, with staff as the actor.
            staff = Membership(
                user=cast(User, request.user),  # signed in: the admin site requires it
                organisation=api_key.organisation,
                role=Role.OWNER,
            )
            revoke_api_key(by=staff, api_key_id=api_key.pk)
            revoked += 1
        self.message_user(
            request,
            f"{revoked} API key(s) revoked; they are refused from the next request on.",
            messages.SUCCESS,
        )
