"""Hostile and broken files are refused with a clear message, by the web path (``import_files``) and the command
line alike, before any row is read; and the annotated workbook is offered back for any file."""

from __future__ import annotations

import datetime as dt
import io
import os
import random
from collections.abc import Callable
from pathlib import Path

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import override_settings
from django.utils.translation import gettext as _
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exportwatch.common.models import AuditEvent
from exportwatch.directory.models import Enterprise
from exportwatch.exchange.annotate import annotate
from exportwatch.exchange.grid import FileProblem
from exportwatch.exchange.services import import_files
from exportwatch.exchange.workbook import read_workbook
from exportwatch.reporting.models import Report, ReportLine
from tests.conftest import World
from tests.exchange import fixtures as fx

NOT_SPREADSHEET = "This file is not a spreadsheet that can be read."
NOT_WORKBOOK = "This file is a ZIP archive but not an Excel workbook (.xlsx) or an OpenDocument spreadsheet (.ods)."
PASSWORD = "The workbook is password-protected (encrypted) and cannot be read."
MACROS = "Macro-enabled workbooks (.xlsm, or .xls with macros) are not accepted."
ENTITIES = "The workbook contains XML entity declarations"
DAMAGED = "The workbook is damaged or its internal structure is inconsistent"
BOMB = "The workbook would unpack to more than 500 MB; it is refused as a possible zip bomb."
RATIO = "is compressed more than 200 times; it is refused as a possible zip bomb."
TOO_LARGE = "The sheet’s used area is too large"
XLSB = "Excel binary workbooks (.xlsb) are not accepted; save the workbook as .xlsx."

VALID_USCC = "91330213MA0000001X"


def _base() -> bytes:
    return fx.xlsx({"reports": fx.reports_sheet([[VALID_USCC, "2020-03", 1, 1, 1, 1, 50, "up", "same"]])})


def _utf16_doctype() -> bytes:
    return fx.rezip(_base(), replace={"xl/workbook.xml": fx.EXTERNAL_ENTITY.decode().encode("utf-16")})


def _encrypted_ods() -> bytes:
    manifest = (
        b'<?xml version="1.0" encoding="UTF-8"?><manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:'
        b'xmlns:manifest:1.0"><manifest:file-entry manifest:full-path="content.xml"><manifest:encryption-data/>'
        b"</manifest:file-entry></manifest:manifest>"
    )
    return fx.zip_of(
        {
            "mimetype": b"application/vnd.oasis.opendocument.spreadsheet",
            "content.xml": os.urandom(200),
            "META-INF/manifest.xml": manifest,
        }
    )


def _random_bytes() -> bytes:
    return random.Random(7).randbytes(5000)


def _truncated() -> bytes:
    data = _base()
    return data[: len(data) // 2]


def _corrupted() -> bytes:
    """A byte changed inside the compressed worksheet: the CRC no longer matches."""
    data = bytearray(_base())
    start = data.find(b"xl/worksheets/sheet1.xml") + len("xl/worksheets/sheet1.xml") + 10
    data[start] ^= 0xFF
    return bytes(data)


# (file name, builder, expected message fragment or None when the CSV reader answers)
HOSTILE: dict[str, tuple[str, Callable[[], bytes], str | None]] = {
    "random bytes named .xlsx": ("data.xlsx", _random_bytes, None),
    "a zip that is no workbook": ("data.xlsx", lambda: fx.zip_of({"notes.txt": b"hello"}), NOT_WORKBOOK),
    "a .docx": (
        "report.xlsx",
        lambda: fx.zip_of(
            {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>", "_rels/.rels": b"<R/>"}
        ),
        NOT_WORKBOOK,
    ),
    "an .xlsb": ("b.xlsb", lambda: fx.zip_of({"xl/workbook.bin": b"\x00" * 10}), XLSB),
    "a damaged zip": ("d.xlsx", lambda: b"PK\x03\x04" + random.Random(3).randbytes(3000), NOT_SPREADSHEET),
    "a truncated workbook": ("t.xlsx", _truncated, NOT_SPREADSHEET),
    "a corrupted part": ("c.xlsx", _corrupted, DAMAGED),
    "an .xlsm (VBA part and content type)": ("m.xlsm", lambda: fx.macro_enabled(_base()), MACROS),
    "an .xlsm renamed .xlsx (content type)": ("m.xlsx", lambda: fx.macro_enabled(_base(), by="content_type"), MACROS),
    "a VBA part alone": ("m.xlsx", lambda: fx.macro_enabled(_base(), by="vba"), MACROS),
    "an encrypted workbook": ("e.xlsx", fx.encrypted_workbook, PASSWORD),
    "an encrypted workbook, damaged container": ("e.xlsx", fx.encrypted_workbook_damaged, PASSWORD),
    "an encrypted .ods": ("e.ods", _encrypted_ods, PASSWORD),
    "an OLE file that is no workbook": ("w.xls", lambda: fx.ole_file(["WordDocument"]), NOT_SPREADSHEET),
    "a zip bomb (600 MB of zeros)": ("z.xlsx", lambda: fx.zip_bomb(_base()), BOMB),
    "a part compressed 1000 times": ("z.xlsx", lambda: fx.zip_bomb(_base(), megabytes=15), RATIO),
    "a part larger than it says": ("z.xlsx", lambda: fx.lying_sizes(_base(), "xl/media/image1.png"), DAMAGED),
    "billion laughs in a sheet": (
        "l.xlsx",
        lambda: fx.rezip(_base(), replace={"xl/worksheets/sheet1.xml": fx.BILLION_LAUGHS}),
        ENTITIES,
    ),
    "an external entity after a comment": (
        "x.xlsx",
        lambda: fx.rezip(_base(), replace={"xl/worksheets/sheet1.xml": fx.EXTERNAL_ENTITY}),
        ENTITIES,
    ),
    "a document type in a UTF-16 part": ("u.xlsx", _utf16_doctype, ENTITIES),
    "an entity in the relationships": (
        "r.xlsx",
        lambda: fx.rezip(_base(), replace={"_rels/.rels": fx.EXTERNAL_ENTITY}),
        ENTITIES,
    ),
    "an .ods repeating a cell 16 billion times": (
        "r.ods",
        lambda: fx.ods({"reports": [fx.ods_row(fx.ods_cell("x", repeat=16_000), repeat=1_000_000)]}),
        TOO_LARGE,
    ),
    "cells at A1 and XFD1048576": (
        "s.xlsx",
        lambda: fx.xlsx({"reports": fx.Sheet(rows=[["uscc"]], extra={(1_048_575, 16_383): "x"})}),
        TOO_LARGE,
    ),
}


def counts() -> tuple[int, ...]:
    return (
        Enterprise.objects.count(),
        Report.objects.count(),
        ReportLine.objects.count(),
        AuditEvent.objects.count(),
    )


@pytest.fixture(scope="module")
def hostile_files() -> dict[str, bytes]:
    return {case: build() for case, (_name, build, _message) in HOSTILE.items()}


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_refused_by_the_importer(world: World, case: str, hostile_files: dict[str, bytes]) -> None:
    name, _build, message = HOSTILE[case]
    before = counts()

    outcome = import_files([(name, hostile_files[case])], user=None)

    assert outcome.problems, case
    assert not outcome.committed
    assert counts() == before
    if message is not None:
        assert len(outcome.problems) == 1
        assert message in outcome.problems[0].message
        assert outcome.problems[0].row == 0


@pytest.mark.parametrize("case", list(HOSTILE))
def test_a_hostile_file_is_refused_by_the_command_line(
    world: World, case: str, hostile_files: dict[str, bytes], tmp_path: Path
) -> None:
    name, _build, message = HOSTILE[case]
    path = tmp_path / name
    path.write_bytes(hostile_files[case])
    err = io.StringIO()
    before = counts()

    with pytest.raises(CommandError, match="nothing was written"):
        call_command("import_data", str(path), stdout=io.StringIO(), stderr=err)

    assert counts() == before
    if message is not None:
        assert message in err.getvalue()


def test_a_file_over_the_size_limit_is_refused(world: World, tmp_path: Path) -> None:
    data = fx.xlsx({"reports": [["x" * 100] for _i in range(10)]}) + b"\x00" * (2 * 1024 * 1024)
    path = tmp_path / "big.xlsx"
    path.write_bytes(data)

    with override_settings(EXPORTWATCH_IMPORT_MAX_MB=1):
        outcome = import_files([("big.xlsx", data)], user=None)
        err = io.StringIO()
        with pytest.raises(CommandError):
            call_command("import_data", str(path), stdout=io.StringIO(), stderr=err)

    assert [p.message for p in outcome.problems] == ["The file is 2.0 MB; at most 1 MB can be imported."]
    assert "at most 1 MB" in err.getvalue()


def test_the_unzipped_limit_is_a_setting(ref: None) -> None:
    data = fx.zip_bomb(_base(), megabytes=3)

    with override_settings(EXPORTWATCH_IMPORT_MAX_UNZIPPED_MB=2):
        _tables, problems = read_workbook("z.xlsx", data, max_rows=10)

    assert [p.message for p in problems] == [
        "The workbook would unpack to more than 2 MB; it is refused as a possible zip bomb. "
        "Split the data into smaller files."
    ]


def test_a_sheet_longer_than_the_row_limit_is_refused_before_it_is_read(ref: None) -> None:
    data = fx.xlsx({"reports": fx.reports_sheet([[VALID_USCC, "2020-03", 1, 1, 1, 1, 50, "up", "same"]] * 40)})

    _tables, problems = read_workbook("long.xlsx", data, max_rows=10)

    assert [(p.sheet, p.message) for p in problems] == [("reports", "The file has more than 10 rows; split it.")]


@given(st.data())
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_a_damaged_workbook_is_refused_or_read_but_never_crashes(ref: None, data: st.DataObject) -> None:
    original = _base()
    raw = bytearray(original)
    for _i in range(data.draw(st.integers(min_value=1, max_value=4))):
        position = data.draw(st.integers(min_value=0, max_value=len(raw) - 1))
        raw[position] = data.draw(st.integers(min_value=0, max_value=255))

    tables, problems = read_workbook("d.xlsx", bytes(raw), max_rows=100)

    assert tables or problems
    name, content = annotate("d.xlsx", bytes(raw), problems)
    assert name == "d-problems.xlsx"
    assert openpyxl.load_workbook(io.BytesIO(content)).sheetnames[0] == "Problems"


# --- The workbook offered back ----------------------------------------------------------------------------------


def _bad_market_workbook(world: World) -> bytes:
    uscc = world.ent_a.uscc
    return fx.xlsx(
        {
            "说明": [["填写说明"]],
            "reports": fx.reports_sheet([[uscc, "2020-03", 100_000, 1, 10, 5, 50, "up", "same"]]),
            "report_lines": fx.lines_sheet(
                [[uscc, "2020-03", "XX", "84", 5, 1, 1], [uscc, "2020-03", "US", "99", 5, 0, 0]]
            ),
        }
    )


def test_annotate_marks_the_bad_cells_of_an_xlsx_and_lists_the_problems(world: World) -> None:
    data = _bad_market_workbook(world)
    outcome = import_files([("订单.xlsx", data)], user=None, dry_run=True)
    assert {(p.sheet, p.row, p.col) for p in outcome.problems} >= {("report_lines", 3, 3)}

    name, content = annotate("订单.xlsx", data, outcome.problems)

    assert name == "订单-problems.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Problems", "说明", "reports", "report_lines"]
    cell = book["report_lines"]["C3"]
    assert cell.fill.fgColor.rgb == "00FFC7CE"
    market_problem = next(p for p in outcome.problems if (p.row, p.col) == (3, 3))
    assert market_problem.message in cell.comment.text
    assert book["report_lines"]["A3"].value == world.ent_a.uscc  # the rest is kept as it was
    listing = book["Problems"]
    assert [c.value for c in listing[1]] == ["Sheet", "Row", "Column", "Cell", "Message"]
    rows = [[c.value for c in r] for r in listing.iter_rows(min_row=2)]
    assert ["report_lines", "3", "market", "C3", market_problem.message] in rows
    link = next(r for r in listing.iter_rows(min_row=2) if r[3].value == "C3")[3].hyperlink
    assert link.location == "'report_lines'!C3"
    assert book.active.title == "Problems"


def test_annotate_turns_a_csv_into_a_marked_workbook(world: World) -> None:
    uscc = world.ent_a.uscc
    csv = (
        "uscc,period,market,hs,backlog_usd,new_orders_usd,exports_usd\n"
        f"{uscc},2020-03,US,84,100,10,10\n"
        f"{uscc},2020-03,US,=1+1,100,10,10\n"
    ).encode()
    problems = [
        FileProblem("lines.csv", 3, "hs", "HS code “=1+1” is not 2, 4 or 6 digits.", "", 4),
        FileProblem("lines.csv", 2, "", "skipped with its report"),
        FileProblem("lines.csv", 0, "", "A problem with the file as a whole."),
        FileProblem("other.csv", 2, "uscc", "not this file", "", 1),
    ]

    name, content = annotate("lines.csv", csv, problems)

    assert name == "lines-problems.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Problems", "lines"]
    ws = book["lines"]
    assert ws["D3"].value == "=1+1" and ws["D3"].data_type == "s"  # text stays text, never a formula
    assert ws["A2"].value == uscc and ws["D2"].value == "84"
    assert ws["D3"].fill.fgColor.rgb == "FFFFC7CE"
    assert "is not 2, 4 or 6 digits" in ws["D3"].comment.text
    assert ws["A2"].fill.fgColor.rgb == "FFFFE6EA"  # a row-level problem shades the row
    assert ws["A3"].comment is None
    messages = [r[4].value for r in book["Problems"].iter_rows(min_row=2)]
    assert messages == ["A problem with the file as a whole.", "skipped with its report", problems[0].message]


def test_annotate_a_refused_file_gives_the_list_alone(ref: None, hostile_files: dict[str, bytes]) -> None:
    for case, data in hostile_files.items():
        name = HOSTILE[case][0]
        problems = import_files([(name, data)], user=None, dry_run=True).problems

        filename, content = annotate(name, data, problems)

        book = openpyxl.load_workbook(io.BytesIO(content))
        assert filename.endswith("-problems.xlsx"), case
        assert book.sheetnames[0] == "Problems", case
        assert book["Problems"]["E2"].value == problems[0].message, case


def test_annotate_marks_the_top_left_cell_of_a_merged_range(world: World) -> None:
    rows = fx.reports_sheet([[world.ent_a.uscc, "2020-03", 1, 1, 1, 1, 50, "up", "same"]])
    data = fx.xlsx({"reports": fx.Sheet(rows=rows, merges=[(2, 7, 2, 8, "up")])})
    problems = [FileProblem("m.xlsx", 3, "outlook_3m", "wrong", "reports", 9)]

    _name, content = annotate("m.xlsx", data, problems)

    ws = openpyxl.load_workbook(io.BytesIO(content))["reports"]
    assert ws["H3"].comment.text == "wrong"
    assert ws["H3"].fill.fgColor.rgb == "00FFC7CE"


def test_annotate_speaks_the_active_language(world: World) -> None:
    from django.utils import translation

    with translation.override("zh-hans"):
        name, content = annotate("月报.csv", b"uscc\n1\n", [FileProblem("月报.csv", 2, "uscc", "错", "", 1)])
        expected = (_("%(stem)s-problems.xlsx") % {"stem": "月报"}, _("Problems"), _("Sheet"))

    book = openpyxl.load_workbook(io.BytesIO(content))
    assert name == expected[0] != "月报-problems.xlsx"
    assert book.sheetnames == [expected[1], "月报"]
    assert book[expected[1]]["A1"].value == expected[2] != "Sheet"
    assert book["月报"]["A2"].comment.text == "错"


def test_a_workbook_too_large_for_openpyxl_is_rebuilt_from_its_values(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import exportwatch.exchange.annotate as annotate_module

    monkeypatch.setattr(annotate_module, "OPENPYXL_MAX_CELLS", 0)
    data = fx.xlsx(
        {
            "reports": fx.reports_sheet(
                [[world.ent_a.uscc, fx.AsDate(dt.date(2020, 3, 1)), 1.5, 1, 1, 1, 50, "up", "x"]]
            ),
            "_codes": fx.Sheet(rows=[["US"]], hidden=True),
        }
    )
    problems = [FileProblem("r.xlsx", 3, "outlook_3m", "bad outlook", "reports", 9)]

    _name, content = annotate("r.xlsx", data, problems)

    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Problems", "reports", "_codes"]
    assert book["_codes"].sheet_state == "hidden"
    ws = book["reports"]
    assert [c.value for c in ws[3]][:3] == [world.ent_a.uscc, dt.datetime(2020, 3, 1), 1.5]
    assert ws["I3"].comment.text == "bad outlook"
    assert ws["I3"].fill.fgColor.rgb == "FFFFC7CE"
