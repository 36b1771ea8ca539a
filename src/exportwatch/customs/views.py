"""Bureau pages for customs exports: the reconciliation of reported against customs exports."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse

from exportwatch.common.scoping import can_see_bureau_pages, enterprises_visible, regions_visible
from exportwatch.core.codes import parse_period
from exportwatch.core.reconciliation import STATUSES
from exportwatch.customs import selectors
from exportwatch.directory.selectors import enterprises_filter, filter_from_query, filter_options
from exportwatch.reporting.selectors import default_status_period

PAGE_SIZE = 50


def _require_bureau(request: HttpRequest) -> None:
    if not can_see_bureau_pages(request.user):
        raise Http404


@login_required
def index(request: HttpRequest) -> HttpResponse:
    _require_bureau(request)
    return HttpResponseRedirect(reverse("customs:reconciliation"))


@login_required
def reconciliation(request: HttpRequest) -> HttpResponse:
    """Per enterprise in scope: reported exports, customs exports, their difference and ratio, and a flag."""
    _require_bureau(request)
    period = request.GET.get("period") or default_status_period()
    if parse_period(period) is None:
        raise Http404
    status = request.GET.get("status", "")
    if status not in STATUSES:
        status = ""
    visible = enterprises_visible(request.user)
    f = filter_from_query(request.GET)
    scoped = enterprises_filter(visible, f)
    tolerance = selectors.reconciliation_tolerance()
    rows = selectors.reconciliation_rows(enterprises=scoped, period=period, tolerance=tolerance)
    totals = selectors.reconciliation_totals(rows)
    shown = [r for r in rows if r.status == status] if status else rows
    page = Paginator(shown, PAGE_SIZE).get_page(request.GET.get("page"))

    base = request.GET.copy()  # what every link on the page keeps: period and enterprise filters
    for key in ("status", "page"):
        base.pop(key, None)
    base["period"] = period
    with_status = base.copy()
    if status:
        with_status["status"] = status
    return render(
        request,
        "customs/reconciliation.html",
        {
            "period": period,
            "tolerance_pct": tolerance * 100,
            "rows": page.object_list,
            "page": page,
            "totals": totals,
            "status": status,
            "statuses": STATUSES,
            "filter": f,
            "query": base.urlencode(),  # period and filters, without status
            "page_query": with_status.urlencode(),  # ... and status, for the pages
            "periods": selectors.customs_periods(enterprises=visible),
            **filter_options(regions_visible(request.user), visible),
        },
    )
