"""The facts the warning rules read, for one month and every scope: each enterprise, market, market group, HS
chapter, industry and town, and the whole jurisdiction (``district``).

Facts are the indicators of the monitoring pages (``monitoring.selectors``), named as the core's rules name them
(``core.warning_rules``): ``new_orders_yoy``, ``exports_yoy`` (fractions), ``new_orders_3m_yoy`` (an enterprise's
new orders of the month and the two before against the same months a year before), ``coverage_months``,
``short_order_share``, ``cancellation_rate`` (cancelled amount / (last month's backlog + new orders)),
``disruption_share`` (the month's disruption amounts / the backlog), ``market_hhi`` and
``main_market_in_warning`` (an enterprise's), ``new_orders_di`` and ``new_orders_answers`` (an industry's, a
town's and the jurisdiction's diffusion index of its enterprises' new orders against the same month a year
before, ±2 % counting as "same", and how many enterprises it counts: comparable across seasons, unlike the
up/same/down answers, which compare with the month before), and ``exports_last_year`` (the size gate of the
year-on-year rules: an enterprise's registered exports last year; for an aggregate, twelve times its exports in
the same month a year before).

Everything is summed from the data of the month and the months before it, never after: a past month is
evaluated as it could have been then (with the reports as corrected since).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import connection

from exportwatch.core import indicators as ind
from exportwatch.core.difficulties import FINANCIAL_NEED_CATEGORIES
from exportwatch.core.periods import period_add, period_end, period_start
from exportwatch.directory.models import Enterprise, MarketGroup
from exportwatch.monitoring import selectors as sel
from exportwatch.reporting.mix import mixes_from_lines
from exportwatch.reporting.models import Disruption, Need, Report

Facts = dict[str, float | bool | None]

# Aggregate scopes: the warning scope and the monitoring dimension behind it.
AGGREGATES = (
    ("market", "market"),
    ("market_group", "group"),
    ("hs", "hs"),
    ("industry", "industry"),
    ("town", "town"),
)
DI_RUN_MONTHS = 6
DETECTOR_MONTHS = 36  # a chart's history: 12 months before the first seasonal change, 12 to learn, 12 judged


@dataclass
class ScopeFacts:
    scope: str
    key: str
    name: str
    facts: Facts
    town: str = ""  # an enterprise's town (warnings are scoped by it)
    financing_need: bool = False
    industry: str = ""  # an enterprise's industry and the market group of its main market (its peers)
    market_group: str = ""


@dataclass
class MonthFacts:
    period: str
    aggregates: list[ScopeFacts] = field(default_factory=list)
    district: ScopeFacts | None = None
    enterprises: list[ScopeFacts] = field(default_factory=list)
    di_series: list[float | None] = field(default_factory=list)  # the jurisdiction's DI, oldest first
    markets_total: int = 0
    industries_total: int = 0


def _f(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _row_facts(row: sel.Row) -> Facts:
    year_ago = row.year_ago.exports if row.year_ago is not None else None
    return {
        "new_orders_yoy": row.new_orders_yoy,
        "exports_yoy": row.exports_yoy,
        "coverage_months": row.coverage_months,
        "short_order_share": row.short_order_share,
        "exports_last_year": None if year_ago is None else float(year_ago) * 12,
    }


def _events(period: str) -> tuple[dict[int, Decimal], dict[int, Decimal], set[int]]:
    """Per enterprise id: cancelled amount and all disruption amounts filed in the month; those with a need for
    money filed in it."""
    start, end = period_start(period), period_end(period)
    cancelled: dict[int, Decimal] = defaultdict(Decimal)
    disrupted: dict[int, Decimal] = defaultdict(Decimal)
    for eid, kind, amount in Disruption.objects.filter(date__gte=start, date__lte=end).values_list(
        "enterprise_id", "kind", "amount_usd"
    ):
        disrupted[eid] += amount or Decimal(0)
        if kind == "order_cancelled":
            cancelled[eid] += amount or Decimal(0)
    financing = set(
        Need.objects.filter(date__gte=start, date__lte=end, category__in=FINANCIAL_NEED_CATEGORIES).values_list(
            "enterprise_id", flat=True
        )
    )
    return cancelled, disrupted, financing


def month_facts(*, period: str) -> MonthFacts:
    """The aggregate and district facts of the month (the enterprises' need the markets in warning: see
    ``enterprise_facts``)."""
    scope = sel.Scope(enterprises=Enterprise.objects.all())  # every enterprise: the aggregates' all-cells
    view = sel.View(period)
    out = MonthFacts(period=period)
    for scope_kind, dim in AGGREGATES:
        rows = sel.breakdown(scope, view, dim)
        changes = sel.year_on_year_by(scope, period, dim) if dim in ("industry", "town") else {}
        for r in rows:
            facts = _row_facts(r)
            s = changes.get(r.key, (None, None))[1]
            facts["new_orders_di"] = None if s is None else s.diffusion_index
            facts["new_orders_answers"] = 0 if s is None else s.answers
            out.aggregates.append(ScopeFacts(scope_kind, r.key, r.name, facts))
        if dim == "market":
            out.markets_total = sum(1 for r in rows if r.now.exports > 0)
        if dim == "industry":
            out.industries_total = len(rows)
    head = sel.figures_row(scope, view)
    before = sel.figures_row(scope, view.at(period_add(period, -1)))
    cancelled, disrupted, _financing = _events(period)
    facts = _row_facts(head)
    facts["cancellation_rate"] = ind.cancellation_rate(
        sum(cancelled.values(), Decimal(0)), before.now.backlog if not before.now.empty else None, head.now.new_orders
    )
    facts["disruption_share"] = ind.ratio(sum(disrupted.values(), Decimal(0)), head.now.backlog)
    s = sel.sentiment_of(scope, period).from_changes
    facts["new_orders_di"] = None if s is None else s.diffusion_index
    facts["new_orders_answers"] = 0 if s is None else s.answers
    out.district = ScopeFacts("district", "", "", facts)
    # The diffusion index of the year-on-year changes, month by month back from this one while it stays below 50
    # (the systemic lamp counts the run; DI_RUN_MONTHS months are enough to reach its red).
    run: list[float | None] = []
    for back in range(DI_RUN_MONTHS):
        q = period_add(period, -back)
        d = sel.sentiment_of(scope, q).from_changes if back else s
        run.insert(0, None if d is None else d.diffusion_index)
        if d is None or d.diffusion_index >= 50:
            break
    out.di_series = run
    return out


def enterprise_facts(
    *, period: str, markets_in_warning: Iterable[str], enterprise_ids: Iterable[int] | None = None
) -> list[ScopeFacts]:
    """Every enterprise that reported the month (or those of ``enterprise_ids``), with its facts: the same
    indicators as an enterprise's row on the monitoring pages (``monitoring.selectors.enterprise_rows``, a test
    holds them equal), read column-wise in two SQL queries as plain numbers, since a province evaluates 100,000
    enterprises at once."""
    warning = set(markets_in_warning)
    some = None if enterprise_ids is None else sorted(set(enterprise_ids))
    ents = _registry(some)
    cancelled, disrupted, financing = _events(period)
    group_of = main_market_groups()
    out = []
    for book in _books(period, some):
        e = ents.get(book.enterprise)
        if e is None:
            continue
        main = book.main_market
        facts: Facts = {
            "new_orders_yoy": None if book.exports_y is None else ind.growth(book.new_orders, book.new_orders_y),
            "exports_yoy": None if book.exports_y is None else ind.growth(book.exports, book.exports_y),
            "coverage_months": ind.coverage_months(book.backlog, [book.exports_2, book.exports_1, book.exports]),
            "short_order_share": None if book.due is None else ind.short_order_share(book.due, book.backlog),
            "exports_last_year": float(e["exports_last_year_usd"]),
            "new_orders_3m_yoy": ind.growth_of_sums(
                [book.new_orders, book.new_orders_1, book.new_orders_2],
                [book.new_orders_y, book.new_orders_y1, book.new_orders_y2],
            ),
            "cancellation_rate": ind.cancellation_rate(
                cancelled.get(book.enterprise, Decimal(0)), book.backlog_1, book.new_orders
            ),
            "disruption_share": ind.ratio(disrupted.get(book.enterprise, Decimal(0)), book.backlog),
            "market_hhi": book.market_hhi,
            "main_market_in_warning": main is not None and main in warning,
        }
        out.append(
            ScopeFacts(
                "enterprise",
                e["uscc"],
                e["name"],
                facts,
                town=e["town_id"],
                financing_need=book.enterprise in financing,
                industry=e["industry_id"] or "",
                market_group=group_of.get(main, "") if main else "",
            )
        )
    return out


def _registry(some: list[int] | None) -> dict[int, dict[str, Any]]:
    """Per enterprise id: its credit code, name, town, industry and exports last year (as a float), read as plain
    rows (a province's 100,000 enterprises through the ORM's converters took a second)."""
    columns = ("id", "uscc", "name", "town_id", "industry_id", "exports_last_year_usd")
    sql = f"SELECT {', '.join(columns)} FROM {Enterprise._meta.db_table}"
    params: list[Any] = []
    if some is not None:
        sql += f" WHERE id IN ({', '.join(['%s'] * len(some))})" if some else " WHERE 1 = 0"
        params = list(some)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {row[0]: dict(zip(columns, row, strict=True)) for row in rows}


@dataclass(slots=True)
class Book:
    """An enterprise's current reports around the month judged, as floats (USD): the month, the two before
    (``_1``, ``_2``) and the same three a year before (``_y``, ``_y1``, ``_y2``); ``None`` where it did not report."""

    enterprise: int
    exports: float
    new_orders: float
    backlog: float
    due: float | None
    market_hhi: float | None
    main_market: str | None
    exports_1: float | None
    new_orders_1: float | None
    backlog_1: float | None
    exports_2: float | None
    new_orders_2: float | None
    exports_y: float | None
    new_orders_y: float | None
    new_orders_y1: float | None
    new_orders_y2: float | None


# (month back, column) read for each enterprise, in the order of Book's fields after the month's own.
_BOOK_COLUMNS = (
    (1, "exports_usd"),
    (1, "new_orders_usd"),
    (1, "backlog_usd"),
    (2, "exports_usd"),
    (2, "new_orders_usd"),
    (12, "exports_usd"),
    (12, "new_orders_usd"),
    (13, "new_orders_usd"),
    (14, "new_orders_usd"),
)


def _books(period: str, some: list[int] | None) -> list[Book]:
    """Every enterprise with a current report for the month: its figures, the months around it that the facts
    compare with, and its market mix (``reporting.mix``: kept on the report when its lines were written, computed
    from the lines for a report written without it). One row per enterprise, pivoted by the database."""
    backs = sorted({0, *(back for back, _c in _BOOK_COLUMNS)})
    where, params = _where([period_add(period, -back) for back in backs], some)
    now = ["exports_usd", "new_orders_usd", "backlog_usd", "backlog_due_3m_usd", "id", "market_hhi", "main_market"]
    picks = [(0, c) for c in now] + list(_BOOK_COLUMNS)
    columns = ", ".join(f"MAX(CASE WHEN period = %s THEN {c} END)" for _b, c in picks)
    sql = (
        f"SELECT enterprise_id, {columns} FROM {Report._meta.db_table} WHERE {where} "
        "GROUP BY enterprise_id HAVING MAX(CASE WHEN period = %s THEN 1 END) = 1"
    )
    args = [period_add(period, -back) for back, _c in picks] + params + [period]

    def f(value: Any) -> float | None:
        return None if value is None else float(value)

    books: list[Book] = []
    unkept: dict[int, Book] = {}  # report id -> its book, for the reports written without their mix
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        while chunk := cursor.fetchmany(20_000):
            for eid, ex, no, bl, due, rid, hhi, main, *rest in chunk:
                book = Book(eid, float(ex), float(no), float(bl), f(due), hhi, main or None, *map(f, rest))
                books.append(book)
                if hhi is None:
                    unkept[rid] = book
    for rid, (hhi, main) in mixes_from_lines(unkept).items():
        unkept[rid].market_hhi, unkept[rid].main_market = hhi, main
    return books


def _where(periods: Sequence[str], some: list[int] | None, *, alias: str = "") -> tuple[str, list[Any]]:
    where = f"{alias}is_current = %s AND {alias}period IN ({', '.join(['%s'] * len(periods))})"
    params: list[Any] = [True, *periods]
    if some is not None:
        where += f" AND {alias}enterprise_id IN ({', '.join(['%s'] * len(some))})" if some else " AND 1 = 0"
        params += some
    return where, params


def main_market_groups() -> dict[str, str]:
    """Market -> the smallest market group holding it (an enterprise's peers sell mainly to the same one: the
    regional groups are disjoint and smaller than the trade blocs, e.g. DE -> EU rather than BRI)."""
    members: dict[str, list[str]] = defaultdict(list)
    for group, market in MarketGroup.members.through.objects.values_list("marketgroup_id", "market_id"):
        members[group].append(market)
    out: dict[str, str] = {}
    for group, markets in sorted(members.items(), key=lambda g: (-len(g[1]), g[0])):  # smallest last, so it wins
        for market in markets:
            out[market] = group
    return out


def group_series(*, period: str, months: int = DETECTOR_MONTHS) -> dict[tuple[str, str], list[float | None]]:
    """Every aggregate's monthly new orders (USD) over ``months`` months up to ``period``, oldest first, by
    (scope, key); the whole jurisdiction's under ("district", ""). What the control-chart detectors read."""
    periods = [period_add(period, -back) for back in range(months - 1, -1, -1)]
    scope = sel.Scope(enterprises=Enterprise.objects.all())
    out: dict[tuple[str, str], list[float | None]] = {}
    for scope_kind, dim in AGGREGATES:
        found = sel.series_by(scope, periods, dim, figure="new_orders")
        for key in {k for (_p, k) in found}:
            out[(scope_kind, key)] = [found.get((p, key)) for p in periods]
    district = sel.series(scope, sel.View(period), months=months)
    out[("district", "")] = [None if f.empty else float(f.new_orders) for f in district.values()]
    return out


def evidence_series(*, scope: str, key: str, period: str, months: int = 24) -> dict[str, Any]:
    """The series behind a warning, for its page: the month's figures over ``months`` months up to ``period``."""
    src: Any = sel.Scope(enterprises=Enterprise.objects.all())
    view = sel.View(period)
    if scope == "enterprise":
        src = Enterprise.objects.filter(uscc=key)
    elif scope == "market":
        view = sel.View(period, market=key)
    elif scope == "market_group":
        view = sel.View(period, group=key)
    elif scope == "hs":
        view = sel.View(period, hs=key)
    elif scope == "industry":
        src = sel.Scope(enterprises=Enterprise.objects.filter(industry_id=key), industry=key)
    elif scope == "town":
        src = sel.Scope(enterprises=Enterprise.objects.filter(town_id=key), regions=frozenset({key}))
    history = sel.series(src, view, months=months + 12)
    new_orders = {p: (f.new_orders if not f.empty else None) for p, f in history.items()}
    exports = {p: (f.exports if not f.empty else None) for p, f in history.items()}
    shown = list(history)[12:]
    return {
        "periods": shown,
        "exports": [_f(exports[p]) for p in shown],
        "new_orders": [_f(new_orders[p]) for p in shown],
        "new_orders_yoy": [ind.yoy(new_orders, p) for p in shown],
        "new_orders_3m_yoy": [
            ind.growth_of_sums(
                [new_orders.get(period_add(p, -back)) for back in range(3)],
                [new_orders.get(period_add(p, -12 - back)) for back in range(3)],
            )
            for p in shown
        ],
        "exports_yoy": [ind.yoy(exports, p) for p in shown],
        "di": list(sel.series_sentiment(src, view, months=months).values()) if not view.narrowed else [],
    }
