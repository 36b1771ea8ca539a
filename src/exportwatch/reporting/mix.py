"""Each report version's market mix (Herfindahl index, main market), kept on the report when its lines are written.

A month's warnings judge every enterprise's concentration on its main market; reading one row per report instead
of summing a province's two million lines a month is what keeps that evaluation inside its time. Every path that
writes lines stores the mix in the same transaction (the form and the API through ``report_submit``, file imports,
the demo and synthetic loaders); the migration that added the columns computed it for the reports already held.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from itertools import groupby
from operator import itemgetter
from typing import Any

from django.db import connection as default_connection

from exportwatch.core.concentration import market_mix

Mix = tuple[float | None, str | None]

REPORTS = "reporting_report"
LINES = "reporting_reportline"
CHUNK = 5_000  # report ids per query: far below SQLite's limit of bound parameters


def mixes_from_lines(report_ids: Iterable[int], *, connection: Any = default_connection) -> dict[int, Mix]:
    """Per report id: ``core.concentration.market_mix`` of its lines' exports (``(None, None)`` without lines)."""
    ids = sorted(set(report_ids))
    out: dict[int, Mix] = dict.fromkeys(ids, (None, None))
    with connection.cursor() as cursor:
        for start in range(0, len(ids), CHUNK):
            chunk = ids[start : start + CHUNK]
            cursor.execute(
                f"SELECT report_id, market_id, SUM(exports_usd) FROM {LINES} "
                f"WHERE report_id IN ({', '.join(['%s'] * len(chunk))}) GROUP BY report_id, market_id",
                chunk,
            )
            rows = sorted(cursor.fetchall(), key=itemgetter(0))
            for report, group in groupby(rows, key=itemgetter(0)):
                out[report] = market_mix((market, amount) for _r, market, amount in group)
    return out


PARTS_SLICE = 200_000  # rows of parts grouped at once: a million lines' grouping held ~200 MB more at its peak


def mixes_of_parts(parts: Any) -> dict[int, Mix]:
    """Per report id: the mix of lines held in columns, as a bulk import holds what it has just written (a polars
    frame with ``report_id``, ``market`` and ``exports``, an amount per row in any unit: the index is a ratio).
    Grouped a range of report ids at a time (about ``PARTS_SLICE`` rows each), which bounds the memory it takes."""
    import polars as pl

    if parts.height <= PARTS_SLICE:
        return _mixes_of_parts(parts)
    ids = parts.get_column("report_id")
    low, high = int(ids.min()), int(ids.max())
    step = max(1, (high - low + 1) * PARTS_SLICE // parts.height)
    out: dict[int, Mix] = {}
    for start in range(low, high + 1, step):
        out.update(_mixes_of_parts(parts.filter(pl.col("report_id").is_between(start, start + step - 1))))
    return out


def _mixes_of_parts(parts: Any) -> dict[int, Mix]:
    import polars as pl

    a = pl.col("a")
    frame = (
        parts.group_by("report_id", "market")
        .agg(a=pl.col("exports").cast(pl.Float64).sum())
        .group_by("report_id")
        .agg(
            total=a.sum(),
            squares=(a * a).sum(),
            top=a.max(),
            main=pl.col("market").sort_by(["a", "market"], descending=[True, True]).first(),
        )
    )
    return {
        rid: (squares / (total * total), main) if total > 0 and top > 0 else (None, None)
        for rid, total, squares, top, main in frame.select("report_id", "total", "squares", "top", "main").iter_rows()
    }


def mixes_store(report_ids: Sequence[int], *, connection: Any = default_connection) -> int:
    """Compute and keep the mix of these reports from their lines (already written); returns how many."""
    return mixes_keep(mixes_from_lines(report_ids, connection=connection), connection=connection)


def mixes_keep(mixes: Mapping[int, Mix], *, connection: Any = default_connection) -> int:
    """Keep these mixes on their reports; returns how many."""
    with connection.cursor() as cursor:
        cursor.executemany(
            f"UPDATE {REPORTS} SET market_hhi = %s, main_market = %s WHERE id = %s",
            [(hhi, main or "", rid) for rid, (hhi, main) in mixes.items()],
        )
    return len(mixes)
