"""Reads of the warnings app, always through the user's scope.

An enterprise's warning is visible to whoever may read the enterprise (``common.scoping.enterprises_visible``: its
town officer, the analysts and leaders above it); a town's warning to the users whose regions hold the town; the
warnings about the whole jurisdiction (a market, a market group, an HS chapter, an industry, the systemic lamp)
to the bureau users who may read every enterprise.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from exportwatch.common.scoping import enterprises_visible, region_codes_visible, sees_everything
from exportwatch.directory.models import Enterprise
from exportwatch.warnings.models import Warning

JURISDICTION_SCOPES = ("market", "market_group", "hs", "industry", "district")


def warnings_visible(user: Any) -> QuerySet[Warning]:
    qs = Warning.objects.select_related("rule_version")
    if not getattr(user, "is_authenticated", False):
        return qs.none()
    if sees_everything(user):
        return qs
    regions = region_codes_visible(user)
    usccs = enterprises_visible(user).values("uscc")
    visible = Q(scope="enterprise", key__in=usccs)
    if regions:
        visible |= Q(scope="town", key__in=sorted(regions))
    return qs.filter(visible)


def warning_get(user: Any, pk: int) -> Warning | None:
    return warnings_visible(user).filter(pk=pk).first()


def warning_cases(user: Any, warning: Warning) -> list[Any]:
    """The cases of an enterprise warning's enterprise that ``user`` may see (newest first; none for other
    scopes): what its follow-up can be linked to."""
    from exportwatch.cases.selectors import cases_visible

    if warning.scope != "enterprise":
        return []
    return list(cases_visible(user).filter(enterprise__uscc=warning.key).order_by("-created_at", "-pk")[:20])


def warnings_for_export(*, enterprises: QuerySet[Enterprise], period: str | None) -> QuerySet[Warning]:
    """The warnings about ``enterprises`` (already scoped to the reader) and, when they are every enterprise, the
    jurisdiction's; the month's (or every month's), firing ones only, in a stable order."""
    qs = Warning.objects.filter(active=True)
    if period:
        qs = qs.filter(period=period)
    whole = not Enterprise.objects.exclude(pk__in=enterprises.values("pk")).exists()
    if not whole:
        towns = enterprises.values("town_id")
        qs = qs.filter(Q(scope="enterprise", key__in=enterprises.values("uscc")) | Q(scope="town", key__in=towns))
    return qs.order_by("period", "scope", "key", "rule")


def warnings_on(user: Any, *, scope: str, key: str, period: str) -> list[Warning]:
    """The warnings firing this month on one enterprise, market or HS chapter that ``user`` may see, worst first,
    each with a ``label`` (the rule's name)."""
    from exportwatch.core.warning_rules import level_rank
    from exportwatch.warnings.labels import RULE_LABELS

    found = list(warnings_visible(user).filter(scope=scope, key=key, period=period, active=True))
    for w in found:
        w.label = str(RULE_LABELS.get(w.rule, w.rule))  # type: ignore[attr-defined]
    return sorted(found, key=lambda w: -level_rank(w.level))
