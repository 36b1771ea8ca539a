from django.contrib import admin

from exportwatch.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    """Read-only: what was told to whom, and whether the e-mail went out (failures with their error)."""

    list_display = ("created_at", "user", "kind", "level", "subject", "read_at", "email_state", "emailed_at")
    list_filter = ("email_state", "kind", "level")
    search_fields = ("user__username", "subject", "dedupe_key", "email_error")
    list_select_related = ("user",)
    date_hierarchy = "created_at"
    readonly_fields = (
        "user", "kind", "dedupe_key", "subject", "body", "url", "level", "created_at", "read_at", "email_state",
        "emailed_at", "email_error",
    )  # fmt: skip

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
