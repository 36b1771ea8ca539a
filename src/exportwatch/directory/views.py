"""Bureau pages: the enterprise list, an enterprise's history, and the period's reporting status."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from exportwatch.common.scoping import (
    can_see_bureau_pages,
    enterprise_get,
    enterprises_reportable,
    enterprises_visible,
    regions_visible,
)
from exportwatch.core.codes import parse_period
from exportwatch.directory.selectors import EnterpriseFilter, enterprises_filter, filter_from_query, filter_options
from exportwatch.reporting import selectors as reporting_selectors


def _require_bureau(request: HttpRequest) -> None:
    if not can_see_bureau_pages(request.user):
        raise Http404


def _filter_from(request: HttpRequest) -> EnterpriseFilter:
    return filter_from_query(request.GET)


@login_required
def enterprise_list(request: HttpRequest) -> HttpResponse:
    _require_bureau(request)
    f = _filter_from(request)
    qs = enterprises_filter(enterprises_visible(request.user), f).prefetch_related("segments").order_by("name")
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "directory/enterprise_list.html",
        {
            "page": page,
            "filter": f,
            "query": query.urlencode(),
            **filter_options(regions_visible(request.user), enterprises_visible(request.user)),
        },
    )


@login_required
def enterprise_detail(request: HttpRequest, uscc: str) -> HttpResponse:
    user: Any = request.user
    enterprise = enterprise_get(user, uscc)
    history = reporting_selectors.report_history(enterprise=enterprise, limit=60)
    return render(
        request,
        "directory/enterprise_detail.html",
        {
            "enterprise": enterprise,
            "history": history,
            "disruptions": reporting_selectors.disruptions_of(enterprise=enterprise),
            "needs": reporting_selectors.needs_of(enterprise=enterprise),
            "can_report": enterprises_reportable(user).filter(pk=enterprise.pk).exists(),
            "due_period": reporting_selectors.default_status_period(),
        },
    )


@login_required
def reporting_status(request: HttpRequest) -> HttpResponse:
    _require_bureau(request)
    period = request.GET.get("period") or reporting_selectors.default_status_period()
    if parse_period(period) is None:
        raise Http404
    f = _filter_from(request)
    qs = enterprises_filter(enterprises_visible(request.user), f)
    rows = reporting_selectors.reporting_status_rows(enterprises=qs, period=period)
    status = request.GET.get("status", "")
    towns = reporting_selectors.reporting_status_by_town(rows)
    totals = {s: sum(1 for r in rows if r.status == s) for s in ("on_time", "late", "missing", "pending")}
    shown = [r for r in rows if r.status == status] if status else rows
    shown.sort(key=lambda r: ({"missing": 0, "late": 1, "pending": 2, "on_time": 3}[r.status], r.enterprise.name))
    query = request.GET.copy()
    query.pop("status", None)
    return render(
        request,
        "directory/status.html",
        {
            "period": period,
            "deadline": reporting_selectors.deadline_of(period),
            "rows": shown,
            "town_status": towns,
            "totals": totals,
            "expected": len(rows),
            "status": status,
            "filter": f,
            "query": query.urlencode(),
            **filter_options(regions_visible(request.user), enterprises_visible(request.user)),
        },
    )
