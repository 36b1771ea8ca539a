"""The vectorised check of a large CSV of report lines: the common case of a bulk load, at columnar speed.

``lines_frame(table, ctx, allowed=...)`` checks every row of a ``report_lines`` CSV at once with polars and
returns the per-(enterprise, period) tallies, or None when any row needs the row-by-row rules of
``core.records.clean_line`` — a problem to report, a value that needs normalising (blanks, full-width digits,
lower case, ``1,000``), quoting, blank lines, or a unit column. Distinct code values (a few thousand) are checked
with the core's own functions, so a row is accepted here only if ``clean_line`` accepts it unchanged; amounts
must be plain decimal text (at most 12 digits and 2 decimals), which the core reads as exactly that number.
"""

from __future__ import annotations

import io
from collections.abc import Container, Iterator
from dataclasses import dataclass, field
from decimal import Decimal

import polars as pl

from exportwatch.core.records import LINE_AMOUNT_COLUMNS, LINE_COLUMNS, Context, memo_code
from exportwatch.exchange.grid import ParsedTable

PLAIN_AMOUNT = r"^[0-9]{1,12}(\.[0-9]{1,2})?$"
CENTS = Decimal("0.01")
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
    frame: pl.DataFrame  # uscc, period, market, hs, the three amounts (text, as typed), _row
    groups: dict[Key, GroupLines]


def lines_frame(table: ParsedTable, ctx: Context, *, allowed: Container[str] | None) -> LinesFrame | None:
    source = table.csv
    if source is None or table.units or table.table.key != "report_lines":
        return None
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
    raw = raw.slice(table.data_start)
    if raw.height == 0 or (table.max_rows and raw.height > table.max_rows):
        return None
    width = raw.width
    if any(index > width for index in table.columns.values()):
        return None
    named = set(table.columns.values())
    for index in range(1, width + 1):  # a filled cell in a column without a header goes the slow way
        if index not in named and raw.to_series(index - 1).drop_nulls().str.strip_chars().str.len_chars().max():
            return None
    frame = pl.DataFrame({key: raw.to_series(table.columns[key] - 1) for key in LINE_COLUMNS}).with_row_index(
        "_row", offset=table.data_start + 1
    )
    del raw
    if frame.select(pl.any_horizontal(pl.col(LINE_COLUMNS).is_null())).to_series().any():
        return None
    for key in LINE_AMOUNT_COLUMNS:
        if not frame[key].str.contains(PLAIN_AMOUNT).all():
            return None
    for column, method in (("uscc", "uscc"), ("period", "period"), ("market", "market"), ("hs", "hs")):
        for value in frame[column].unique().to_list():
            if memo_code(ctx, method, value) != value:
                return None
    if allowed is not None and not all(u in allowed for u in frame["uscc"].unique().to_list()):
        return None
    # A repeated (enterprise, month, market, product) goes the row way, which names it. Compared by a 64-bit
    # hash of the four codes: a collision only sends a good file the slow way.
    pair = pl.col("uscc").hash(1) ^ pl.col("period").hash(2) ^ pl.col("market").hash(3) ^ pl.col("hs").hash(4)
    if frame.select(pair.is_duplicated().any()).item():
        return None
    # Cents as integers: at most 12 digits and 2 decimals, so a double holds every value to well within a cent.
    cents = [(pl.col(key).cast(pl.Float64) * 100).round(0).cast(pl.Int64).alias(key) for key in LINE_AMOUNT_COLUMNS]
    tallies = (
        frame.select("uscc", "period", "_row", *cents)
        .group_by("uscc", "period")
        .agg(pl.len().alias("n"), pl.col("_row").min().alias("first"), *[pl.col(k).sum() for k in LINE_AMOUNT_COLUMNS])
    )
    groups = {
        (row["uscc"], row["period"]): GroupLines(
            n=row["n"], first_row=row["first"], cents={k: int(row[k]) for k in LINE_AMOUNT_COLUMNS}
        )
        for row in tallies.iter_rows(named=True)
    }
    return LinesFrame(table=table, frame=frame, groups=groups)


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
