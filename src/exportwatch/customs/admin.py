from django.contrib import admin
from django.http import HttpRequest

from exportwatch.customs.models import CustomsExport


@admin.register(CustomsExport)
class CustomsExportAdmin(admin.ModelAdmin):
    """Read only: customs figures change through a load (``customs_upsert_many``), which audits every change."""

    list_display = ("enterprise", "period", "market", "hs", "exports_usd", "loaded_at", "loaded_by", "source_file")
    list_filter = ("period",)
    search_fields = ("enterprise__uscc", "enterprise__name", "hs", "source_file")
    list_select_related = ("enterprise", "market", "loaded_by")
    show_full_result_count = False

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: object = None) -> bool:
        return False
