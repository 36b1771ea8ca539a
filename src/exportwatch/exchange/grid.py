"""From a grid of cells (a CSV file or one worksheet) to the rows of one DESIGN §5 table.

Every reader (CSV, .xlsx, .xls) turns its input into grids and calls ``table_from_grid``: header detection
(one header row, a Chinese row with the stable keys beneath it, or a merged/multi-row header), the unit of each
amount column (美元 or 万美元, scaled to USD here), and the data rows keyed by column key.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from django.utils.translation import gettext as _

from exportwatch.core.records import parse_number
from exportwatch.exchange.tables import TABLES, Table, closest_table, normalise_header, recognise

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
    rows: tuple[tuple[int, dict[str, object]], ...] = field(default=())  # (1-based row, key -> value)


def _text(value: object) -> str:
    if value is None:
        return ""
    return str(value).strip()


def _is_blank_row(cells: Sequence[object]) -> bool:
    return not any(_text(c) for c in cells)


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


_ALL_KEYS = frozenset(c for t in TABLES.values() for c in t.columns)


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


def table_from_grid(
    file: str, sheet: str, grid: Sequence[Sequence[object]], *, max_rows: int
) -> tuple[ParsedTable | None, list[FileProblem]]:
    """Recognise the table a grid holds and return its rows; header problems refuse the grid."""
    while grid and _is_blank_row(grid[-1]):
        grid = grid[:-1]
    if not grid:
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
    columns: dict[str, int] = {}
    for index, key in enumerate(header.keys):
        if not key:
            if any(len(r) > index and _text(r[index]) for r in grid[data_start:]):
                problems.append(
                    FileProblem(
                        file,
                        header_row,
                        "",
                        _("Column %(n)s has data but no header.") % {"n": index + 1},
                        sheet,
                        index + 1,
                    )
                )
            continue
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
    rows: list[tuple[int, dict[str, object]]] = []
    # Our own templates put the stable keys in a second header row; skip it when the header was one row.
    if data_start < len(grid) and all(
        normalise_header(_text(c)) in _ALL_KEYS or not _text(c) for c in grid[data_start]
    ):
        data_start += 1
    for offset in range(data_start, len(grid)):
        cells = grid[offset]
        if _is_blank_row(cells):
            continue
        values: dict[str, object] = {}
        for key, index in columns.items():
            value = cells[index] if index < len(cells) else None
            if key in units:
                value = _scaled(value, units[key])
            values[key] = value
        rows.append((offset + 1, values))
        if len(rows) > max_rows:
            return None, [
                FileProblem(
                    file,
                    offset + 1,
                    "",
                    _("The file has more than %(limit)s rows; split it.") % {"limit": max_rows},
                    sheet,
                )
            ]
    if not rows:
        return None, [FileProblem(file, header_row, "", _("The file has a header but no data rows."), sheet)]
    return (
        ParsedTable(
            file=file,
            sheet=sheet,
            table=table,
            header_rows=tuple(r + 1 for r in header.rows),
            columns={k: i + 1 for k, i in columns.items()},
            units=units,
            rows=tuple(rows),
        ),
        [],
    )
