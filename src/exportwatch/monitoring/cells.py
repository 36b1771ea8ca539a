"""Keeping the aggregates of ``models.py`` equal to the sums of the current reports.

``cells_apply(added=[report ids], removed=[report ids])`` adds the contributions of reports that became current
and subtracts those of reports that stopped being current, with one set-based upsert per table and chunk of ids,
in the caller's transaction: a web or API submission, a file import, or a correction is in every total the moment
it commits, and never counted twice. ``cells_rebuild()`` recomputes every table from the reports (after a bulk load
that bypasses the services, or a change of the head or white-list thresholds).

A contribution is filed under the enterprise's town, industry and tier at the time it is added; when those change,
``enterprise_moving`` / ``enterprise_moved`` take its reports out and put them back (the registry's save does it).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import connection, transaction

from exportwatch.monitoring import models as m

CHUNK = 2_000


@dataclass(frozen=True)
class _Table:
    model: type[m._Cell]
    keys: tuple[tuple[str, str], ...]  # (column, SQL expression) beyond period, town, industry, tier
    lines: bool  # summed from the lines (else from the reports)
    group_join: bool = False  # one row per market group the line's market belongs to


def _tier_sql() -> tuple[str, list[object]]:
    return (
        "CASE WHEN e.exports_last_year_usd >= %s THEN 'head' WHEN e.trade_last_year_usd >= %s THEN 'whitelist' "
        "ELSE 'other' END",
        [settings.EXPORTWATCH_HEAD_EXPORTS_USD, settings.EXPORTWATCH_WHITELIST_TRADE_USD],
    )


def _cents(expr: str) -> str:
    big = "BIGINT" if connection.vendor == "postgresql" else "INTEGER"
    return f"CAST(ROUND({expr} * 100) AS {big})"


TABLES = (
    _Table(m.TotalCell, (), lines=False),
    _Table(m.MarketCell, (("market", "l.market_id"),), lines=True),
    _Table(m.ChapterCell, (("hs", "SUBSTR(l.hs, 1, 2)"),), lines=True),
    _Table(m.GroupCell, (("group", "g.marketgroup_id"),), lines=True, group_join=True),
    _Table(m.MarketChapterCell, (("market", "l.market_id"), ("hs", "SUBSTR(l.hs, 1, 2)")), lines=True),
)
_TREND_COLUMNS = (
    ("trend_up", "r.new_orders_trend", "up"),
    ("trend_same", "r.new_orders_trend", "same"),
    ("trend_down", "r.new_orders_trend", "down"),
    ("outlook_up", "r.outlook_3m", "up"),
    ("outlook_same", "r.outlook_3m", "same"),
    ("outlook_down", "r.outlook_3m", "down"),
)


def _adding(name: str, keys: Sequence[str], values: Sequence[str]) -> str:
    """The upsert clause: a cell that exists already gets the new values added to its own."""
    q = connection.ops.quote_name
    updates = ", ".join(f"{q(c)} = {name}.{q(c)} + excluded.{q(c)}" for c in values)
    return f"ON CONFLICT ({', '.join(q(c) for c in keys)}) DO UPDATE SET {updates}"


def _statement(table: _Table, ids: Sequence[int] | None, sign: int, period: str = "") -> tuple[str, list[object]]:
    """The upsert of one table: the reports ``ids`` times ``sign``, or (``ids`` None) every current report of
    ``period``."""
    q = connection.ops.quote_name
    name = q(table.model._meta.db_table)
    tier, params = _tier_sql()
    base_keys = [("period", "r.period"), ("town", "e.town_id"), ("industry", "e.industry_id"), ("tier", tier)]
    keys = base_keys + list(table.keys)
    key_cols = [k for k, _e in keys]
    if ids is None:
        where, where_params = "r.is_current = %s AND r.period = %s", [True, period]
    else:
        where, where_params = f"r.id IN ({', '.join(['%s'] * len(ids))})", list(ids)
    if table.lines:
        values = {"exports": "l.exports_usd", "new_orders": "l.new_orders_usd", "backlog": "l.backlog_usd"}
        joins = (
            "FROM reporting_reportline l JOIN reporting_report r ON r.id = l.report_id "
            "JOIN directory_enterprise e ON e.id = r.enterprise_id"
        )
        if table.group_join:
            joins += " JOIN directory_marketgroup_members g ON g.market_id = l.market_id"
        inner_keys = ", ".join(f"{expr} AS k_{col}" for col, expr in keys)
        inner_sums = ", ".join(f"SUM({_cents(expr)}) AS s_{col}" for col, expr in values.items())
        inner = (
            f"SELECT r.id AS rid, {inner_keys}, {inner_sums} {joins} WHERE {where} "
            f"GROUP BY r.id, {', '.join(f'k_{c}' for c in key_cols)}"
        )
        # Grouped by the aliases: both databases accept output-column names in GROUP BY.
        outer_cols = ", ".join(f"k_{c}" for c in key_cols)
        select = (
            f"SELECT {outer_cols}, {sign} * COUNT(*), "
            + ", ".join(f"{sign} * SUM(s_{col})" for col in values)
            + f" FROM ({inner}) x WHERE 1 = 1 GROUP BY {outer_cols}"
        )
        value_cols = ["enterprises", *values]
        all_params = params + where_params
    else:
        values = {
            "exports": _cents("r.exports_usd"),
            "new_orders": _cents("r.new_orders_usd"),
            "backlog": _cents("r.backlog_usd"),
            "due_3m": _cents("r.backlog_due_3m_usd"),
        }
        extra = []
        for col, field, answer in _TREND_COLUMNS:
            extra.append((col, f"CASE WHEN {field} = '{answer}' THEN 1 ELSE 0 END"))
        for answer in ("up", "same", "down"):
            extra.append(
                (
                    f"weight_{answer}",
                    f"CASE WHEN r.new_orders_trend = '{answer}' THEN {_cents('e.exports_last_year_usd')} ELSE 0 END",
                )
            )
        key_select = ", ".join(expr for _c, expr in keys)
        sums = [f"{sign} * COUNT(*)"] + [f"{sign} * SUM({expr})" for expr in values.values()]
        sums += [f"{sign} * SUM({expr})" for _c, expr in extra]
        select = (
            f"SELECT {key_select}, {', '.join(sums)} FROM reporting_report r "
            f"JOIN directory_enterprise e ON e.id = r.enterprise_id WHERE {where} "
            f"GROUP BY {', '.join(str(i + 1) for i in range(len(keys)))}"
        )
        value_cols = ["enterprises", *values, *(c for c, _e in extra)]
        all_params = params + where_params
    cols = [q(c) for c in key_cols + value_cols]
    # The same sums again under the all-cell (town, industry and tier ROLLUP) of each period and key: what a view of
    # everything reads (a few rows a month instead of one per town, industry and tier).
    names = [f"c{i}" for i in range(len(cols))]
    own = names[len(base_keys) : len(key_cols)]  # the table's own key columns (market, hs, group)
    rollups = []
    for kept in _rollup_levels(table):  # which of town (c1), industry (c2), tier (c3) a rollup keeps
        keys = ["c0", *(names[i] if i in kept else f"'{m.ROLLUP}'" for i in (1, 2, 3)), *own]
        group = ["c0", *(names[i] for i in kept), *own]
        rollups.append(
            f"SELECT {', '.join(keys)}, {', '.join(f'SUM({c})' for c in names[len(key_cols) :])} FROM b "
            f"GROUP BY {', '.join(group)}"
        )
    sql = (
        f"WITH b ({', '.join(names)}) AS MATERIALIZED ({select}) "
        f"INSERT INTO {name} ({', '.join(cols)}) SELECT * FROM (SELECT * FROM b UNION ALL "
        f"{' UNION ALL '.join(rollups)}) u WHERE 1 = 1 {_adding(name, key_cols, value_cols)}"
    )
    return sql, all_params


def _rollup_levels(table: _Table) -> list[tuple[int, ...]]:
    """The rollups a table keeps beside its cells, as the base columns each keeps (1 town, 2 industry, 3 tier):
    every table its all-cell; the report totals also one row per town, per industry and per tier (what a
    breakdown of everything by one of them reads)."""
    return [(), (1,), (2,), (3,)] if table.model is m.TotalCell else [()]


def stamp_raise() -> None:
    """A new stamp (``models.Stamp``) in the caller's transaction: the current reports have changed. A random
    number, not a counter, so a stamp names one state of the data even across a rollback or a restored backup."""
    value = secrets.randbits(62)
    if not m.Stamp.objects.filter(pk=1).update(version=value):
        m.Stamp.objects.get_or_create(pk=1, defaults={"version": value})


def stamp_read() -> int:
    return int(m.Stamp.objects.filter(pk=1).values_list("version", flat=True).first() or 0)


def cells_apply(*, added: Iterable[int] = (), removed: Iterable[int] = ()) -> None:
    """Add the contributions of the reports ``added`` (now current) and take out those of ``removed``."""
    plus, minus = sorted(set(added)), sorted(set(removed))
    if not plus and not minus:
        return
    with transaction.atomic(), connection.cursor() as cursor:
        stamp_raise()
        for ids, sign in ((minus, -1), (plus, 1)):
            for start in range(0, len(ids), CHUNK):
                chunk = ids[start : start + CHUNK]
                for table in TABLES:
                    sql, params = _statement(table, chunk, sign)
                    cursor.execute(sql, params)


def cells_rebuild() -> int:
    """Recompute every aggregate from the current reports; returns how many reports were summed."""
    from exportwatch.reporting.models import Report

    with transaction.atomic(), connection.cursor() as cursor:
        stamp_raise()
        for table in TABLES:
            table.model.objects.all().delete()
        periods = sorted(set(Report.objects.filter(is_current=True).values_list("period", flat=True)))
        for period in periods:  # one month at a time: bounded work per statement
            for table in TABLES:
                sql, params = _statement(table, None, 1, period)
                cursor.execute(sql, params)
        return Report.objects.filter(is_current=True).count()


def current_report_ids(enterprise_ids: Sequence[int]) -> list[int]:
    from exportwatch.reporting.models import Report

    return list(
        Report.objects.filter(is_current=True, enterprise_id__in=list(enterprise_ids)).values_list("id", flat=True)
    )


# --- an enterprise that moves (town, industry, or tier through last year's trade) -----------------------------

_MOVING_FIELDS = ("town_id", "industry_id", "exports_last_year_usd", "imports_last_year_usd")


def enterprise_moving(sender: Any, instance: Any, **kwargs: Any) -> None:
    """pre_save of an enterprise: if it changes town, industry or trade, take its reports out of the cells (they
    were filed under the old values); ``enterprise_moved`` puts them back under the new ones."""
    instance._cells_out = []
    if instance.pk is None or kwargs.get("raw"):
        return
    from exportwatch.directory.models import Enterprise

    old = Enterprise.objects.filter(pk=instance.pk).values(*_MOVING_FIELDS).first()
    if old is None:
        return
    if any(str(old[f]) != str(getattr(instance, f)) for f in _MOVING_FIELDS):
        ids = current_report_ids([instance.pk])
        cells_apply(removed=ids)
        instance._cells_out = ids


def enterprise_moved(sender: Any, instance: Any, **kwargs: Any) -> None:
    ids = getattr(instance, "_cells_out", [])
    if ids:
        cells_apply(added=ids)
        instance._cells_out = []


# --- a bulk import's new reports, from the frames it already holds ------------------------------------------------


@dataclass(frozen=True)
class NewReport:
    """A report a bulk import has just written (no earlier version), with its figures in USD."""

    report_id: int
    enterprise_id: int
    period: str
    exports: Any
    new_orders: Any
    backlog: Any
    due_3m: Any
    trend: str
    outlook: str


def _tiers(enterprise_ids: Iterable[int]) -> dict[int, tuple[str, str, str, int]]:
    """enterprise id -> (town, industry, tier, last year's exports in cents), as the SQL of ``_statement`` files it."""
    from decimal import Decimal

    from exportwatch.directory.models import Enterprise, tier_of

    out: dict[int, tuple[str, str, str, int]] = {}
    ids = sorted(set(enterprise_ids))
    for start in range(0, len(ids), 5_000):
        for pk, town, industry, exports, trade in Enterprise.objects.filter(
            pk__in=ids[start : start + 5_000]
        ).values_list("pk", "town_id", "industry_id", "exports_last_year_usd", "trade_last_year_usd"):
            out[pk] = (town, industry, tier_of(exports, trade), int((Decimal(exports) * 100).to_integral_value()))
    return out


def _upsert(table: _Table, keys: Sequence[str], values: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    q = connection.ops.quote_name
    name = q(table.model._meta.db_table)
    cols = [*keys, *values]
    sql = f"INSERT INTO {name} ({', '.join(q(c) for c in cols)}) VALUES ({', '.join(['%s'] * len(cols))}) " + _adding(
        name, keys, values
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, list(rows))


def line_parts(lines: Any) -> Any:
    """A chunk of written lines (report_id, market, hs, the three amounts as numbers or plain decimal text)
    reduced to what the aggregates need: sums in cents per report, market and HS chapter (small, so a whole
    import's parts fit)."""
    import polars as pl

    cents = [
        (pl.col(c).cast(pl.Float64) * 100).round(0).cast(pl.Int64).alias(v)
        for c, v in (("exports_usd", "exports"), ("new_orders_usd", "new_orders"), ("backlog_usd", "backlog"))
    ]
    return (
        lines.select(pl.col("report_id").cast(pl.Int64), "market", pl.col("hs").str.slice(0, 2).alias("hs"), *cents)
        .group_by("report_id", "market", "hs")
        .agg(pl.col("exports").sum(), pl.col("new_orders").sum(), pl.col("backlog").sum())
    )


def cells_add_new(reports: Sequence[NewReport], lines: Any) -> None:
    """Add the contributions of reports a bulk import has just created (first versions), computed in columns from
    the rows it holds instead of read back: ``lines`` is the concatenation of ``line_parts`` of the lines written.
    Gives the same cells as ``cells_apply(added=...)`` (tests check it)."""
    from decimal import Decimal

    import polars as pl

    if not reports:
        return
    attrs = _tiers(r.enterprise_id for r in reports)
    base = ["period", "town", "industry", "tier"]
    with transaction.atomic():
        stamp_raise()
        totals: dict[tuple[str, ...], list[int]] = {}
        for r in reports:
            town, industry, tier, weight = attrs[r.enterprise_id]
            cell = totals.setdefault((r.period, town, industry, tier), [0] * 14)
            answers = ("up", "same", "down")
            cell[0] += 1
            for i, amount in enumerate((r.exports, r.new_orders, r.backlog, r.due_3m), start=1):
                cell[i] += int(Decimal(amount) * 100)  # at most 2 decimals: exact
            cell[5 + answers.index(r.trend)] += 1
            cell[8 + answers.index(r.trend)] += weight
            cell[11 + answers.index(r.outlook)] += 1
        rolled: dict[tuple[str, ...], list[int]] = {}
        for (period, town, industry, tier), values in totals.items():
            for kept in _rollup_levels(TABLES[0]):
                key = (
                    period,
                    town if 1 in kept else m.ROLLUP,
                    industry if 2 in kept else m.ROLLUP,
                    tier if 3 in kept else m.ROLLUP,
                )
                summed = rolled.setdefault(key, [0] * 14)
                for i, v in enumerate(values):
                    summed[i] += v
        totals.update(rolled)
        total_values = [
            "enterprises", "exports", "new_orders", "backlog", "due_3m", "trend_up", "trend_same", "trend_down",
            "weight_up", "weight_same", "weight_down", "outlook_up", "outlook_same", "outlook_down",
        ]  # fmt: skip
        _upsert(TABLES[0], base, total_values, ([*k, *v] for k, v in totals.items()))

        if lines is None:
            return
        # Each report's (period, town, industry, tier) as a small integer, so the frames carry no strings for it.
        owner_keys: dict[tuple[str, str, str, str], int] = {}
        owner_of = []
        for r in reports:
            town, industry, tier, _w = attrs[r.enterprise_id]
            owner_of.append(owner_keys.setdefault((r.period, town, industry, tier), len(owner_keys)))
        owners = pl.DataFrame(
            {"report_id": [r.report_id for r in reports], "owner": owner_of},
            schema={"report_id": pl.Int64, "owner": pl.Int32},
        )
        owner_rows = pl.DataFrame(
            [(i, *k) for k, i in owner_keys.items()],
            schema={
                "owner": pl.Int32,
                "period": pl.String,
                "town": pl.String,
                "industry": pl.String,
                "tier": pl.String,
            },
            orient="row",
        )
        from exportwatch.directory.models import MarketGroup

        members = pl.DataFrame(
            list(MarketGroup.members.through.objects.values_list("marketgroup_id", "market_id")),
            schema={"group": pl.String, "market": pl.String},
            orient="row",
        )
        sums = ["exports", "new_orders", "backlog"]
        # A slice of the reports at a time: bounded memory whatever the import's size (cells add up across slices).
        for start in range(0, owners.height, FRAME_REPORTS):
            part = owners.slice(start, FRAME_REPORTS)
            frame = lines.join(part, on="report_id", how="inner")
            _frame_cells(frame, owner_rows, members, base, sums)


FRAME_REPORTS = 20_000


def _frame_cells(frame: Any, owner_rows: Any, members: Any, base: list[str], sums: list[str]) -> None:
    import polars as pl

    for table in TABLES[1:]:
        extra = [c for c, _e in table.keys]
        source = frame.join(members, on="market", how="inner") if table.group_join else frame
        per_report = source.group_by(["report_id", "owner", *extra]).agg(*(pl.col(c).sum() for c in sums))
        cells = (
            per_report.group_by(["owner", *extra])
            .agg(pl.len().alias("enterprises"), *(pl.col(c).sum() for c in sums))
            .join(owner_rows, on="owner", how="inner")
            .select([*base, *extra, "enterprises", *sums])
        )
        rollup = cells.group_by(["period", *extra]).agg(pl.col("enterprises").sum(), *(pl.col(c).sum() for c in sums))
        cells = pl.concat(
            [cells, rollup.with_columns(*(pl.lit(m.ROLLUP).alias(c) for c in base[1:])).select(cells.columns)]
        )
        _upsert(
            table,
            [*base, *extra],
            ["enterprises", *sums],
            cells.select([*base, *extra, "enterprises", *sums]).iter_rows(),
        )
        del source, per_report, cells
