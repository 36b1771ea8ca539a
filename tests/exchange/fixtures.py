"""Builders of test files: workbooks written with xlsxwriter, patched archives, and hostile files."""

from __future__ import annotations

import datetime as dt
import io
import re
import struct
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import xlsxwriter

REPORT_KEYS = (
    "uscc",
    "period",
    "exports_usd",
    "new_orders_usd",
    "backlog_usd",
    "backlog_due_3m_usd",
    "capacity_utilization_pct",
    "new_orders_trend",
    "outlook_3m",
)
REPORT_CN = (
    "统一社会信用代码",
    "月份",
    "当月出口额（美元）",
    "当月新增订单（美元）",
    "在手订单（美元）",
    "三个月内交货在手订单（美元）",
    "产能利用率（%）",
    "新订单较上月",
    "未来三个月出口预期",
)
LINE_KEYS = ("uscc", "period", "market", "hs", "backlog_usd", "new_orders_usd", "exports_usd")
LINE_CN = ("统一社会信用代码", "月份", "市场", "HS编码", "在手订单（美元）", "新增订单（美元）", "出口额（美元）")


@dataclass(frozen=True)
class Formula:
    """A formula cell (``=`` included) with the value a spreadsheet program would have cached."""

    text: str
    value: object = 0


@dataclass(frozen=True)
class AsDate:
    """A cell stored as an Excel date shown with ``num_format`` (what a spreadsheet makes of ``2020-03``)."""

    value: dt.date
    num_format: str = "yyyy-mm"


@dataclass
class Sheet:
    rows: Sequence[Sequence[object]]
    hidden: bool = False
    merges: Sequence[tuple[int, int, int, int, str]] = ()  # first_row, first_col, last_row, last_col (0-based), text
    start: tuple[int, int] = (0, 0)  # where rows[0][0] goes (0-based row, column)
    extra: Mapping[tuple[int, int], object] = field(default_factory=dict)  # single cells anywhere


def xlsx(sheets: Mapping[str, Sheet | Sequence[Sequence[object]]]) -> bytes:
    """A workbook with one sheet per entry, values typed as given (str stays text, numbers are numbers)."""
    out = io.BytesIO()
    book = xlsxwriter.Workbook(out, {"strings_to_numbers": False, "strings_to_formulas": False})
    book.set_properties({"created": dt.datetime(2020, 4, 1, 9, 0)})  # the same bytes every time
    formats: dict[str, object] = {}
    for name, spec in sheets.items():
        sheet = spec if isinstance(spec, Sheet) else Sheet(rows=spec)
        ws = book.add_worksheet(name)
        r0, c0 = sheet.start
        for r, row in enumerate(sheet.rows):
            for c, value in enumerate(row):
                _write(book, ws, formats, r0 + r, c0 + c, value)
        for (r, c), value in sheet.extra.items():
            _write(book, ws, formats, r, c, value)
        for first_row, first_col, last_row, last_col, text in sheet.merges:
            ws.merge_range(first_row, first_col, last_row, last_col, text)
        if sheet.hidden:
            ws.hide()
    book.close()
    return out.getvalue()


def _write(book: xlsxwriter.Workbook, ws: object, formats: dict[str, object], r: int, c: int, value: object) -> None:
    if value is None:
        return
    if isinstance(value, Formula):
        ws.write_formula(r, c, value.text, None, value.value)  # type: ignore[attr-defined]
    elif isinstance(value, AsDate):
        fmt = formats.setdefault(value.num_format, book.add_format({"num_format": value.num_format}))
        ws.write_datetime(r, c, dt.datetime.combine(value.value, dt.time()), fmt)  # type: ignore[attr-defined]
    elif isinstance(value, bool):
        ws.write_boolean(r, c, value)  # type: ignore[attr-defined]
    elif isinstance(value, int | float):
        ws.write_number(r, c, value)  # type: ignore[attr-defined]
    else:
        ws.write_string(r, c, str(value))  # type: ignore[attr-defined]


def reports_sheet(rows: Sequence[Sequence[object]], *, chinese: bool = True, keys: bool = True) -> list[list[object]]:
    """A reports table as our templates write it: the Chinese header, the stable keys beneath, then the rows."""
    head: list[list[object]] = []
    if chinese:
        head.append(list(REPORT_CN))
    if keys or not chinese:
        head.append(list(REPORT_KEYS))
    return head + [list(r) for r in rows]


def lines_sheet(rows: Sequence[Sequence[object]]) -> list[list[object]]:
    return [list(LINE_CN), list(LINE_KEYS)] + [list(r) for r in rows]


# --- Archives ----------------------------------------------------------------------------------------------------


def parts(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {info.filename: archive.read(info) for info in archive.infolist()}


def rezip(data: bytes, *, replace: Mapping[str, bytes] | None = None, add: Mapping[str, bytes] | None = None) -> bytes:
    """The archive with some parts replaced or added (deflated)."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in parts(data).items():
            archive.writestr(name, (replace or {}).get(name, content))
        for name, content in (add or {}).items():
            archive.writestr(name, content)
    return out.getvalue()


def zip_of(members: Mapping[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in members.items():
            archive.writestr(name, content)
    return out.getvalue()


def sheet_part(data: bytes, index: int = 1) -> str:
    return f"xl/worksheets/sheet{index}.xml"


def with_sheet_xml(data: bytes, transform: object, index: int = 1) -> bytes:
    """The workbook with one worksheet part rewritten by ``transform(bytes) -> bytes``."""
    name = sheet_part(data, index)
    return rezip(data, replace={name: transform(parts(data)[name])})  # type: ignore[operator]


def macro_enabled(data: bytes, *, by: str = "both") -> bytes:
    """An .xlsm made from an .xlsx: a VBA part and/or the macro-enabled content type."""
    content_types = parts(data)["[Content_Types].xml"]
    replace: dict[str, bytes] = {}
    add: dict[str, bytes] = {}
    if by in {"both", "content_type"}:
        replace["[Content_Types].xml"] = content_types.replace(
            b"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            b"application/vnd.ms-excel.sheet.macroEnabled.main+xml",
        )
    if by in {"both", "vba"}:
        add["xl/vbaProject.bin"] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504
    return rezip(data, replace=replace, add=add)


def zip_bomb(data: bytes, *, megabytes: int = 600) -> bytes:
    """The workbook with an added part of ``megabytes`` MB of zeros (it compresses about 1000 times)."""
    out = io.BytesIO(rezip(data))
    zeros = bytes(1024 * 1024)
    with (
        zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED, compresslevel=1) as archive,
        archive.open("xl/media/padding.bin", "w", force_zip64=True) as member,
    ):
        for _i in range(megabytes):
            member.write(zeros)
    return out.getvalue()


def lying_sizes(data: bytes, member: str, *, megabytes: int = 20, declared: int = 1000) -> bytes:
    """An archive whose ``member`` holds ``megabytes`` MB of zeros but declares ``declared`` bytes (and a CRC
    that fits those), in both its local header and the central directory."""
    out = io.BytesIO(rezip(data))
    with zipfile.ZipFile(out, "a", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(member, bytes(megabytes * 1024 * 1024))
    raw = bytearray(out.getvalue())
    crc = zlib.crc32(bytes(declared))
    name = member.encode()
    # (signature, CRC offset, uncompressed size offset, name length offset, name offset)
    for signature, crc_at, size_at, name_len_at, name_at in (
        (b"PK\x03\x04", 14, 22, 26, 30),
        (b"PK\x01\x02", 16, 24, 28, 46),
    ):
        for m in re.finditer(re.escape(signature), raw):
            start = m.start()
            name_len = struct.unpack_from("<H", raw, start + name_len_at)[0]
            if raw[start + name_at : start + name_at + name_len] == name:
                struct.pack_into("<I", raw, start + crc_at, crc)
                struct.pack_into("<I", raw, start + size_at, declared)
    return bytes(raw)


BILLION_LAUGHS = b"""<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<!DOCTYPE worksheet [
 <!ENTITY lol "lol">
 <!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
 <!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">
 <!ENTITY lol4 "&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;&lol3;">
 <!ENTITY lol5 "&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;&lol4;">
 <!ENTITY lol6 "&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;&lol5;">
 <!ENTITY lol7 "&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;&lol6;">
 <!ENTITY lol8 "&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;&lol7;">
 <!ENTITY lol9 "&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;&lol8;">
]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&lol9;</t></is></c></row></sheetData></worksheet>
"""

EXTERNAL_ENTITY = b"""<?xml version="1.0" encoding="UTF-8"?>
<!-- a comment before the document type declaration -->
<!DOCTYPE worksheet [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>
<row r="1"><c r="A1" t="inlineStr"><is><t>&xxe;</t></is></c></row></sheetData></worksheet>
"""


# --- OLE2 compound files -------------------------------------------------------------------------------------

_END, _FREE, _FATSECT = 0xFFFFFFFE, 0xFFFFFFFF, 0xFFFFFFFD


def _dir_entry(name: str, kind: int, start: int = _END, size: int = 0) -> bytes:
    encoded = name.encode("utf-16-le") + b"\x00\x00"
    entry = bytearray(128)
    entry[: len(encoded)] = encoded
    struct.pack_into("<HBB", entry, 64, len(encoded), kind, 1)
    struct.pack_into("<III", entry, 68, _FREE, _FREE, _FREE)  # left, right sibling, child
    struct.pack_into("<IQ", entry, 116, start, size)
    return bytes(entry)


def ole_file(streams: Sequence[str]) -> bytes:
    """A minimal valid compound file (one FAT sector, one directory sector) with empty streams of these names,
    the shape of an encrypted OOXML workbook when the names are EncryptionInfo and EncryptedPackage."""
    header = bytearray(512)
    header[:8] = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
    struct.pack_into("<HHHHH", header, 24, 0x3E, 3, 0xFFFE, 9, 6)
    struct.pack_into("<IIIIIIIII", header, 40, 0, 1, 1, 0, 4096, _END, 0, _END, 0)
    struct.pack_into("<109I", header, 76, 0, *([_FREE] * 108))
    fat = struct.pack("<128I", _FATSECT, _END, *([_FREE] * 126))
    entries = [_dir_entry("Root Entry", 5)] + [_dir_entry(name, 2) for name in streams[:3]]
    directory = b"".join(entries).ljust(512, b"\x00")
    return bytes(header) + fat + directory


def encrypted_workbook() -> bytes:
    return ole_file(["EncryptionInfo", "EncryptedPackage", "\x06DataSpaces"])


def encrypted_workbook_damaged() -> bytes:
    """OLE magic, a damaged header, and a directory entry named EncryptionInfo where a sector would start."""
    raw = bytearray(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 1016)
    raw[512:640] = _dir_entry("EncryptionInfo", 2)
    return bytes(raw)


# --- OpenDocument spreadsheets -------------------------------------------------------------------------------

ODS_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:of="urn:oasis:names:tc:opendocument:xmlns:of:1.2"'
)


def ods_cell(value: object, *, formula: str = "", repeat: int = 1) -> str:
    attrs = f' table:number-columns-repeated="{repeat}"' if repeat > 1 else ""
    if formula:
        attrs += f' table:formula="{formula}"'
    if value is None or value == "":
        return f"<table:table-cell{attrs}/>"
    if isinstance(value, int | float):
        return f'<table:table-cell{attrs} office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
    return f'<table:table-cell{attrs} office:value-type="string"><text:p>{value}</text:p></table:table-cell>'


def ods_row(cells: Sequence[object] | str, *, repeat: int = 1) -> str:
    attrs = f' table:number-rows-repeated="{repeat}"' if repeat > 1 else ""
    body = cells if isinstance(cells, str) else "".join(ods_cell(c) for c in cells)
    return f"<table:table-row{attrs}>{body}</table:table-row>"


def ods(tables: Mapping[str, Sequence[str]]) -> bytes:
    """An OpenDocument spreadsheet; each table given as its ``<table:table-row>`` elements (``ods_row``)."""
    body = "".join(f'<table:table table:name="{name}">{"".join(rows)}</table:table>' for name, rows in tables.items())
    content = (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {ODS_NS} office:version="1.2">'
        f"<office:body><office:spreadsheet>{body}</office:spreadsheet></office:body></office:document-content>"
    )
    manifest = (
        '<?xml version="1.0" encoding="UTF-8"?><manifest:manifest '
        'xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
        '<manifest:file-entry manifest:full-path="/" manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
        '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
        "</manifest:manifest>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("mimetype", "application/vnd.oasis.opendocument.spreadsheet", zipfile.ZIP_STORED)
        archive.writestr("content.xml", content, zipfile.ZIP_DEFLATED)
        archive.writestr("META-INF/manifest.xml", manifest, zipfile.ZIP_DEFLATED)
    return out.getvalue()


# --- Legacy .xls ---------------------------------------------------------------------------------------------


def xls_with_a_cell_moved(data: bytes, row: int, col: int) -> bytes:
    """The .xls with its first shared-string cell (LABELSST) moved to (row, col), 0-based, up to 65535 each.

    The Workbook stream must be in regular sectors (a workbook of a few hundred rows), not in the mini stream.
    """
    from exportwatch.exchange import workbook

    cfb = workbook._Cfb(data)
    _name, _kind, start, size = next(e for e in cfb.entries if e[0] == "Workbook")
    assert size >= cfb.cutoff, "too small a workbook: its stream is in the mini stream"
    chain = list(cfb._chain(start, cfb.fat))
    stream = cfb.stream(("Workbook",))
    assert stream is not None
    raw = bytearray(data)
    for pos, rtype, _body in workbook._records(stream, 0):
        if rtype != 0x00FD:
            continue
        for i, byte in enumerate(struct.pack("<HH", row, col)):
            offset = pos + 4 + i
            raw[(chain[offset // cfb.size] + 1) * cfb.size + offset % cfb.size] = byte
        return bytes(raw)
    raise AssertionError("no LABELSST record")
