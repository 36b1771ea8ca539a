"""Reading CSV files of the DESIGN §5 tables: encoding and delimiter; the header and rows through ``grid``."""

from __future__ import annotations

import csv
import io

from django.utils.translation import gettext as _

from exportwatch.exchange.grid import FileProblem, ParsedTable, table_from_grid

ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 (with or without BOM), then what Excel on Chinese Windows writes


def decode_text(name: str, data: bytes) -> tuple[str | None, FileProblem | None]:
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


def read_csv(name: str, data: bytes, *, max_rows: int) -> tuple[ParsedTable | None, list[FileProblem]]:
    """Parse one CSV file (one table, recognised by its header) into rows keyed by column key."""
    text, problem = decode_text(name, data)
    if problem is not None or text is None:
        return None, [problem] if problem else []
    if not text.strip():
        return None, [FileProblem(name, 0, "", _("The file is empty."))]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel
    reader = csv.reader(io.StringIO(text, newline=""), dialect)
    grid: list[list[object]] = []
    try:
        for row in reader:
            grid.append(list(row))
            if len(grid) > max_rows + 20:
                return None, [
                    FileProblem(
                        name, len(grid), "", _("The file has more than %(limit)s rows; split it.") % {"limit": max_rows}
                    )
                ]
    except csv.Error as exc:
        return None, [
            FileProblem(name, reader.line_num, "", _("The file is not valid CSV: %(error)s") % {"error": exc})
        ]
    table, problems = table_from_grid(name, "", grid, max_rows=max_rows)
    if table is not None:
        width = max(len(grid[r - 1]) for r in table.header_rows)
        extra = [
            FileProblem(
                name,
                number,
                "",
                _("This row has %(n)s cells but the header has %(m)s columns.")
                % {"n": len(grid[number - 1]), "m": width},
            )
            for number, _values in table.rows
            if any(str(c).strip() for c in grid[number - 1][width:])
        ]
        if extra:
            return None, extra
    return table, problems
