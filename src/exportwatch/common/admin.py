"""The audit trail in the admin: read only (the model refuses changes and deletions as well); and ``ReadOnlyAdmin``,
the admin of every record that changes only through the services (so that each change is checked and audited)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from exportwatch.common.models import AuditEvent


class ReadOnlyAdmin(admin.ModelAdmin):
    """Lists and shows records; adds, changes and deletes nothing."""

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "object_type", "object_key", "uscc")
    list_filter = ("action", "object_type")
    search_fields = ("object_key", "uscc")
    readonly_fields = (
        "at", "actor", "action", "object_type", "object_key", "uscc", "region_path", "old", "new", "note",
    )  # fmt: skip
    show_full_result_count = False
