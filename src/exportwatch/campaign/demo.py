"""The demo's campaign: each town's quota is 90% of its registered enterprises (rounded)."""

from __future__ import annotations

from django.db.models import Count

from exportwatch.campaign.services import town_quota_set
from exportwatch.directory.models import Region


def campaign_demo_load() -> int:
    """Give every town with enterprises and no quota yet a quota (an analyst's quota is kept); returns how many
    towns got one."""
    towns = list(
        Region.objects.filter(level=Region.Level.TOWN, reporting_quota__isnull=True)
        .annotate(n=Count("enterprises"))
        .filter(n__gt=0)
    )
    for town in towns:
        town_quota_set(town=town, expected=round(town.n * 0.9), actor=None, note="demo: 90% of registered")
    return len(towns)
