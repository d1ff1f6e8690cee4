from django.contrib import admin
from django.utils.html import format_html

from .models import Category, RateCard, RateCardLine, StyleTag, Talent, Twin, TwinImage


class TwinImageInline(admin.TabularInline):
    model = TwinImage
    extra = 0
    fields = ["preview", "status", "position", "alt_text", "width", "height"]
    readonly_fields = ["preview", "width", "height"]

    @admin.display(description="Preview")
    def preview(self, obj: TwinImage) -> str:
        if obj.thumbnail:
            return format_html('<img src="{}" height="80" alt="">', obj.thumbnail.url)
        return "—"


@admin.register(Twin)
class TwinAdmin(admin.ModelAdmin):
    list_display = [
        "display_name",
        "agency",
        "talent",
        "status",
        "price_from",
        "currency",
        "published_at",
    ]
    list_filter = ["status", "agency", "currency"]
    search_fields = ["display_name", "slug", "talent__full_name"]
    list_select_related = ["agency", "talent"]
    autocomplete_fields = ["talent", "agency"]
    filter_horizontal = ["tags", "permitted_categories"]
    readonly_fields = ["price_from", "search_document", "cover"]
    inlines = [TwinImageInline]


@admin.register(Talent)
class TalentAdmin(admin.ModelAdmin):
    list_display = ["full_name", "email", "agency", "user"]
    search_fields = ["full_name", "email"]
    list_filter = ["agency"]
    list_select_related = ["agency", "user"]
    autocomplete_fields = ["agency", "user"]
    filter_horizontal = ["restricted_categories"]


class RateCardLineInline(admin.TabularInline):
    model = RateCardLine
    extra = 0


@admin.register(RateCard)
class RateCardAdmin(admin.ModelAdmin):
    list_display = ["twin", "currency", "exclusivity_premium_bps", "approval_premium_bps"]
    search_fields = ["twin__display_name"]
    inlines = [RateCardLineInline]


@admin.register(Category)
class CategoryAdmin(admin.ModelAdmin):
    list_display = ["name", "slug", "sensitive"]


@admin.register(StyleTag)
class StyleTagAdmin(admin.ModelAdmin):
    list_display = ["name", "slug"]
    search_fields = ["name"]
