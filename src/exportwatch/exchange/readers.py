"""One entry point for every uploaded or named file: CSV text, or a workbook (.xlsx, .xls, .ods) with one table
per sheet.

``read_upload(name, data, *, max_rows) -> (tables, problems)``: hostile files are refused here, before any row
is looked at (see ``workbook.py``).
"""

from __future__ import annotations

from django.conf import settings
from django.utils.translation import gettext as _

from exportwatch.exchange.csvio import read_csv
from exportwatch.exchange.grid import FileProblem, ParsedTable

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
# A file named like a workbook is judged as one (so a broken .xlsx is "not a readable spreadsheet", not bad CSV).
WORKBOOK_SUFFIXES = (".xlsx", ".xlsm", ".xls", ".ods", ".xlsb")


def read_upload(name: str, data: bytes, *, max_rows: int | None = None) -> tuple[list[ParsedTable], list[FileProblem]]:
    limit = max_rows or settings.EXPORTWATCH_IMPORT_MAX_ROWS
    max_bytes = settings.EXPORTWATCH_IMPORT_MAX_MB * 1024 * 1024
    if len(data) > max_bytes:
        return [], [
            FileProblem(
                name,
                0,
                "",
                _("The file is %(size)s MB; at most %(limit)s MB can be imported.")
                % {"size": round(len(data) / 1024 / 1024, 1), "limit": settings.EXPORTWATCH_IMPORT_MAX_MB},
            )
        ]
    if data.startswith(ZIP_MAGIC) or data.startswith(OLE_MAGIC) or name.lower().endswith(WORKBOOK_SUFFIXES):
        from exportwatch.exchange.workbook import read_workbook

        return read_workbook(name, data, max_rows=limit)
    table, problems = read_csv(name, data, max_rows=limit)
    return ([table] if table is not None else []), problems
