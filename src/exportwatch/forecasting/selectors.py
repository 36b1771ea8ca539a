"""Reads of the forecasting app: the series the models are fitted on (from the monitoring aggregates and, for the
head enterprises, the reports), and the stored forecasts, always through the user's scope.

Scoping follows the warnings (``warnings.selectors``): the series about the whole jurisdiction (the district, a
market, a market group, an HS chapter, an industry) are visible to the bureau users who may read every
enterprise; a town's series to the users whose regions hold the town; a head enterprise's series to whoever may
read the enterprise.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db.models import FloatField, Q, QuerySet, Sum
from django.db.models.functions import Cast, Substr

from exportwatch.common.scoping import can_see_bureau_pages, enterprises_visible, region_codes_visible, sees_everything
from exportwatch.core.forecasting import ORDER_LEAD_WIDTH, SEASON
from exportwatch.core.indicators import coverage_months, growth, growth_of_sums, window
from exportwatch.core.panel import Fill, Growth, complete, fill_pairs, growth_of
from exportwatch.core.periods import ComingIn, period_add, period_range
from exportwatch.directory.models import Enterprise, MarketGroup
from exportwatch.forecasting.models import ExportTarget, ForecastRun, Scope, SeriesForecast
from exportwatch.monitoring import selectors as mon
from exportwatch.reporting.models import Report, ReportLine

HISTORY_MONTHS = 60  # the longest history a model sees (five years: enough seasons, not the distant past)
BOOK_WINDOW = 3  # months summed into one year-on-year change of a flow (exports, new orders)
JURISDICTION_SCOPES = (Scope.DISTRICT, Scope.MARKET, Scope.MARKET_GROUP, Scope.HS, Scope.INDUSTRY)
# The levels read from the aggregates, with the monitoring dimension that gives them.
DIMENSION_OF = {
    Scope.MARKET: "market",
    Scope.MARKET_GROUP: "group",
    Scope.HS: "hs",
    Scope.INDUSTRY: "industry",
    Scope.TOWN: "town",
}
LEVELS = (Scope.DISTRICT, Scope.MARKET, Scope.MARKET_GROUP, Scope.HS, Scope.INDUSTRY, Scope.TOWN, Scope.ENTERPRISE)


@dataclass(frozen=True)
class SeriesData:
    """One series as read: monthly figures from ``first_period`` to the origin, oldest first (NaN: a month
    without any report; 0: reports that month, none in this series). ``due_3m`` only where reports are summed. The
    aggregates' series are completed for the months their enterprises skipped (``filled``, ``core.panel``)."""

    scope: str
    key: str
    name: str
    town: str
    first_period: str
    exports: list[float]
    new_orders: list[float]
    backlog: list[float]
    due_3m: list[float] | None
    # Of the exports, the part for the enterprises that skipped the month (from customs or estimated).
    filled: list[float] | None = None


def _whole() -> mon.Scope:
    """Every enterprise, in the aggregates' terms (reads the all-cells)."""
    return mon.Scope(enterprises=Enterprise.objects.all())


def forecast_origin(*, today: dt.date | None = None) -> str | None:
    """The origin of the forecasts as of ``today`` (the clock's by default): the latest month whose reports are in
    (:func:`~exportwatch.monitoring.selectors.settled_period`). A month whose first reports are coming in is not yet
    an origin: the sums of its early reporters would read as a collapse of every level's exports and orders. None
    without reports."""
    return mon.settled_period(today=today)


def origin_pending_after(run: ForecastRun | None) -> list[ComingIn]:
    """The months after ``run``'s origin whose reports are coming in (latest first), when ``run`` is the forecasts
    as of today (the latest run, or none yet), for the pages to say why the forecasts do not start from them yet;
    nothing for an earlier run."""
    latest = run_latest()
    if run is not None and (latest is None or run.pk != latest.pk):
        return []
    return [p for p in mon.periods_coming_in() if run is None or p.period > run.origin_period]


def _trim(
    periods: Sequence[str], values: Mapping[str, Sequence[float]], filled: Sequence[float] | None = None
) -> tuple[str, dict[str, list[float]], list[float]] | None:
    """The months from the series' first export on (``values`` as :func:`_totals` gives them: NaN for a month
    without any report, 0 for one without this series' figure), with the filled part of the exports over the same
    months (none: nothing filled). None for a series that never exported."""
    start = next((i for i, v in enumerate(values["exports"]) if v > 0), None)
    if start is None:
        return None
    out = {name: [float(v) for v in vals[start:]] for name, vals in values.items()}
    return periods[start], out, [float(v) for v in filled[start:]] if filled is not None else []


FIGURES = ("exports", "new_orders", "backlog", "due_3m")
_CHUNK = 5_000  # report ids per query (under SQLite's bound on parameters)

# (scope, key) -> figure -> the enterprises' figures to carry into the months they skipped, summed by month and source
Fills = dict[tuple[str, str], dict[str, list[Fill]]]


def _as_float(field: str) -> Cast:
    return Cast(field, FloatField())


def panel_fills(periods: Sequence[str]) -> Fills:
    """Every series' months to fill for the enterprises that skipped them (``core.panel``): each skipped month of a
    gap, and up to ``TRAILING_MONTHS`` after an enterprise's latest report, carried from its latest report before
    it. Reads the current reports' months (three integer columns), then only the source reports and their lines,
    and sums the figures to carry by series, month and source month in columns (polars): on the province, about
    100,000 source reports and two million lines. Where customs recorded the enterprise's exports in a month it
    skipped (``customs.CustomsExport``), that month's exports are customs' (``Fill.known``: by market, by HS chapter
    and in all), not carried; its other figures are carried as before."""
    import polars as pl

    index = {p: i for i, p in enumerate(periods)}
    ids, enterprises, months = [], [], []
    rows = Report.objects.filter(is_current=True, period__gte=periods[0], period__lte=periods[-1]).values_list(
        "id", "enterprise_id", "period"
    )
    for report_id, enterprise_id, p in rows.iterator(chunk_size=20_000):
        ids.append(report_id)
        enterprises.append(enterprise_id)
        months.append(index[p])
    at, filled = fill_pairs(enterprises, months, last=len(periods) - 1)
    if not len(at):
        return {}
    report_ids, report_months = np.asarray(ids, dtype=np.int64), np.asarray(months, dtype=np.int64)
    targets = pl.DataFrame(
        {
            "report_id": report_ids[at],
            "enterprise": np.asarray(enterprises, dtype=np.int64)[at],
            "month": filled,
            "source": report_months[at],
        }
    )
    sources = np.unique(report_ids[at]).tolist()
    groups = pl.DataFrame(
        list(MarketGroup.members.through.objects.values_list("market_id", "marketgroup_id")),
        schema={"market": pl.String, "key": pl.String},
        orient="row",
    )
    known = _customs_known(periods, targets, groups)
    targets = targets.join(
        known.select("enterprise", "month").unique().with_columns(pl.lit(True).alias("customs")),
        on=["enterprise", "month"],
        how="left",
    ).with_columns(pl.col("customs").fill_null(False))
    parts = []
    for start in range(0, len(sources), _CHUNK):
        chunk = sources[start : start + _CHUNK]
        totals = pl.DataFrame(
            list(
                Report.objects.filter(id__in=chunk).values_list(
                    "id",
                    "enterprise__town_id",
                    "enterprise__industry_id",
                    *(_as_float(f) for f in ("exports_usd", "new_orders_usd", "backlog_usd", "backlog_due_3m_usd")),
                )
            ),
            schema={"report_id": pl.Int64, "town": pl.String, "industry": pl.String} | {f: pl.Float64 for f in FIGURES},
            orient="row",
        )
        # Summed by the database to one row per report, market and HS chapter (about half the lines).
        lines = pl.DataFrame(
            list(
                ReportLine.objects.filter(report_id__in=chunk)
                .annotate(chapter=Substr("hs", 1, 2))
                .values("report_id", "market_id", "chapter")
                .annotate(**{f: Sum(_as_float(f"{f}_usd")) for f in FIGURES[:3]})
                .values_list("report_id", "market_id", "chapter", *FIGURES[:3])
                .order_by()
            ),
            schema={"report_id": pl.Int64, "market": pl.String, "hs": pl.String} | {f: pl.Float64 for f in FIGURES[:3]},
            orient="row",
        )
        due = pl.lit(None, dtype=pl.Float64).alias("due_3m")
        parts += [
            totals.select("report_id", pl.lit(Scope.DISTRICT).alias("scope"), pl.lit("").alias("key"), *FIGURES),
            totals.filter(pl.col("town").is_not_null()).select(
                "report_id", pl.lit(Scope.TOWN).alias("scope"), pl.col("town").alias("key"), *FIGURES
            ),
            totals.filter(pl.col("industry").is_not_null()).select(
                "report_id", pl.lit(Scope.INDUSTRY).alias("scope"), pl.col("industry").alias("key"), *FIGURES
            ),
            lines.select(
                "report_id", pl.lit(Scope.MARKET).alias("scope"), pl.col("market").alias("key"), *FIGURES[:3], due
            ),
            lines.select("report_id", pl.lit(Scope.HS).alias("scope"), pl.col("hs").alias("key"), *FIGURES[:3], due),
            lines.join(groups, on="market", how="inner").select(
                "report_id", pl.lit(Scope.MARKET_GROUP).alias("scope"), "key", *FIGURES[:3], due
            ),
        ]
    contributions = (
        pl.concat(parts)
        .group_by("report_id", "scope", "key")
        .agg(*(pl.col(f).sum() if f != "due_3m" else pl.col(f).sum().fill_null(0) for f in FIGURES))
    )
    summed = (
        contributions.join(targets, on="report_id", how="inner")
        .group_by("scope", "key", "month", "source", "customs")
        .agg(*(pl.col(f).sum() for f in FIGURES))
    )
    fills: Fills = {}
    for scope, key, month, source, customs, *values in summed.iter_rows():
        cells = fills.setdefault((scope, key), {})
        for name, value in zip(FIGURES, values, strict=True):
            if value and not (customs and name == "exports"):
                cells.setdefault(name, []).append(Fill(month, source, value))
    # The exports of the months customs knows: customs' figure; the carried one only counts them among the absent.
    by_customs = (
        summed.filter(pl.col("customs"))
        .select("scope", "key", "month", "source", "exports")
        .join(
            known.group_by("scope", "key", "month", "source").agg(pl.col("usd").sum()),
            on=["scope", "key", "month", "source"],
            how="full",
            coalesce=True,
        )
    )
    for scope, key, month, source, value, usd in by_customs.iter_rows():
        fills.setdefault((scope, key), {}).setdefault("exports", []).append(
            Fill(month, source, value or 0.0, known=usd or 0.0)
        )
    return fills


def _customs_known(periods: Sequence[str], targets: Any, groups: Any) -> Any:
    """The exports customs recorded in the months the enterprises of ``targets`` (``enterprise, month, source``)
    skipped, by series: a polars frame of ``enterprise, month, source, scope, key, usd`` (the district, the
    enterprise's town and industry, each market and group, each HS chapter). Empty without customs records."""
    import polars as pl

    from exportwatch.customs.models import CustomsExport

    schema = {
        "enterprise": pl.Int64, "month": pl.Int64, "market": pl.String, "hs": pl.String, "usd": pl.Float64
    }  # fmt: skip
    wanted = targets.select("enterprise", "month", "source")
    rows: list[tuple[int, int, str, str, float]] = []
    # Month by month, only the enterprises that skipped it (customs may hold every enterprise's every month).
    for (month,), part in wanted.group_by("month"):
        enterprises = part.get_column("enterprise").unique().sort().to_list()
        for start in range(0, len(enterprises), _CHUNK):
            found = (
                CustomsExport.objects.filter(
                    period=periods[int(month)], enterprise_id__in=enterprises[start : start + _CHUNK]
                )
                .annotate(chapter=Substr("hs", 1, 2))
                .values("enterprise_id", "market_id", "chapter")
                .annotate(usd=Sum(_as_float("exports_usd")))
                .values_list("enterprise_id", "market_id", "chapter", "usd")
                .order_by()
            )
            rows += [(e, int(month), m, h, usd) for e, m, h, usd in found]
    records = pl.DataFrame(rows, schema=schema, orient="row").join(wanted, on=["enterprise", "month"], how="inner")
    out = {"enterprise": pl.Int64, "month": pl.Int64, "source": pl.Int64, "scope": pl.String, "key": pl.String}
    if records.is_empty():
        return pl.DataFrame(schema=out | {"usd": pl.Float64})
    places = pl.DataFrame(
        list(
            Enterprise.objects.filter(id__in=records.get_column("enterprise").unique().to_list()).values_list(
                "id", "town_id", "industry_id"
            )
        ),
        schema={"enterprise": pl.Int64, "town": pl.String, "industry": pl.String},
        orient="row",
    )
    per = records.join(places, on="enterprise", how="left")
    keys = ("enterprise", "month", "source")
    return pl.concat(
        [
            per.select(*keys, pl.lit(Scope.DISTRICT).alias("scope"), pl.lit("").alias("key"), "usd"),
            per.filter(pl.col("town").is_not_null()).select(
                *keys, pl.lit(Scope.TOWN).alias("scope"), pl.col("town").alias("key"), "usd"
            ),
            per.filter(pl.col("industry").is_not_null()).select(
                *keys, pl.lit(Scope.INDUSTRY).alias("scope"), pl.col("industry").alias("key"), "usd"
            ),
            per.select(*keys, pl.lit(Scope.MARKET).alias("scope"), pl.col("market").alias("key"), "usd"),
            per.select(*keys, pl.lit(Scope.HS).alias("scope"), pl.col("hs").alias("key"), "usd"),
            per.join(groups, on="market", how="inner").select(
                *keys, pl.lit(Scope.MARKET_GROUP).alias("scope"), "key", "usd"
            ),
        ]
    )


def _totals(periods: Sequence[str], reported: set[str], vals: Sequence[float | None]) -> list[float]:
    """A series' reported totals: NaN for a month without any report, 0 for one without this series' figure."""
    return [
        (float(v) if v is not None else 0.0) if p in reported else math.nan for p, v in zip(periods, vals, strict=True)
    ]


def _completed(
    periods: Sequence[str],
    reported: set[str],
    values: Mapping[str, Sequence[float | None]],
    fills: Mapping[str, list[Fill]],
    fallback: Mapping[str, Growth] | None = None,
) -> tuple[dict[str, list[float]], list[float]]:
    """One series' totals (:func:`_totals`) with the skipped months filled, and the filled part of its exports."""
    out: dict[str, list[float]] = {}
    filled_exports: list[float] = [0.0] * len(periods)
    for name, vals in values.items():
        done, filled = complete(
            _totals(periods, reported, vals), fills.get(name, ()), fallback=(fallback or {}).get(name)
        )
        out[name] = done.tolist()
        if name == "exports":
            filled_exports = filled.tolist()
    return out, filled_exports


def series_data(*, period: str, months: int = HISTORY_MONTHS) -> list[SeriesData]:
    """Every series of every level up to ``period`` (the origin), for the models: the aggregates completed for the
    months the enterprises skipped (``core.panel``; a head enterprise's own series is not filled)."""
    periods = period_range(period_add(period, -(months - 1)), period)
    whole = _whole()
    totals = mon.series(whole, mon.View(period), months=months)
    reported = {p for p, f in totals.items() if not f.empty}
    fills = panel_fills(periods)
    found: list[SeriesData] = []
    raw: dict[str, list[float | None]] = {
        "exports": [float(totals[p].exports) for p in periods],
        "new_orders": [float(totals[p].new_orders) for p in periods],
        "backlog": [float(totals[p].backlog) for p in periods],
        "due_3m": [float(totals[p].due_3m or 0) for p in periods],
    }
    whole_fills = fills.get((Scope.DISTRICT, ""), {})
    values, filled = _completed(periods, reported, raw, whole_fills)
    # The jurisdiction's own growth: the fallback of the series too small to say theirs.
    fallback = {
        name: growth_of(_totals(periods, reported, vals), whole_fills.get(name, ())) for name, vals in raw.items()
    }
    district = _trim(periods, values, filled)
    if district is not None:
        first, v, f = district
        found.append(
            SeriesData(Scope.DISTRICT, "", "", "", first, v["exports"], v["new_orders"], v["backlog"], v["due_3m"], f)
        )
    for scope, dim in DIMENSION_OF.items():
        figures = {f: mon.series_by(whole, periods, dim, figure=f) for f in ("exports", "new_orders", "backlog")}
        due = mon.series_by(whole, periods, dim, figure="due_3m") if not mon.DIMENSIONS[dim].lines else None
        keys = sorted({k for (_p, k) in figures["exports"]})
        names = mon.dimension_names(dim, keys)
        for key in keys:
            raw = {f: [figures[f].get((p, key)) for p in periods] for f in figures}
            if due is not None:
                raw["due_3m"] = [due.get((p, key)) for p in periods]
            values, filled = _completed(periods, reported, raw, fills.get((scope, key), {}), fallback)
            trimmed = _trim(periods, values, filled)
            if trimmed is None:
                continue
            first, v, f = trimmed
            found.append(
                SeriesData(
                    scope, key, names.get(key, key), key if scope == Scope.TOWN else "", first,
                    v["exports"], v["new_orders"], v["backlog"], v.get("due_3m"), f,
                )
            )  # fmt: skip
    found.extend(_head_enterprise_data(periods))
    return found


def record_spreads(record: Mapping[str, Sequence[Mapping[str, Any]]], model: str) -> list[float | None]:
    """A model's spread by horizon (1, 2, …) as a run keeps its record: what its stored intervals were scaled by
    (``core.forecasting.scale_to_record``). All None in a run stored before spreads were kept."""
    return [r.get("spread") for r in sorted(record.get(model, []), key=lambda r: r["horizon"])]


def district_year_exports(year: int) -> float | None:
    """The district's exports of ``year`` as the forecasts read them (completed for the months an enterprise
    skipped, :func:`series_data`), USD; None without any. A whole read of the series: for the demo's target."""
    december = f"{year:04d}-12"
    district = next((d for d in series_data(period=december) if d.scope == Scope.DISTRICT), None)
    if district is None:
        return None
    months = period_range(district.first_period, december)
    usd = sum(
        v for p, v in zip(months, district.exports, strict=True) if p.startswith(f"{year:04d}-") and math.isfinite(v)
    )
    return usd or None


def _head_enterprise_data(periods: Sequence[str]) -> Iterable[SeriesData]:
    """The head enterprises' own series, from their current reports (NaN: a month the enterprise did not report)."""
    heads = {e.uscc: e for e in Enterprise.objects.head().only("uscc", "name", "town_id")}
    if not heads:
        return
    rows: dict[str, dict[str, tuple[float, float, float, float]]] = {u: {} for u in heads}
    reports = Report.objects.filter(
        is_current=True, enterprise__in=Enterprise.objects.head(), period__gte=periods[0], period__lte=periods[-1]
    ).values_list("enterprise__uscc", "period", "exports_usd", "new_orders_usd", "backlog_usd", "backlog_due_3m_usd")
    for uscc, p, ex, no, bl, due in reports.iterator(chunk_size=5_000):
        rows[uscc][p] = (float(ex or 0), float(no or 0), float(bl or 0), float(due or 0))
    for uscc in sorted(heads):
        by_period = rows[uscc]
        if not by_period:
            continue
        values = {
            f: _totals(periods, set(by_period), [by_period[p][i] if p in by_period else None for p in periods])
            for i, f in enumerate(FIGURES)
        }
        trimmed = _trim(periods, values)
        if trimmed is None:
            continue
        first, v, _filled = trimmed
        e = heads[uscc]
        yield SeriesData(
            Scope.ENTERPRISE,
            uscc,
            e.name,
            e.town_id or "",
            first,
            v["exports"],
            v["new_orders"],
            v["backlog"],
            v["due_3m"],
        )


# --- stored forecasts, scoped -----------------------------------------------------------------------------------


def run_latest() -> ForecastRun | None:
    """The run of the latest origin (the forecasts as of today)."""
    return ForecastRun.objects.order_by("-origin_period").first()


def run_of(period: str) -> ForecastRun | None:
    return ForecastRun.objects.filter(origin_period=period).first()


def forecasts_visible(user: Any, run: ForecastRun | None) -> QuerySet[SeriesForecast]:
    """The series of ``run`` that ``user`` may see (none for a user who may not see bureau pages)."""
    qs = SeriesForecast.objects.filter(run=run) if run is not None else SeriesForecast.objects.none()
    return _visible(user, qs)


def forecasts_earlier(user: Any, run: ForecastRun, *, scope: str, key: str, count: int = 12) -> list[SeriesForecast]:
    """The forecasts of one series from the ``count`` runs before ``run``, latest first, if ``user`` may see it."""
    qs = SeriesForecast.objects.filter(run__origin_period__lt=run.origin_period, scope=scope, key=key)
    return list(_visible(user, qs).select_related("run").order_by("-run__origin_period")[:count])


def _visible(user: Any, qs: QuerySet[SeriesForecast]) -> QuerySet[SeriesForecast]:
    """The rows of ``qs`` that ``user`` may see."""
    if not can_see_bureau_pages(user):
        return qs.none()
    if sees_everything(user):
        return qs
    regions = region_codes_visible(user) or frozenset()
    visible = Q(scope=Scope.ENTERPRISE, key__in=enterprises_visible(user).values("uscc"))
    if regions:
        visible |= Q(scope=Scope.TOWN, key__in=sorted(regions))
    return qs.filter(visible)


def levels_visible(user: Any) -> list[str]:
    """The levels whose series ``user`` may see at all."""
    if sees_everything(user):
        return list(LEVELS)
    return [Scope.TOWN, Scope.ENTERPRISE] if can_see_bureau_pages(user) else []


def forecast_get(user: Any, run: ForecastRun | None, *, scope: str, key: str) -> SeriesForecast | None:
    return forecasts_visible(user, run).filter(scope=scope, key=key).first()


# --- what a stored forecast rests on -------------------------------------------------------------------------------


@dataclass(frozen=True)
class BookMonth:
    """One month of a series' order book as a run kept it, with its changes against a year before: the flows
    (exports, new orders) summed over the :data:`BOOK_WINDOW` months to it, the stocks (orders in hand, the part due
    within three months) at its end; and how many months of exports the orders in hand cover (None: not known)."""

    period: str
    exports: float | None
    new_orders: float | None
    backlog: float | None
    due_3m: float | None
    exports_change: float | None
    orders_change: float | None
    backlog_change: float | None
    due_change: float | None
    cover: float | None


@dataclass(frozen=True)
class OrderBook:
    """The last months of a series' order book up to its run's origin (oldest first); the months of exports the
    orders in hand covered a year before the origin; whether the level's reports state the part due within three
    months; the months by which its new orders lead its exports (None: not learned)."""

    months: list[BookMonth]
    cover_year_ago: float | None
    has_due: bool
    lead: int | None = None

    @property
    def last(self) -> BookMonth:
        return self.months[-1]

    @property
    def lead_window(self) -> tuple[int, int] | None:
        """The nearest and the farthest of the months before an export month whose new orders it follows."""
        return None if self.lead is None else (self.lead, self.lead + ORDER_LEAD_WIDTH - 1)

    @property
    def lead_farthest(self) -> int | None:
        return None if self.lead_window is None else self.lead_window[1]

    @property
    def lead_reaches(self) -> str | None:
        """The last export month the orders known at the origin bear on at the lead."""
        return None if self.lead is None else period_add(self.last.period, self.lead)


def _flow_change(series: Mapping[str, float | None], p: str) -> float | None:
    return growth_of_sums(window(series, p, BOOK_WINDOW), window(series, period_add(p, -12), BOOK_WINDOW))


def _by_month(f: SeriesForecast) -> tuple[list[str], dict[str, dict[str, float | None]]]:
    """The months of the stored actuals, and the exports and each order-book figure by month."""
    periods = period_range(f.actual_first_period, period_add(f.first_period, -1))
    figures = {"exports": f.actuals} | f.book
    return periods, {name: dict(zip(periods, values, strict=False)) for name, values in figures.items()}


@dataclass(frozen=True)
class Filled:
    """How much of a series' stored history is for the enterprises that skipped a month (from customs or
    estimated): in its last month (the origin) and on average over the last ``months`` months with exports."""

    period: str
    amount: float
    share: float
    mean_share: float
    months: int


def filled_of(f: SeriesForecast, *, months: int = 12) -> Filled | None:
    """The completed part of the series' history (``core.panel``); None where nothing was completed (a head
    enterprise's own series, a run stored before the histories were completed, no month skipped)."""
    if len(f.filled) != len(f.actuals):
        return None
    pairs = [(float(a), float(e or 0.0)) for a, e in zip(f.actuals[-months:], f.filled[-months:], strict=True) if a]
    if not any(e for _a, e in pairs):
        return None
    last_actual, last_filled = float(f.actuals[-1] or 0.0), float(f.filled[-1] or 0.0)
    return Filled(
        period=period_add(f.actual_first_period, len(f.actuals) - 1),
        amount=last_filled,
        share=last_filled / last_actual if last_actual else 0.0,
        mean_share=sum(e / a for a, e in pairs) / len(pairs),
        months=len(pairs),
    )


def order_book_of(f: SeriesForecast, *, months: int = 12) -> OrderBook | None:
    """The order book behind ``f``: its last ``months`` months up to the origin (``core.indicators`` for the
    changes and the cover). None for a run stored before the book was kept, or a series without actuals."""
    if not f.book or not f.actuals:
        return None
    periods, by = _by_month(f)
    exports, orders, backlog, due = by["exports"], by.get("new_orders", {}), by.get("backlog", {}), by.get("due_3m")

    def cover(p: str) -> float | None:
        return coverage_months(backlog.get(p), window(exports, p, BOOK_WINDOW))

    found = [
        BookMonth(
            period=p,
            exports=exports.get(p),
            new_orders=orders.get(p),
            backlog=backlog.get(p),
            due_3m=due.get(p) if due is not None else None,
            exports_change=_flow_change(exports, p),
            orders_change=_flow_change(orders, p),
            backlog_change=growth(backlog.get(p), backlog.get(period_add(p, -12))),
            due_change=growth(due.get(p), due.get(period_add(p, -12))) if due is not None else None,
            cover=cover(p),
        )
        for p in periods[-months:]
    ]
    return OrderBook(
        months=found, cover_year_ago=cover(period_add(periods[-1], -12)), has_due=due is not None, lead=f.order_lead
    )


def orders_change(f: SeriesForecast) -> float | None:
    """The new orders of the three months to the origin against the same months a year before (None without a
    book)."""
    orders = f.book.get("new_orders") if f.book else None
    if not orders or len(orders) < SEASON + BOOK_WINDOW:
        return None
    # The list ends at the origin (the months of the actuals): no period arithmetic for the thousands of a level.
    return growth_of_sums(orders[-BOOK_WINDOW:], orders[-SEASON - BOOK_WINDOW : -SEASON])


@dataclass(frozen=True)
class Outlook:
    """A series' forecast for the months after its origin beside the same months a year before: each month's
    (period, mean, lo80, hi80), the months' mean summed and the year before's sum (None where a month of either is
    not known)."""

    months: list[tuple[str, float, float, float]]
    expected: float
    year_ago: float | None

    @property
    def change(self) -> float | None:
        return growth(self.expected, self.year_ago)


def outlook_of(f: SeriesForecast, *, months: int = 3) -> Outlook | None:
    """The next ``months`` months of ``f``'s forecast; None when the run holds fewer or a figure is missing."""
    if len(f.mean) < months or any(v is None for b in (f.mean, f.lo80, f.hi80) for v in b[:months]):
        return None
    periods = [period_add(f.first_period, i) for i in range(months)]
    actual = dict(zip(period_range(f.actual_first_period, period_add(f.first_period, -1)), f.actuals, strict=False))
    before = [actual.get(period_add(p, -12)) for p in periods]
    return Outlook(
        months=[(p, f.mean[i], f.lo80[i], f.hi80[i]) for i, p in enumerate(periods)],
        expected=math.fsum(f.mean[:months]),
        year_ago=None if any(v is None for v in before) else math.fsum(v for v in before if v is not None),
    )


@dataclass(frozen=True)
class Outcomes:
    """What happened after a past run's origin: the exports of the months since, as the latest run read them
    (``seen_in``: its origin), by series key and month (None: a month without reports)."""

    seen_in: str
    by_key: dict[str, dict[str, float | None]]


def outcomes_visible(
    user: Any, run: ForecastRun | None, *, scope: str, keys: Collection[str] | None = None
) -> Outcomes | None:
    """The reported exports of the months after ``run``'s origin for the series of ``scope`` (those of ``keys``, or
    every one) that ``user`` may see, read from the actuals stored with the latest run (the reports up to its origin,
    kept current by the background recompute). None when ``run`` is the latest (nothing reported since)."""
    latest = run_latest()
    if run is None or latest is None or latest.origin_period <= run.origin_period:
        return None
    rows = forecasts_visible(user, latest).filter(scope=scope)
    if keys is not None:
        rows = rows.filter(key__in=list(keys))
    by_key: dict[str, dict[str, float | None]] = {}
    for k, first, actuals in rows.values_list("key", "actual_first_period", "actuals"):
        months = period_range(first, latest.origin_period)
        by_key[k] = {p: v for p, v in zip(months, actuals, strict=False) if p > run.origin_period}
    return Outcomes(latest.origin_period, by_key)


def target_of(year: int) -> ExportTarget | None:
    return ExportTarget.objects.filter(year=year).first()


def forecasts_for_export(*, enterprises: QuerySet[Enterprise], period: str | None) -> QuerySet[SeriesForecast]:
    """The forecasts of the run from ``period`` (the latest run when None) about ``enterprises`` (already scoped
    to the reader): every series when they are every enterprise, else their towns' and their own."""
    run = run_of(period) if period else run_latest()
    qs = SeriesForecast.objects.filter(run=run) if run is not None else SeriesForecast.objects.none()
    whole = not Enterprise.objects.exclude(pk__in=enterprises.values("pk")).exists()
    if not whole:
        qs = qs.filter(
            Q(scope=Scope.ENTERPRISE, key__in=enterprises.values("uscc"))
            | Q(scope=Scope.TOWN, key__in=enterprises.values("town_id"))
        )
    return qs.select_related("run").order_by("scope", "key")


# --- the annual target ------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TargetStatus:
    """The district's year against its target, from a run's district forecast (``core.target_tracking``)."""

    year: int
    target: ExportTarget
    track: Any  # core.target_tracking.TargetTrack
    actual_months: int  # months of the year with actuals (up to the origin)
    forecast_months: int


def target_status(*, run: ForecastRun | None, year: int | None = None) -> TargetStatus | None:
    """The target of the run's origin year (or ``year``) against year-to-date plus forecast; None without a run,
    a target or a district forecast reaching December."""
    from exportwatch.core.target_tracking import MonthForecast, target_track

    if run is None:
        return None
    origin_year = int(run.origin_period[:4])
    year = year or origin_year
    if year != origin_year:
        return None  # a past or future year is not tracked from this origin
    target = target_of(year)
    district = SeriesForecast.objects.filter(run=run, scope=Scope.DISTRICT, key="").first()
    if target is None or district is None:
        return None
    actual_periods = period_range(district.actual_first_period, run.origin_period)
    ytd = [v for p, v in zip(actual_periods, district.actuals, strict=False) if p.startswith(f"{year:04d}-")]
    months_left = 12 - int(run.origin_period[5:7])
    if len(district.mean) < months_left:
        return None
    remaining = [
        MonthForecast(
            mean=float(district.mean[i] or 0.0),
            lo80=district.lo80[i],
            hi80=district.hi80[i],
            lo95=district.lo95[i],
            hi95=district.hi95[i],
        )
        for i in range(months_left)
    ]
    track = target_track(
        target=float(target.amount_usd), year_to_date=float(sum(v for v in ytd if v is not None)), remaining=remaining
    )
    return TargetStatus(year, target, track, len(ytd), months_left)


def names_in_language(forecasts: Iterable[SeriesForecast]) -> None:
    """Give each series the name of its market, chapter, industry or town in the active language (a run stores the
    names in the language it was computed in); enterprises keep theirs."""
    by_scope: dict[str, list[SeriesForecast]] = {}
    for f in forecasts:
        if f.scope in DIMENSION_OF:
            by_scope.setdefault(f.scope, []).append(f)
    for scope, items in by_scope.items():
        names = mon.dimension_names(DIMENSION_OF[Scope(scope)], {f.key for f in items})
        for f in items:
            f.name = names.get(f.key, f.name)
