"""The uploaded file offered back as a workbook with every problem marked.

``annotate(name, data, problems) -> (file name, .xlsx bytes)``: each bad cell gets a light red fill and a comment
holding its message(s); a row-level problem (no column) shades the row; a first sheet "Problems" (问题清单)
lists every problem by sheet, row, column and message, with a link to the cell. Messages are shown as they are
(already in the user's language).

* An .xlsx is modified in place with openpyxl (formatting, validations and other sheets kept; macros never),
  after the same safety inspection as the importer's.
* A CSV, an .xls, an .ods, or an .xlsx too large for openpyxl's in-memory model becomes a new workbook of its
  cell values (text stays text, so codes and periods are kept as typed).
* Anything else (a file the importer refused, or a failure above) gives a workbook with the list alone, so the
  user always gets the list.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import warnings
from collections import defaultdict
from collections.abc import Sequence
from pathlib import PurePosixPath
from typing import Any

import openpyxl
import python_calamine
import xlsxwriter
from django.utils.translation import gettext as _
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, MergedCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.hyperlink import Hyperlink
from openpyxl.worksheet.worksheet import Worksheet

from exportwatch.exchange.csvio import decode_text
from exportwatch.exchange.grid import FileProblem
from exportwatch.exchange.workbook import OLE_MAGIC, ZIP_MAGIC, WorkbookRefused, inspect_workbook

logger = logging.getLogger(__name__)

BAD_FILL = "FFC7CE"  # light red: a bad cell
ROW_FILL = "FFE6EA"  # paler: a row with a problem that names no cell
OPENPYXL_MAX_CELLS = 200_000  # larger workbooks are rebuilt from their values (openpyxl: ~20 s per million cells)
MAX_SHEET_ROWS = 1_048_576
MAX_ROW_FILL_COLUMNS = 64
MAX_TEXT = 32_767  # characters in one cell or comment
AUTHOR = "ExportWatch"


def annotate(name: str, data: bytes, problems: Sequence[FileProblem]) -> tuple[str, bytes]:
    """The file named ``name`` as an .xlsx with the ``problems`` of that file marked; never raises for a file the
    importer accepted (nor, in fact, for any other)."""
    mine = [p for p in problems if p.file in {name, ""}]
    if not mine and len({p.file for p in problems}) == 1:
        mine = list(problems)  # the caller named the file differently
    filename = _("%(stem)s-problems.xlsx") % {"stem": _stem(name)}
    try:
        return filename, _annotated(name, data, mine)
    except Exception:
        logger.exception("annotating %s failed; offering the list of problems alone", name)
        return filename, _rebuilt([], mine, csv_sheet="")


def _stem(name: str) -> str:
    base = PurePosixPath(name.replace("\\", "/")).name or "file"
    stem = base.rsplit(".", 1)[0] if "." in base.lstrip(".") else base
    return stem or "file"


def _annotated(name: str, data: bytes, problems: list[FileProblem]) -> bytes:
    if data.startswith((ZIP_MAGIC, OLE_MAGIC)):
        try:
            inspection = inspect_workbook(name, data)
        except WorkbookRefused:
            return _rebuilt([], problems, csv_sheet="")
        cells = sum(s.rows * s.cols for s in inspection.sheets.values() if s.checked)
        if inspection.kind == "xlsx" and cells <= OPENPYXL_MAX_CELLS:
            try:
                return _marked_xlsx(data, problems)
            except Exception:
                logger.warning("openpyxl could not annotate %s; rebuilding it from its values", name, exc_info=True)
        return _rebuilt(_calamine_sheets(data, inspection), problems, csv_sheet="")
    sheet = _sheet_title(_stem(name))
    return _rebuilt([(sheet, _csv_grid(name, data), False)], problems, csv_sheet=sheet)


# --- What each problem marks -----------------------------------------------------------------------------------


def _by_cell(
    problems: Sequence[FileProblem], csv_sheet: str
) -> tuple[dict[tuple[str, int, int], list[str]], dict[tuple[str, int], list[str]]]:
    cells: dict[tuple[str, int, int], list[str]] = defaultdict(list)
    rows: dict[tuple[str, int], list[str]] = defaultdict(list)
    for p in problems:
        sheet = p.sheet or csv_sheet
        if p.row <= 0 or not sheet:
            continue
        if p.col > 0:
            if p.message not in cells[(sheet, p.row, p.col)]:
                cells[(sheet, p.row, p.col)].append(p.message)
        elif p.message not in rows[(sheet, p.row)]:
            rows[(sheet, p.row)].append(p.message)
    return cells, rows


def _clean(text: object) -> str:
    return ILLEGAL_CHARACTERS_RE.sub("", str(text))[:MAX_TEXT]


def _comment_text(messages: Sequence[str]) -> str:
    return _clean("\n".join(f"• {m}" if len(messages) > 1 else m for m in messages))


def _list_rows(problems: Sequence[FileProblem], csv_sheet: str) -> list[tuple[str, str, str, str, str]]:
    """(sheet, row, column, cell, message) for the list sheet, in file order."""
    out = []
    for p in sorted(problems, key=lambda p: (p.sheet, p.row, p.col, p.column)):
        sheet = p.sheet or csv_sheet
        cell = f"{get_column_letter(p.col)}{p.row}" if p.col > 0 and p.row > 0 and p.col <= 16_384 else ""
        out.append((sheet, str(p.row) if p.row > 0 else "", p.column, cell, p.message))
    return out


def _headers() -> tuple[str, str, str, str, str]:
    return (_("Sheet"), _("Row"), _("Column"), _("Cell"), _("Message"))


def _sheet_title(text: str, taken: Sequence[str] = ()) -> str:
    """A valid, unused sheet name (at most 31 characters, none of []:*?/\\)."""
    base = "".join("_" if ch in "[]:*?/\\" else ch for ch in text).strip("'").strip() or "Sheet"
    base = base[:31]
    used = {t.casefold() for t in taken}
    title, n = base, 1
    while title.casefold() in used:
        n += 1
        suffix = f" ({n})"
        title = base[: 31 - len(suffix)] + suffix
    return title


def _quoted(sheet: str) -> str:
    return "'" + sheet.replace("'", "''") + "'"


# --- .xlsx, marked in place with openpyxl ---------------------------------------------------------------------


def _marked_xlsx(data: bytes, problems: list[FileProblem]) -> bytes:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # "Data Validation extension is not supported and will be removed", ...
        book = openpyxl.load_workbook(io.BytesIO(data), keep_vba=False, rich_text=False, keep_links=False)
    bad = PatternFill("solid", fgColor=BAD_FILL)
    pale = PatternFill("solid", fgColor=ROW_FILL)
    cells, rows = _by_cell(problems, csv_sheet="")
    sheets = {ws.title: ws for ws in book.worksheets}
    for (sheet, row, col), messages in cells.items():
        ws = sheets.get(sheet)
        if ws is None or col > 16_384 or row > MAX_SHEET_ROWS:
            continue
        cell = _anchor(ws, row, col)
        cell.fill = bad
        text = _comment_text(messages)
        if cell.comment is not None and cell.comment.text and text not in cell.comment.text:
            text = _clean(cell.comment.text + "\n\n" + text)
        cell.comment = Comment(text, AUTHOR, height=max(80, min(400, 18 * (1 + len(text) // 40))), width=320)
    for (sheet, row), _messages in rows.items():
        ws = sheets.get(sheet)
        if ws is None or row > MAX_SHEET_ROWS:
            continue
        for col in range(1, min(max(ws.max_column, 1), MAX_ROW_FILL_COLUMNS) + 1):
            cell = _anchor(ws, row, col)
            if cell.fill is None or cell.fill.fgColor is None or cell.fill.fgColor.rgb != "00" + BAD_FILL:
                cell.fill = pale
    listing = book.create_sheet(_sheet_title(_("Problems"), book.sheetnames), 0)
    _fill_list_openpyxl(listing, problems, sheets)
    for ws in book.worksheets:
        ws.sheet_view.tabSelected = False
    listing.sheet_view.tabSelected = True
    book.active = 0
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _anchor(ws: Worksheet, row: int, col: int) -> Any:
    """The cell at (row, col), or the top-left cell of the merged range that covers it."""
    cell = ws.cell(row=row, column=col)
    if isinstance(cell, MergedCell):
        for merged in ws.merged_cells.ranges:
            if merged.min_row <= row <= merged.max_row and merged.min_col <= col <= merged.max_col:
                return ws.cell(row=merged.min_row, column=merged.min_col)
    return cell


def _set_text(cell: Any, value: str) -> None:
    cell.value = _clean(value)
    cell.data_type = "s"  # never a formula, whatever the text starts with


def _fill_list_openpyxl(ws: Worksheet, problems: list[FileProblem], sheets: dict[str, Worksheet]) -> None:
    bold = Font(bold=True)
    for c, title in enumerate(_headers(), start=1):
        cell = ws.cell(row=1, column=c)
        _set_text(cell, title)
        cell.font = bold
    link = Font(color="0563C1", underline="single")
    for r, (sheet, row, column, ref, message) in enumerate(_list_rows(problems, ""), start=2):
        for c, value in enumerate((sheet, row, column, ref, message), start=1):
            _set_text(ws.cell(row=r, column=c), value)
        if ref and sheet in sheets:
            cell = ws.cell(row=r, column=4)
            cell.hyperlink = Hyperlink(ref=cell.coordinate, location=f"{_quoted(sheet)}!{ref}")
            cell.font = link
    for letter, width in zip("ABCDE", (18, 8, 22, 8, 100), strict=True):
        ws.column_dimensions[letter].width = width
    ws.freeze_panes = "A2"


# --- Any other file: a new workbook of its values ---------------------------------------------------------------


def _csv_grid(name: str, data: bytes) -> list[list[object]]:
    text, problem = decode_text(name, data)
    if text is None or problem is not None:
        return []
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    grid: list[list[object]] = []
    try:
        for row in csv.reader(io.StringIO(text, newline=""), dialect):
            grid.append(list(row))
            if len(grid) >= MAX_SHEET_ROWS:
                break
    except csv.Error:
        pass  # keep the rows read so far
    return grid


def _calamine_sheets(data: bytes, inspection: Any) -> list[tuple[str, list[list[object]], bool]]:
    sheets: list[tuple[str, list[list[object]], bool]] = []
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except Exception:
        return sheets
    try:
        for meta in book.sheets_metadata:
            info = inspection.sheets.get(meta.name)
            if meta.typ != python_calamine.SheetTypeEnum.WorkSheet or info is None or not info.checked:
                continue
            try:
                grid = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
            except Exception:
                grid = []
            hidden = meta.visible != python_calamine.SheetVisibleEnum.Visible
            sheets.append((meta.name, grid[:MAX_SHEET_ROWS], hidden))
    finally:
        book.close()
    return sheets


def _rebuilt(
    sheets: list[tuple[str, list[list[object]], bool]], problems: list[FileProblem], *, csv_sheet: str
) -> bytes:
    """A new workbook: the list of problems first, then each sheet's values with the problems marked."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(
        out,
        {"constant_memory": True, "strings_to_numbers": False, "strings_to_formulas": False, "strings_to_urls": False},
    )
    bad = book.add_format({"bg_color": "#" + BAD_FILL})
    pale = book.add_format({"bg_color": "#" + ROW_FILL})
    date_fmt = book.add_format({"num_format": "yyyy-mm-dd"})
    datetime_fmt = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
    bad_date = book.add_format({"num_format": "yyyy-mm-dd", "bg_color": "#" + BAD_FILL})
    bad_datetime = book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss", "bg_color": "#" + BAD_FILL})
    names: list[str] = []
    for sheet_name, _grid, _hidden in sheets:
        names.append(_sheet_title(sheet_name, names))
    listing_title = _sheet_title(_("Problems"), names)
    listing = book.add_worksheet(listing_title)
    present = set(names)
    bold = book.add_format({"bold": True})
    link = book.add_format({"font_color": "#0563C1", "underline": 1})
    listing.write_row(0, 0, _headers(), bold)
    for r, (sheet, row, column, ref, message) in enumerate(_list_rows(problems, csv_sheet), start=1):
        listing.write_string(r, 0, _clean(sheet))
        listing.write_string(r, 1, row)
        listing.write_string(r, 2, _clean(column))
        if ref and sheet in present:
            listing.write_url(r, 3, f"internal:{_quoted(sheet)}!{ref}", link, string=ref)
        else:
            listing.write_string(r, 3, ref)
        listing.write_string(r, 4, _clean(message))
        if r >= MAX_SHEET_ROWS - 1:
            break
    listing.set_column(0, 0, 18)
    listing.set_column(1, 1, 8)
    listing.set_column(2, 2, 22)
    listing.set_column(3, 3, 8)
    listing.set_column(4, 4, 100)
    listing.freeze_panes(1, 0)
    listing.activate()

    cells, rows = _by_cell(problems, csv_sheet)
    for (sheet_name, grid, hidden), title in zip(sheets, names, strict=True):
        ws = book.add_worksheet(title)
        if hidden:
            ws.hide()
        cols_of_row: dict[int, list[int]] = defaultdict(list)
        for s, r, c in cells:
            if s == sheet_name:
                cols_of_row[r].append(c)
        width = max((len(r) for r in grid), default=0)
        for r0, values in enumerate(grid):
            row = r0 + 1
            row_marked = (sheet_name, row) in rows
            for c0, value in enumerate(values):
                mark = (sheet_name, row, c0 + 1) in cells
                fmt = bad if mark else pale if row_marked else None
                _write(
                    ws,
                    r0,
                    c0,
                    value,
                    fmt,
                    date_fmt=bad_date if mark else date_fmt,
                    datetime_fmt=bad_datetime if mark else datetime_fmt,
                )
            if row_marked:
                for c0 in range(len(values), min(max(width, 1), MAX_ROW_FILL_COLUMNS)):
                    ws.write_blank(r0, c0, None, pale)
            for c in cols_of_row.get(row, ()):
                if len(values) < c <= 16_384:  # a problem on a cell left empty at the end of the row
                    ws.write_blank(r0, c - 1, None, bad)
        # Comments beyond the written cells (a problem on an empty cell) are kept too.
        for (s, r, c), messages in cells.items():
            if s == sheet_name and r <= MAX_SHEET_ROWS and c <= 16_384:
                ws.write_comment(r - 1, c - 1, _comment_text(messages), {"author": AUTHOR, "x_scale": 2, "y_scale": 2})
    book.close()
    return out.getvalue()


def _write(ws: Any, r: int, c: int, value: object, fmt: Any, *, date_fmt: Any, datetime_fmt: Any) -> None:
    if value is None or value == "":
        if fmt is not None:
            ws.write_blank(r, c, None, fmt)
        return
    if isinstance(value, bool):
        ws.write_boolean(r, c, value, fmt)
    elif isinstance(value, int | float) and math.isfinite(value) and abs(value) < 1e300:
        ws.write_number(r, c, value, fmt)
    elif isinstance(value, dt.datetime):
        ws.write_datetime(r, c, value.replace(tzinfo=None), datetime_fmt)
    elif isinstance(value, dt.date):
        ws.write_datetime(r, c, value, date_fmt)
    else:
        ws.write_string(r, c, _clean(value), fmt)
