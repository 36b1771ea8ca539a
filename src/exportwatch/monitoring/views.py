"""Monitoring pages: the overview, the structure by any dimension, the enterprises behind a figure, the head
enterprises, and the enterprise, market and product profiles.

Every page reads through ``enterprises_visible`` (a town officer sees their town only) and the page's filters,
kept in the URL (``period``, ``town``, ``industry``, ``segment``, ``tier``, ``market``, ``group``, ``hs``) so a view
can be shared; every table downloads as .xlsx or CSV with ``format=xlsx|csv`` (and ``table=`` where a page has
several). Figures are summed from the current reports on every request, so a report counts the moment it is saved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from exportwatch.common.scoping import (
    can_see_bureau_pages,
    enterprise_get,
    enterprises_visible,
    region_codes_visible,
    regions_visible,
)
from exportwatch.core import indicators as ind
from exportwatch.core.codes import parse_period
from exportwatch.core.periods import period_add
from exportwatch.core.reporting_rates import reporting_rates
from exportwatch.directory.models import Enterprise, EnterpriseQuerySet, HSCode, Market, MarketGroup
from exportwatch.directory.selectors import (
    EnterpriseFilter,
    enterprises_filter,
    filter_from_query,
    filter_options,
    region_codes_under,
)
from exportwatch.exchange.views import FORMATS, list_download
from exportwatch.exchange.xlsx import Column
from exportwatch.monitoring import selectors as sel
from exportwatch.monitoring import worldmap
from exportwatch.reporting import selectors as reporting_selectors
from exportwatch.reporting.models import DisruptionKind, NeedCategory
from exportwatch.warnings.selectors import warnings_on

PAGE_PARAMS = ("period", "town", "industry", "segment", "tier", "market", "group", "hs")
TOP_IN_CHART = 15
ENTERPRISES_PER_PAGE = 100
PROFILE_ROWS = 30  # the most exposed enterprises on a market or product profile; the rest one click away
STRUCTURE_ROWS = 200  # rows a structure table shows (a province has ~1,300 towns); the download has them all


@dataclass
class Page:
    """What every monitoring page reads from its URL."""

    period: str
    filter: EnterpriseFilter
    view: sel.View
    enterprises: EnterpriseQuerySet  # visible to the user and filtered
    params: QueryDict  # the page's own parameters (no format, table or page)
    scope: sel.Scope  # the same, for the selectors (which read the aggregates when they can)

    def query(self, **changes: str | None) -> str:
        """The page's query string with some parameters changed (None or "" removes one)."""
        q = self.params.copy()
        for key, value in changes.items():
            q.pop(key, None)
            if value:
                q[key] = value
        return q.urlencode()


def _require_bureau(request: HttpRequest) -> None:
    if not can_see_bureau_pages(request.user):
        raise Http404


def _page(request: HttpRequest, *, market: str = "", hs: str = "") -> Page:
    user: Any = request.user
    params = QueryDict(mutable=True)
    for key in PAGE_PARAMS:
        value = request.GET.get(key, "").strip()
        if value:
            params[key] = value[:40]
    f = filter_from_query(params)
    enterprises = enterprises_filter(enterprises_visible(user), f)
    visible = _scope(user, EnterpriseFilter(), enterprises_visible(user))  # the latest month of anything visible
    default = sel.latest_period(visible, reporting_selectors.default_status_period())
    period = params.get("period") or default
    if parse_period(period) is None:
        raise Http404
    market = market or params.get("market", "")
    group = params.get("group", "")
    hs = hs or params.get("hs", "")
    if market and not Market.objects.filter(code=market).exists():
        raise Http404
    if group and not MarketGroup.objects.filter(code=group).exists():
        raise Http404
    if hs and (len(hs) != 2 or not HSCode.objects.filter(code=hs).exists()):
        raise Http404
    return Page(
        period=period,
        filter=f,
        view=sel.View(period=period, market=market, group=group, hs=hs),
        enterprises=enterprises,
        params=params,
        scope=_scope(user, f, enterprises),
    )


def _scope(user: Any, f: EnterpriseFilter, enterprises: EnterpriseQuerySet) -> sel.Scope:
    """The page's enterprises, and the same filter as regions, industry and tier for the aggregates."""
    regions = region_codes_visible(user)
    if f.town:
        under = region_codes_under(f.town)
        regions = under if regions is None else regions & under
    return sel.Scope(
        enterprises=enterprises,
        regions=regions,
        industry=f.industry,
        tier=f.tier,
        cells=not f.segment and not f.q,
    )


def _context(request: HttpRequest, page: Page, **extra: Any) -> dict[str, Any]:
    user: Any = request.user
    return {
        "page": page,
        "period": page.period,
        "filter": page.filter,
        "view": page.view,
        "query": page.params.urlencode(),
        "dimensions": sel.DIMENSIONS.values(),
        "market_options": Market.objects.order_by("code"),
        "group_options": MarketGroup.objects.order_by("code"),
        "hs_options": HSCode.objects.filter(code__regex=r"^[0-9]{2}$").order_by("code"),
        **filter_options(regions_visible(user), enterprises_visible(user)),
        **extra,
    }


def _download_format(request: HttpRequest) -> str | None:
    fmt = request.GET.get("format")
    if fmt is not None and fmt not in FORMATS:
        raise Http404
    return fmt


# --- charts -------------------------------------------------------------------------------------------------


def _wan(value: Decimal | float | None) -> float | None:
    return None if value is None else round(float(value) / 10_000, 1)


def _pct(value: float | None) -> float | None:
    return None if value is None else round(value * 100, 1)


def _trend_chart(series: dict[str, sel.Figures], *, with_due: bool) -> dict[str, Any]:
    periods = list(series)
    lines = [
        {"name": _("Exports"), "values": [_wan(f.exports) if not f.empty else None for f in series.values()]},
        {"name": _("New orders"), "values": [_wan(f.new_orders) if not f.empty else None for f in series.values()]},
        {"name": _("Orders in hand"), "values": [_wan(f.backlog) if not f.empty else None for f in series.values()]},
    ]
    if with_due:
        lines.append(
            {
                "name": _("Due within 3 months"),
                "values": [_wan(f.due_3m) if not f.empty else None for f in series.values()],
            }
        )
    return {"type": "line", "categories": periods, "series": lines, "unit": _("10k USD"), "yName": _("10k USD")}


def _bar_chart(rows: Sequence[sel.Row], href: Callable[[sel.Row], str | None]) -> dict[str, Any]:
    top = list(rows[:TOP_IN_CHART])
    return {
        "type": "hbar",
        "categories": [r.name for r in top],
        "series": [
            {"name": _("Exports"), "values": [_wan(r.now.exports) for r in top]},
            {"name": _("New orders"), "values": [_wan(r.now.new_orders) for r in top]},
        ],
        "hrefs": [href(r) for r in top],
        "unit": _("10k USD"),
    }


def _yoy_chart(rows: Sequence[sel.Row], href: Callable[[sel.Row], str | None]) -> dict[str, Any]:
    top = [r for r in rows[:TOP_IN_CHART] if r.new_orders_yoy is not None]
    return {
        "type": "hbar",
        "categories": [r.name for r in top],
        "series": [{"name": _("New orders, year on year"), "values": [_pct(r.new_orders_yoy) for r in top]}],
        "hrefs": [href(r) for r in top],
        "unit": "%",
    }


# --- drill-down links ---------------------------------------------------------------------------------------


def _drill(page: Page, dim: str) -> Callable[[sel.Row], str | None]:
    """Where a click on a value of ``dim`` leads: a market or product profile, the markets of a group, or the
    enterprises behind the figure."""

    def href(row: sel.Row) -> str | None:
        if dim == "market":
            return reverse("monitoring:market", args=[row.key]) + "?" + page.query(market=None)
        if dim == "hs":
            return reverse("monitoring:product", args=[row.key]) + "?" + page.query(hs=None)
        if dim == "group":
            return reverse("monitoring:structure", args=["market"]) + "?" + page.query(group=row.key, market=None)
        if dim in ("town", "industry", "tier", "segment") and row.key:
            return reverse("monitoring:enterprises") + "?" + page.query(**{dim: row.key})
        return None

    return href


def _rows_with_links(
    rows: Iterable[sel.Row], href: Callable[[sel.Row], str | None]
) -> list[tuple[sel.Row, str | None]]:
    return [(r, href(r)) for r in rows]


# --- tables as downloads ------------------------------------------------------------------------------------


def _row_columns(first: str, first_label: str) -> list[Column]:
    return [
        (first, first_label),
        ("name", _("Name")),
        ("enterprises", _("Enterprises")),
        ("exports_usd", _("Exports (USD)")),
        ("new_orders_usd", _("New orders (USD)")),
        ("backlog_usd", _("Orders in hand (USD)")),
        ("backlog_due_3m_usd", _("Due within 3 months (USD)")),
        ("exports_yoy", _("Exports, year on year")),
        ("new_orders_yoy", _("New orders, year on year")),
        ("backlog_yoy", _("Orders in hand, year on year")),
        ("coverage_months", _("Coverage (months)")),
        ("book_to_bill", _("Book-to-bill")),
        ("short_order_share", _("Short-order share")),
    ]


def _ratio_cell(value: float | None, digits: int = 4) -> Decimal | None:
    return None if value is None else Decimal(str(round(value, digits)))


def _row_cells(rows: Iterable[sel.Row]) -> Iterator[list[Any]]:
    for r in rows:
        yield [
            r.key,
            r.name,
            r.now.enterprises,
            r.now.exports,
            r.now.new_orders,
            r.now.backlog,
            r.now.due_3m,
            _ratio_cell(r.exports_yoy),
            _ratio_cell(r.new_orders_yoy),
            _ratio_cell(r.backlog_yoy),
            _ratio_cell(r.coverage_months, 2),
            _ratio_cell(r.book_to_bill),
            _ratio_cell(r.short_order_share),
        ]


def _rows_download(fmt: str, name: str, key: str, key_label: str, rows: Sequence[sel.Row]) -> HttpResponseBase:
    return list_download(fmt, name, _row_columns(key, key_label), _row_cells(rows), sheet_name=name)


def _series_download(
    fmt: str, name: str, series: dict[str, sel.Figures], di: dict[str, float | None]
) -> HttpResponseBase:
    columns: list[Column] = [
        ("period", _("Month")),
        ("enterprises", _("Enterprises")),
        ("exports_usd", _("Exports (USD)")),
        ("new_orders_usd", _("New orders (USD)")),
        ("backlog_usd", _("Orders in hand (USD)")),
        ("backlog_due_3m_usd", _("Due within 3 months (USD)")),
        ("di_new_orders", _("Diffusion index, new orders")),
    ]

    def cells() -> Iterator[list[Any]]:
        for p, f in series.items():
            yield [p, f.enterprises, f.exports, f.new_orders, f.backlog, f.due_3m, _ratio_cell(di.get(p), 1)]

    return list_download(fmt, name, columns, cells(), sheet_name=name)


# --- pages ------------------------------------------------------------------------------------------------------


@login_required
def overview(request: HttpRequest) -> HttpResponse | HttpResponseBase:
    _require_bureau(request)
    page = _page(request)
    qs, view = page.scope, page.view
    history = sel.series(qs, view, months=sel.TREND_MONTHS + 12)
    shown = dict(list(history.items())[12:])
    di = sel.series_sentiment(qs, view)
    fmt = _download_format(request)
    if fmt is not None:
        return _series_download(fmt, f"overview-{page.period}", shown, di)
    head = sel.figures_row(qs, view)
    before = sel.figures_row(qs, view.at(period_add(page.period, -1)))
    counts = reporting_selectors.reporting_status_counts(
        enterprises=page.enterprises, period=page.period, every=sel.is_whole(page.scope)
    )
    rates = reporting_rates(counts.elements())
    exports_by_period = {p: f.exports if not f.empty else None for p, f in history.items()}
    new_orders_by_period = {p: f.new_orders if not f.empty else None for p, f in history.items()}
    year = int(page.period[:4])
    jan_feb = None
    if int(page.period[5:]) >= 2:
        jan_feb = {
            "exports": ind.yoy_jan_feb(exports_by_period, year),
            "new_orders": ind.yoy_jan_feb(new_orders_by_period, year),
        }
    yoy_new_orders = {p: ind.yoy(new_orders_by_period, p) for p in shown}
    yoy_exports = {p: ind.yoy(exports_by_period, p) for p in shown}
    top = {dim: sel.breakdown(qs, view, dim)[:5] for dim in ("market", "industry", "town")}
    return render(
        request,
        "monitoring/overview.html",
        _context(
            request,
            page,
            head=head,
            mom={
                "exports": ind.growth(head.now.exports, before.now.exports) if not before.now.empty else None,
                "new_orders": ind.growth(head.now.new_orders, before.now.new_orders) if not before.now.empty else None,
                "backlog": ind.growth(head.now.backlog, before.now.backlog) if not before.now.empty else None,
            },
            jan_feb=jan_feb,
            rates=rates,
            expected=sum(counts.values()),
            sentiment=sel.sentiment_of(qs, page.period),
            difficulties=sel.difficulties_of(qs, page.period),
            kind_labels={k: str(v) for k, v in DisruptionKind.choices},
            need_labels={k: str(v) for k, v in NeedCategory.choices},
            trend_chart=_trend_chart(shown, with_due=True),
            yoy_chart={
                "type": "line",
                "categories": list(shown),
                "series": [
                    {"name": _("Exports, year on year"), "values": [_pct(yoy_exports[p]) for p in shown]},
                    {"name": _("New orders, year on year"), "values": [_pct(yoy_new_orders[p]) for p in shown]},
                ],
                "unit": "%",
                "markLine": 0,
            },
            di_chart={
                "type": "line",
                "categories": list(di),
                "series": [{"name": _("Diffusion index, new orders"), "values": [_round(v) for v in di.values()]}],
                "markLine": 50,
            },
            trend_rows=[(p, f, yoy_exports[p], yoy_new_orders[p], di.get(p)) for p, f in shown.items()],
            events_chart=_events_chart(sel.disruption_series(qs, page.period)),
            cancellation_rate=ind.cancellation_rate(
                _cancelled(sel.disruption_series(qs, page.period, months=1)),
                before.now.backlog if not before.now.empty else None,
                head.now.new_orders,
            ),
            top={dim: _rows_with_links(rows, _drill(page, dim)) for dim, rows in top.items()},
        ),
    )


def _events_chart(series: dict[str, dict[str, tuple[int, Decimal]]]) -> dict[str, Any]:
    """Disruption events per month, stacked by kind."""
    return {
        "type": "stacked",
        "categories": list(series),
        "series": [
            {"name": str(label), "values": [series[p].get(kind, (0, Decimal(0)))[0] for p in series]}
            for kind, label in DisruptionKind.choices
        ],
        "yName": _("events"),
    }


def _cancelled(series: dict[str, dict[str, tuple[int, Decimal]]]) -> Decimal:
    return sum((kinds.get("order_cancelled", (0, Decimal(0)))[1] for kinds in series.values()), Decimal(0))


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 1)


@login_required
def structure(request: HttpRequest, dim: str) -> HttpResponse | HttpResponseBase:
    _require_bureau(request)
    if dim not in sel.DIMENSIONS:
        raise Http404
    page = _page(request)
    if dim == "market" and page.view.market:  # one market has no market structure: its profile has the rest
        return redirect(reverse("monitoring:market", args=[page.view.market]) + "?" + page.query(market=None))
    if dim == "hs" and page.view.hs:
        return redirect(reverse("monitoring:product", args=[page.view.hs]) + "?" + page.query(hs=None))
    rows = sel.breakdown(page.scope, page.view, dim)
    fmt = _download_format(request)
    if fmt is not None:
        return _rows_download(fmt, f"{dim}-{page.period}", dim, str(sel.DIMENSIONS[dim].label), rows)
    href = _drill(page, dim)
    total = sel.figures_row(page.scope, page.view)
    crumbs = []
    if page.view.group:
        group = MarketGroup.objects.get(code=page.view.group)
        crumbs.append(
            (_("All market groups"), reverse("monitoring:structure", args=["group"]) + "?" + page.query(group=None))
        )
        crumbs.append((group.label, None))
    return render(
        request,
        "monitoring/structure.html",
        _context(
            request,
            page,
            dim=sel.DIMENSIONS[dim],
            rows=_rows_with_links(rows[:STRUCTURE_ROWS], href),
            count=len(rows),
            cut=len(rows) > STRUCTURE_ROWS,
            total=total,
            crumbs=crumbs,
            bar_chart=_bar_chart(rows, href),
            yoy_chart=_yoy_chart(rows, href),
            share_chart={
                "type": "treemap" if dim in ("market", "hs") else "pie",
                "items": [
                    {"name": r.name, "value": _wan(r.now.exports), "href": href(r)} for r in rows if r.now.exports > 0
                ],
                "unit": _("10k USD"),
            },
            hhi=sel.market_hhi(page.scope, page.view) if dim == "market" else None,
            map_chart=worldmap.map_chart(rows, href) if dim == "market" else None,
        ),
    )


@login_required
def world_map(request: HttpRequest) -> HttpResponseBase:
    """The approved base map (GeoJSON) the market structure page draws its bordered map from; 404 without one."""
    _require_bureau(request)
    base = worldmap.approved_map()
    if base is None or not base.path.is_file():
        raise Http404
    response = FileResponse(base.path.open("rb"), content_type="application/geo+json")
    response["Cache-Control"] = "private, max-age=3600"
    return response


def _enterprise_table(page: Page, rows: Sequence[sel.Row]) -> list[tuple[sel.Row, Enterprise | None]]:
    ents = {e.uscc: e for e in page.enterprises.filter(uscc__in=[r.key for r in rows])}
    return [(r, ents.get(r.key)) for r in rows]


@login_required
def enterprises(request: HttpRequest) -> HttpResponse | HttpResponseBase:
    """The enterprises behind the figures of a slice (month, filters, market / group / chapter)."""
    _require_bureau(request)
    page = _page(request)
    kind = request.GET.get("kind", "")
    if kind:
        if kind not in DisruptionKind.values:
            raise Http404
        page.params["kind"] = kind
        page.enterprises = sel.enterprises_with_events(page.enterprises, page.period, kind)
        page.scope = sel.Scope(enterprises=page.enterprises, cells=False)  # events are not in the aggregates
    sort = request.GET.get("sort", "")
    if sort not in SORTS:
        raise Http404
    if sort:
        page.params["sort"] = sort
    rows = SORTS[sort](sel.enterprise_rows(page.scope, page.view))
    fmt = _download_format(request)
    if fmt is not None:
        return _rows_download(fmt, f"enterprises-{page.period}", "uscc", _("Credit code"), rows)
    paged = Paginator(rows, ENTERPRISES_PER_PAGE).get_page(request.GET.get("page"))
    return render(
        request,
        "monitoring/enterprises.html",
        _context(
            request,
            page,
            rows=_enterprise_table(page, list(paged.object_list)),
            paged=paged,
            count=len(rows),
            total=sel.figures_row(page.scope, page.view),
            narrowed_to=_narrowed_to(page.view),
            kind_label=dict(DisruptionKind.choices).get(kind, ""),
            sort=sort,
        ),
    )


def _by_change(attr: str) -> Callable[[list[sel.Row]], list[sel.Row]]:
    """Rows with the steepest fall first; rows without a figure last."""

    def order(rows: list[sel.Row]) -> list[sel.Row]:
        def key(r: sel.Row) -> tuple[bool, float]:
            value = getattr(r, attr)
            return (value is None, value if value is not None else 0.0)

        return sorted(rows, key=key)

    return order


SORTS: dict[str, Callable[[list[sel.Row]], list[sel.Row]]] = {
    "": lambda rows: rows,  # largest exports first
    "new_orders_yoy": _by_change("new_orders_yoy"),
    "coverage_months": _by_change("coverage_months"),
}


def _narrowed_to(view: sel.View) -> list[tuple[str, str]]:
    """Labels of the market, group and chapter a view is narrowed to."""
    out = []
    if view.market:
        out.append((_("Market"), Market.objects.get(code=view.market).label))
    if view.group:
        out.append((_("Market group"), MarketGroup.objects.get(code=view.group).label))
    if view.hs:
        out.append((_("HS chapter"), f"{view.hs} {HSCode.objects.get(code=view.hs).label}"))
    return out


@login_required
def head(request: HttpRequest) -> HttpResponse | HttpResponseBase:
    """The head enterprises (exports last year ≥ the head threshold), each with its order-book health."""
    _require_bureau(request)
    page = _page(request)
    page = replace(page, filter=replace(page.filter, tier="head"))
    page.enterprises = enterprises_filter(enterprises_visible(request.user), page.filter)
    page.scope = _scope(request.user, page.filter, page.enterprises)
    rows = sel.enterprise_rows(page.scope, page.view)
    reported = {r.key for r in rows}
    missing = list(page.enterprises.exclude(uscc__in=reported).order_by("-exports_last_year_usd"))
    fmt = _download_format(request)
    if fmt is not None:
        return _rows_download(fmt, f"head-{page.period}", "uscc", _("Credit code"), rows)
    paged = Paginator(rows, ENTERPRISES_PER_PAGE).get_page(request.GET.get("page"))
    shown = list(paged.object_list)
    on_page = page.enterprises.filter(uscc__in=[r.key for r in shown])
    hhi = sel.enterprise_hhi(on_page, page.period)
    events = sel.events_by_enterprise(on_page, page.period)
    return render(
        request,
        "monitoring/head.html",
        _context(
            request,
            page,
            rows=[(r, e, hhi.get(r.key), events.get(r.key)) for r, e in _enterprise_table(page, shown)],
            paged=paged,
            reported=len(rows),
            missing=missing,
            attention=sum(1 for r in rows if r.alerts),
        ),
    )


@login_required
def enterprise_profile(request: HttpRequest, uscc: str) -> HttpResponse | HttpResponseBase:
    user: Any = request.user
    enterprise = enterprise_get(user, uscc)  # 404 outside the user's scope
    page = _page(request)
    one = Enterprise.objects.filter(pk=enterprise.pk)
    history = sel.series(one, page.view, months=sel.TREND_MONTHS)
    fmt = _download_format(request)
    table = request.GET.get("table", "")
    markets = sel.breakdown(one, page.view, "market")
    products = sel.breakdown(one, page.view, "hs")
    if fmt is not None:
        if table == "markets":
            return _rows_download(fmt, f"{uscc}-markets-{page.period}", "market", _("Market"), markets)
        if table == "products":
            return _rows_download(fmt, f"{uscc}-products-{page.period}", "hs", _("HS chapter"), products)
        return _series_download(fmt, f"{uscc}-{page.period}", history, {})
    row = sel.figures_row(one, page.view)
    return render(
        request,
        "monitoring/enterprise.html",
        _context(
            request,
            page,
            enterprise=enterprise,
            head=row,
            hhi=sel.enterprise_hhi(one, page.period).get(uscc),
            trend_chart=_trend_chart(history, with_due=True),
            trend_rows=list(history.items()),
            markets=_rows_with_links(markets, _drill(page, "market")),
            products=_rows_with_links(products, _drill(page, "hs")),
            market_chart={
                "type": "pie",
                "items": [
                    {"name": r.name, "value": _wan(r.now.exports), "href": _drill(page, "market")(r)}
                    for r in markets
                    if r.now.exports > 0
                ],
                "unit": _("10k USD"),
            },
            warnings=warnings_on(user, scope="enterprise", key=enterprise.uscc, period=page.period),
            disruptions=reporting_selectors.disruptions_of(enterprise=enterprise)[:50],
            needs=reporting_selectors.needs_of(enterprise=enterprise)[:50],
            bureau=can_see_bureau_pages(user),
        ),
    )


def _profile(request: HttpRequest, page: Page, *, kind: str, code: str, label: str) -> HttpResponse | HttpResponseBase:
    qs, view = page.scope, page.view
    history = sel.series(qs, view, months=sel.TREND_MONTHS + 12)
    shown = dict(list(history.items())[12:])
    new_orders = {p: f.new_orders if not f.empty else None for p, f in history.items()}
    other_dim = "hs" if kind == "market" else "market"
    others = sel.breakdown(qs, view, other_dim)
    towns = sel.breakdown(qs, view, "town")
    fmt = _download_format(request)
    table = request.GET.get("table", "")
    if fmt is not None:
        if table == other_dim:
            return _rows_download(
                fmt, f"{code}-{other_dim}-{page.period}", other_dim, str(sel.DIMENSIONS[other_dim].label), others
            )
        if table == "town":
            return _rows_download(fmt, f"{code}-towns-{page.period}", "town", _("Town"), towns)
        rows = sel.enterprise_rows(qs, view)
        return _rows_download(fmt, f"{code}-enterprises-{page.period}", "uscc", _("Credit code"), rows)
    shown_rows, exposed = sel.top_enterprise_rows(qs, view, PROFILE_ROWS)
    totals = sel.exports_of(page.enterprises, page.period, [r.key for r in shown_rows])
    exposure = [(r, e, ind.ratio(r.now.exports, totals.get(r.key))) for r, e in _enterprise_table(page, shown_rows)]
    return render(
        request,
        "monitoring/profile.html",
        _context(
            request,
            page,
            kind=kind,
            code=code,
            label=label,
            head=sel.figures_row(qs, view),
            district=sel.figures_row(qs, sel.View(page.period)),
            trend_chart=_trend_chart(shown, with_due=False),
            yoy_chart={
                "type": "line",
                "categories": list(shown),
                "series": [
                    {"name": _("New orders, year on year"), "values": [_pct(ind.yoy(new_orders, p)) for p in shown]}
                ],
                "unit": "%",
                "markLine": 0,
            },
            exposure=exposure,
            warnings=warnings_on(
                request.user, scope="hs" if kind == "product" else "market", key=code, period=page.period
            ),
            exposed=exposed,
            all_query=page.query(**({"market": code} if kind == "market" else {"hs": code})),
            other_dim=sel.DIMENSIONS[other_dim],
            others=_rows_with_links(others, _drill(page, other_dim)),
            towns=_rows_with_links(towns, _drill(page, "town")),
            others_chart=_bar_chart(others, _drill(page, other_dim)),
        ),
    )


@login_required
def market_profile(request: HttpRequest, code: str) -> HttpResponse | HttpResponseBase:
    _require_bureau(request)
    market = Market.objects.filter(code=code).first()
    if market is None:
        raise Http404
    page = _page(request, market=code)
    return _profile(request, page, kind="market", code=code, label=market.label)


@login_required
def product_profile(request: HttpRequest, hs: str) -> HttpResponse | HttpResponseBase:
    _require_bureau(request)
    chapter = HSCode.objects.filter(code=hs).first() if len(hs) == 2 else None
    if chapter is None:
        raise Http404
    page = _page(request, hs=hs)
    return _profile(request, page, kind="product", code=hs, label=f"{hs} {chapter.label}")
