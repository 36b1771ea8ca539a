"""Administration of the cases app: cases and their events read-only (they change through the services only), the
routing table and the local calendar days edited through the services (checked and audited like every other
path)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.db.models import QuerySet
from django.http import HttpRequest

from exportwatch.cases.models import CalendarDay, Case, CaseEvent, RoutingRule
from exportwatch.cases.services import calendar_day_remove, calendar_day_set, routing_rule_update
from exportwatch.common.admin import ReadOnlyAdmin


class CaseEventInline(admin.TabularInline):
    model = CaseEvent
    extra = 0
    can_delete = False
    fields = ("at", "actor", "kind", "from_state", "to_state", "note", "rating", "clock", "attachment_name")
    readonly_fields = fields
    ordering = ("at", "id")

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyAdmin):
    list_display = ("pk", "title", "enterprise", "category", "state", "lead_department", "clock_state", "created_at")
    list_filter = ("state", "category", "clock_state", "lead_department")
    search_fields = ("title", "enterprise__name", "enterprise__uscc")
    inlines = [CaseEventInline]


@admin.register(CaseEvent)
class CaseEventAdmin(ReadOnlyAdmin):
    """Append-only: events are shown, never added, changed or deleted here."""

    list_display = ("at", "case", "kind", "from_state", "to_state", "actor")
    list_filter = ("kind",)
    search_fields = ("case__title", "note")


@admin.register(RoutingRule)
class RoutingRuleAdmin(admin.ModelAdmin):
    list_display = ("category", "lead_department", "first_response_days", "resolution_days", "updated_at")
    filter_horizontal = ("co_departments",)
    fields = ("category", "lead_department", "co_departments", "first_response_days", "resolution_days")

    def get_readonly_fields(self, request: HttpRequest, obj: Any = None) -> tuple[str, ...]:
        return ("category",) if obj is not None else ()

    def formfield_for_foreignkey(self, db_field: Any, request: HttpRequest, **kwargs: Any) -> Any:
        field = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if db_field.name == "lead_department":
            field.required = True  # the table always names a lead department; only a removed one leaves it empty
        return field

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False  # every category keeps a rule

    def save_model(self, request: HttpRequest, obj: RoutingRule, form: Any, change: bool) -> None:
        rule = routing_rule_update(
            category=obj.category,
            lead=obj.lead_department,
            co=form.cleaned_data.get("co_departments") or (),
            first_response_days=obj.first_response_days,
            resolution_days=obj.resolution_days,
            actor=request.user,
        )
        obj.pk = rule.pk

    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        pass  # the service has set the co-handling departments


@admin.register(CalendarDay)
class CalendarDayAdmin(admin.ModelAdmin):
    """Local days of the working calendar, each overriding what the shipped calendar says of its date."""

    list_display = ("date", "kind", "note", "updated_at", "updated_by")
    list_filter = ("kind",)
    fields = ("date", "kind", "note")
    date_hierarchy = "date"

    def save_model(self, request: HttpRequest, obj: CalendarDay, form: Any, change: bool) -> None:
        if change and "date" in form.changed_data:
            calendar_day_remove(date=form.initial["date"], actor=request.user)
        day = calendar_day_set(date=obj.date, kind=obj.kind, note=obj.note, actor=request.user)
        obj.pk = day.pk

    def delete_model(self, request: HttpRequest, obj: CalendarDay) -> None:
        calendar_day_remove(date=obj.date, actor=request.user)

    def delete_queryset(self, request: HttpRequest, queryset: QuerySet[CalendarDay]) -> None:
        for day in queryset:
            calendar_day_remove(date=day.date, actor=request.user)
