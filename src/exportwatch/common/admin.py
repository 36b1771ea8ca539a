"""The audit trail in the admin: read only (the model refuses changes and deletions as well)."""

from django.contrib import admin

from exportwatch.common.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_key", "uscc")
    list_filter = ("action", "object_type")
    search_fields = ("object_key", "uscc")
    readonly_fields = (
        "at", "actor", "action", "object_type", "object_key", "uscc", "region_path", "old", "new", "note",
    )  # fmt: skip
    show_full_result_count = False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
