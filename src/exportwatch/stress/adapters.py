"""The order book of a month as the core's ``stress.Book`` (read column-wise in two SQL queries), and saved shocks
(JSON) <-> ``stress.Shock``."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from django.db import connection
from django.db.models import QuerySet

from exportwatch.core.periods import period_add
from exportwatch.core.stress import WINDOW, Book, Shock
from exportwatch.directory.models import Enterprise, MarketGroup
from exportwatch.reporting.models import Report, ReportLine

FETCH = 50_000


@dataclass(frozen=True)
class BookRead:
    """A ``Book`` and what the pages name its enterprises by (``ids``, ``names``, ``towns``, ``industries``: one
    per enterprise, in the book's order); ``unreported``: enterprises in scope without a report of the month."""

    book: Book
    ids: np.ndarray
    names: list[str]
    towns: np.ndarray
    industries: np.ndarray
    unreported: int


def shocks_of(data: Iterable[Mapping[str, Any]]) -> list[Shock]:
    """Saved shocks as the core's (raises ``ValueError`` on a bad one)."""
    return [Shock(str(s["dimension"]), str(s["key"]), float(s["change"]), int(s["months"])) for s in data]


def shocks_data(shocks: Iterable[Shock]) -> list[dict[str, Any]]:
    return [{"dimension": s.dimension, "key": s.key, "change": s.change, "months": s.months} for s in shocks]


def market_groups() -> dict[str, set[str]]:
    """Market group code -> its member markets."""
    members: dict[str, set[str]] = defaultdict(set)
    for group, market in MarketGroup.members.through.objects.values_list("marketgroup_id", "market_id"):
        members[group].add(market)
    return dict(members)


def _scoped(enterprises: QuerySet[Enterprise] | None, column: str) -> tuple[str, list[Any]]:
    if enterprises is None:
        return "", []
    sql, params = enterprises.order_by().values("id").query.sql_with_params()
    return f" AND {column} IN ({sql})", list(params)


def _float(column: str) -> str:
    # DOUBLE PRECISION: a float8 on PostgreSQL, REAL affinity on SQLite; amounts are summed as floats in the core.
    return f"CAST({column} AS DOUBLE PRECISION)"


def book_read(*, period: str, enterprises: QuerySet[Enterprise] | None = None) -> BookRead:
    """The book at ``period`` of every enterprise with a current report of it (of ``enterprises`` when given, a
    scoped queryset; every enterprise otherwise): its report's figures for the month and the twelve before, and
    the month's lines (HS codes cut to their chapter)."""
    months = [period_add(period, back - (WINDOW - 1)) for back in range(WINDOW)]  # oldest first
    picks = [(months[-1], "backlog_usd")] + [
        (p, c) for c in ("exports_usd", "new_orders_usd", "backlog_due_3m_usd") for p in months
    ]
    columns = ", ".join(f"MAX(CASE WHEN period = %s THEN {_float(c)} END)" for _p, c in picks)
    scope_sql, scope_params = _scoped(enterprises, "enterprise_id")
    sql = (
        f"SELECT enterprise_id, {columns} FROM {Report._meta.db_table} "
        f"WHERE is_current = %s AND period IN ({', '.join(['%s'] * WINDOW)}){scope_sql} "
        "GROUP BY enterprise_id HAVING MAX(CASE WHEN period = %s THEN 1 END) = 1 ORDER BY enterprise_id"
    )
    args = [p for p, _c in picks] + [True, *months] + scope_params + [period]
    rows: list[Any] = []
    with connection.cursor() as cursor:
        cursor.execute(sql, args)
        while chunk := cursor.fetchmany(FETCH):
            rows.extend(chunk)
    table = np.array(rows, dtype=float).reshape(len(rows), 2 + 3 * WINDOW)
    ids = table[:, 0].astype(np.int64)
    exports, new_orders, due = (table[:, 2 + j * WINDOW : 2 + (j + 1) * WINDOW] for j in range(3))

    line_sql = (
        f"SELECT r.enterprise_id, l.market_id, SUBSTR(l.hs, 1, 2), {_float('l.backlog_usd')}, "
        f"{_float('l.new_orders_usd')}, {_float('l.exports_usd')} "
        f"FROM {ReportLine._meta.db_table} l JOIN {Report._meta.db_table} r ON r.id = l.report_id "
        f"WHERE r.period = %s AND r.is_current = %s{_scoped(enterprises, 'r.enterprise_id')[0]}"
    )
    columns_of_lines: list[list[Any]] = [[], [], [], [], [], []]
    with connection.cursor() as cursor:
        cursor.execute(line_sql, [period, True, *scope_params])
        while chunk := cursor.fetchmany(FETCH):
            for column, values in zip(columns_of_lines, zip(*chunk, strict=True), strict=True):
                column.extend(values)
    eids = np.array(columns_of_lines[0], dtype=np.int64)
    at = np.searchsorted(ids, eids)  # ids are sorted: the reports were read in enterprise order
    keep = (at < len(ids)) & (ids[np.minimum(at, max(len(ids) - 1, 0))] == eids) if len(ids) else eids < 0
    line_amounts = np.array(columns_of_lines[3:], dtype=float).reshape(3, len(eids)).T[keep]
    market = np.array(columns_of_lines[1], dtype=str)[keep]
    hs = np.array(columns_of_lines[2], dtype=str)[keep]
    who = at[keep]

    everyone = Enterprise.objects.all() if enterprises is None else enterprises
    info = {
        pk: (uscc, name, town, industry or "", float(size))
        for pk, uscc, name, town, industry, size in everyone.order_by()
        .values_list("id", "uscc", "name", "town_id", "industry_id", "exports_last_year_usd")
        .iterator(chunk_size=FETCH)
    }
    known = [info.get(int(e), ("", "", "", "", 0.0)) for e in ids]
    book = Book(
        origin=period,
        keys=np.array([k[0] for k in known], dtype=object),
        backlog=table[:, 1],
        due=due[:, -1],
        exports_last_year=np.array([k[4] for k in known], dtype=float),
        exports=exports,
        new_orders=new_orders,
        due_history=due,
        line_enterprise=who.astype(np.int64),
        line_market=market,
        line_hs=hs,
        line_backlog=line_amounts[:, 0],
        line_new_orders=line_amounts[:, 1],
        line_exports=line_amounts[:, 2],
    )
    return BookRead(
        book=book,
        ids=ids,
        names=[k[1] for k in known],
        towns=np.array([k[2] for k in known], dtype=object),
        industries=np.array([k[3] for k in known], dtype=object),
        unreported=len(info) - len(ids),
    )


def book_merge(old: BookRead, part: BookRead, changed: Sequence[int], *, registered: int) -> BookRead:
    """``old`` with the enterprises ``changed`` (ids) replaced by what ``part`` read of them now: an enterprise
    that has no report of the month any more leaves, one with its first report enters; ``registered``: the
    enterprises in the registry (those not in the book are the unreported). The result is ordered by enterprise id,
    as ``book_read``'s is; lines stay in no order (the core sums them by enterprise)."""
    keep = ~np.isin(old.ids, np.asarray(changed, dtype=np.int64))
    ids = np.concatenate([old.ids[keep], part.ids])
    order = np.argsort(ids, kind="stable")
    position = np.empty(len(ids), dtype=np.int64)
    position[order] = np.arange(len(ids))  # where each concatenated enterprise lands in the result

    def rows(a: np.ndarray, b: np.ndarray) -> np.ndarray:
        return np.concatenate([a[keep], b])[order]

    old_book, new_book = old.book, part.book
    kept_lines = keep[old_book.line_enterprise]
    old_at = np.cumsum(keep) - 1  # an old enterprise's index among the kept ones
    line_enterprise = position[
        np.concatenate([old_at[old_book.line_enterprise[kept_lines]], keep.sum() + new_book.line_enterprise])
    ]

    def lines(name: str) -> np.ndarray:
        return np.concatenate([getattr(old_book, name)[kept_lines], getattr(new_book, name)])

    book = Book(
        origin=old_book.origin,
        keys=rows(np.asarray(old_book.keys, dtype=object), np.asarray(new_book.keys, dtype=object)),
        backlog=rows(old_book.backlog, new_book.backlog),
        due=rows(old_book.due, new_book.due),
        exports_last_year=rows(old_book.exports_last_year, new_book.exports_last_year),
        exports=rows(old_book.exports, new_book.exports),
        new_orders=rows(old_book.new_orders, new_book.new_orders),
        due_history=rows(old_book.due_history, new_book.due_history),
        line_enterprise=line_enterprise.astype(np.int64),
        line_market=lines("line_market"),
        line_hs=lines("line_hs"),
        line_backlog=lines("line_backlog"),
        line_new_orders=lines("line_new_orders"),
        line_exports=lines("line_exports"),
    )
    names = np.concatenate([np.asarray(old.names, dtype=object)[keep], np.asarray(part.names, dtype=object)])[order]
    return BookRead(
        book=book,
        ids=ids[order],
        names=[str(n) for n in names],
        towns=rows(np.asarray(old.towns, dtype=object), np.asarray(part.towns, dtype=object)),
        industries=rows(np.asarray(old.industries, dtype=object), np.asarray(part.industries, dtype=object)),
        unreported=registered - len(ids),
    )
