from django.contrib import admin

from exportwatch.common.admin import ReadOnlyAdmin
from exportwatch.reporting.models import Disruption, Need, Report, ReportLine


class ReportLineInline(admin.TabularInline):
    model = ReportLine
    extra = 0
    readonly_fields = ("market", "hs", "backlog_usd", "new_orders_usd", "exports_usd")
    can_delete = False


@admin.register(Report)
class ReportAdmin(ReadOnlyAdmin):
    """Read-only: reported figures change only through a new version (web form, import or API)."""

    list_display = ("enterprise", "period", "version", "is_current", "exports_usd", "source", "submitted_at")
    list_filter = ("period", "is_current", "source")
    search_fields = ("enterprise__name", "enterprise__uscc")
    inlines = [ReportLineInline]


class FiledAdmin(ReadOnlyAdmin):
    """Read-only: disruptions and needs are filed by enterprises (web form, import or API), audited when filed; an
    edit here would change what an enterprise reported without a trace."""


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
