"""From a grid of cells (a CSV file or one worksheet) to the rows of one DESIGN §5 table.

Every reader (CSV, .xlsx, .xls) turns its input into grids and calls ``table_from_grid``: header detection
(one header row, a Chinese row with the stable keys beneath it, or a merged/multi-row header), the unit of each
amount column (美元 or 万美元, scaled to USD here), and the data rows keyed by column key.
"""

from __future__ import annotations

import operator
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from exportwatch.core.records import parse_number
from exportwatch.exchange.tables import TABLES, Table, closest_table, normalise_header, recognise

_ESCAPED_START = frozenset("=+-@\t\r")
LAZY_SHEET_ROWS = 2_000  # from this many rows below the header, a sheet's rows are read lazily from its grid
HEADER_SCAN_ROWS = 12  # a title or notes may stand above the header
TEN_THOUSAND = Decimal(10_000)
_WAN = re.compile(r"万\s*(美元|USD)", re.IGNORECASE)
AMOUNT_COLUMNS = frozenset(c for t in TABLES.values() for c in t.columns if c.endswith("_usd"))


@dataclass(frozen=True)
class FileProblem:
    file: str
    row: int  # 1-based row in the sheet or file; 0 for the file (or sheet) as a whole
    column: str  # column key (or the header text for a header problem); "" for the row or file
    message: str
    sheet: str = ""  # worksheet name; "" for a CSV file
    col: int = 0  # 1-based column index in the sheet, for highlighting the cell; 0 when not one cell

    def __str__(self) -> str:
        where = f"{self.file}[{self.sheet}]" if self.sheet else self.file
        return f"{where}:{self.row}:{self.column}: {self.message}"


@dataclass(frozen=True)
class ParsedTable:
    file: str
    sheet: str
    table: Table
    header_rows: tuple[int, ...]
    columns: Mapping[str, int]  # column key -> 1-based column index
    units: Mapping[str, Decimal]  # column key -> factor applied (10000 for a 万美元 column)
    # (1-based row, key -> value); a tuple for a worksheet, a re-iterable stream for a CSV file
    rows: Iterable[tuple[int, dict[str, object]]] = field(default=())
    max_rows: int = 0
    data_start: int = 0  # 0-based index of the first data row in the grid or file
    csv: CsvSource | None = None  # the text of a CSV table, for the vectorised import of large files
    # the cells of a large worksheet (rows from ``data_start`` on hold the data), for the vectorised import; its
    # ``rows`` are then read lazily from it instead of being held as mappings
    grid: Sequence[Sequence[object]] | None = None
    # a large sheet read in columns (``workbook._ColumnarReader``): its data rows as text, one polars column per
    # sheet column, for the vectorised import; its ``rows`` then read the sheet's cells only if they are needed
    frame: Any = None


@dataclass(frozen=True)
class CsvSource:
    text: str
    delimiter: str
    utf8: bytes | None = None  # the file's own bytes when they are UTF-8 (no copy needed for a columnar read)


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _is_blank_row(cells: Sequence[object]) -> bool:
    # A data row answers at its first filled cell.
    return all(c is None or (type(c) is str and not c.strip()) for c in cells)


@dataclass
class _Header:
    rows: tuple[int, ...]  # 0-based indices in the grid
    keys: list[str]  # per column; "" for an empty header cell
    raw: list[str]  # the header text shown to the user, per column
    table: Table | None
    score: int


def _filled(cells: Sequence[object], width: int, *, forward: bool) -> list[str]:
    """Header texts of one row; a merged group title (only in its first cell) is carried to the right."""
    out: list[str] = []
    last = ""
    used = len(cells)
    while used and not _text(cells[used - 1]):
        used -= 1
    for c in range(width):
        t = _text(cells[c]) if c < len(cells) else ""
        if t:
            last = t
        # A merge cannot reach past the row's last titled cell.
        out.append(t or (last if forward and c < used else ""))
    return out


def _candidate(grid: Sequence[Sequence[object]], rows: tuple[int, ...]) -> _Header:
    width = max(len(grid[r]) for r in rows)
    filled = [_filled(grid[r], width, forward=(i < len(rows) - 1)) for i, r in enumerate(rows)]
    keys: list[str] = []
    raw: list[str] = []
    for c in range(width):
        texts = [f[c] for f in filled]
        # A merged group title above its sub-headers reads as one ("在手订单（美元）" + "其中三个月内交货");
        # otherwise the sub-header alone, then any header row (a Chinese title above its stable key).
        key = ""
        for t in ("".join(texts), texts[-1], *texts):
            k = normalise_header(t)
            if k in _ALL_KEYS:
                key = k
                break
        if not key:
            key = texts[-1] or "".join(texts)
        if len(rows) > 1 and not _text(grid[rows[-1]][c] if c < len(grid[rows[-1]]) else None):
            # Under a merged title, a column without its own sub-header is the title's (e.g. one column).
            key = key if key in _ALL_KEYS else ""
        keys.append(key)
        raw.append(" / ".join(t for t in texts if t) or "")
    table = recognise([k for k in keys if k])
    score = sum(1 for k in keys if k in _ALL_KEYS)
    return _Header(rows=rows, keys=keys, raw=raw, table=table, score=score)


_ALL_KEYS = frozenset(c for t in TABLES.values() for c in (*t.columns, *t.derived))


def find_header(grid: Sequence[Sequence[object]]) -> _Header | None:
    """The header of a grid: the row (or two rows) within the first rows that name the most known columns."""
    best: _Header | None = None
    limit = min(len(grid), HEADER_SCAN_ROWS)
    for r in range(limit):
        if _is_blank_row(grid[r]):
            continue
        options = [(r,)]
        if r + 1 < len(grid) and not _is_blank_row(grid[r + 1]):
            options.append((r, r + 1))
        for rows in options:
            cand = _candidate(grid, rows)
            if cand.score == 0:
                continue
            better = best is None or (cand.table is not None, cand.score) > (best.table is not None, best.score)
            if better:
                best = cand
    return best


def _unit_factors(header: _Header, grid: Sequence[Sequence[object]]) -> dict[str, Decimal]:
    factors: dict[str, Decimal] = {}
    for c, key in enumerate(header.keys):
        if key not in AMOUNT_COLUMNS:
            continue
        texts = " ".join(
            _filled(grid[r], c + 1, forward=(i < len(header.rows) - 1))[c] for i, r in enumerate(header.rows)
        )
        if _WAN.search(texts):
            factors[key] = TEN_THOUSAND
    return factors


def _scaled(value: object, factor: Decimal) -> object:
    """A 万美元 cell in USD; text that is not a number is left for the core to reject with its message."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return value
    if isinstance(value, bool):
        return value
    number = parse_number(value, suffixes=("万美元", "万"))
    return value if number is None else number * factor


EXTRA_CELLS = "__extra_cells__"  # set on a row with cells beyond the header (the importer reports it)
UNNAMED_CELL = "__unnamed_cell__"  # set on a row with data in a column that has no header


def table_from_grid(
    file: str,
    sheet: str,
    grid: Sequence[Sequence[object]],
    *,
    max_rows: int,
    more_rows: Callable[[], Iterator[Sequence[object]]] | None = None,
) -> tuple[ParsedTable | None, list[FileProblem]]:
    """Recognise the table a grid holds and return its rows; header problems refuse the grid.

    ``grid`` is the whole sheet, or (for a streamed CSV file) its first rows with ``more_rows`` giving a fresh
    iterator over every row of the file each time it is called: the rows are then read lazily, twice at most,
    and never held in memory together.
    """
    if more_rows is None:
        while grid and _is_blank_row(grid[-1]):
            grid = grid[:-1]
    if not grid or all(_is_blank_row(r) for r in grid):
        return None, [
            FileProblem(file, 0, "", _("The file is empty.") if not sheet else _("The sheet is empty."), sheet)
        ]
    header = find_header(grid)
    if header is None:
        return None, [
            FileProblem(
                file,
                1,
                "",
                _("The header row does not match any ExportWatch table. Expected the columns of one of: %(tables)s.")
                % {"tables": ", ".join(TABLES)},
                sheet,
            )
        ]
    header_row = header.rows[-1] + 1  # 1-based number of the last header row
    table = header.table
    problems: list[FileProblem] = []
    present = [k for k in header.keys if k]
    if table is None:
        near = closest_table(present)
        if near is None:
            return None, [
                FileProblem(file, header_row, "", _("The header row does not match any ExportWatch table."), sheet)
            ]
        missing = [c for c in near.required if c not in present]
        problems.append(
            FileProblem(
                file,
                header_row,
                ",".join(missing),
                _("Required column(s) missing for table %(table)s: %(columns)s.")
                % {"table": near.key, "columns": ", ".join(missing)},
                sheet,
            )
        )
        table = near
    data_start = header.rows[-1] + 1
    # Our own templates put the stable keys in a second header row; skip it when the header was one row.
    if data_start < len(grid) and all(
        normalise_header(_text(c)) in _ALL_KEYS or not _text(c) for c in grid[data_start]
    ):
        data_start += 1
    columns: dict[str, int] = {}
    for index, key in enumerate(header.keys):
        if not key:
            continue
        if key in table.derived:
            continue  # computed by an export; the registry recomputes it
        if key not in table.columns:
            problems.append(
                FileProblem(
                    file,
                    header_row,
                    header.raw[index] or key,
                    _("Unknown column “%(column)s” for table %(table)s. Allowed columns: %(allowed)s.")
                    % {"column": header.raw[index] or key, "table": table.key, "allowed": ", ".join(table.columns)},
                    sheet,
                    index + 1,
                )
            )
        elif key in columns:
            problems.append(
                FileProblem(
                    file, header_row, key, _("Column “%(column)s” appears twice.") % {"column": key}, sheet, index + 1
                )
            )
        else:
            columns[key] = index
    if problems:
        return None, problems
    units = _unit_factors(header, grid)
    width = len(header.keys)
    rows = _Rows(grid, more_rows, data_start, columns, units, width)
    if not any(True for _row in rows.first()):
        return None, [FileProblem(file, header_row, "", _("The file has a header but no data rows."), sheet)]
    kept_grid: Sequence[Sequence[object]] | None = None
    if more_rows is None:
        if len(grid) - data_start >= LAZY_SHEET_ROWS:
            # A large sheet: its rows are built from the grid when read (at most twice), not held as mappings.
            if len(grid) - data_start > max_rows:  # blank rows do not count
                data = [offset for offset in range(data_start, len(grid)) if not _is_blank_row(grid[offset])]
                if len(data) > max_rows:
                    return None, [_too_many_rows(file, data[max_rows] + 1, max_rows, sheet)]
            row_source: Iterable[tuple[int, dict[str, object]]] = rows
            kept_grid = grid
        else:
            materialised: tuple[tuple[int, dict[str, object]], ...] = tuple(rows)
            if len(materialised) > max_rows:
                return None, [_too_many_rows(file, materialised[max_rows][0], max_rows, sheet)]
            row_source = materialised
    else:
        row_source = rows
    return (
        ParsedTable(
            file=file,
            sheet=sheet,
            table=table,
            header_rows=tuple(r + 1 for r in header.rows),
            columns={k: i + 1 for k, i in columns.items()},
            units=units,
            rows=row_source,
            max_rows=max_rows,
            data_start=data_start,
            grid=kept_grid,
        ),
        [],
    )


def with_lazy_rows(
    table: ParsedTable, *, frame: Any, more_rows: Callable[[], Iterator[Sequence[object]]], width: int
) -> ParsedTable:
    """``table``, recognised from a sheet's first rows, for the whole sheet read in columns: ``frame`` holds its
    data rows, and its ``rows`` come from ``more_rows`` (every row of the sheet as cells, from row 1, at most
    twice) when the row path needs them."""
    columns = {key: index - 1 for key, index in table.columns.items()}
    rows = _Rows((), more_rows, table.data_start, columns, table.units, width)
    return replace(table, rows=rows, grid=None, frame=frame)


def _too_many_rows(file: str, number: int, max_rows: int, sheet: str) -> FileProblem:
    return FileProblem(
        file, number, "", _("The file has more than %(limit)s rows; split it.") % {"limit": max_rows}, sheet
    )


class _Rows:
    """The data rows of a table as (1-based row number, column key -> value); iterable more than once."""

    def __init__(
        self,
        grid: Sequence[Sequence[object]],
        more_rows: Callable[[], Iterator[Sequence[object]]] | None,
        data_start: int,
        columns: Mapping[str, int],
        units: Mapping[str, Decimal],
        width: int,
    ) -> None:
        self.grid, self.more_rows, self.data_start = grid, more_rows, data_start
        self.columns, self.units, self.width = dict(columns), dict(units), width
        named = set(self.columns.values())
        self.unnamed = [i for i in range(width) if i not in named]

    def _cells(self) -> Iterator[Sequence[object]]:
        return iter(self.grid) if self.more_rows is None else self.more_rows()

    def first(self) -> Iterator[tuple[int, dict[str, object]]]:
        for item in self:
            yield item
            return

    def __iter__(self) -> Iterator[tuple[int, dict[str, object]]]:
        keys = list(self.columns)
        indices = [self.columns[k] for k in keys]
        take = operator.itemgetter(*indices) if len(indices) > 1 else (lambda cells: (cells[indices[0]],))
        need = max(indices) + 1
        units, width = self.units, self.width
        for offset, cells in enumerate(self._cells()):
            if offset < self.data_start or _is_blank_row(cells):
                continue
            n = len(cells)
            if n >= need:
                values: dict[str, object] = dict(zip(keys, take(cells), strict=True))
            else:
                values = {k: (cells[i] if i < n else None) for k, i in zip(keys, indices, strict=True)}
            for key, value in values.items():
                if type(value) is str:
                    if value[:1] == "'" and value[1:2] in _ESCAPED_START:
                        values[key] = value = value[1:]  # our exports quote text a spreadsheet would run as a formula
                elif value is None:
                    continue
                if key in units:
                    values[key] = _scaled(value, units[key])
            if n > width and any(_text(c) for c in cells[width:]):
                values[EXTRA_CELLS] = (n, width)
            for index in self.unnamed:
                if index < n and _text(cells[index]):
                    values[UNNAMED_CELL] = index + 1
                    break
            yield offset + 1, values
