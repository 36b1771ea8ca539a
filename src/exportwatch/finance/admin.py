"""Administration of the white list: read-only (entries, decisions, referrals and outcomes change through the
services only, which check the rules and audit every change)."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from exportwatch.common.admin import ReadOnlyAdmin
from exportwatch.finance.models import Referral, WhitelistEntry, WhitelistMatch


class MatchInline(admin.TabularInline):
    model = WhitelistMatch
    extra = 0
    can_delete = False
    fields = ("product", "reason")
    readonly_fields = fields

    def has_add_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(WhitelistEntry)
class WhitelistEntryAdmin(ReadOnlyAdmin):
    list_display = ("enterprise", "eligible", "priority", "approval", "decided_by", "refreshed_at")
    list_filter = ("eligible", "approval", "priority")
    search_fields = ("enterprise__name", "enterprise__uscc")
    list_select_related = ("enterprise", "decided_by")
    inlines = [MatchInline]


@admin.register(Referral)
class ReferralAdmin(ReadOnlyAdmin):
    list_display = ("entry", "product", "institution", "referred_at", "outcome", "granted_usd", "granted_on")
    list_filter = ("outcome", "product", "institution")
    search_fields = ("entry__enterprise__name", "entry__enterprise__uscc")
    list_select_related = ("entry__enterprise", "institution")
