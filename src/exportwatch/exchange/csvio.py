"""Reading CSV files of the DESIGN §5 tables: encoding and delimiter; the header and rows through ``grid``."""

from __future__ import annotations

import csv
import dataclasses
from collections.abc import Iterator

from django.utils.translation import gettext as _

from exportwatch.exchange.grid import CsvSource, FileProblem, ParsedTable, table_from_grid

ENCODINGS = ("utf-8-sig", "gb18030")  # UTF-8 (with or without BOM), then what Excel on Chinese Windows writes


def _lines(text: str) -> Iterator[str]:
    """The lines of a text, ends kept, without copying it (io.StringIO would hold four bytes a character)."""
    start, size = 0, len(text)
    while start < size:
        end = text.find("\n", start)
        if end < 0:
            yield text[start:]
            return
        yield text[start : end + 1]
        start = end + 1


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


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


HEAD_ROWS = 16  # rows read up front to find the header; the rest is streamed


def read_csv(name: str, data: bytes, *, max_rows: int) -> tuple[ParsedTable | None, list[FileProblem]]:
    """Parse one CSV file (one table, recognised by its header); its rows are streamed, not held in memory."""
    text, problem = decode_text(name, data)
    if problem is not None or text is None:
        return None, [problem] if problem else []
    if not text.strip():
        return None, [FileProblem(name, 0, "", _("The file is empty."))]
    try:
        dialect: type[csv.Dialect] | csv.Dialect = csv.Sniffer().sniff(text[:8192], delimiters=",\t;")
    except csv.Error:
        dialect = csv.excel

    def all_rows() -> Iterator[list[str]]:
        return csv.reader(_lines(text), dialect)

    head: list[list[object]] = []
    reader = all_rows()
    try:
        for row in reader:
            head.append(list(row))
            if len(head) >= HEAD_ROWS:
                break
        for _row in reader:  # read to the end once, so a malformed file is refused before any row is used
            pass
    except csv.Error as exc:
        return None, [
            FileProblem(
                name, getattr(reader, "line_num", 0), "", _("The file is not valid CSV: %(error)s") % {"error": exc}
            )
        ]
    table, problems = table_from_grid(name, "", head, max_rows=max_rows, more_rows=all_rows)
    if table is not None:
        utf8 = data if data.startswith(b"\xef\xbb\xbf") or _is_utf8(data) else None
        table = dataclasses.replace(table, csv=CsvSource(text, dialect.delimiter, utf8))
    return table, problems
