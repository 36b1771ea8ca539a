from django.contrib import admin

from exportwatch.directory.models import Department, Enterprise, HSCode, Industry, Market, MarketGroup, Region, Segment


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en", "level", "parent")
    list_filter = ("level",)
    search_fields = ("code", "name", "name_en")


@admin.register(Market, HSCode, Industry, Segment)
class CodeAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en")
    search_fields = ("code", "name", "name_en")


@admin.register(MarketGroup)
class MarketGroupAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "name_en")
    filter_horizontal = ("members",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "kind")
    list_filter = ("kind",)


@admin.register(Enterprise)
class EnterpriseAdmin(admin.ModelAdmin):
    list_display = ("name", "uscc", "town", "industry", "exports_last_year_usd", "imports_last_year_usd")
    list_filter = ("town", "industry", "segments")
    search_fields = ("name", "uscc", "customs_code")
    filter_horizontal = ("segments",)
    readonly_fields = ("trade_last_year_usd", "created_at", "updated_at")
