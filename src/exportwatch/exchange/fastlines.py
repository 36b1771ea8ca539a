"""The vectorised check of large tables of reports and report lines: the common case of a bulk load, at columnar speed.

``lines_frame(table, ctx, allowed=...)`` checks every row of a ``report_lines`` table at once with polars and
returns the per-(enterprise, period) tallies; ``reports_frame`` does the same for a ``reports`` table and returns
each row as the core's ``ReportIn``. Both return None when any row needs the row-by-row rules of
``core.records`` — a problem to report, a value that needs normalising (blanks, full-width digits, lower case,
``1,000``, an Excel date for a period), quoting, blank lines, or a unit column. Distinct code values (a few
thousand) are checked with the core's own functions, so a row is accepted here only if the core accepts it
unchanged.

A table is a CSV file (read again by polars from its text) or a worksheet (its rows as the grid reader gave them:
text, or numbers as the spreadsheet stored them). Amounts are plain decimal text (at most 12 digits and 2
decimals) or numbers within a thousandth of a cent of a whole cent, which the core rounds to exactly that cent.
"""

from __future__ import annotations

import io
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl

from exportwatch.core.records import (
    LINE_AMOUNT_COLUMNS,
    LINE_COLUMNS,
    REPORT_COLUMNS,
    Context,
    ReportIn,
    memo_code,
    trend_code,
)
from exportwatch.exchange.grid import EXTRA_CELLS, UNNAMED_CELL, ParsedTable

PLAIN_AMOUNT = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
PLAIN_PERCENT = r"^[0-9]{1,3}(\.[0-9]{1,2})?$"
CENTS = Decimal("0.01")
MAX_AMOUNT = 1e12  # USD, as core.records.MAX_AMOUNT_USD
NEAR_CENT = 1e-3  # a number this close to a whole cent (in cents) is that cent, as the core rounds it
REPORT_AMOUNTS = ("exports_usd", "new_orders_usd", "backlog_usd", "backlog_due_3m_usd")
CAPACITY = "capacity_utilization_pct"
Key = tuple[str, str]


@dataclass
class GroupLines:
    n: int
    first_row: int  # 1-based row number in the file of the group's first line
    cents: dict[str, int] = field(default_factory=dict)  # amount column -> sum in US cents

    def sums(self) -> dict[str, Decimal]:
        return {key: Decimal(self.cents[key]) * CENTS for key in LINE_AMOUNT_COLUMNS}


@dataclass
class LinesFrame:
    table: ParsedTable
    frame: pl.DataFrame  # uscc, period, market, hs, the three amounts (whole cents over 100), _row
    groups: dict[Key, GroupLines]


@dataclass
class ReportsFrame:
    table: ParsedTable
    reports: list[tuple[int, ReportIn]]  # (1-based row in the file, the clean report), in file order


# --- the table as columns --------------------------------------------------------------------------------


def _csv_frame(table: ParsedTable, keys: Sequence[str], optional: Sequence[str]) -> pl.DataFrame | None:
    source = table.csv
    assert source is not None
    text = source.text
    if '"' in text or "\n\n" in text or "\r\n\r\n" in text or "\r" in text.replace("\r\n", ""):
        return None  # quoting or blank lines: record numbers would not be line numbers
    try:
        raw = pl.read_csv(
            io.BytesIO(source.utf8 if source.utf8 is not None else text.encode("utf-8")),
            has_header=False,
            infer_schema=False,
            separator=source.delimiter,
            quote_char=None,
            truncate_ragged_lines=False,
        )
    except Exception:
        return None
    return _text_frame(table, raw.slice(table.data_start), keys, optional)


def _text_frame(
    table: ParsedTable, raw: pl.DataFrame, keys: Sequence[str], optional: Sequence[str]
) -> pl.DataFrame | None:
    """The table's columns from ``raw``, its data rows as text (a CSV file, or a sheet read in columns, where an
    empty cell is null and a column of nothing but empty cells may have no type); None when a column holds
    anything else, or a column without a header holds something."""
    if raw.height == 0 or (table.max_rows and raw.height > table.max_rows):
        return None
    width = raw.width
    if any(index > width for index in table.columns.values()):
        return None
    named = set(table.columns.values())
    for index in range(1, width + 1):  # a filled cell in a column without a header goes the slow way
        column = raw.to_series(index - 1)
        if column.dtype == pl.Null:
            continue
        if column.dtype != pl.String:
            return None
        if index not in named and column.drop_nulls().str.strip_chars().str.len_chars().max():
            return None
    columns = {
        key: raw.to_series(table.columns[key] - 1).cast(pl.String)
        if key in table.columns
        else pl.Series(key, [None] * raw.height, dtype=pl.String)
        for key in (*keys, *optional)
    }
    return pl.DataFrame(columns).with_row_index("_row", offset=table.data_start + 1)


_NUMBER_TYPES = frozenset({int, float})


def _sheet_column(values: list[object], *, optional: bool) -> pl.Series | None:
    """One column of a worksheet as polars text or numbers; None when its cells mix kinds (the row path reads
    those: dates, booleans, text beside numbers)."""
    if optional:
        values = [None if v == "" else v for v in values]
    kinds = set(map(type, values))
    if optional:
        kinds.discard(type(None))
    if not kinds or kinds == {str}:
        return pl.Series(values, dtype=pl.String)
    if kinds <= _NUMBER_TYPES:
        return pl.Series(values, dtype=pl.Float64)
    return None


def _is_blank(cell: object) -> bool:
    return cell is None or (type(cell) is str and not cell.strip())


def _grid_frame(table: ParsedTable, keys: Sequence[str], optional: Sequence[str]) -> pl.DataFrame | None:
    """The columns of a large worksheet straight from its grid (rows below the header, none of them blank)."""
    assert table.grid is not None
    data = table.grid[table.data_start :]
    if not data:
        return None
    if len(set(map(len, data))) != 1:
        return None
    transposed = list(zip(*data, strict=True))
    named = {index - 1 for index in table.columns.values()}
    for index, column in enumerate(transposed):  # a filled cell in a column without a header goes the slow way
        if index not in named and not all(map(_is_blank, column)):
            return None
    columns: dict[str, pl.Series] = {
        "_row": pl.Series(range(table.data_start + 1, table.data_start + 1 + len(data)), dtype=pl.Int64)
    }
    for key in (*keys, *optional):
        index = table.columns.get(key)
        values = list(transposed[index - 1]) if index is not None else [None] * len(data)
        series = _sheet_column(values, optional=key in optional)
        if series is None:
            return None
        columns[key] = series
    return pl.DataFrame(columns)


def _sheet_frame(table: ParsedTable, keys: Sequence[str], optional: Sequence[str]) -> pl.DataFrame | None:
    if table.grid is not None:
        return _grid_frame(table, keys, optional)
    rows = table.rows
    if not isinstance(rows, tuple) or not rows:
        return None
    if any(EXTRA_CELLS in values or UNNAMED_CELL in values for _n, values in rows):
        return None
    columns: dict[str, pl.Series] = {"_row": pl.Series([n for n, _v in rows], dtype=pl.Int64)}
    for key in (*keys, *optional):
        series = _sheet_column([values.get(key) for _n, values in rows], optional=key in optional)
        if series is None:
            return None
        columns[key] = series
    return pl.DataFrame(columns)


def _table_frame(table: ParsedTable, keys: Sequence[str], optional: Sequence[str] = ()) -> pl.DataFrame | None:
    if table.units or any(key not in table.columns for key in keys):
        return None
    if table.csv is not None:
        frame = _csv_frame(table, keys, optional)
    elif table.frame is not None:  # a large sheet read in columns, as text (``workbook._ColumnarReader``)
        frame = _text_frame(table, table.frame, keys, optional)
    else:
        frame = _sheet_frame(table, keys, optional)
    if frame is None or frame.height == 0:
        return None
    if frame.select(pl.any_horizontal(pl.col(keys).is_null())).to_series().any():
        return None
    return frame


def _as_cents(frame: pl.DataFrame, key: str, *, pattern: str, maximum: float) -> pl.Series | None:
    """A column of amounts (or percentages) in whole cents, or None when any value needs the core's rules.
    Nulls stay null (an empty optional cell)."""
    column = frame[key]
    present = column.drop_nulls()
    if column.dtype == pl.String:
        if not present.str.contains(pattern).all():
            return None
        cents = (column.cast(pl.Float64) * 100).round(0)
    elif column.dtype == pl.Float64:
        if present.len() and not (present.is_finite().all() and present.min() >= 0 and present.max() <= maximum):  # type: ignore[operator]
            return None
        scaled = column * 100
        cents = scaled.round(0)
        if present.len() and (scaled - cents).abs().max() > NEAR_CENT:  # type: ignore[operator]
            return None
    else:
        return None
    if present.len() and cents.max() > maximum * 100:  # type: ignore[operator]
        return None
    return cents.cast(pl.Int64).alias(key)


def _codes_ok(frame: pl.DataFrame, ctx: Context, methods: Sequence[str], allowed: Container[str] | None) -> bool:
    """Whether every code is one the core accepts unchanged (checked once per distinct value)."""
    for column in methods:
        for value in frame[column].unique().to_list():
            if memo_code(ctx, column, value) != value:
                return False
    return allowed is None or all(u in allowed for u in frame["uscc"].unique().to_list())


def _repeated(frame: pl.DataFrame, columns: Sequence[str]) -> bool:
    """Whether two rows share the codes of ``columns``; compared by a 64-bit hash, so a collision only sends a
    good file the slow way (which names a real repetition)."""
    combined = pl.col(columns[0]).hash(1)
    for seed, column in enumerate(columns[1:], start=2):
        combined = combined ^ pl.col(column).hash(seed)
    return bool(frame.select(combined.is_duplicated().any()).item())


# --- report lines --------------------------------------------------------------------------------------------


def lines_frame(table: ParsedTable, ctx: Context, *, allowed: Container[str] | None) -> LinesFrame | None:
    if table.table.key != "report_lines":
        return None
    frame = _table_frame(table, LINE_COLUMNS)
    if frame is None:
        return None
    for key in ("uscc", "period", "market", "hs"):
        if frame[key].dtype != pl.String:
            return None
    cents = []
    for key in LINE_AMOUNT_COLUMNS:
        column = _as_cents(frame, key, pattern=PLAIN_AMOUNT, maximum=MAX_AMOUNT)
        if column is None:
            return None
        cents.append(column)
    if not _codes_ok(frame, ctx, ("uscc", "period", "market", "hs"), allowed):
        return None
    if _repeated(frame, ("uscc", "period", "market", "hs")):
        return None  # a repeated (enterprise, month, market, product) goes the row way, which names it
    # The amounts go on as whole cents over 100, numbers (what the database makes of their text anyway).
    frame = frame.with_columns(*[(c / 100).alias(c.name) for c in cents])
    tallies = (
        frame.select("uscc", "period", "_row")
        .with_columns(cents)
        .group_by("uscc", "period")
        .agg(pl.len().alias("n"), pl.col("_row").min().alias("first"), *[pl.col(k).sum() for k in LINE_AMOUNT_COLUMNS])
    )
    columns = [tallies[c].to_list() for c in ("uscc", "period", "n", "first", *LINE_AMOUNT_COLUMNS)]
    groups = {
        (uscc, period): GroupLines(n=n, first_row=first, cents=dict(zip(LINE_AMOUNT_COLUMNS, cents, strict=True)))
        for uscc, period, n, first, *cents in zip(*columns, strict=True)
    }
    return LinesFrame(table=table, frame=frame.select("_row", *LINE_COLUMNS), groups=groups)


def rows_of(lines: LinesFrame, keys: list[Key]) -> list[int]:
    """The file's row numbers of the lines of the given (enterprise, period) keys."""
    wanted = pl.DataFrame(
        {"uscc": [k[0] for k in keys], "period": [k[1] for k in keys]},
        schema={"uscc": pl.String, "period": pl.String},
    )
    rows: list[int] = lines.frame.join(wanted, on=["uscc", "period"], how="semi")["_row"].sort().to_list()
    return rows


def rows_for_write(lines: LinesFrame, report_ids: dict[Key, int], *, chunk: int) -> Iterator[pl.DataFrame]:
    """The lines of the changed reports, as (report_id, market, hs, amounts), a slice of the file at a time."""
    ids = pl.DataFrame(
        {
            "uscc": [k[0] for k in report_ids],
            "period": [k[1] for k in report_ids],
            "report_id": list(report_ids.values()),
        },
        schema={"uscc": pl.String, "period": pl.String, "report_id": pl.Int64},
    )
    for start in range(0, lines.frame.height, chunk):
        part = lines.frame.slice(start, chunk).join(ids, on=["uscc", "period"], how="inner", maintain_order="left")
        if part.height:
            yield part.select("report_id", "market", "hs", *LINE_AMOUNT_COLUMNS)


# --- reports ------------------------------------------------------------------------------------------------


def reports_frame(table: ParsedTable, ctx: Context, *, allowed: Container[str] | None) -> ReportsFrame | None:
    """Every row of a ``reports`` table as the core's ``ReportIn`` (what ``clean_report`` gives for it), or None."""
    if table.table.key != "reports":
        return None
    required = [c for c in REPORT_COLUMNS if c != CAPACITY]
    frame = _table_frame(table, required, optional=(CAPACITY,))
    if frame is None:
        return None
    for key in ("uscc", "period", "new_orders_trend", "outlook_3m"):
        if frame[key].dtype != pl.String:
            return None
    cents = {}
    for key in REPORT_AMOUNTS:
        column = _as_cents(frame, key, pattern=PLAIN_AMOUNT, maximum=MAX_AMOUNT)
        if column is None:
            return None
        cents[key] = column
    capacity = _as_cents(frame, CAPACITY, pattern=PLAIN_PERCENT, maximum=100)
    if capacity is None:
        return None
    if (cents["backlog_due_3m_usd"] > cents["backlog_usd"]).any():
        return None  # the row path names the row
    if not _codes_ok(frame, ctx, ("uscc", "period"), allowed) or _repeated(frame, ("uscc", "period")):
        return None
    answers: dict[str, str] = {}
    for key in ("new_orders_trend", "outlook_3m"):
        for value in frame[key].unique().to_list():
            code = trend_code(value)
            if code is None:
                return None
            answers[value] = code
    reports: list[tuple[int, ReportIn]] = []
    decimal = Decimal
    for row, uscc, period, exports, new_orders, backlog, due, pct, trend, outlook in zip(
        frame["_row"].to_list(),
        frame["uscc"].to_list(),
        frame["period"].to_list(),
        *(cents[key].to_list() for key in REPORT_AMOUNTS),
        capacity.to_list(),
        frame["new_orders_trend"].to_list(),
        frame["outlook_3m"].to_list(),
        strict=True,
    ):
        reports.append(
            (
                row,
                ReportIn(
                    uscc,
                    period,
                    decimal(exports).scaleb(-2),
                    decimal(new_orders).scaleb(-2),
                    decimal(backlog).scaleb(-2),
                    decimal(due).scaleb(-2),
                    None if pct is None else decimal(pct).scaleb(-2),
                    answers[trend],
                    answers[outlook],
                ),
            )
        )
    return ReportsFrame(table=table, reports=reports)
