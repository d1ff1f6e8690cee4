from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from .models import Credit, CrewMember


class CreditInline(admin.TabularInline):
    model = Credit
    extra = 0
    fields = ["twin", "role", "work", "work_date"]
    readonly_fields = ["twin"]

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # agencies credit crew on their twin pages (audited there)


@admin.register(CrewMember)
class CrewMemberAdmin(admin.ModelAdmin):
    list_display = ["full_name", "email", "agency", "user"]
    search_fields = ["full_name", "email"]
    list_filter = ["agency"]
    list_select_related = ["agency", "user"]
    autocomplete_fields = ["agency", "user"]
    inlines = [CreditInline]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # added by an agency when it first credits the person


@admin.register(Credit)
class CreditAdmin(admin.ModelAdmin):
    list_display = ["twin", "crew_member", "role", "work", "work_date"]
    list_filter = ["role"]
    search_fields = ["crew_member__full_name", "twin__display_name", "work"]
    list_select_related = ["twin", "crew_member"]
    readonly_fields = ["twin", "crew_member"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # agencies credit crew on their twin pages (audited there)
