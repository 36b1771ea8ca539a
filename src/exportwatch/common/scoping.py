"""Scoped selectors: the only way pages, the API and exports read enterprises.

A user scoped to a region sees everything below it and nothing beside it; a reporter sees one enterprise;
a department handler sees no enterprise directly (only through the cases routed to the department).
Out of scope is a 404, never another enterprise's data.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Exists, OuterRef
from django.http import Http404

from exportwatch.accounts.models import Role
from exportwatch.directory.models import Enterprise, EnterpriseQuerySet, Region

REGIONAL_ROLES = {Role.TOWN_OFFICER, Role.ANALYST, Role.LEADER}


def is_admin(user: Any) -> bool:
    return bool(user.is_authenticated and (user.is_superuser or user.role == Role.ADMIN))


def enterprises_visible(user: Any) -> EnterpriseQuerySet:
    """Every enterprise ``user`` may read."""
    qs = Enterprise.objects.select_related("town", "industry")
    if not user.is_authenticated or not user.is_active:
        return qs.none()
    if is_admin(user):
        return qs.all()
    if user.role == Role.REPORTER:
        return qs.filter(pk=user.enterprise_id) if user.enterprise_id else qs.none()
    if user.role in REGIONAL_ROLES and user.region_id:
        return qs.in_region(user.region)
    return qs.none()


def enterprises_reportable(user: Any) -> EnterpriseQuerySet:
    """Enterprises ``user`` may report for: a reporter its own, a town officer its town's (on their behalf)."""
    if not user.is_authenticated or not user.is_active:
        return Enterprise.objects.none()
    if is_admin(user) or user.role in (Role.REPORTER, Role.TOWN_OFFICER, Role.ANALYST):
        return enterprises_visible(user)
    return Enterprise.objects.none()


def enterprise_get(user: Any, uscc: str) -> Enterprise:
    try:
        return enterprises_visible(user).get(uscc=uscc)
    except Enterprise.DoesNotExist:
        raise Http404 from None


def enterprise_get_reportable(user: Any, uscc: str) -> Enterprise:
    try:
        return enterprises_reportable(user).get(uscc=uscc)
    except Enterprise.DoesNotExist:
        raise Http404 from None


def region_codes_visible(user: Any) -> frozenset[str] | None:
    """Codes of every region (any level) whose enterprises ``user`` may read as a bureau user; None: all of them
    (an administrator, or a user whose region holds every enterprise: no region outside it has one).
    The same scope as ``enterprises_visible`` for administrators and regional roles, said as regions (the monitoring
    aggregates are keyed by region)."""
    if is_admin(user):
        return None
    if user.is_authenticated and user.is_active and user.role in REGIONAL_ROLES and user.region_id:
        path = user.region.path
        outside = Region.objects.exclude(path__startswith=path)
        if not outside.filter(Exists(Enterprise.objects.filter(town_id=OuterRef("code")))).exists():
            return None  # no enterprise sits outside the user's region: they see everything
        return frozenset(Region.objects.filter(path__startswith=path).values_list("code", flat=True))
    return frozenset()


def sees_everything(user: Any) -> bool:
    """Whether a bureau user may read every enterprise: the figures and warnings about the whole jurisdiction
    (a market, an industry, the systemic lamp) are theirs; someone who sees a part only gets that part."""
    return can_see_bureau_pages(user) and region_codes_visible(user) is None


def regions_visible(user: Any) -> list[Region]:
    """Towns the user may filter by."""
    towns = Region.objects.filter(level=Region.Level.TOWN)
    if is_admin(user):
        return list(towns)
    if user.role in REGIONAL_ROLES and user.region_id:
        return list(towns.filter(path__startswith=user.region.path))
    return []


def can_see_bureau_pages(user: Any) -> bool:
    return bool(user.is_authenticated and (is_admin(user) or user.role in REGIONAL_ROLES))
