"""Excel (.xlsx) exports, written row by row so a table of any length takes the same memory.

Two kinds of sheet share one writer:

* a DESIGN §5 table (an ``Exportable`` of ``exports.py``): row 1 the Chinese header with its unit (美元 on every
  ``*_usd`` column), row 2 the stable column key, so the file re-imports as it is (the importer reads a Chinese
  header with the keys beneath it);
* a page table (the reporting status, the status by town): the caller's header texts in row 1, the keys in row 2.

Cells keep their types: amounts are numbers (``#,##0.00`` on ``*_usd`` columns), dates are dates (yyyy-mm-dd),
date-times are local date-times (yyyy-mm-dd hh:mm). Text is always written with ``write_string`` (never as a
formula, a number or a URL), so codes such as a credit code, an HS code or a period ``2020-03`` stay text, and
every text cell goes through ``escape_cell`` (a leading ``'`` before ``= + - @``, tab or CR), exactly as in the CSV.
Booleans are written as the text ``true``/``false``, the same as the CSV contract (``head_enterprise``,
``whitelist_eligible``), so a re-saved sheet reads the same whichever program saved it.

xlsxwriter runs in ``constant_memory`` mode: each row goes to disk as soon as the next one starts. An .xlsx is a
zip and cannot be produced incrementally over HTTP, so the web view writes to an anonymous temporary file and
streams that (``xlsx_response``); the file disappears when the response closes it. A sheet holds at most
1,048,576 rows; longer tables continue on further sheets with the same header ("reports (2)", ...), which the
importer reads as more rows of the same table.
"""

from __future__ import annotations

import datetime as dt
import re
import tempfile
import unicodedata
from collections.abc import Callable, Iterable, Sequence
from decimal import Decimal
from pathlib import Path
from typing import IO, Any

import xlsxwriter
from django.conf import settings
from django.db.models import QuerySet
from django.http import FileResponse
from django.utils import timezone, translation
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from exportwatch.common.problems import COLUMN_LABELS
from exportwatch.directory.models import Enterprise
from exportwatch.exchange.exports import EXPORTABLES, Cell, escape_cell
from exportwatch.exchange.tables import HEADER_ALIASES

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXCEL_MAX_ROWS = 1_048_576
HEADER_ROWS = 2

# Headers of columns without a Chinese alias in ``tables.HEADER_ALIASES`` and not in ``COLUMN_LABELS``: the
# registry's derived columns, and whatever other apps add with ``register_headers`` (translated when written).
EXTRA_LABELS: dict[str, str | Promise] = {
    "head_enterprise": _("Head enterprise"),
    "whitelist_eligible": _("White-list eligible"),
}


TABLE_LABELS: dict[str, dict[str, str | Promise]] = {}
"""Headers one exported table gives a column key that other tables name otherwise (e.g. ``status``)."""


def register_headers(labels: dict[str, str | Promise], *, table: str | None = None) -> None:
    """Give the header text (a Chinese string, or a lazily translated label) of columns an app exports: for every
    table, or for ``table`` only (a key such as ``status`` means a different thing in each table)."""
    if table is None:
        EXTRA_LABELS.update(labels)
    else:
        TABLE_LABELS.setdefault(table, {}).update(labels)


# Code columns: text, shown in a fixed-width-friendly width.
CODE_WIDTHS = {
    "uscc": 21,
    "customs_code": 13,
    "town": 11,
    "industry": 8,
    "market": 8,
    "hs": 9,
    "period": 9,
    "contact_phone": 15,
}

Target = str | Path | IO[bytes]
Column = tuple[str, str]  # (stable key, header text)

_SHEET_NAME_BAD = re.compile(r"[\[\]:*?/\\]")


def header_text(key: str, *, language: str | None = None, table: str | None = None) -> str:
    """The Chinese header of a column key with its unit; a label in ``language`` when there is no Chinese alias.
    A header ``table`` registered for the key comes first."""
    aliases = HEADER_ALIASES.get(key)
    own = TABLE_LABELS.get(table or "", {}).get(key)
    if aliases and own is None:
        text = aliases[0]
    else:
        label = own or EXTRA_LABELS.get(key) or COLUMN_LABELS.get(key)
        if label is None:
            text = key
        else:
            with translation.override(language or settings.LANGUAGE_CODE):
                text = str(label)
    if key.endswith("_usd") and "美元" not in text:
        text = re.sub(r"\s*\((USD|美元)\)$", "", text) + "（美元）"
    return text


def table_columns(table: str, *, language: str | None = None) -> list[Column]:
    return [(key, header_text(key, language=language, table=table)) for key in EXPORTABLES[table].columns]


def _display_width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _column_width(key: str, header: str) -> float:
    if key in CODE_WIDTHS:
        base = CODE_WIDTHS[key]
    elif key.endswith("_usd"):
        base = 16
    else:
        base = 12
    return float(min(max(base, _display_width(header) + 2, _display_width(key) + 2), 50))


class _Writer:
    """One workbook; rows appended in order, rolling over to a new sheet at Excel's row limit."""

    def __init__(self, target: Target, columns: Sequence[Column], *, sheet_name: str, max_rows: int) -> None:
        self.columns = list(columns)
        self.keys = [k for k, _h in self.columns]
        self.sheet_name = _SHEET_NAME_BAD.sub("_", sheet_name)[:28] or "data"
        self.per_sheet = max(1, max_rows - HEADER_ROWS)
        self.book = xlsxwriter.Workbook(
            str(target) if isinstance(target, Path) else target,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_numbers": False,
                "strings_to_urls": False,
                "default_date_format": "yyyy-mm-dd",
            },
        )
        self.fmt_header = self.book.add_format(
            {"bold": True, "text_wrap": True, "valign": "vcenter", "bg_color": "#DDEBF7", "border": 1}
        )
        self.fmt_key = self.book.add_format({"font_color": "#808080", "italic": True, "bg_color": "#F2F2F2"})
        self.fmt_text = self.book.add_format({"num_format": "@"})
        self.fmt_money = self.book.add_format({"num_format": "#,##0.00"})
        self.fmt_date = self.book.add_format({"num_format": "yyyy-mm-dd"})
        self.fmt_datetime = self.book.add_format({"num_format": "yyyy-mm-dd hh:mm"})
        self.money = [k.endswith("_usd") for k in self.keys]
        self.sheet: Any = None
        self.sheets = 0
        self.row = 0  # next row index in the current sheet
        self.in_sheet = 0  # data rows in the current sheet
        self.total = 0

    def _new_sheet(self) -> None:
        if self.sheet is not None:
            self._finish_sheet()
        self.sheets += 1
        name = self.sheet_name if self.sheets == 1 else f"{self.sheet_name} ({self.sheets})"
        sheet = self.book.add_worksheet(name)
        for c, (key, header) in enumerate(self.columns):
            # Code columns are formatted as text too, so a value typed in later stays text.
            sheet.set_column(c, c, _column_width(key, header), self.fmt_text if key in CODE_WIDTHS else None)
        sheet.set_row(0, 32)
        for c, (_key, header) in enumerate(self.columns):
            sheet.write_string(0, c, escape_cell(header), self.fmt_header)
        for c, key in enumerate(self.keys):
            sheet.write_string(1, c, key, self.fmt_key)
        sheet.freeze_panes(HEADER_ROWS, 1 if self.keys and self.keys[0] == "uscc" else 0)
        self.sheet = sheet
        self.row = HEADER_ROWS
        self.in_sheet = 0

    def _finish_sheet(self) -> None:
        if self.columns:
            # The filter buttons sit on the key row; the Chinese header above stays out of sorting.
            self.sheet.autofilter(HEADER_ROWS - 1, 0, max(self.row - 1, HEADER_ROWS - 1), len(self.columns) - 1)

    def write(self, values: Sequence[Cell | dt.datetime]) -> None:
        if self.sheet is None or self.in_sheet >= self.per_sheet:
            self._new_sheet()
        sheet, r = self.sheet, self.row
        for c, value in enumerate(values):
            if value is None:
                continue
            if isinstance(value, bool):
                sheet.write_string(r, c, "true" if value else "false")
            elif isinstance(value, Decimal):
                if value.is_finite():
                    sheet.write_number(r, c, float(value), self.fmt_money if self.money[c] else None)
                else:
                    sheet.write_string(r, c, str(value))
            elif isinstance(value, int | float):
                sheet.write_number(r, c, value, self.fmt_money if self.money[c] else None)
            elif isinstance(value, dt.datetime):
                local = timezone.localtime(value) if timezone.is_aware(value) else value
                sheet.write_datetime(r, c, local.replace(tzinfo=None), self.fmt_datetime)
            elif isinstance(value, dt.date):
                sheet.write_datetime(r, c, value, self.fmt_date)
            else:
                sheet.write_string(r, c, escape_cell(str(value)))
        self.row += 1
        self.in_sheet += 1
        self.total += 1

    def close(self) -> int:
        if self.sheet is None:
            self._new_sheet()  # an empty table is still a sheet with its header
        self._finish_sheet()
        self.book.close()
        return self.total


def write_rows_xlsx(
    target: Target,
    columns: Sequence[Column],
    rows: Iterable[Sequence[Cell | dt.datetime]],
    *,
    sheet_name: str = "data",
    max_rows_per_sheet: int = EXCEL_MAX_ROWS,
) -> int:
    """Write ``rows`` (typed cells in ``columns`` order) under a header row and a key row; return the row count.

    ``rows`` is consumed lazily, one row at a time: pass a generator and nothing is held in memory.
    """
    writer = _Writer(target, columns, sheet_name=sheet_name, max_rows=max_rows_per_sheet)
    try:
        for row in rows:
            writer.write(row)
    finally:
        total = writer.close()
    return total


def write_table_xlsx(
    target: Target,
    table: str,
    *,
    enterprises: QuerySet[Enterprise],
    period: str | None,
    language: str | None = None,
    max_rows_per_sheet: int = EXCEL_MAX_ROWS,
) -> int:
    """Write a registered table (``EXPORTABLES``) of the given, already scoped enterprises; return the row count."""
    exportable = EXPORTABLES[table]
    return write_rows_xlsx(
        target,
        table_columns(table, language=language),
        exportable.rows(enterprises, period),
        sheet_name=table,
        max_rows_per_sheet=max_rows_per_sheet,
    )


def xlsx_response(filename: str, write: Callable[[IO[bytes]], object]) -> FileResponse:
    """Write a workbook into an anonymous temporary file and stream it as a download.

    The file has no name on disk and is removed when closed; ``FileResponse`` reads it in chunks and closes it
    when the response is done, so neither the workbook nor the response body is ever held in memory.
    """
    handle = tempfile.TemporaryFile(suffix=".xlsx")  # noqa: SIM115 - closed by FileResponse
    try:
        write(handle)
        handle.seek(0)
    except BaseException:
        handle.close()
        raise
    return FileResponse(handle, as_attachment=True, filename=filename, content_type=XLSX_CONTENT_TYPE)
