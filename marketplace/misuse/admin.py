from django.contrib import admin

from .models import Sighting, TakedownCase


@admin.register(Sighting)
class SightingAdmin(admin.ModelAdmin):
    list_display = ("id", "twin", "finding", "host", "seen_on", "created_at")
    list_filter = ("finding",)
    readonly_fields = [f.name for f in Sighting._meta.fields]
    search_fields = ("host", "screenshot_sha256")


@admin.register(TakedownCase)
class TakedownCaseAdmin(admin.ModelAdmin):
    list_display = ("id", "sighting", "status", "notice_sent_at", "closed_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in TakedownCase._meta.fields]
