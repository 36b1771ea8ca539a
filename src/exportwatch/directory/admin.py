from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from exportwatch.common.audit import audit_record
from exportwatch.directory.models import Department, Enterprise, HSCode, Industry, Market, MarketGroup, Region, Segment
from exportwatch.directory.services import enterprise_values


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
    """Registry edits by administrators, audited with the values before and after like every other path."""

    list_display = ("name", "uscc", "town", "industry", "exports_last_year_usd", "imports_last_year_usd")
    list_filter = ("town", "industry", "segments")
    search_fields = ("name", "uscc", "customs_code")
    filter_horizontal = ("segments",)
    readonly_fields = ("trade_last_year_usd", "created_at", "updated_at")

    def save_model(self, request: HttpRequest, obj: Enterprise, form: Any, change: bool) -> None:
        before = Enterprise.objects.filter(pk=obj.pk).first() if change else None
        obj._audit_old = enterprise_values(before) if before is not None else None  # type: ignore[attr-defined]
        super().save_model(request, obj, form, change)

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        obj = form.instance
        old = getattr(obj, "_audit_old", None)
        new = enterprise_values(obj)
        if old != new:
            audit_record(
                actor=request.user,
                action="enterprise.update" if old is not None else "enterprise.create",
                object_type="enterprise",
                object_key=obj.uscc,
                old=old,
                new=new,
                note="admin",
                enterprise=obj,
            )

    def delete_model(self, request: HttpRequest, obj: Enterprise) -> None:
        old = enterprise_values(obj)
        super().delete_model(request, obj)
        audit_record(
            actor=request.user,
            action="enterprise.delete",
            object_type="enterprise",
            object_key=obj.uscc,
            old=old,
            enterprise=obj,
        )

    def delete_queryset(self, request: HttpRequest, queryset: Any) -> None:
        # The list's bulk "delete selected" action: one audited deletion each, like the delete page.
        for obj in queryset:
            self.delete_model(request, obj)
