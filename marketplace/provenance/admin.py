from django.contrib import admin

from .models import CredentialedImage


@admin.register(CredentialedImage)
class CredentialedImageAdmin(admin.ModelAdmin):
    list_display = ("id", "use", "manifest_label", "created_at")
    readonly_fields = (
        "use",
        "source_sha256",
        "file",
        "sha256",
        "manifest_label",
        "verify_token",
        "created_at",
    )
    search_fields = ("manifest_label", "sha256")
