from django.contrib import admin

from .models import Sighting, TakedownCase


@admin.register(Sighting)
class SightingAdmin(admin.ModelAdmin):
    list_display = ("id", "twin", "finding", "host", "seen_on", "created_at")
    list_filter = ("finding",)
    # The screenshot is private: named here, shown to the model and her agency on the site.
    exclude = ("screenshot",)
    readonly_fields = [
        *(f.name for f in Sighting._meta.fields if f.name != "screenshot"),
        "screenshot_name",
    ]
    search_fields = ("host", "screenshot_sha256")

    @admin.display(description="Screenshot (stored as)")
    def screenshot_name(self, obj: Sighting) -> str:
        return obj.screenshot.name or "—"


@admin.register(TakedownCase)
class TakedownCaseAdmin(admin.ModelAdmin):
    list_display = ("id", "sighting", "status", "notice_sent_at", "closed_at")
    list_filter = ("status",)
    # The notice is a private file (no URL): named here, opened by its parties on the site.
    exclude = ("notice",)
    readonly_fields = [
        *(f.name for f in TakedownCase._meta.fields if f.name != "notice"),
        "notice_name",
    ]

    @admin.display(description="Notice (stored as)")
    def notice_name(self, obj: TakedownCase) -> str:
        return obj.notice.name or "—"
