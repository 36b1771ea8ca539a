"""Bureau pages: the enterprise list, an enterprise's history, and the period's reporting status.

Every table here downloads as .xlsx and CSV: the enterprise list and the histories through the registered
exports (``/export/<table>.xlsx|csv`` with the page's filters or ``?uscc=``), the status tables through
``?format=csv|xlsx`` (and ``&table=towns``) on the status page itself.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from exportwatch.common.problems import column_label
from exportwatch.common.scoping import (
    can_see_bureau_pages,
    enterprise_get,
    enterprises_reportable,
    enterprises_visible,
    regions_visible,
)
from exportwatch.core.codes import parse_period
from exportwatch.directory.selectors import EnterpriseFilter, enterprises_filter, filter_from_query, filter_options
from exportwatch.exchange.views import FORMATS, list_download
from exportwatch.exchange.xlsx import Column
from exportwatch.reporting import selectors as reporting_selectors

STATUS_LABELS = {
    "on_time": gettext_lazy("On time"),
    "late": gettext_lazy("Late"),
    "missing": gettext_lazy("Missing"),
    "pending": gettext_lazy("Not yet due"),
}
STATUS_ORDER = {"missing": 0, "late": 1, "pending": 2, "on_time": 3}


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
    shown.sort(key=lambda r: (STATUS_ORDER[r.status], r.enterprise.name))
    fmt = request.GET.get("format")
    if fmt is not None:
        if fmt not in FORMATS:
            raise Http404
        if request.GET.get("table") == "towns":
            return _status_towns_download(fmt, period, towns)
        return _status_download(fmt, period, status, shown)
    query = request.GET.copy()
    query.pop("status", None)
    for key in ("format", "table"):
        query.pop(key, None)
    download = _download_query(request.GET, period=period)
    reports_download = _download_query(query, period=period)
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
            "download_query": download,
            "reports_download_query": reports_download,
            **filter_options(regions_visible(request.user), enterprises_visible(request.user)),
        },
    )


def _download_query(params: QueryDict, *, period: str) -> str:
    """The page's query for a download link: its month and filters, without paging or a format."""
    query = params.copy()
    for key in ("page", "format", "table"):
        query.pop(key, None)
    query["period"] = period
    return query.urlencode()


def _status_columns() -> list[Column]:
    return [
        ("uscc", column_label("uscc")),
        ("name", column_label("name")),
        ("town", _("Town")),
        ("status", _("Status")),
        ("first_submitted_at", _("First submitted")),
        ("versions", _("Versions")),
        ("contact_name", column_label("contact_name")),
        ("contact_phone", column_label("contact_phone")),
    ]


def _status_download(
    fmt: str, period: str, status: str, rows: Sequence[reporting_selectors.StatusRow]
) -> HttpResponseBase:
    labels = {code: str(label) for code, label in STATUS_LABELS.items()}  # now, in the request's language

    def cells() -> Iterator[list[Any]]:
        for r in rows:
            e = r.enterprise
            yield [
                e.uscc,
                e.name,
                e.town.label,
                labels.get(r.status, r.status),
                r.first_submitted_at,
                r.versions,
                e.contact_name,
                e.contact_phone,
            ]

    name = f"status-{period}" + (f"-{status}" if status in STATUS_LABELS else "")
    return list_download(fmt, name, _status_columns(), cells(), sheet_name=f"status {period}")


def _status_towns_download(fmt: str, period: str, towns: Sequence[reporting_selectors.TownStatus]) -> HttpResponseBase:
    columns: list[Column] = [
        ("town", _("Town code")),
        ("town_name", _("Town")),
        ("expected", _("Expected")),
        ("submitted", _("Submitted")),
        ("rate_pct", _("Rate (%)")),
        ("on_time", str(STATUS_LABELS["on_time"])),
        ("late", str(STATUS_LABELS["late"])),
        ("missing", str(STATUS_LABELS["missing"])),
        ("pending", str(STATUS_LABELS["pending"])),
    ]

    def cells() -> Iterator[list[Any]]:
        for t in towns:
            rate = None if t.rate is None else Decimal(str(round(t.rate * 100, 1)))
            yield [
                t.code,
                t.name,
                t.expected,
                t.submitted,
                rate,
                t.counts["on_time"],
                t.counts["late"],
                t.counts["missing"],
                t.counts["pending"],
            ]

    return list_download(fmt, f"status-towns-{period}", columns, cells(), sheet_name=f"towns {period}")
