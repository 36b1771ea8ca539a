from django.contrib import admin

from exportwatch.reporting.models import Disruption, Need, Report, ReportLine


class ReportLineInline(admin.TabularInline):
    model = ReportLine
    extra = 0
    readonly_fields = ("market", "hs", "backlog_usd", "new_orders_usd", "exports_usd")
    can_delete = False


@admin.register(Report)
class ReportAdmin(admin.ModelAdmin):
    """Read-only: reported figures change only through a new version (web form, import or API)."""

    list_display = ("enterprise", "period", "version", "is_current", "exports_usd", "source", "submitted_at")
    list_filter = ("period", "is_current", "source")
    search_fields = ("enterprise__name", "enterprise__uscc")
    inlines = [ReportLineInline]

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


class FiledAdmin(admin.ModelAdmin):
    """Read-only: disruptions and needs are filed by enterprises (web form, import or API), audited when filed; an
    edit here would change what an enterprise reported without a trace."""

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_add_permission(self, request):  # type: ignore[no-untyped-def]
        return False

    def has_delete_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False


@admin.register(Disruption)
class DisruptionAdmin(FiledAdmin):
    list_display = ("enterprise", "date", "kind", "amount_usd", "market")
    list_filter = ("kind",)
    search_fields = ("enterprise__name", "enterprise__uscc")


@admin.register(Need)
class NeedAdmin(FiledAdmin):
    list_display = ("enterprise", "date", "category", "urgency", "amount_usd")
    list_filter = ("category", "urgency")
    search_fields = ("enterprise__name", "enterprise__uscc")
