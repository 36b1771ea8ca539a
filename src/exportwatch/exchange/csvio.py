"""Reading CSV files of the DESIGN §5 tables: encoding, delimiter, header recognition.

``read_csv(name, data) -> (ParsedFile | None, problems)``: the same ``read(file) -> (rows, problems)`` shape
every importer has (the Excel importer joins it in the exchange issue).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

from django.conf import settings
from django.utils.translation import gettext as _

from exportwatch.exchange.tables import TABLES, Table, closest_table, normalise_header, recognise

ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 (with or without BOM), then what Excel on Chinese Windows writes


@dataclass(frozen=True)
class FileProblem:
    file: str
    row: int  # 1-based line in the file; 0 for the file as a whole
    column: str  # column key, or "" for the row or file
    message: str

    def __str__(self) -> str:
        return f"{self.file}:{self.row}:{self.column}: {self.message}"


@dataclass(frozen=True)
class ParsedFile:
    name: str
    table: Table
    header: tuple[str, ...]
    rows: tuple[tuple[int, dict[str, str]], ...]  # (row number in the file, column key -> cell)


def _decode(name: str, data: bytes) -> tuple[str | None, FileProblem | None]:
    if b"\x00" in data[:4096]:
        return None, FileProblem(name, 0, "", _("This is not a CSV text file (it looks like a binary file)."))
    for encoding in ENCODINGS:
        try:
            return data.decode(encoding), None
        except UnicodeDecodeError:
            continue
    return None, FileProblem(
        name, 0, "", _("The file's characters cannot be read: save it as CSV in UTF-8 or GBK (GB18030).")
    )


def read_csv(name: str, data: bytes) -> tuple[ParsedFile | None, list[FileProblem]]:
    """Parse one CSV file into rows keyed by column key. Problems are whole-file or header problems."""
    text, problem = _decode(name, data)
    if problem is not None or text is None:
        return None, [problem] if problem else []
    if not text.strip():
        return None, [FileProblem(name, 0, "", _("The file is empty."))]
    sample = text[:8192]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(sample, delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    try:
        all_rows = list(reader)
    except csv.Error as exc:
        return None, [
            FileProblem(name, reader.line_num, "", _("The file is not valid CSV: %(error)s") % {"error": exc})
        ]
    # Skip blank lines before the header.
    start = 0
    while start < len(all_rows) and not any(c.strip() for c in all_rows[start]):
        start += 1
    if start >= len(all_rows):
        return None, [FileProblem(name, 0, "", _("The file is empty."))]
    raw_header = all_rows[start]
    header = [normalise_header(cell) for cell in raw_header]
    header_row = start + 1
    problems: list[FileProblem] = []
    table = recognise(header)
    if table is None:
        near = closest_table(header)
        if near is None:
            return None, [
                FileProblem(
                    name,
                    header_row,
                    "",
                    _(
                        "The header row does not match any ExportWatch table. Expected the columns of one of: "
                        "%(tables)s."
                    )
                    % {"tables": ", ".join(TABLES)},
                )
            ]
        missing = [c for c in near.required if c not in header]
        problems.append(
            FileProblem(
                name,
                header_row,
                ",".join(missing),
                _("Required column(s) missing for table %(table)s: %(columns)s.")
                % {"table": near.key, "columns": ", ".join(missing)},
            )
        )
        table = near
    seen: set[str] = set()
    for index, key in enumerate(header):
        if key == "" and not any(len(r) > index and r[index].strip() for r in all_rows[start + 1 :]):
            continue  # a trailing empty column, as spreadsheet programs write
        if key not in table.columns:
            problems.append(
                FileProblem(
                    name,
                    header_row,
                    raw_header[index],
                    _("Unknown column “%(column)s” for table %(table)s. Allowed columns: %(allowed)s.")
                    % {"column": raw_header[index], "table": table.key, "allowed": ", ".join(table.columns)},
                )
            )
        elif key in seen:
            problems.append(
                FileProblem(name, header_row, key, _("Column “%(column)s” appears twice.") % {"column": key})
            )
        seen.add(key)
    if problems:
        return None, problems
    rows: list[tuple[int, dict[str, str]]] = []
    limit = settings.EXPORTWATCH_IMPORT_MAX_ROWS
    for offset, cells in enumerate(all_rows[start + 1 :], start=header_row + 1):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            problems.append(
                FileProblem(
                    name,
                    offset,
                    "",
                    _("This row has %(n)s cells but the header has %(m)s columns.")
                    % {"n": len(cells), "m": len(header)},
                )
            )
            continue
        rows.append((offset, {key: (cells[i] if i < len(cells) else "") for i, key in enumerate(header) if key}))
        if len(rows) > limit:
            return None, [
                FileProblem(name, offset, "", _("The file has more than %(limit)s rows; split it.") % {"limit": limit})
            ]
    if not rows and not problems:
        problems.append(FileProblem(name, header_row, "", _("The file has a header but no data rows.")))
    if problems:
        return None, problems
    return ParsedFile(name=name, table=table, header=tuple(header), rows=tuple(rows)), []
