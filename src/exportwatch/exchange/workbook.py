"""Workbooks (.xlsx, legacy .xls, OpenDocument .ods): hostile files refused first, then one table per data sheet.

``read_workbook(name, data, *, max_rows) -> (tables, problems)`` is called by ``readers.read_upload`` for a file
that starts like a ZIP archive or an OLE2 compound file. Nothing is parsed by python-calamine until the file has
passed ``inspect_workbook``:

* OLE2: an encrypted (password-protected) OOXML workbook is an OLE2 file with ``EncryptionInfo`` and
  ``EncryptedPackage`` streams; a legacy .xls is read record by record (BIFF) to refuse a password (``FILEPASS``)
  or macros, bound the sheets' size and find formula cells.
* ZIP: not a readable archive; no ``xl/workbook.xml`` (a .docx, an .xlsb) unless it is an OpenDocument
  spreadsheet; macros (``xl/vbaProject.bin``, a ``macroEnabled`` content type); a zip bomb (more than
  ``EXPORTWATCH_IMPORT_MAX_UNZIPPED_MB`` in all, a part compressed more than 200 times, or sizes that lie: every
  part is decompressed here, in bounded chunks, and must match its declared size and CRC); XML entity tricks (a
  ``<!DOCTYPE``/``<!ENTITY`` in the prolog of any XML part).
* Every sheet: python-calamine allocates the whole rectangle between a sheet's first and last cell, so a
  5 KB file with cells at A1 and XFD1048576 would take half a terabyte and abort the process. The extent of
  every sheet is computed here first (its tags read in columns with numpy for ordinary files, an exact streaming
  parse otherwise) and a sheet larger than ``MAX_SHEET_CELLS`` or the row limit is refused.
* Formulas are never evaluated. A formula cell in a table's data is a problem at its cell ("enter the value
  itself"), and its row is not imported; formulas in header rows and outside the table are ignored.

Then every visible data sheet is read with python-calamine and handed to ``grid.table_from_grid``; a large sheet
without formulas whose first cell is a filled A1 is read in columns with fastexcel instead (``_ColumnarReader``),
and its cells are read with python-calamine only if the import needs them row by row. Sheets
holding instructions or codes (说明, Instructions, _codes, ...) and hidden sheets are ignored; so are sheets
that hold no table (empty, or no recognisable header, or a header without rows) as long as another sheet holds
one. Cell values are passed on as calamine gives them (str, float, int, bool, date, datetime): the core reads a
whole float as an integer (a credit code or HS code typed as a number; an HS code that lost its leading zero gets
it back) and a date in a period column as its month.
"""

from __future__ import annotations

import io
import posixpath
import re
import struct
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from typing import Any

import fastexcel
import numpy as np
import python_calamine
from defusedxml import ElementTree as SafeET
from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext as _

from exportwatch.exchange import grid as grids  # grids.LAZY_SHEET_ROWS read at call time (tests lower it)
from exportwatch.exchange.grid import (
    HEADER_SCAN_ROWS,
    FileProblem,
    ParsedTable,
    table_from_grid,
    with_lazy_rows,
)

ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
MB = 1024 * 1024

MAX_RATIO = 200  # a part compressed more than this many times ...
RATIO_MIN_BYTES = 10 * MB  # ... and larger than this once unpacked is a zip bomb
MAX_PARTS = 10_000
SMALL_PART_LIMIT = 20 * MB  # workbook.xml, its relationships, the content types, the ODS manifest
PROLOG_LIMIT = 1 * MB  # an XML part must reach its root element within this many bytes
MAX_SHEET_CELLS = 12_000_000  # rows x columns of one sheet (all sheets of an .xls/.ods: they load together)
CHUNK = 4 * MB
FORMULA_SHOWN = 40

# Sheets of our own templates (and usual names) that explain or list codes; never data.
SKIPPED_SHEETS = frozenset(
    {"说明", "填写说明", "使用说明", "instructions", "codes", "代码表", "_codes", "参考：上期数据", "参考:上期数据"}
)


class WorkbookRefused(Exception):
    """The file is refused before it is read; ``message`` says why, in the active language."""

    def __init__(self, message: str, sheet: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.sheet = sheet


# --- Messages --------------------------------------------------------------------------------------------------


def _not_a_spreadsheet() -> WorkbookRefused:
    return WorkbookRefused(
        _(
            "This file is not a spreadsheet that can be read. Save it from Excel or WPS as an Excel workbook "
            "(.xlsx) or as CSV, and upload it again."
        )
    )


def _damaged(part: str = "") -> WorkbookRefused:
    return WorkbookRefused(
        _(
            "The workbook is damaged or its internal structure is inconsistent (%(part)s). Open it in Excel or "
            "LibreOffice, save it again as .xlsx, and upload it again."
        )
        % {"part": part or "?"}
    )


def _password() -> WorkbookRefused:
    return WorkbookRefused(
        _(
            "The workbook is password-protected (encrypted) and cannot be read. Remove the password (in Excel: "
            "File > Info > Protect Workbook > Encrypt with Password, clear it), save, and upload it again."
        )
    )


def _macros() -> WorkbookRefused:
    return WorkbookRefused(
        _(
            "Macro-enabled workbooks (.xlsm, or .xls with macros) are not accepted. Save the workbook as an Excel "
            "workbook (.xlsx) and upload it again."
        )
    )


def _bomb_total(limit_mb: int) -> WorkbookRefused:
    return WorkbookRefused(
        _(
            "The workbook would unpack to more than %(limit)s MB; it is refused as a possible zip bomb. Split the "
            "data into smaller files."
        )
        % {"limit": limit_mb}
    )


def _bomb_ratio(part: str) -> WorkbookRefused:
    return WorkbookRefused(
        _(
            "A part of the workbook (%(part)s) is compressed more than %(ratio)s times; it is refused as a "
            "possible zip bomb."
        )
        % {"part": part, "ratio": MAX_RATIO}
    )


def _entities(part: str) -> WorkbookRefused:
    return WorkbookRefused(
        _(
            "The workbook contains XML entity declarations (in %(part)s), which are refused for safety. Save it "
            "again from Excel or LibreOffice as .xlsx and upload it again."
        )
        % {"part": part}
    )


def _too_large(sheet: str, rows: int, cols: int) -> WorkbookRefused:
    return WorkbookRefused(
        _(
            "The sheet’s used area is too large (%(rows)s rows × %(cols)s columns). Delete stray cells far below "
            "or to the right of the table, or split the data, and upload it again."
        )
        % {"rows": f"{rows:,}", "cols": f"{cols:,}"},
        sheet,
    )


def _too_many_rows(sheet: str, max_rows: int) -> WorkbookRefused:
    return WorkbookRefused(_("The file has more than %(limit)s rows; split it.") % {"limit": max_rows}, sheet)


def _formula_message(formula: str) -> str:
    text = formula.strip().removeprefix("of:").removeprefix("=")
    if len(text) > FORMULA_SHOWN:
        text = text[: FORMULA_SHOWN - 1] + "…"
    return _(
        "This cell holds a formula (=%(formula)s); enter the value itself. Formulas are not calculated on import."
    ) % {"formula": text or "…"}


# --- What the inspection finds ----------------------------------------------------------------------------------


@dataclass
class SheetInfo:
    name: str
    rows: int = 0  # upper bound of the rows python-calamine will allocate (from row 1)
    cols: int = 0  # upper bound of the columns (from column A)
    formulas: dict[tuple[int, int], str] = field(default_factory=dict)  # (1-based row, col) -> formula text
    hidden: bool = False
    checked: bool = True  # False: not loaded by us (hidden or instructions), extent not checked
    # A1 holds a value, as a plain tag (so every reader's first row and column are the sheet's): the condition of
    # the columnar read (``_ColumnarReader``), which reports positions from the start of what it reads
    a1_filled: bool = False


@dataclass
class Inspection:
    kind: str  # "xlsx", "xls" or "ods"
    sheets: dict[str, SheetInfo]


def skipped_sheet(name: str) -> bool:
    """A sheet that explains, lists codes or shows reference figures; never a data sheet."""
    return name.strip().casefold() in SKIPPED_SHEETS


def inspect_workbook(name: str, data: bytes, *, max_rows: int | None = None) -> Inspection:
    """Refuse a hostile or unreadable workbook (``WorkbookRefused``); otherwise what is known of its sheets."""
    limit_rows = max_rows or settings.EXPORTWATCH_IMPORT_MAX_ROWS
    try:
        if data.startswith(OLE_MAGIC):
            inspection = _inspect_ole(data)
        elif data.startswith(ZIP_MAGIC):
            inspection = _inspect_zip(data, limit_rows)
        else:
            raise _not_a_spreadsheet()
    except WorkbookRefused:
        raise
    except Exception:  # any parse error of a crafted file (even MemoryError, RecursionError) is a refusal
        raise _damaged() from None
    _check_extent(inspection, limit_rows)
    return inspection


def _check_extent(inspection: Inspection, max_rows: int) -> None:
    # A title and a header may stand above max_rows data rows, and a key row beneath the header.
    row_limit = max_rows + HEADER_SCAN_ROWS + 2
    total = 0
    for info in inspection.sheets.values():
        if not info.checked:
            continue
        if info.rows > row_limit:
            raise _too_many_rows(info.name, max_rows)
        cells = info.rows * info.cols
        total += cells
        if cells > MAX_SHEET_CELLS:
            raise _too_large(info.name, info.rows, info.cols)
    if inspection.kind in {"xls", "ods"} and total > MAX_SHEET_CELLS:
        # python-calamine loads every sheet of these formats when it opens the file.
        biggest = max(inspection.sheets.values(), key=lambda s: s.rows * s.cols)
        raise _too_large(biggest.name, biggest.rows, biggest.cols)


# --- ZIP containers (.xlsx, .ods) ------------------------------------------------------------------------------

_LOCAL_HEADER = struct.Struct("<4s22xHH")


def _member_chunks(data: bytes, info: zipfile.ZipInfo) -> Iterator[bytes]:
    """The unpacked bytes of one member in bounded chunks; the sizes and CRC must be what the archive says."""
    if info.flag_bits & 0x1:
        raise _password()
    offset = info.header_offset
    if offset < 0 or offset + 30 > len(data):
        raise _damaged(info.filename)
    magic, name_len, extra_len = _LOCAL_HEADER.unpack_from(data, offset)
    if magic != ZIP_MAGIC:
        raise _damaged(info.filename)
    start = offset + 30 + name_len + extra_len
    end = start + info.compress_size
    if end > len(data):
        raise _damaged(info.filename)
    view = memoryview(data)
    produced = 0
    crc = 0
    if info.compress_type == zipfile.ZIP_STORED:
        if info.compress_size != info.file_size:
            raise _damaged(info.filename)
        for pos in range(start, end, CHUNK):
            chunk = bytes(view[pos : min(pos + CHUNK, end)])
            crc = zlib.crc32(chunk, crc)
            produced += len(chunk)
            yield chunk
    elif info.compress_type == zipfile.ZIP_DEFLATED:
        inflater = zlib.decompressobj(-15)
        for pos in range(start, end, CHUNK):
            pending = bytes(view[pos : min(pos + CHUNK, end)])
            while pending:
                chunk = inflater.decompress(pending, CHUNK)
                pending = inflater.unconsumed_tail
                if chunk:
                    produced += len(chunk)
                    if produced > info.file_size:  # more than declared: the size lies
                        raise _damaged(info.filename)
                    crc = zlib.crc32(chunk, crc)
                    yield chunk
                if inflater.eof:
                    break
            if inflater.eof:
                break
        tail = inflater.flush()
        if tail:
            produced += len(tail)
            if produced > info.file_size:
                raise _damaged(info.filename)
            crc = zlib.crc32(tail, crc)
            yield tail
        if not inflater.eof:
            raise _damaged(info.filename)
    else:
        raise _damaged(info.filename)
    if produced != info.file_size or (crc & 0xFFFFFFFF) != info.CRC:
        raise _damaged(info.filename)


def _member_bytes(data: bytes, info: zipfile.ZipInfo, limit: int = SMALL_PART_LIMIT) -> bytes:
    if info.file_size > limit:
        raise _damaged(info.filename)
    out = b"".join(_member_chunks(data, info))
    _check_prolog(info.filename, out[:PROLOG_LIMIT], final=True)
    return out


def _check_prolog(part: str, head: bytes, *, final: bool) -> bool:
    """Whether the prolog of an XML part is complete in ``head``; raises if it declares a DTD or entities.

    The prolog (XML declaration, comments, processing instructions, a document type declaration) is read up to
    the root element. A part that does not start with ``<`` after a BOM and blanks is not XML (an image).
    """
    text = head
    if text.startswith((b"\x00\x00\xfe\xff", b"\xff\xfe\x00\x00")):
        raise _damaged(part)  # UTF-32: no spreadsheet program writes it
    if text.startswith((b"\xff\xfe", b"\xfe\xff")) or text[1:2] == b"\x00" or text[:1] == b"\x00":
        if text.startswith((b"\xff\xfe", b"\xfe\xff")):
            encoding = "utf-16"
        else:
            encoding = "utf-16-le" if text[1:2] == b"\x00" else "utf-16-be"
        text = text[: len(text) - len(text) % 2].decode(encoding, "replace").encode("utf-8")
    text = text.removeprefix(b"\xef\xbb\xbf")
    pos = 0
    while True:
        while pos < len(text) and text[pos : pos + 1] in b" \t\r\n":
            pos += 1
        if pos >= len(text):
            break
        if text[pos : pos + 1] != b"<":
            return True  # not XML, or text before the root (the parser refuses that)
        if text.startswith(b"<?", pos):
            end = text.find(b"?>", pos + 2)
            step = 2
        elif text.startswith(b"<!--", pos):
            end = text.find(b"-->", pos + 4)
            step = 3
        elif text.startswith(b"<!", pos):
            raise _entities(part)  # <!DOCTYPE ...> (or any other declaration)
        else:
            return True  # the root element
        if end < 0:
            break
        pos = end + step
    if len(head) >= PROLOG_LIMIT:
        raise _damaged(part)
    return final


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _inspect_zip(data: bytes, max_rows: int) -> Inspection:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
        infos = archive.infolist()
    except Exception:
        raise _not_a_spreadsheet() from None
    if len(infos) > MAX_PARTS:
        raise _damaged(f"{len(infos)} parts")
    names = [i.filename for i in infos]
    if len(set(names)) != len(names):
        raise _damaged("duplicate parts")
    by_name = {i.filename: i for i in infos}
    if any(i.flag_bits & 0x1 for i in infos):
        raise _password()
    lowered = {n.lower() for n in names}
    if any(n.endswith("vbaproject.bin") for n in lowered) or any(
        n.startswith(("xl/macrosheets/", "xl/dialogsheets/")) for n in lowered
    ):
        raise _macros()
    limit_mb = settings.EXPORTWATCH_IMPORT_MAX_UNZIPPED_MB
    if sum(i.file_size for i in infos) > limit_mb * MB:
        raise _bomb_total(limit_mb)
    for i in infos:
        if i.file_size > RATIO_MIN_BYTES and i.file_size > MAX_RATIO * max(i.compress_size, 1):
            raise _bomb_ratio(i.filename)

    content_types = by_name.get("[Content_Types].xml")
    if content_types is not None and b"macroenabled" in _member_bytes(data, content_types).lower():
        raise _macros()
    if "xl/workbook.xml" in by_name:
        kind = "xlsx"
        sheets, parts = _xlsx_sheets(data, by_name)
    elif "content.xml" in by_name and _is_ods(data, by_name):
        kind = "ods"
        sheets, parts = {}, {}
    elif "xl/workbook.bin" in by_name:
        raise WorkbookRefused(_("Excel binary workbooks (.xlsb) are not accepted; save the workbook as .xlsx."))
    else:
        raise WorkbookRefused(
            _(
                "This file is a ZIP archive but not an Excel workbook (.xlsx) or an OpenDocument spreadsheet "
                "(.ods). Upload the workbook itself, or save it as CSV."
            )
        )

    # Every part is unpacked once, in chunks: true sizes and CRCs, XML prologs, and the extent of each sheet.
    for info in infos:
        if info.is_dir():
            continue
        scan = parts.get(info.filename)
        sheet_scan = _SheetScan() if scan is not None and scan.checked else None
        head = b""
        prolog_done = False
        chunks = _member_chunks(data, info)
        for chunk in _inflated_ahead(chunks) if sheet_scan is not None and info.file_size > CHUNK else chunks:
            if not prolog_done:
                head += chunk[: PROLOG_LIMIT - len(head)] if len(head) < PROLOG_LIMIT else b""
                prolog_done = _check_prolog(info.filename, head, final=False)
            if sheet_scan is not None:
                sheet_scan.feed(chunk)
        if not prolog_done:
            _check_prolog(info.filename, head, final=True)
        if sheet_scan is not None and scan is not None:
            sheet_scan.finish()
            if sheet_scan.exact_needed or sheet_scan.has_formula:
                rows, cols, formulas = _xlsx_sheet_exact(data, info)
                scan.rows, scan.cols, scan.formulas = rows, cols, formulas
            else:
                scan.rows, scan.cols = sheet_scan.rows, sheet_scan.cols
                scan.a1_filled = bool(sheet_scan.a1_filled)
    if kind == "ods":
        sheets = _ods_sheets(data, by_name["content.xml"])
    return Inspection(kind, sheets)


def _inflated_ahead(chunks: Iterator[bytes]) -> Iterator[bytes]:
    """The chunks of a large part, each unpacked by a worker thread while the previous one is scanned: zlib and
    numpy release the GIL, so the two overlap. At most one chunk is unpacked ahead; errors come out in order, in
    the caller's language."""
    language = translation.get_language()

    def unpack() -> bytes | None:
        with translation.override(language):
            return next(chunks, None)

    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="inspect-inflate") as pool:
        pending = pool.submit(unpack)
        while (chunk := pending.result()) is not None:
            pending = pool.submit(unpack)
            yield chunk


def _is_ods(data: bytes, by_name: dict[str, zipfile.ZipInfo]) -> bool:
    mimetype = by_name.get("mimetype")
    if mimetype is not None and not _member_bytes(data, mimetype, 1024).startswith(
        b"application/vnd.oasis.opendocument.spreadsheet"
    ):
        return False
    manifest = by_name.get("META-INF/manifest.xml")
    if manifest is not None and b"encryption-data" in _member_bytes(data, manifest):
        raise _password()
    return True


_REL_WORKSHEET = re.compile(r"/(worksheet|chartsheet|dialogsheet|xlMacrosheet|xlIntlMacrosheet)$")


def _xlsx_sheets(data: bytes, by_name: dict[str, zipfile.ZipInfo]) -> tuple[dict[str, SheetInfo], dict[str, SheetInfo]]:
    """Sheet name -> info and sheet part -> info, from xl/workbook.xml and its relationships."""
    book = SafeET.fromstring(_member_bytes(data, by_name["xl/workbook.xml"]), forbid_dtd=True)
    rels_info = by_name.get("xl/_rels/workbook.xml.rels")
    targets: dict[str, tuple[str, str]] = {}
    if rels_info is not None:
        rels = SafeET.fromstring(_member_bytes(data, rels_info), forbid_dtd=True)
        for rel in rels:
            if _local(rel.tag) != "Relationship":
                continue
            target = rel.get("Target", "")
            if rel.get("TargetMode", "") == "External":
                continue
            path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join("xl", target))
            targets[rel.get("Id", "")] = (path, rel.get("Type", ""))
    sheets: dict[str, SheetInfo] = {}
    parts: dict[str, SheetInfo] = {}
    for el in book.iter():
        if _local(el.tag) != "sheet":
            continue
        sheet_name = el.get("name", "")
        rid = next((v for k, v in el.attrib.items() if _local(k) == "id"), "")
        hidden = el.get("state", "visible") in {"hidden", "veryHidden"}
        path, rel_type = targets.get(rid, ("", ""))
        has_part = path in by_name and bool(_REL_WORKSHEET.search(rel_type or "/worksheet"))
        info = SheetInfo(sheet_name, hidden=hidden, checked=has_part)
        sheets[sheet_name] = info
        if has_part:
            parts[path] = info
    # Any other worksheet part is bounded too, whatever refers to it.
    for path in by_name:
        if path not in parts and re.fullmatch(r"xl/worksheets/[^/]+\.xml", path):
            parts[path] = sheets.setdefault(f"\x00{path}", SheetInfo(path))
    return sheets, parts


class _SheetScan:
    """The extent of an ordinary worksheet part, chunk by chunk, from its ``<row`` and ``<c`` tags read in columns.

    Valid for parts where every ``<row`` starts ``<row r="N"`` and every ``<c`` starts ``<c r="A1"`` with a plain
    reference (what Excel, WPS, LibreOffice, openpyxl and xlsxwriter write): then the extent is the largest row
    and column any cell or row names, which is what python-calamine allocates. Each tag's reference is read from
    the bytes with numpy (``_tag_extent``), not with a regular expression per tag. Anything else
    (``exact_needed``) and any formula in the sheet data (``has_formula``) takes the exact streaming parse.
    """

    OVERLAP = 64  # longer than any tag read below: a tag cut by a chunk's end is read again in the next buffer
    _PREFIXED = re.compile(rb":(?:c|row|f)[\s/>]")  # a cell, row or formula with a namespace prefix

    def __init__(self) -> None:
        self.carry = b""
        self.max_row = 0
        self.max_col = 0
        self.exact_needed = False
        self.has_formula = False
        self.in_data = True  # before </sheetData>
        self.rows = self.cols = 0
        self.any_cell = False
        self.a1_filled: bool | None = None  # decided on the first buffer (``_first_cell``)

    @staticmethod
    def _before(match: re.Match[bytes] | None, limit: int) -> bool:
        return match is not None and match.start() < limit

    def feed(self, chunk: bytes, *, final: bool = False) -> None:
        buf = self.carry + chunk
        limit = len(buf) if final else max(len(buf) - self.OVERLAP, 0)
        self.carry = buf[limit:]
        if self.exact_needed or not limit:
            return
        if self.a1_filled is None:
            self._first_cell(buf)
        data_end = buf.find(b"</sheetData>") if self.in_data else 0
        formulas_before = min(limit, len(buf) if data_end < 0 else data_end)  # formulas count in the sheet data
        extent = _tag_extent(buf, limit, formulas_before)
        if extent is None or self._before(self._PREFIXED.search(buf), limit):
            self.exact_needed = True
            return
        rows, cols, cells, formulas = extent
        self.max_row = max(self.max_row, rows)
        self.max_col = max(self.max_col, cols)
        self.any_cell = self.any_cell or cells
        self.has_formula = self.has_formula or formulas
        if 0 <= data_end < limit:
            self.in_data = False

    _FIRST_CELL = re.compile(rb"<c[\s/>]")
    _A1_FILLED = re.compile(rb'<c r="A1"(?:\s[^>]*[^/])?>(?:<v>[^<]|<is>)')

    def _first_cell(self, buf: bytes) -> None:
        """Whether the sheet's first cell is ``<c r="A1" …>`` holding a value (a ``<v>`` with text or an inline
        string, no formula); decided on the first buffer, conservatively (False when it cannot tell)."""
        first = self._FIRST_CELL.search(buf)
        self.a1_filled = first is not None and self._A1_FILLED.match(buf, first.start()) is not None

    def finish(self) -> None:
        self.feed(b"", final=True)
        if self.exact_needed:
            return
        self.rows = self.max_row
        self.cols = self.max_col if self.any_cell else 0


_NAME_END = np.zeros(256, dtype=bool)  # what may follow an element's name: blank, "/" or ">"
_NAME_END[list(b" \t\n\r/>")] = True
_UPPER = np.zeros(256, dtype=bool)
_UPPER[list(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ")] = True
_DIGIT = np.zeros(256, dtype=bool)
_DIGIT[list(b"0123456789")] = True
_REF_BYTES = 11  # the longest plain reference, "XFD1048576", and its closing quote


def _tag_extent(buf: bytes, limit: int, formulas_before: int) -> tuple[int, int, bool, bool] | None:
    """(largest row, largest column, whether any cell, whether any ``<f`` tag before ``formulas_before``) of the
    ``<row`` and ``<c`` tags that start before ``limit`` in ``buf``; None when one of them is not ``<row r="N"``
    or ``<c r="A1"`` with a plain reference (a row of 1 to 7 digits without a leading zero, a column of 1 to 3
    capital letters)."""
    data = np.frombuffer(buf + bytes(_REF_BYTES + 8), dtype=np.uint8)
    opening = data[:limit] == ord("<")
    cells = np.flatnonzero(opening & (data[1 : limit + 1] == ord("c")))
    cells = cells[_NAME_END[data[cells + 2]]]
    rows = np.flatnonzero(opening & (data[1 : limit + 1] == ord("r")) & (data[2 : limit + 2] == ord("o")))
    rows = rows[(data[rows + 3] == ord("w")) & _NAME_END[data[rows + 4]]]
    cell_refs = _refs(data, cells + 2, letters=True)
    row_refs = _refs(data, rows + 4, letters=False)
    if cell_refs is None or row_refs is None:
        return None
    formulas = np.flatnonzero(opening[:formulas_before] & (data[1 : formulas_before + 1] == ord("f")))
    has_formula = bool(_NAME_END[data[formulas + 2]].any())
    return max(cell_refs[0], row_refs[0]), cell_refs[1], bool(len(cells)), has_formula


def _refs(data: np.ndarray[Any, Any], after_name: np.ndarray[Any, Any], *, letters: bool) -> tuple[int, int] | None:
    """(largest row, largest column) of the references ` r="A1"` (``letters``) or ` r="1"` that must follow each
    position of ``after_name``; None when one does not. Read a byte position at a time across all the tags."""
    if not len(after_name):
        return 0, 0
    for k, expected in enumerate(b' r="'):
        if not (data[after_name + k] == expected).all():
            return None
    at = after_name + 4
    n_letters = np.zeros(len(at), dtype=np.intp)
    if letters:
        run = np.ones(len(at), dtype=bool)
        for k in range(4):
            run &= _UPPER[data[at + k]]
            n_letters += run
        if not ((n_letters >= 1) & (n_letters <= 3)).all():
            return None
    n_digits = np.zeros(len(at), dtype=np.intp)
    run = np.ones(len(at), dtype=bool)
    for k in range(_REF_BYTES):
        inside = n_letters <= k
        run &= ~inside | _DIGIT[data[at + k]]
        n_digits += run & inside
    if not (
        ((n_digits >= 1) & (n_digits <= 7)).all()
        and (data[at + n_letters] != ord("0")).all()
        and (data[at + n_letters + n_digits] == ord('"')).all()
    ):
        return None
    # The largest number has the most digits (no leading zeros): only the references of that length are read.
    widest = n_digits == n_digits.max()
    start = at[widest] + n_letters[widest]
    row = np.zeros(len(start), dtype=np.int64)
    for k in range(int(n_digits.max())):
        row = row * 10 + data[start + k] - ord("0")
    column = 0
    if letters:
        most = n_letters == n_letters.max()
        value = np.zeros(int(most.sum()), dtype=np.int64)
        for k in range(int(n_letters.max())):
            value = value * 26 + data[at[most] + k] - (ord("A") - 1)
        column = int(value.max())
    return int(row.max()), column


def _column_number(letters: bytes | str) -> int:
    n = 0
    for ch in letters if isinstance(letters, str) else letters.decode("ascii"):
        n = n * 26 + (ord(ch) - 64)
    return n


_CELL_REF = re.compile(r"^([A-Z]{1,3})([1-9]\d{0,6})$")


class _ChunkReader(io.RawIOBase):
    """A file object over an iterator of byte chunks (for the streaming XML parser)."""

    def __init__(self, chunks: Iterable[bytes]) -> None:
        self._chunks = iter(chunks)
        self._buf = memoryview(b"")

    def readable(self) -> bool:
        return True

    def readinto(self, b: Any) -> int:
        while not len(self._buf):
            try:
                self._buf = memoryview(next(self._chunks))
            except StopIteration:
                return 0
        n = min(len(b), len(self._buf))
        b[:n] = self._buf[:n]
        self._buf = self._buf[n:]
        return n


def _events(stream: io.BufferedReader) -> Iterator[tuple[str, Any, Any]]:
    """(event, element, parent) of a streaming parse that keeps no finished element: an element is dropped from its
    parent once its end event has been handled, so memory stays flat whatever the part's shape."""
    stack: list[Any] = []
    for event, el in SafeET.iterparse(stream, events=("start", "end"), forbid_dtd=True):
        if event == "start":
            yield event, el, stack[-1] if stack else None
            stack.append(el)
            continue
        stack.pop()
        parent = stack[-1] if stack else None
        yield event, el, parent
        if parent is not None and len(parent) and parent[-1] is el:
            del parent[-1]


def _xlsx_sheet_exact(data: bytes, info: zipfile.ZipInfo) -> tuple[int, int, dict[tuple[int, int], str]]:
    """Extent and formula cells of a worksheet part by a streaming parse, placing cells as python-calamine does."""
    max_row = max_col = 0
    row = 0  # 1-based current row
    col = 0  # 1-based last column in the row
    cell = (0, 0)  # (row, column) of the open cell
    formulas: dict[tuple[int, int], str] = {}
    shared: dict[str, str] = {}
    stream = io.BufferedReader(_ChunkReader(_member_chunks(data, info)), CHUNK)
    for event, el, parent in _events(stream):
        name = _local(el.tag)
        if event == "start":
            if name == "row":
                r = el.get("r")
                row = int(r) if r and r.isdigit() else row + 1
                col = 0
            elif name == "c":
                ref = el.get("r")
                if ref:
                    m = _CELL_REF.match(ref)
                    if m is None:
                        raise _damaged(info.filename)
                    col = _column_number(m.group(1))
                    cell = (int(m.group(2)), col)
                else:
                    col += 1
                    cell = (row, col)
                max_row = max(max_row, cell[0])
                max_col = max(max_col, col)
        elif name == "f" and parent is not None and _local(parent.tag) == "c":
            text = el.text or ""
            si = el.get("si")
            if el.get("t") == "shared" and si is not None:
                if text:
                    shared[si] = text
                else:
                    text = shared.get(si, "")
            formulas[cell] = text
    return max_row, max_col, formulas


_ODS_CELLS = frozenset({"table-cell", "covered-table-cell"})


def _ods_sheets(data: bytes, content: zipfile.ZipInfo) -> dict[str, SheetInfo]:
    """Extent (cells with a value, repeats expanded) and formula cells of every table in content.xml."""
    sheets: dict[str, SheetInfo] = {}
    current: SheetInfo | None = None
    row = 0  # 0-based index of the current row
    row_repeat = 1
    col = 0  # 0-based index of the next cell
    cell: tuple[int, int, int] = (0, 0, 1)  # (row, column, repeat) of the open cell
    has_value = False
    depth = 0
    stream = io.BufferedReader(_ChunkReader(_member_chunks(data, content)), CHUNK)
    for event, el, parent in _events(stream):
        name = _local(el.tag)
        if event == "start":
            if name == "table":
                depth += 1
                if depth == 1:
                    attrs = {_local(k): v for k, v in el.attrib.items()}
                    table_name = attrs.get("name", f"Sheet{len(sheets) + 1}")
                    current = sheets.setdefault(table_name, SheetInfo(table_name))
                    row, col = 0, 0
            elif current is None or depth != 1:
                continue
            elif name == "table-row":
                row_repeat = _repeat(
                    next((v for k, v in el.attrib.items() if _local(k) == "number-rows-repeated"), None)
                )
                col = 0
            elif name in _ODS_CELLS:
                attrs = {_local(k): v for k, v in el.attrib.items()}
                cell = (row, col, _repeat(attrs.get("number-columns-repeated")))
                has_value = "value-type" in attrs or "formula" in attrs
                if "formula" in attrs:
                    current.formulas[(row + 1, col + 1)] = attrs["formula"]
                col += cell[2]
            continue
        if current is None or depth != 1:
            if name == "table":
                depth -= 1
            continue
        if parent is not None and _local(parent.tag) in _ODS_CELLS:
            has_value = True  # text or any other content in a cell (a conservative bound)
        elif name in _ODS_CELLS and has_value:
            current.rows = max(current.rows, cell[0] + row_repeat)
            current.cols = max(current.cols, cell[1] + cell[2])
        elif name == "table-row":
            row += row_repeat
        elif name == "table":
            depth -= 1
    return sheets


def _repeat(value: str | None) -> int:
    if not value:
        return 1
    try:
        n = int(value)
    except ValueError:
        raise _damaged("content.xml") from None
    if not 1 <= n <= 100_000_000:
        raise _damaged("content.xml")
    return n


# --- OLE2 compound files (.xls, encrypted OOXML) --------------------------------------------------------------

_FREESECT = 0xFFFFFFFF
_ENDOFCHAIN = 0xFFFFFFFE
_MAXREGSECT = 0xFFFFFFFA


class _Cfb:
    """A minimal reader of OLE2 compound files: directory entry names and the content of one stream."""

    def __init__(self, data: bytes) -> None:
        if len(data) < 512 or not data.startswith(OLE_MAGIC):
            raise _damaged("OLE")
        self.data = data
        sector_shift, mini_shift = struct.unpack_from("<HH", data, 30)
        if sector_shift not in (9, 12) or mini_shift != 6:
            raise _damaged("OLE")
        self.size = 1 << sector_shift
        n_fat, dir_start = struct.unpack_from("<II", data, 44)
        self.cutoff, mini_fat_start, n_mini_fat, difat_start, n_difat = struct.unpack_from("<IIIII", data, 56)
        n_sectors = max(0, (len(data) - self.size) // self.size)
        difat = [s for s in struct.unpack_from("<109I", data, 76)]
        sector = difat_start
        for _i in range(min(n_difat, n_sectors)):
            if sector >= _MAXREGSECT:
                break
            values = struct.unpack_from(f"<{self.size // 4}I", data, self._offset(sector))
            difat.extend(values[:-1])
            sector = values[-1]
        self.fat: list[int] = []
        for s in difat[: min(n_fat, n_sectors)]:
            if s >= _MAXREGSECT:
                continue
            self.fat.extend(struct.unpack_from(f"<{self.size // 4}I", data, self._offset(s)))
        directory = self._chain_bytes(dir_start)
        self.entries: list[tuple[str, int, int, int]] = []  # name, type, start sector, size
        for pos in range(0, len(directory) - 127, 128):
            name_len = struct.unpack_from("<H", directory, pos + 64)[0]
            kind = directory[pos + 66]
            start, size = struct.unpack_from("<IQ", directory, pos + 116)
            if kind == 0 or name_len < 2 or name_len > 64:
                continue
            entry_name = directory[pos : pos + name_len - 2].decode("utf-16-le", "replace")
            self.entries.append((entry_name, kind, start, size if self.size == 4096 else size & 0xFFFFFFFF))
        self.mini_fat: list[int] = []
        if n_mini_fat and mini_fat_start < _MAXREGSECT:
            raw = self._chain_bytes(mini_fat_start)
            self.mini_fat = list(struct.unpack_from(f"<{len(raw) // 4}I", raw))
        root = next((e for e in self.entries if e[1] == 5), None)
        self.mini_stream = self._chain_bytes(root[2])[: root[3]] if root and root[2] < _MAXREGSECT else b""

    def _offset(self, sector: int) -> int:
        offset = (sector + 1) * self.size
        if offset + self.size > len(self.data):
            raise _damaged("OLE")
        return offset

    def _chain(self, start: int, table: list[int]) -> Iterator[int]:
        sector = start
        for _i in range(len(table) + 1):
            if sector in (_ENDOFCHAIN, _FREESECT):
                return
            if sector >= len(table):
                raise _damaged("OLE")
            yield sector
            sector = table[sector]
        raise _damaged("OLE")  # a loop

    def _chain_bytes(self, start: int) -> bytes:
        return b"".join(self.data[self._offset(s) : self._offset(s) + self.size] for s in self._chain(start, self.fat))

    def names(self) -> set[str]:
        return {e[0] for e in self.entries}

    def stream(self, names: Sequence[str]) -> bytes | None:
        for entry_name, kind, start, size in self.entries:
            if kind != 2 or entry_name not in names:
                continue
            if size < self.cutoff:
                chunks = [self.mini_stream[s * 64 : s * 64 + 64] for s in self._chain(start, self.mini_fat)]
                return b"".join(chunks)[:size]
            return self._chain_bytes(start)[:size]
        return None


def _encrypted_names_in(data: bytes) -> bool:
    """Directory entries named EncryptionInfo/EncryptedPackage, found without parsing (a damaged container)."""
    for stream_name in ("EncryptionInfo", "EncryptedPackage"):
        needle = stream_name.encode("utf-16-le")
        pos = data.find(needle)
        while pos != -1:
            if pos % 128 == 0 and data[pos + 64 : pos + 66] == struct.pack("<H", len(needle) + 2):
                return True
            pos = data.find(needle, pos + 1)
    return False


def _inspect_ole(data: bytes) -> Inspection:
    try:
        cfb = _Cfb(data)
    except Exception:
        if _encrypted_names_in(data):
            raise _password() from None
        raise _not_a_spreadsheet() from None
    names = cfb.names()
    if {"EncryptionInfo", "EncryptedPackage"} & names:
        raise _password()
    if "_VBA_PROJECT_CUR" in names or "_VBA_PROJECT" in names:
        raise _macros()
    stream = cfb.stream(("Workbook", "Book", "WORKBOOK", "BOOK"))
    if stream is None:
        raise _not_a_spreadsheet()
    return Inspection("xls", _biff_sheets(stream))


# BIFF records: cell records carry (row u16, column u16) first.
_BOF, _EOF, _FILEPASS, _BOUNDSHEET, _CODEPAGE = 0x0809, 0x000A, 0x002F, 0x0085, 0x0042
_FORMULA = 0x0006
_CELLS = frozenset({0x0006, 0x00FD, 0x0203, 0x027E, 0x0205, 0x0204, 0x00D6, 0x0201})
_MULTI = frozenset({0x00BD, 0x00BE})  # MULRK, MULBLANK: row, first column, ..., last column


def _records(stream: bytes, start: int) -> Iterator[tuple[int, int, bytes]]:
    pos = start
    end = len(stream)
    while pos + 4 <= end:
        rtype, length = struct.unpack_from("<HH", stream, pos)
        body = stream[pos + 4 : pos + 4 + length]
        if len(body) < length:
            raise _damaged("Workbook")
        yield pos, rtype, body
        pos += 4 + length


def _biff_sheets(stream: bytes) -> dict[str, SheetInfo]:
    bounds: list[tuple[int, str, bool, int]] = []  # (position, name, hidden, type)
    biff8 = True
    codepage = "cp1252"
    for index, (_pos, rtype, body) in enumerate(_records(stream, 0)):
        if index == 0:
            if rtype != _BOF or len(body) < 4:
                raise _not_a_spreadsheet()
            biff8 = struct.unpack_from("<H", body, 0)[0] == 0x0600
            continue
        if rtype == _EOF:
            break
        if rtype == _FILEPASS:
            raise _password()
        if rtype == _CODEPAGE and len(body) >= 2:
            codepage = {936: "gbk", 1200: "utf-16-le"}.get(struct.unpack_from("<H", body, 0)[0], "cp1252")
        if rtype == _BOUNDSHEET and len(body) >= 7:
            position, visibility, sheet_type = struct.unpack_from("<IBB", body, 0)
            bounds.append((position, _biff_name(body, biff8, codepage), bool(visibility & 0x03), sheet_type))
    sheets: dict[str, SheetInfo] = {}
    for position, sheet_name, hidden, sheet_type in bounds:
        if sheet_type == 0x01:  # an Excel 4.0 macro sheet
            raise _macros()
        info = SheetInfo(sheet_name, hidden=hidden, checked=True)  # .xls sheets all load at open
        sheets[sheet_name] = info
        if sheet_type != 0x00 or position >= len(stream):
            continue
        for index, (_pos, rtype, body) in enumerate(_records(stream, position)):
            if index == 0 and rtype != _BOF:
                raise _damaged(sheet_name)
            if rtype == _EOF:
                break
            if rtype in _CELLS and len(body) >= 4:
                row, col = struct.unpack_from("<HH", body, 0)
                info.rows = max(info.rows, row + 1)
                info.cols = max(info.cols, col + 1)
                if rtype == _FORMULA:
                    info.formulas[(row + 1, col + 1)] = ""
            elif rtype in _MULTI and len(body) >= 6:
                row, col = struct.unpack_from("<HH", body, 0)
                last = struct.unpack_from("<H", body, len(body) - 2)[0]
                info.rows = max(info.rows, row + 1)
                info.cols = max(info.cols, col + 1, last + 1)
    return sheets


def _biff_name(body: bytes, biff8: bool, codepage: str) -> str:
    length = body[6]
    if not biff8:
        return body[7 : 7 + length].decode(codepage, "replace")
    flags = body[7] if len(body) > 7 else 0
    raw = body[8:]
    if flags & 0x01:
        return raw[: 2 * length].decode("utf-16-le", "replace")
    return raw[:length].decode("latin-1")


# --- Reading -----------------------------------------------------------------------------------------------------


def read_workbook(name: str, data: bytes, *, max_rows: int) -> tuple[list[ParsedTable], list[FileProblem]]:
    """The tables of a workbook's data sheets, or the problems that refuse it (see the module docstring)."""
    try:
        inspection = inspect_workbook(name, data, max_rows=max_rows)
    except WorkbookRefused as refused:
        return [], [FileProblem(name, 0, "", refused.message, refused.sheet)]
    try:
        book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(data))
    except python_calamine.PasswordError:
        return [], [FileProblem(name, 0, "", _password().message)]
    except Exception:
        return [], [FileProblem(name, 0, "", _not_a_spreadsheet().message)]
    try:
        return _read_sheets(name, book, inspection, max_rows, data)
    finally:
        book.close()


def _read_sheets(
    name: str, book: python_calamine.CalamineWorkbook, inspection: Inspection, max_rows: int, data: bytes
) -> tuple[list[ParsedTable], list[FileProblem]]:
    columnar = _ColumnarReader(name, data) if inspection.kind == "xlsx" else None
    tables: list[ParsedTable] = []
    problems: list[FileProblem] = []
    not_tables: list[FileProblem] = []  # problems of sheets that hold no table: told only if no sheet does
    considered = 0
    for meta in book.sheets_metadata:
        if meta.typ != python_calamine.SheetTypeEnum.WorkSheet:
            continue
        if meta.visible != python_calamine.SheetVisibleEnum.Visible or skipped_sheet(meta.name):
            continue
        info = inspection.sheets.get(meta.name)
        if info is None or not info.checked:  # not bounded by the inspection: never loaded
            problems.append(FileProblem(name, 0, "", _damaged(meta.name).message, meta.name))
            continue
        considered += 1
        if columnar is not None and info.a1_filled and not info.formulas and info.rows > grids.LAZY_SHEET_ROWS:
            columns = columnar.table(meta.name, max_rows)
            if columns is not None:
                tables.append(columns)
                continue
        try:
            grid = book.get_sheet_by_name(meta.name).to_python(skip_empty_area=False)
        except Exception:
            problems.append(FileProblem(name, 0, "", _not_a_spreadsheet().message, meta.name))
            continue
        table, found = table_from_grid(name, meta.name, grid, max_rows=max_rows)
        del grid
        if table is None:
            if _holds_no_table(found):
                not_tables.extend(found)
            else:
                problems.extend(found)
            continue
        table, formula_problems = _without_formula_rows(table, info)
        problems.extend(formula_problems)
        tables.append(table)
    if considered == 0 and not problems:
        problems.append(
            FileProblem(
                name,
                0,
                "",
                _("The workbook has no data sheet: every sheet is hidden or holds instructions or codes."),
            )
        )
    if not tables and not problems:
        problems.extend(not_tables)
    return tables, problems


class _ColumnarReader:
    """Large sheets of an .xlsx workbook read in columns with fastexcel (calamine, as python-calamine, straight into
    Arrow arrays: about half the time of python-calamine's cells as Python objects, and the columnar import needs
    columns anyway).

    Only for a sheet the inspection bounded, without formulas, whose first cell is a filled A1: fastexcel reads
    from the first filled cell, so row and column numbers then are the sheet's. A column holding the header's
    text above numbers comes as text, as every column of a table does: the columnar import takes it as it takes a
    CSV file's, and anything it does not take plainly (a column of another type, a number written with more than
    two decimals, a date, a code that is not exactly the core's) sends the table the row way, whose rows are then
    the sheet's cells as python-calamine gives them (read only then, once). The header is recognised on the first
    rows (``grid.table_from_grid``); a sheet whose header is not recognised there is left to the usual read, which
    names the problem."""

    def __init__(self, name: str, data: bytes) -> None:
        self.name, self.data = name, data
        self.reader: Any = None

    def table(self, sheet: str, max_rows: int) -> ParsedTable | None:
        try:
            if self.reader is None:
                self.reader = fastexcel.read_excel(self.data)
            loaded = self.reader.load_sheet(sheet, header_row=None, dtype_coercion="coerce", schema_sample_rows=None)
            frame = loaded.to_polars()
        except Exception:  # whatever fastexcel cannot read, python-calamine reads or refuses
            return None
        head = [["" if cell is None else cell for cell in row] for row in frame.head(HEADER_SCAN_ROWS + 2).rows()]
        table, _problems = table_from_grid(self.name, sheet, head, max_rows=max_rows)
        if table is None or table.data_start >= len(head):
            return None
        cells: list[list[object]] = []

        def every_row() -> Iterator[Sequence[object]]:
            if not cells:
                book = python_calamine.CalamineWorkbook.from_filelike(io.BytesIO(self.data))
                try:
                    cells.extend(book.get_sheet_by_name(sheet).to_python(skip_empty_area=False))
                finally:
                    book.close()
            return iter(cells)

        return with_lazy_rows(table, frame=frame.slice(table.data_start), more_rows=every_row, width=frame.width)


def _holds_no_table(problems: Sequence[FileProblem]) -> bool:
    """Whether a sheet's problems only say that it holds no table (empty, no header, or a header without rows)."""
    harmless = {
        _("The sheet is empty."),
        _("The file is empty."),
        _("The header row does not match any ExportWatch table."),
        _("The file has a header but no data rows."),
    }
    prefix = _("The header row does not match any ExportWatch table. Expected the columns of one of: %(tables)s.")
    prefix = prefix.split("%(tables)s")[0]
    return all(p.message in harmless or (prefix and p.message.startswith(prefix)) for p in problems)


def _without_formula_rows(table: ParsedTable, info: SheetInfo) -> tuple[ParsedTable, list[FileProblem]]:
    """A problem for each formula cell in the table's data; those rows are left out of the table."""
    if not info.formulas:
        return table, []
    keys = {col: key for key, col in table.columns.items()}
    rows = tuple(table.rows)
    data_rows = {number for number, _values in rows}
    problems: list[FileProblem] = []
    bad_rows: set[int] = set()
    for (row, col), formula in sorted(info.formulas.items()):
        if row not in data_rows or col not in keys:
            continue
        bad_rows.add(row)
        problems.append(FileProblem(table.file, row, keys[col], _formula_message(formula), table.sheet, col))
    if not bad_rows:
        return replace(table, rows=rows), []
    # The grid still holds the formula cells: the rows left are the table's only source now.
    return replace(table, rows=tuple(r for r in rows if r[0] not in bad_rows), grid=None), problems
