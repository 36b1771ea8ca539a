"""Reads of the registry. Every function takes a queryset already scoped by exportwatch.common.scoping."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Exists, OuterRef, Q

from exportwatch.directory.models import EnterpriseQuerySet, Industry, Region, Segment

TIERS = ("head", "whitelist", "other")


@dataclass(frozen=True)
class EnterpriseFilter:
    town: str = ""
    industry: str = ""
    segment: str = ""
    tier: str = ""
    q: str = ""


def filter_from_query(query: Mapping[str, str]) -> EnterpriseFilter:
    """The filter a page or an export was asked for, with lengths bounded and unknown tiers ignored."""
    tier = query.get("tier", "")
    return EnterpriseFilter(
        town=query.get("town", "")[:12],
        industry=query.get("industry", "")[:4],
        segment=query.get("segment", "")[:32],
        tier=tier if tier in TIERS else "",
        q=query.get("q", "").strip()[:60],
    )


def _under(code: str, prefix: str = "") -> Q:
    """Regions at or below the region ``code`` (its code starts a path or sits inside one)."""
    return Q(**{f"{prefix}path__startswith": f"{code}/"}) | Q(**{f"{prefix}path__contains": f"/{code}/"})


def region_codes_under(code: str) -> frozenset[str]:
    """The codes of the region ``code`` and of every region below it."""
    return frozenset(Region.objects.filter(_under(code)).values_list("code", flat=True))


def enterprises_filter(qs: EnterpriseQuerySet, f: EnterpriseFilter) -> EnterpriseQuerySet:
    if f.town:
        qs = qs.filter(_under(f.town, "town__"))
    if f.industry:
        qs = qs.filter(industry_id=f.industry)
    if f.segment:
        qs = qs.filter(segments__code=f.segment)
    head = settings.EXPORTWATCH_HEAD_EXPORTS_USD
    white = settings.EXPORTWATCH_WHITELIST_TRADE_USD
    if f.tier == "head":
        qs = qs.filter(exports_last_year_usd__gte=head)
    elif f.tier == "whitelist":
        qs = qs.filter(exports_last_year_usd__lt=head, trade_last_year_usd__gte=white)
    elif f.tier == "other":
        qs = qs.filter(exports_last_year_usd__lt=head, trade_last_year_usd__lt=white)
    if f.q:
        qs = qs.filter(Q(name__icontains=f.q) | Q(uscc__icontains=f.q.upper()) | Q(customs_code__icontains=f.q))
    return qs.distinct() if f.segment else qs  # only the segments join can repeat an enterprise


def filter_options(towns: list[Region], scoped: EnterpriseQuerySet) -> dict[str, object]:
    """Choices for the filter menus; industries only from the user's scope, so none leaks from outside it."""
    return {
        "towns": towns,
        # One index probe per industry (stops at the first enterprise in scope), not a pass over every enterprise.
        "industries": list(
            Industry.objects.filter(Exists(scoped.order_by().filter(industry_id=OuterRef("code")))).order_by("code")
        ),
        "segments": list(Segment.objects.order_by("code")),
        "tiers": TIERS,
    }
