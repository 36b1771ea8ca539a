from django.contrib import admin

from exportwatch.common.models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_key")
    list_filter = ("action", "object_type")
    search_fields = ("object_key",)
    readonly_fields = ("at", "actor", "action", "object_type", "object_key", "old", "new", "note")

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
