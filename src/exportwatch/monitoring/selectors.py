"""Reads behind the monitoring pages: sums of the current reports and lines of already scoped enterprises.

Every function takes an enterprise queryset scoped by ``exportwatch.common.scoping`` and filtered by the page's
enterprise filter, and a ``View`` (the month and the market / market group / HS chapter the page is narrowed to).
Figures are summed by the database from the current version of each report, so a submitted or corrected report
counts at once and exactly once; the indicators themselves are the core's (``exportwatch.core.indicators`` and
friends), applied to these sums.

Two sources: reports carry the totals (and the backlog due within 3 months and the up/same/down answers); lines
carry the structure by market and product. A view narrowed to a market, a group or an HS chapter, and every
breakdown by market, group or chapter, reads the lines; the rest reads the reports.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection
from django.db.models import Case, CharField, Count, F, QuerySet, Sum, Value, When
from django.db.models.functions import Substr
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from exportwatch.common import clock
from exportwatch.core import indicators as ind
from exportwatch.core.concentration import hhi_of_amounts
from exportwatch.core.difficulties import (
    FALLING_THRESHOLD,
    FINANCIAL_NEED_CATEGORIES,
    DisruptionFact,
    ExternalRisk,
    MarketFact,
    NeedFact,
    blocked_orders,
    external_risk,
    financial_risk,
)
from exportwatch.core.periods import (
    ComingIn,
    period_add,
    period_end,
    period_of,
    period_range,
    period_start,
    settled_month,
)
from exportwatch.core.sentiment import SAME_BAND, Sentiment, sentiment, weighted_sentiment
from exportwatch.directory.models import Enterprise, HSCode, Industry, Market, MarketGroup, Region, Segment
from exportwatch.reporting.models import Disruption, Need, Report, ReportLine

REPORT_AMOUNTS = ("exports_usd", "new_orders_usd", "backlog_usd", "backlog_due_3m_usd")
LINE_AMOUNTS = ("exports_usd", "new_orders_usd", "backlog_usd")
TREND_MONTHS = 36
FALL_ALERT = -0.3  # new orders year on year at or below this: marked on tables (the default warning threshold)
COVERAGE_ALERT = 1.0  # months of exports in hand below this: marked
SHORT_ORDER_ALERT = 0.8  # share of the backlog due within 3 months above this: marked
MARKET_FALL = -0.3  # a market whose new orders fell this much year on year counts as external risk


@dataclass(frozen=True)
class Dimension:
    key: str
    label: Any  # lazy translation
    lines: bool  # summed from the lines (market structure) rather than the reports


DIMENSIONS: dict[str, Dimension] = {
    d.key: d
    for d in (
        Dimension("market", _("Market"), True),
        Dimension("group", _("Market group"), True),
        Dimension("hs", _("HS chapter"), True),
        Dimension("industry", _("Industry"), False),
        Dimension("town", _("Town"), False),
        Dimension("tier", _("Tier"), False),
        Dimension("segment", _("Segment"), False),
    )
}
TIER_LABELS = {"head": _("Head enterprises"), "whitelist": _("White list"), "other": _("Other enterprises")}


@dataclass(frozen=True)
class View:
    """The month a page shows and the part of the order book it is narrowed to (empty: all of it)."""

    period: str
    market: str = ""
    group: str = ""
    hs: str = ""  # an HS chapter (2 digits)

    @property
    def narrowed(self) -> bool:
        return bool(self.market or self.group or self.hs)

    def at(self, period: str) -> View:
        return replace(self, period=period)


@dataclass(frozen=True)
class Scope:
    """The enterprises a page shows (scoped to the user and filtered), and the same filter in the terms of the
    aggregates (``models.py``): the regions (any level) the enterprises may sit in, the industry and the tier.
    ``cells`` is False when the filter cannot be said that way (a segment, a text search): then every figure is
    summed from the reports themselves."""

    enterprises: QuerySet[Enterprise]
    regions: frozenset[str] | None = None  # None: every region
    industry: str = ""
    tier: str = ""
    cells: bool = True
    # Results already computed for this request's scope (a page asks for some twice); never compared.
    memo: dict[tuple[Any, ...], Any] = field(default_factory=dict, compare=False, hash=False, repr=False)


Source = QuerySet[Enterprise] | Scope


def _memo(source: Source, key: tuple[Any, ...], compute: Any) -> Any:
    if not isinstance(source, Scope):
        return compute()
    if key not in source.memo:
        source.memo[key] = compute()
    return source.memo[key]


def _qs(source: Source) -> QuerySet[Enterprise]:
    return source.enterprises if isinstance(source, Scope) else source


def _cells(source: Source) -> Scope | None:
    return source if isinstance(source, Scope) and source.cells else None


def is_whole(source: Source) -> bool:
    """Whether the scope is every enterprise (no region, industry, tier, segment or text filter)."""
    scope = _cells(source)
    return scope is not None and scope.regions is None and not scope.industry and not scope.tier


@dataclass
class Figures:
    """Sums of one slice of the order book in one month. ``due_3m`` is None where lines are summed (lines do not
    split their backlog by due date)."""

    enterprises: int = 0
    exports: Decimal = Decimal(0)
    new_orders: Decimal = Decimal(0)
    backlog: Decimal = Decimal(0)
    due_3m: Decimal | None = None

    @property
    def empty(self) -> bool:
        return self.enterprises == 0


@dataclass
class Row:
    """One value of a dimension (or one enterprise) with its figures and indicators for a month."""

    key: str
    name: str
    now: Figures
    year_ago: Figures | None
    exports_3m: list[Decimal | None] = field(default_factory=list)  # exports of the month and the two before

    @property
    def exports_yoy(self) -> float | None:
        return _growth(self.now.exports, self.year_ago and self.year_ago.exports)

    @property
    def new_orders_yoy(self) -> float | None:
        return _growth(self.now.new_orders, self.year_ago and self.year_ago.new_orders)

    @property
    def backlog_yoy(self) -> float | None:
        return _growth(self.now.backlog, self.year_ago and self.year_ago.backlog)

    @property
    def coverage_months(self) -> float | None:
        return ind.coverage_months(self.now.backlog, self.exports_3m)

    @property
    def book_to_bill(self) -> float | None:
        return ind.book_to_bill(self.now.new_orders, self.now.exports)

    @property
    def short_order_share(self) -> float | None:
        return None if self.now.due_3m is None else ind.short_order_share(self.now.due_3m, self.now.backlog)

    @property
    def alerts(self) -> list[str]:
        """Which of the default thresholds this row crosses (for marking cells; the warning engine decides)."""
        found = []
        if (y := self.new_orders_yoy) is not None and y <= FALL_ALERT:
            found.append("new_orders_yoy")
        if (c := self.coverage_months) is not None and c < COVERAGE_ALERT:
            found.append("coverage_months")
        if (s := self.short_order_share) is not None and s > SHORT_ORDER_ALERT:
            found.append("short_order_share")
        return found


def _growth(now: Decimal, before: Decimal | None) -> float | None:
    return None if before is None else ind.growth(now, before)


# --- the two sources ----------------------------------------------------------------------------------------


def _of_scope(qs: QuerySet[Any], enterprises: Source) -> QuerySet[Any]:
    """Rows of the scope's enterprises (no filter at all when the scope is every enterprise)."""
    return qs if is_whole(enterprises) else qs.filter(enterprise__in=_qs(enterprises))


def _reports(enterprises: Source, periods: Sequence[str]) -> QuerySet[Report]:
    qs = Report.objects.filter(is_current=True, period__in=list(periods))
    return qs if is_whole(enterprises) else qs.filter(enterprise__in=_qs(enterprises))


def _lines(enterprises: Source, periods: Sequence[str], view: View) -> QuerySet[ReportLine]:
    qs = ReportLine.objects.filter(report__is_current=True, report__period__in=list(periods))
    if not is_whole(enterprises):
        qs = qs.filter(report__enterprise__in=_qs(enterprises))
    if view.market:
        qs = qs.filter(market_id=view.market)
    if view.group:
        qs = qs.filter(market__groups__code=view.group)
    if view.hs:
        qs = qs.filter(hs__startswith=view.hs)
    return qs


def _tier_expression(prefix: str) -> Case:
    return Case(
        When(**{f"{prefix}exports_last_year_usd__gte": settings.EXPORTWATCH_HEAD_EXPORTS_USD}, then=Value("head")),
        When(
            **{f"{prefix}trade_last_year_usd__gte": settings.EXPORTWATCH_WHITELIST_TRADE_USD}, then=Value("whitelist")
        ),
        default=Value("other"),
        output_field=CharField(),
    )


def _key_expression(dim: str, *, lines: bool) -> Any:
    ent = "report__enterprise__" if lines else "enterprise__"
    if dim == "market":
        return F("market_id")
    if dim == "group":
        return F("market__groups__code")
    if dim == "hs":
        return Substr("hs", 1, 2)
    if dim == "industry":
        return F(f"{ent}industry_id")
    if dim == "town":
        return F(f"{ent}town_id")
    if dim == "tier":
        return _tier_expression(ent)
    if dim == "segment":
        return F(f"{ent}segments__code")
    if dim == "enterprise":
        return F(f"{ent}uscc")
    raise ValueError(dim)


def _sums(
    enterprises: Source, view: View, periods: Sequence[str], dim: str | None, *, lines: bool
) -> dict[tuple[str, str | None], Figures]:
    """(period, key) -> Figures, summed by the database; key None when not broken down."""
    scope = _cells(enterprises)
    if scope is not None:
        found = _cell_sums(scope, view, periods, dim, lines=lines)
        if found is not None:
            return found
    if lines:
        qs: QuerySet[Any] = _lines(enterprises, periods, view)
        period_field, ent_field, amounts = "report__period", "report__enterprise_id", LINE_AMOUNTS
    else:
        qs = _reports(enterprises, periods)
        period_field, ent_field, amounts = "period", "enterprise_id", REPORT_AMOUNTS
    names = {"_p": F(period_field)}
    if dim is not None:
        names["_k"] = _key_expression(dim, lines=lines)
    # One enterprise per row when broken down by enterprise: no distinct count (and its sort) to pay for.
    count = {} if dim == "enterprise" else {"_n": Count(ent_field, distinct=True)}
    rows = qs.annotate(**names).values(*names).annotate(**count, **{f"_{a}": Sum(a) for a in amounts}).order_by()
    found: dict[tuple[str, str | None], Figures] = {}
    for r in rows:
        key = None if dim is None else ("" if r["_k"] is None else str(r["_k"]))
        found[(r["_p"], key)] = Figures(
            enterprises=r.get("_n", 1),
            exports=r["_exports_usd"] or Decimal(0),
            new_orders=r["_new_orders_usd"] or Decimal(0),
            backlog=r["_backlog_usd"] or Decimal(0),
            due_3m=(r["_backlog_due_3m_usd"] or Decimal(0)) if not lines else None,
        )
    return found


# --- the same sums from the aggregates ------------------------------------------------------------------------


def _usd(cents: int | None) -> Decimal:
    return Decimal(cents or 0).scaleb(-2)


def _group_markets(group: str) -> list[str]:
    return list(MarketGroup.members.through.objects.filter(marketgroup_id=group).values_list("market_id", flat=True))


def _cell_source(view: View, dim: str | None, *, lines: bool) -> tuple[Any, str | None, dict[str, Any]] | None:
    """The aggregate table, key column and filters that give the sums of (view, dim); None when none does (the
    caller sums the reports themselves)."""
    from exportwatch.monitoring import models as cm

    if dim == "segment":
        return None
    if not lines:
        if view.narrowed or dim not in (None, "town", "industry", "tier"):
            return None
        return cm.TotalCell, dim, {}
    filters: dict[str, Any] = {}
    if dim == "enterprise":
        return None  # per-enterprise figures are read from the reports and lines (an index away)
    if dim == "group":
        if view.market or view.hs:
            return None
        return cm.GroupCell, "group", ({"group": view.group} if view.group else {})
    if dim == "market":
        model: Any = cm.MarketChapterCell if view.hs else cm.MarketCell
        if view.hs:
            filters["hs"] = view.hs
        if view.group:
            filters["market__in"] = _group_markets(view.group)
        if view.market:
            filters["market"] = view.market
        return model, "market", filters
    if dim == "hs":
        if view.group:
            return None  # an enterprise trading with two markets of the group would count twice
        model = cm.MarketChapterCell if view.market else cm.ChapterCell
        if view.market:
            filters["market"] = view.market
        if view.hs:
            filters["hs"] = view.hs
        return model, "hs", filters
    # no breakdown, or town / industry / tier, of a narrowed view
    if view.group:
        if view.market or view.hs:
            return None
        return cm.GroupCell, dim, {"group": view.group}
    if view.market and view.hs:
        return cm.MarketChapterCell, dim, {"market": view.market, "hs": view.hs}
    if view.market:
        return cm.MarketCell, dim, {"market": view.market}
    if view.hs:
        return cm.ChapterCell, dim, {"hs": view.hs}
    return None


def _scoped_cells(
    scope: Scope, model: Any, periods: Sequence[str], filters: dict[str, Any], dim: str | None = None
) -> QuerySet[Any]:
    """The cells that add up to the scope's sums (``models.py``): for a scope of everything, the all-cells, or the
    report totals' rollup by town, industry or tier when broken down by one of them; otherwise the cells of the
    scope's towns, industry and tier (never a rollup)."""
    from exportwatch.monitoring.models import ROLLUP, TotalCell

    qs = model.objects.filter(period__in=list(periods), **filters)
    if is_whole(scope):
        if dim not in ("town", "industry", "tier"):
            return qs.filter(town=ROLLUP, industry=ROLLUP, tier=ROLLUP)
        if model is TotalCell:  # one rollup row per town, industry or tier
            rest = {d: ROLLUP for d in ("town", "industry", "tier") if d != dim}
            return qs.filter(**rest).exclude(**{dim: ROLLUP})
    qs = qs.exclude(town=ROLLUP).exclude(industry=ROLLUP).exclude(tier=ROLLUP)
    if scope.regions is not None:
        qs = qs.filter(town__in=scope.regions)
    if scope.industry:
        qs = qs.filter(industry=scope.industry)
    if scope.tier:
        qs = qs.filter(tier=scope.tier)
    return qs


def _cell_sums(
    scope: Scope, view: View, periods: Sequence[str], dim: str | None, *, lines: bool
) -> dict[tuple[str, str | None], Figures] | None:
    from exportwatch.monitoring import models as cm

    source = _cell_source(view, dim, lines=lines)
    if source is None:
        return None
    model, key_field, filters = source
    group = ["period", *([key_field] if key_field else [])]
    sums: dict[str, Any] = {
        "_n": Sum("enterprises"),
        "_e": Sum("exports"),
        "_o": Sum("new_orders"),
        "_b": Sum("backlog"),
    }
    totals = model is cm.TotalCell
    if totals:
        sums["_d"] = Sum("due_3m")
    rows = _scoped_cells(scope, model, periods, filters, key_field).values(*group).annotate(**sums).order_by()
    found: dict[tuple[str, str | None], Figures] = {}
    for r in rows:
        if not r["_n"]:
            continue  # a cell every report has left (corrections)
        key = None if key_field is None else str(r[key_field])
        found[(r["period"], key)] = Figures(
            enterprises=r["_n"],
            exports=_usd(r["_e"]),
            new_orders=_usd(r["_o"]),
            backlog=_usd(r["_b"]),
            due_3m=_usd(r["_d"]) if totals else None,
        )
    return found


# --- series and breakdowns ----------------------------------------------------------------------------------


def series(enterprises: Source, view: View, *, months: int = TREND_MONTHS) -> dict[str, Figures]:
    """Figures for each of the ``months`` months up to the view's month (absent months: empty figures)."""
    periods = period_range(period_add(view.period, -(months - 1)), view.period)
    found = _sums(enterprises, view, periods, None, lines=view.narrowed)
    return {p: found.get((p, None), Figures()) for p in periods}


def series_by(
    enterprises: Source, periods: Sequence[str], dim: str, *, figure: str = "exports"
) -> dict[tuple[str, str], float]:
    """Exports (or another figure of ``Figures``, USD) of each value of ``dim`` in each of ``periods`` (absent
    when none)."""
    found = _sums(enterprises, View(periods[-1]), periods, dim, lines=DIMENSIONS[dim].lines)
    return {(p, k): float(getattr(f, figure)) for (p, k), f in found.items() if k is not None}


def figures_row(enterprises: Source, view: View) -> Row:
    """The view's totals with the year before and the last three months' exports (headline figures)."""
    p = view.period
    periods = _row_periods(view)
    found = _sums(enterprises, view, periods, None, lines=view.narrowed)
    return Row(
        key="",
        name="",
        now=found.get((p, None), Figures()),
        year_ago=found.get((periods[3], None)),
        exports_3m=[_exports(found.get((q, None))) for q in periods[:3]],
    )


def _exports(f: Figures | None) -> Decimal | None:
    return None if f is None else f.exports


def breakdown(enterprises: Source, view: View, dim: str) -> list[Row]:
    """One row per value of ``dim`` in the view's month, largest exports first, each with its indicators."""
    rows: list[Row] = _memo(enterprises, ("breakdown", view, dim), lambda: _breakdown(enterprises, view, dim))
    return list(rows)


def _breakdown(enterprises: Source, view: View, dim: str) -> list[Row]:
    d = DIMENSIONS[dim]
    p = view.period
    found = _sums(enterprises, view, _row_periods(view), dim, lines=d.lines or view.narrowed)
    keys = {k for (q, k) in found if q == p and k is not None}
    return _rows_of(found, keys, dimension_names(dim, keys), view)


def enterprise_rows(enterprises: Source, view: View) -> list[Row]:
    """The enterprises behind the view's figures, one row each (largest exports first)."""
    p = view.period
    found = _sums(enterprises, view, _row_periods(view), "enterprise", lines=view.narrowed)
    keys = {k for (q, k) in found if q == p and k}
    memo = enterprises.memo if isinstance(enterprises, Scope) else {}
    names = {k: memo[("name", k)] for k in keys if ("name", k) in memo}
    missing = [k for k in keys if k not in names]
    for start in range(0, len(missing), 5_000):
        names.update(_qs(enterprises).filter(uscc__in=missing[start : start + 5_000]).values_list("uscc", "name"))
    return _rows_of(found, keys, names, view)


def top_enterprise_rows(enterprises: Source, view: View, limit: int) -> tuple[list[Row], int]:
    """The ``limit`` enterprises with the largest figures in the view's month (as ``enterprise_rows`` orders
    them), and how many enterprises the view's month has in all. The month is ranked first; the other months of a
    row are summed for the top enterprises only (a market's profile at a province: a few rows, not every line
    of four months)."""
    p = view.period
    now = _sums(enterprises, view, [p], "enterprise", lines=view.narrowed)
    ranked = sorted(
        (k for (q, k) in now if q == p and k), key=lambda k: (-now[(p, k)].exports, -now[(p, k)].new_orders, k)
    )
    top = ranked[:limit]
    if not top:
        return [], 0
    mine = _qs(enterprises).filter(uscc__in=top)
    others = [q for q in _row_periods(view) if q != p]
    found = {**_sums(mine, view, others, "enterprise", lines=view.narrowed), **{(p, k): now[(p, k)] for k in top}}
    names = dict(mine.values_list("uscc", "name"))
    return _rows_of(found, top, names, view), len(ranked)


def _row_periods(view: View) -> list[str]:
    """The months a row needs: the two before the view's month (coverage), the month, and a year before."""
    p = view.period
    return [period_add(p, -2), period_add(p, -1), p, period_add(p, -12)]


def _rows_of(
    found: Mapping[tuple[str, str | None], Figures], keys: Iterable[str], names: Mapping[str, str], view: View
) -> list[Row]:
    """One row per key from the sums of ``_row_periods(view)``, largest exports first."""
    before2, before1, now, year_ago = _row_periods(view)
    rows = [
        Row(
            key=k,
            name=names.get(k, k),
            now=found[(now, k)],
            year_ago=found.get((year_ago, k)),
            exports_3m=[_exports(found.get((q, k))) for q in (before2, before1, now)],
        )
        for k in keys
    ]
    rows.sort(key=lambda r: (-r.now.exports, -r.now.new_orders, r.key))
    return rows


def dimension_names(dim: str, keys: Iterable[str]) -> dict[str, str]:
    """Display names of dimension values (reference data in the active language)."""
    keys = list(keys)
    if dim == "tier":
        return {k: str(TIER_LABELS.get(k, k)) for k in keys}
    model: Any = {
        "market": Market,
        "group": MarketGroup,
        "hs": HSCode,
        "industry": Industry,
        "town": Region,
        "segment": Segment,
    }[dim]
    english = (get_language() or "zh-hans").startswith("en")  # as NamedCode.label, without a model per row
    names = {
        code: (name_en if english and name_en else name)
        for code, name, name_en in model.objects.filter(code__in=keys).values_list("code", "name", "name_en")
    }
    if dim == "segment" and "" in keys:
        names[""] = str(_("No segment"))
    return names


# --- sentiment, difficulties, concentration -------------------------------------------------------------------


@dataclass(frozen=True)
class SentimentSummary:
    new_orders: Sentiment | None
    new_orders_weighted: Sentiment | None
    outlook: Sentiment | None
    outlook_weighted: Sentiment | None
    from_changes: Sentiment | None  # new orders against the same month a year before (±2 % is "same")


def _cell_sentiments(scope: Scope, periods: Sequence[str]) -> dict[str, dict[str, Sentiment | None]]:
    """Per month: the new-orders and outlook answers, unweighted and weighted, from the aggregates."""
    from exportwatch.monitoring import models as cm

    counts = ("trend_up", "trend_same", "trend_down", "outlook_up", "outlook_same", "outlook_down")
    weights = ("weight_up", "weight_same", "weight_down")
    rows = (
        _scoped_cells(scope, cm.TotalCell, periods, {})
        .values("period")
        .annotate(**{f: Sum(f) for f in counts + weights})
        .order_by()
    )

    def make(up: float, same: float, down: float, answers: int) -> Sentiment | None:
        total = up + same + down
        if total <= 0:
            return None
        return Sentiment(up=up / total, same=same / total, down=down / total, answers=answers, weight=total)

    out: dict[str, dict[str, Sentiment | None]] = {}
    for r in rows:
        v = {f: float(r[f] or 0) for f in counts + weights}
        n = int(v["trend_up"] + v["trend_same"] + v["trend_down"])
        out[r["period"]] = {
            "new_orders": make(v["trend_up"], v["trend_same"], v["trend_down"], n),
            "new_orders_weighted": make(v["weight_up"], v["weight_same"], v["weight_down"], n),
            "outlook": make(v["outlook_up"], v["outlook_same"], v["outlook_down"], n),
        }
    return out


def sentiment_of(enterprises: Source, period: str) -> SentimentSummary:
    _falling, changes = _year_on_year(enterprises, period)
    scope = _cells(enterprises)
    if scope is not None:
        cell = _cell_sentiments(scope, [period]).get(period, {})
        return SentimentSummary(
            new_orders=cell.get("new_orders"),
            new_orders_weighted=cell.get("new_orders_weighted"),
            outlook=cell.get("outlook"),
            outlook_weighted=None,
            from_changes=changes,
        )
    rows = list(
        _reports(enterprises, [period]).values_list(
            "new_orders_trend", "outlook_3m", "enterprise__exports_last_year_usd"
        )
    )
    return SentimentSummary(
        new_orders=sentiment(r[0] for r in rows),
        new_orders_weighted=weighted_sentiment((r[0], r[2]) for r in rows),
        outlook=sentiment(r[1] for r in rows),
        outlook_weighted=weighted_sentiment((r[1], r[2]) for r in rows),
        from_changes=changes,
    )


@dataclass(frozen=True)
class FallingSummary:
    """``core.difficulties.FallingOrders`` without the list of enterprises (counted by the database)."""

    enterprises: int
    assessed: int
    share: float | None
    weighted_share: float | None
    shortfall: float


def _year_on_year(enterprises: Source, period: str) -> tuple[FallingSummary, Sentiment | None]:
    return _memo(enterprises, ("yoy", period), lambda: _kept_year_on_year(enterprises, period))  # type: ignore[no-any-return]


def _kept_year_on_year(enterprises: Source, period: str) -> tuple[FallingSummary, Sentiment | None]:
    """The whole scope's counts are kept (in the process's cache) for as long as the reports stay as they were:
    the key holds the aggregates' stamp, which every change to the current reports raises in its transaction."""
    if not is_whole(enterprises):
        return _compute_year_on_year(enterprises, period)
    from django.core.cache import cache

    from exportwatch.monitoring.cells import stamp_read

    key = f"exportwatch:yoy:{period}:{stamp_read()}"
    found = cache.get(key)
    if found is None:
        found = _compute_year_on_year(enterprises, period)
        cache.set(key, found, timeout=3_600)
    return found  # type: ignore[no-any-return]


def _compute_year_on_year(enterprises: Source, period: str) -> tuple[FallingSummary, Sentiment | None]:
    return year_on_year_by(enterprises, period, None).get("", (_NO_FALL, None))


_NO_FALL = FallingSummary(enterprises=0, assessed=0, share=None, weighted_share=None, shortfall=0.0)
_YOY_GROUPS = {"industry": "e.industry_id", "town": "e.town_id"}


def year_on_year_by(
    enterprises: Source, period: str, dim: str | None
) -> dict[str, tuple[FallingSummary, Sentiment | None]]:
    """Each enterprise's new orders in the month against the same month a year before (the enterprises that
    reported both), counted by the database with the core's rules in the same floating-point arithmetic: how many
    fell by ``FALLING_THRESHOLD`` or more (``core.difficulties.falling_new_orders``, weighted by last year's
    exports) and the up/same/down classes of the change (``core.sentiment.classify_change``), for the whole scope
    (``dim`` None: key "") or per industry or town. One aggregate query instead of two rows per enterprise (tests
    check it against the core on the same reports). Unlike the up/same/down answers (against the month before),
    these compare the same month of two years: no seasonal swing."""
    if is_whole(enterprises):
        inner, inner_params = "", ()
    else:
        inner, inner_params = _qs(enterprises).order_by().values("pk").query.sql_with_params()
        inner = f" AND a.enterprise_id IN ({inner})"
    group = _YOY_GROUPS[dim] if dim is not None else "''"
    now, before = "CAST(a.new_orders_usd AS DOUBLE PRECISION)", "CAST(b.new_orders_usd AS DOUBLE PRECISION)"
    weight = "CAST(e.exports_last_year_usd AS DOUBLE PRECISION)"
    change = f"({now} - {before}) / {before}"
    falling = f"{before} <> 0 AND {change} <= %s"
    sql = (
        f"SELECT {group}, SUM(CASE WHEN {before} <> 0 THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {before} <> 0 THEN {weight} ELSE 0 END), "
        f"SUM(CASE WHEN {falling} THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN {falling} THEN {weight} ELSE 0 END), "
        f"SUM(CASE WHEN {falling} THEN {before} - {now} ELSE 0 END), "
        f"SUM(CASE WHEN ({before} <> 0 AND {change} > %s) OR ({before} = 0 AND {now} > 0) THEN 1 ELSE 0 END), "
        f"SUM(CASE WHEN ({before} <> 0 AND {change} < %s) OR ({before} = 0 AND {now} < 0) THEN 1 ELSE 0 END), "
        "COUNT(*) "
        "FROM reporting_report a "
        "JOIN reporting_report b ON b.enterprise_id = a.enterprise_id AND b.period = %s AND b.is_current = %s "
        "JOIN directory_enterprise e ON e.id = a.enterprise_id "
        f"WHERE a.period = %s AND a.is_current = %s{inner} GROUP BY 1"
    )
    threshold = FALLING_THRESHOLD
    params = [threshold, threshold, threshold, SAME_BAND, -SAME_BAND, period_add(period, -12), True, period, True]
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, *inner_params])
        rows = cursor.fetchall()
    out: dict[str, tuple[FallingSummary, Sentiment | None]] = {}
    for key, assessed, w_assessed, n_falling, w_falling, shortfall, up, down, pairs in rows:
        assessed, n_falling, up, down, pairs = (int(x or 0) for x in (assessed, n_falling, up, down, pairs))
        summary = FallingSummary(
            enterprises=n_falling,
            assessed=assessed,
            share=ind.ratio(n_falling, assessed),
            weighted_share=ind.ratio(float(w_falling or 0), float(w_assessed or 0)),
            shortfall=float(shortfall or 0),
        )
        same = pairs - up - down
        changes = (
            None
            if not pairs
            else Sentiment(up=up / pairs, same=same / pairs, down=down / pairs, answers=pairs, weight=pairs)
        )
        out[str(key or "")] = (summary, changes)
    return out


def series_sentiment(enterprises: Source, view: View, *, months: int = TREND_MONTHS) -> dict[str, float | None]:
    """The diffusion index of the new-orders answers (unweighted) for each month up to the view's month."""
    periods = period_range(period_add(view.period, -(months - 1)), view.period)
    scope = _cells(enterprises)
    if scope is not None:
        cells = _cell_sentiments(scope, periods)
        return {p: (None if (c := cells.get(p, {}).get("new_orders")) is None else c.diffusion_index) for p in periods}
    counts: dict[str, list[str]] = defaultdict(list)
    for p, trend, n in (
        _reports(enterprises, periods).values_list("period", "new_orders_trend").annotate(n=Count("id")).order_by()
    ):
        counts[p].extend([trend] * n)
    out: dict[str, float | None] = {}
    for p in periods:
        s = sentiment(counts.get(p, []))
        out[p] = None if s is None else s.diffusion_index
    return out


@dataclass(frozen=True)
class Difficulties:
    blocked: Any  # core.difficulties.BlockedOrders
    falling: FallingSummary
    falling_markets: list[tuple[str, str, float, Decimal]]  # (code, name, new orders yoy, new orders now)
    external: Any  # core.difficulties.ExternalRisk: exports in the month to the falling markets
    financial: Any  # core.difficulties.FinancialRisk


def difficulties_of(enterprises: Source, period: str) -> Difficulties:
    """The four difficulties of DESIGN §1 in the month: blocked orders (disruption events filed in it), new orders
    falling (enterprises with new orders 20 % or more below a year before), external risk (markets whose new orders
    fell 30 % or more, and the exports still going to them), financial risk (needs for money filed in it)."""
    start, end = period_start(period), period_end(period)
    events = _of_scope(Disruption.objects.filter(date__gte=start, date__lte=end), enterprises)
    blocked = blocked_orders(
        DisruptionFact(uscc=u, kind=k, amount=a)
        for u, k, a in events.values_list("enterprise__uscc", "kind", "amount_usd")
    )
    falling, _changes = _year_on_year(enterprises, period)
    markets = breakdown(enterprises, View(period), "market")
    falling_markets = [
        (r.key, r.name, y, r.now.new_orders)
        for r in markets
        if (y := r.new_orders_yoy) is not None and y <= MARKET_FALL
    ]
    warning = {m[0] for m in falling_markets}
    scope = _cells(enterprises)
    if scope is not None:  # the sums from the market rows; the enterprises counted once across those markets
        amount = sum((float(r.now.exports) for r in markets if r.key in warning), 0.0)
        total = sum((float(r.now.exports) for r in markets), 0.0)
        exposed = (
            _lines(enterprises, [period], View(period))
            .filter(market_id__in=sorted(warning), exports_usd__gt=0)
            .values("report__enterprise_id")
            .distinct()
            .count()
            if warning
            else 0
        )
        external = ExternalRisk(
            amount=amount,
            total=total,
            share=ind.ratio(amount, total),
            enterprises=exposed,
            by_market={r.key: float(r.now.exports) for r in sorted(markets, key=lambda r: r.key) if r.key in warning},
        )
    else:
        external = external_risk(_market_facts(enterprises, period), warning_markets=warning)
    needs = _of_scope(Need.objects.filter(date__gte=start, date__lte=end), enterprises)
    financial = financial_risk(
        (
            NeedFact(uscc=u, category=c, amount=a)
            for u, c, a in needs.values_list("enterprise__uscc", "category", "amount_usd")
        ),
        categories=FINANCIAL_NEED_CATEGORIES,
    )
    return Difficulties(
        blocked=blocked, falling=falling, falling_markets=falling_markets, external=external, financial=financial
    )


def _market_facts(enterprises: Source, period: str) -> Iterable[MarketFact]:
    """Each enterprise's exports per market in the month (from the aggregates when the scope allows)."""

    return [
        MarketFact(uscc=u, market=m, amount=a)
        for u, m, a in _lines(enterprises, [period], View(period))
        .values_list("report__enterprise__uscc", "market_id")
        .annotate(a=Sum("exports_usd"))
        .values_list("report__enterprise__uscc", "market_id", "a")
        .order_by()
    ]


def market_hhi(enterprises: Source, view: View) -> float | None:
    """Herfindahl index (0..1) of the view's exports across markets, for the whole slice."""
    rows = breakdown(enterprises, replace(view, market=""), "market")
    return hhi_of_amounts(r.now.exports for r in rows)


def enterprise_hhi(enterprises: Source, period: str) -> dict[str, float | None]:
    """Each enterprise's Herfindahl index (0..1) of its exports across markets in the month."""
    amounts: dict[str, list[Decimal]] = defaultdict(list)
    for uscc, exports in (
        _lines(enterprises, [period], View(period))
        .values_list("report__enterprise__uscc", "market_id")
        .annotate(e=Sum("exports_usd"))
        .values_list("report__enterprise__uscc", "e")
        .order_by()
    ):
        amounts[uscc].append(exports or Decimal(0))
    return {u: hhi_of_amounts(a) for u, a in amounts.items()}


SETTLED_LOOKBACK = 24  # months searched back for a settled month; an older latest report is taken as it stands


def _settled_and_coming_in(today: date) -> tuple[str | None, list[ComingIn]]:
    from exportwatch.monitoring.models import ROLLUP, TotalCell

    current = period_of(today)
    all_cells = TotalCell.objects.filter(town=ROLLUP, industry=ROLLUP, tier=ROLLUP, period__lte=current)
    reporters = dict(  # the all-cells: one row a month
        all_cells.filter(period__gte=period_add(current, -SETTLED_LOOKBACK)).values_list("period", "enterprises")
    )
    found, coming_in = settled_month(reporters, today=today, deadline_day=settings.EXPORTWATCH_REPORT_DEADLINE_DAY)
    if found is None:  # nothing within the lookback: the latest month with reports before it, as it stands
        found = all_cells.filter(enterprises__gt=0).order_by("-period").values_list("period", flat=True).first()
    return found, coming_in


def settled_period(*, today: date | None = None) -> str | None:
    """The latest month up to ``today``'s (the clock's by default) whose reports are in: its reporting deadline has
    passed, or ``core.periods.SETTLED_SHARE`` as many enterprises as the month before have reported it. None without
    reports. The forecasts start from it and the stress tests read its order book: a month whose first reports
    are coming in holds the sums of its early reporters only. Reads the all-cells' counts (a row a month)."""
    return _settled_and_coming_in(today or clock.today())[0]


def periods_coming_in(*, today: date | None = None) -> list[ComingIn]:
    """The months after :func:`settled_period` whose reports are coming in, latest first."""
    return _settled_and_coming_in(today or clock.today())[1]


def latest_period(enterprises: Source, default: str) -> str:
    """The latest month up to ``default`` with a report in the scope."""
    from exportwatch.monitoring.models import ROLLUP, TotalCell

    if is_whole(enterprises):  # the all-cells: one row a month
        cells = TotalCell.objects.filter(town=ROLLUP, period__lte=default, enterprises__gt=0)
        found = cells.order_by("-period").values_list("period", flat=True).first()
    else:
        found = (
            Report.objects.filter(is_current=True, enterprise__in=_qs(enterprises), period__lte=default)
            .order_by("-period")
            .values_list("period", flat=True)
            .first()
        )
    return found or default


@dataclass(frozen=True)
class Events:
    disruptions: int
    disruption_amount: Decimal
    needs: int


def events_by_enterprise(enterprises: Source, period: str) -> dict[str, Events]:
    """Per enterprise: disruption events filed in the month (count and amount) and needs filed in it."""
    start, end = period_start(period), period_end(period)
    found: dict[str, list[Any]] = defaultdict(lambda: [0, Decimal(0), 0])
    for uscc, n, amount in (
        _of_scope(Disruption.objects.filter(date__gte=start, date__lte=end), enterprises)
        .values_list("enterprise__uscc")
        .annotate(n=Count("id"), a=Sum("amount_usd"))
        .order_by()
    ):
        found[uscc][0], found[uscc][1] = n, amount or Decimal(0)
    for uscc, n in (
        _of_scope(Need.objects.filter(date__gte=start, date__lte=end), enterprises)
        .values_list("enterprise__uscc")
        .annotate(n=Count("id"))
        .order_by()
    ):
        found[uscc][2] = n
    return {u: Events(*v) for u, v in found.items()}


# --- the indicator export contract (``exportwatch indicators``) ---------------------------------------------

INDICATOR_DIMENSIONS = {
    "district": None,
    "market": "market",
    "market_group": "group",
    "hs": "hs",
    "industry": "industry",
    "town": "town",
    "tier": "tier",
}
INDICATOR_COLUMNS = (
    "key",
    "name",
    "enterprises",
    "exports_usd",
    "new_orders_usd",
    "backlog_usd",
    "backlog_due_3m_usd",
    "exports_yoy",
    "new_orders_yoy",
    "backlog_yoy",
    "coverage_months",
    "book_to_bill",
    "short_order_share",
    "di_new_orders",
    "balance_new_orders",
    "hhi_markets",
)


def answers_by(enterprises: Source, period: str, dim: str | None) -> dict[str, list[str]]:
    """The new-orders answers (up/same/down) of the enterprises in each value of ``dim`` (one per enterprise; for a
    market, group or chapter: the enterprises with lines in it)."""
    lines = dim is not None and DIMENSIONS[dim].lines
    if lines:
        qs: QuerySet[Any] = _lines(enterprises, [period], View(period))
        ent, trend = "report__enterprise_id", "report__new_orders_trend"
    else:
        qs = _reports(enterprises, [period])
        ent, trend = "enterprise_id", "new_orders_trend"
    key = _key_expression(dim, lines=lines) if dim is not None else Value("")
    found: dict[str, list[str]] = defaultdict(list)
    for k, _e, t in qs.annotate(_k=key).values_list("_k", ent, trend).distinct().order_by():
        found["" if k is None else str(k)].append(t)
    return found


def _market_amounts_by(enterprises: Source, period: str, dim: str | None) -> dict[str, list[Decimal]]:
    """Each value's exports per market (for its Herfindahl index across markets)."""
    key = _key_expression(dim, lines=True) if dim is not None else Value("")
    found: dict[str, list[Decimal]] = defaultdict(list)
    for k, amount in (
        _lines(enterprises, [period], View(period))
        .annotate(_k=key)
        .values_list("_k", "market_id")
        .annotate(e=Sum("exports_usd"))
        .values_list("_k", "e")
        .order_by()
    ):
        found["" if k is None else str(k)].append(amount or Decimal(0))
    return found


def indicator_rows(enterprises: Source, period: str, by: str) -> list[dict[str, Any]]:
    """The rows of the indicator export: one per value of the dimension (``district``: one row, key ``all``), with
    the columns ``INDICATOR_COLUMNS``; ratios as fractions, None when undefined."""
    dim = INDICATOR_DIMENSIONS[by]
    view = View(period)
    rows = [figures_row(enterprises, view)] if dim is None else breakdown(enterprises, view, dim)
    answers = answers_by(enterprises, period, dim)
    amounts = _market_amounts_by(enterprises, period, dim)
    out = []
    for r in rows:
        key = r.key if dim is not None else ""
        s = sentiment(answers.get(key, []))
        out.append(
            {
                "key": key if dim is not None else "all",
                "name": r.name if dim is not None else str(_("All enterprises")),
                "enterprises": r.now.enterprises,
                "exports_usd": r.now.exports,
                "new_orders_usd": r.now.new_orders,
                "backlog_usd": r.now.backlog,
                "backlog_due_3m_usd": r.now.due_3m,
                "exports_yoy": r.exports_yoy,
                "new_orders_yoy": r.new_orders_yoy,
                "backlog_yoy": r.backlog_yoy,
                "coverage_months": r.coverage_months,
                "book_to_bill": r.book_to_bill,
                "short_order_share": r.short_order_share,
                "di_new_orders": None if s is None else s.diffusion_index,
                "balance_new_orders": None if s is None else s.balance,
                "hhi_markets": hhi_of_amounts(amounts.get(key, [])),
            }
        )
    return out


def disruption_series(
    enterprises: Source, period: str, *, months: int = 12
) -> dict[str, dict[str, tuple[int, Decimal]]]:
    """Disruption events filed per month and kind over the ``months`` months up to ``period``: (events, amount)."""
    periods = period_range(period_add(period, -(months - 1)), period)
    start, end = period_start(periods[0]), period_end(period)
    found: dict[str, dict[str, tuple[int, Decimal]]] = {p: {} for p in periods}
    rows = (
        _of_scope(Disruption.objects.filter(date__gte=start, date__lte=end), enterprises)
        .values_list("date", "kind", "amount_usd")
        .order_by()
    )
    for day, kind, amount in rows:
        p = f"{day.year:04d}-{day.month:02d}"
        n, total = found[p].get(kind, (0, Decimal(0)))
        found[p][kind] = (n + 1, total + (amount or Decimal(0)))
    return found


def enterprises_with_events(enterprises: Source, period: str, kind: str) -> QuerySet[Enterprise]:
    """The enterprises that filed a disruption event of ``kind`` in the month."""
    start, end = period_start(period), period_end(period)
    return _qs(enterprises).filter(
        pk__in=Disruption.objects.filter(kind=kind, date__gte=start, date__lte=end).values("enterprise_id")
    )


def exports_of(enterprises: Source, period: str, usccs: Sequence[str]) -> dict[str, Decimal]:
    """The reported exports of the given enterprises in the month (their current reports)."""
    return dict(
        _reports(enterprises, [period])
        .filter(enterprise__uscc__in=list(usccs))
        .values_list("enterprise__uscc", "exports_usd")
    )
