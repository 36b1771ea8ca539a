"""Excel workbooks through the importer: headers, units, dates, several sheets, formulas, ignored sheets."""

from __future__ import annotations

import datetime as dt
import io
import re
import zipfile
from decimal import Decimal

import pytest
import xlsxwriter
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from exportwatch.exchange.services import import_files
from exportwatch.exchange.workbook import CHUNK, _damaged, _SheetScan, inspect_workbook, read_workbook
from exportwatch.reporting.models import Report, ReportLine
from tests.conftest import World, make_uscc
from tests.exchange import fixtures as fx

P = "2020-03"


def report_row(uscc: str, period: object = P, exports: object = 100_000, **kw: object) -> list[object]:
    values = {
        "new_orders_usd": 80_000,
        "backlog_usd": 500_000,
        "backlog_due_3m_usd": 300_000,
        "capacity_utilization_pct": 75,
        "new_orders_trend": "down",
        "outlook_3m": "same",
        **kw,
    }
    return [uscc, period, exports, *values.values()]


def stored() -> list[tuple[str, str, Decimal, Decimal, Decimal, Decimal, str, str]]:
    return sorted(
        Report.objects.filter(is_current=True).values_list(
            "enterprise__uscc",
            "period",
            "exports_usd",
            "new_orders_usd",
            "backlog_usd",
            "backlog_due_3m_usd",
            "new_orders_trend",
            "outlook_3m",
        )
    )


def run(name: str, data: bytes, **options: object):  # type: ignore[no-untyped-def]
    return import_files([(name, data)], user=None, **options)  # type: ignore[arg-type]


# --- What is read ----------------------------------------------------------------------------------------------


def test_a_reports_sheet_with_the_chinese_header_and_the_keys_beneath_imports(world: World) -> None:
    data = fx.xlsx(
        {"reports": fx.reports_sheet([report_row(world.ent_a.uscc), report_row(world.ent_b.uscc, exports=0)])}
    )

    outcome = run("月报.xlsx", data)

    assert outcome.problems == []
    assert outcome.written["reports"] == 2
    assert stored() == [
        (world.ent_a.uscc, P, Decimal(100_000), Decimal(80_000), Decimal(500_000), Decimal(300_000), "down", "same"),
        (world.ent_b.uscc, P, Decimal(0), Decimal(80_000), Decimal(500_000), Decimal(300_000), "down", "same"),
    ]


def test_a_sheet_with_only_the_key_header_imports(world: World) -> None:
    data = fx.xlsx({"Sheet1": fx.reports_sheet([report_row(world.ent_a.uscc)], chinese=False)})

    outcome = run("r.xlsx", data)

    assert outcome.problems == []
    assert outcome.written["reports"] == 1


def test_amounts_under_a_wan_usd_header_are_scaled_to_usd(world: World) -> None:
    header = [h.replace("（美元）", "（万美元）") for h in fx.REPORT_CN]
    data = fx.xlsx(
        {
            "reports": [
                header,
                report_row(world.ent_a.uscc, exports=12.5, new_orders_usd=8, backlog_usd=50, backlog_due_3m_usd=30),
            ]
        }
    )

    outcome = run("wan.xlsx", data)

    assert outcome.problems == []
    report = Report.objects.get(enterprise=world.ent_a, period=P)
    assert (report.exports_usd, report.new_orders_usd, report.backlog_usd, report.backlog_due_3m_usd) == (
        Decimal(125_000),
        Decimal(80_000),
        Decimal(500_000),
        Decimal(300_000),
    )


def test_a_period_stored_as_an_excel_date_or_as_text_is_the_same_month(world: World) -> None:
    data = fx.xlsx(
        {
            "reports": fx.reports_sheet(
                [
                    report_row(world.ent_a.uscc, period=fx.AsDate(dt.date(2020, 3, 1))),
                    report_row(world.ent_b.uscc, period="2020-03"),
                    report_row(world.ent_c.uscc, period=fx.AsDate(dt.date(2020, 2, 15), "yyyy-mm-dd")),
                ]
            )
        }
    )

    tables, problems = read_workbook("d.xlsx", data, max_rows=100)
    outcome = run("d.xlsx", data)

    assert problems == []
    periods = [values["period"] for _n, values in tables[0].rows]
    assert isinstance(periods[0], dt.date) and periods[1] == "2020-03"
    assert outcome.problems == []
    assert sorted(Report.objects.values_list("enterprise__uscc", "period")) == sorted(
        [(world.ent_a.uscc, "2020-03"), (world.ent_b.uscc, "2020-03"), (world.ent_c.uscc, "2020-02")]
    )


def test_a_two_row_header_with_merged_cells_is_recognised(world: World) -> None:
    top = ["", "", "", "", "在手订单（美元）", "", "", "", ""]
    sub = ["", "", "", "", "合计", "其中三个月内交货", "", "", ""]
    merges = [(0, c, 1, c, text) for c, text in enumerate(fx.REPORT_CN) if c not in (4, 5)]
    merges.append((0, 4, 0, 5, "在手订单（美元）"))
    data = fx.xlsx(
        {
            "订单": fx.Sheet(
                rows=[top, sub, report_row(world.ent_a.uscc, backlog_usd=700, backlog_due_3m_usd=600)], merges=merges
            )
        }
    )

    tables, problems = read_workbook("m.xlsx", data, max_rows=100)
    outcome = run("m.xlsx", data)

    assert problems == []
    assert tables[0].header_rows == (1, 2)
    assert tables[0].columns["backlog_usd"] == 5 and tables[0].columns["backlog_due_3m_usd"] == 6
    assert outcome.problems == []
    report = Report.objects.get(enterprise=world.ent_a)
    assert (report.backlog_usd, report.backlog_due_3m_usd) == (Decimal(700), Decimal(600))


def test_reports_and_lines_on_two_sheets_import_together(world: World) -> None:
    uscc = world.ent_a.uscc
    data = fx.xlsx(
        {
            "说明": [["本表用于填报月度订单。"], ["统一社会信用代码：18位"]],
            "reports": fx.reports_sheet([report_row(uscc)]),
            "report_lines": fx.lines_sheet(
                [[uscc, P, "US", "84", 200_000, 30_000, 40_000], [uscc, P, "DE", 8481, 100_000, 20_000, 30_000]]
            ),
            "_codes": fx.Sheet(rows=[["US"], ["DE"]], hidden=True),
        }
    )

    tables, problems = read_workbook("book.xlsx", data, max_rows=100)
    outcome = run("book.xlsx", data)

    assert problems == []
    assert [(t.sheet, t.table.key) for t in tables] == [("reports", "reports"), ("report_lines", "report_lines")]
    assert outcome.problems == []
    assert (outcome.written["reports"], outcome.written["report_lines"]) == (1, 2)
    assert sorted(ReportLine.objects.values_list("market_id", "hs", "backlog_usd")) == [
        ("DE", "8481", Decimal(100_000)),
        ("US", "84", Decimal(200_000)),
    ]


def test_codes_typed_as_numbers_are_read_as_codes(world: World) -> None:
    uscc = world.ent_a.uscc
    data = fx.xlsx(
        {
            "reports": fx.reports_sheet([report_row(uscc)]),
            "lines": fx.lines_sheet(
                [[uscc, 202003, "US", 8481.0, 200_000, 30_000, 40_000], [uscc, P, "JP", 1, 0, 0, 0]]
            ),
        }
    )

    outcome = run("codes.xlsx", data)

    assert outcome.problems == []
    assert sorted(ReportLine.objects.values_list("hs", flat=True)) == ["01", "8481"]


def test_a_problem_names_the_sheet_row_and_column_of_its_cell(world: World) -> None:
    uscc = world.ent_a.uscc
    data = fx.xlsx(
        {
            "reports": fx.reports_sheet([report_row(uscc)]),
            "明细": fx.Sheet(rows=fx.lines_sheet([[uscc, P, "XX", "84", 1, 1, 1]]), start=(2, 1)),  # from B3
        }
    )

    outcome = run("bad.xlsx", data)

    assert [(p.sheet, p.row, p.col, p.column) for p in outcome.problems] == [("明细", 5, 4, "market")]
    assert Report.objects.count() == 0


# --- Formulas -------------------------------------------------------------------------------------------------


def test_a_formula_in_an_amount_cell_is_refused_with_its_cell_and_nothing_is_written(world: World) -> None:
    data = fx.xlsx(
        {
            "reports": fx.reports_sheet(
                [
                    report_row(world.ent_a.uscc, exports=fx.Formula("=SUM(100000,0)", 100_000)),
                    report_row(world.ent_b.uscc),
                ]
            )
        }
    )

    outcome = run("f.xlsx", data)

    assert [(p.sheet, p.row, p.col, p.column) for p in outcome.problems] == [("reports", 3, 3, "exports_usd")]
    message = outcome.problems[0].message
    assert "This cell holds a formula (=SUM(100000,0)); enter the value itself." in message
    assert "Formulas are not calculated on import." in message
    assert Report.objects.count() == 0


def test_a_long_formula_is_shortened_in_the_message(world: World) -> None:
    long = "=" + "+".join(["1"] * 60)
    data = fx.xlsx({"reports": fx.reports_sheet([report_row(world.ent_a.uscc, backlog_usd=fx.Formula(long, 61))])})

    [problem] = run("f.xlsx", data).problems

    shown = re.search(r"\(=(.*?)\);", problem.message).group(1)  # type: ignore[union-attr]
    assert len(shown) == 40 and shown.endswith("…")


def test_with_valid_rows_only_a_formula_row_is_skipped_and_the_others_written(world: World) -> None:
    data = fx.xlsx(
        {
            "reports": fx.reports_sheet(
                [report_row(world.ent_a.uscc, exports=fx.Formula("=1+1", 2)), report_row(world.ent_b.uscc)]
            )
        }
    )

    outcome = run("f.xlsx", data, valid_rows_only=True)

    assert outcome.problems == []
    assert [(p.row, p.column) for p in outcome.skipped] == [(3, "exports_usd")]
    assert list(Report.objects.values_list("enterprise__uscc", flat=True)) == [world.ent_b.uscc]


def test_formulas_in_the_header_or_outside_the_table_are_ignored(world: World) -> None:
    header = list(fx.REPORT_CN)
    header[2] = fx.Formula('="当月出口额（美元）"', "当月出口额（美元）")
    rows = [header, list(fx.REPORT_KEYS), report_row(world.ent_a.uscc)]
    data = fx.xlsx({"reports": fx.Sheet(rows=rows, extra={(10, 12): fx.Formula("=TODAY()", "")})})

    outcome = run("h.xlsx", data)

    assert outcome.problems == []
    assert Report.objects.count() == 1


def test_a_shared_formula_shows_its_master_text(world: World) -> None:
    rows = fx.reports_sheet([report_row(world.ent_a.uscc), report_row(world.ent_b.uscc)])
    data = fx.xlsx({"reports": rows})

    def shared(xml: bytes) -> bytes:
        xml = xml.replace(b'<c r="C3">', b'<c r="C3"><f t="shared" ref="C3:C4" si="0">D3+1</f>', 1)
        return xml.replace(b'<c r="C4">', b'<c r="C4"><f t="shared" si="0"/>', 1)

    outcome = run("s.xlsx", fx.with_sheet_xml(data, shared))

    assert [(p.row, p.col) for p in outcome.problems] == [(3, 3), (4, 3)]
    assert all("(=D3+1)" in p.message for p in outcome.problems)


def test_an_opendocument_spreadsheet_is_read_and_its_formulas_refused(world: World) -> None:
    def row(uscc: str, exports: str) -> str:
        cells = [uscc, P, None, 80_000, 500_000, 300_000, 75, "down", "same"]
        return fx.ods_row("".join(fx.ods_cell(c) if c is not None else exports for c in cells))

    good = fx.ods({"reports": [fx.ods_row(list(fx.REPORT_KEYS)), row(world.ent_a.uscc, fx.ods_cell(100_000))]})
    bad = fx.ods(
        {"reports": [fx.ods_row(list(fx.REPORT_KEYS)), row(world.ent_a.uscc, fx.ods_cell(5, formula="of:=2+3"))]}
    )

    refused = run("bad.ods", bad)
    written = run("good.ods", good)

    assert [(p.row, p.col, p.column) for p in refused.problems] == [(2, 3, "exports_usd")]
    assert "(=2+3)" in refused.problems[0].message
    assert written.problems == [] and written.written["reports"] == 1


# --- Which sheets are read --------------------------------------------------------------------------------------


def test_instruction_code_and_hidden_sheets_are_ignored(world: World) -> None:
    bad = fx.reports_sheet([report_row("not a code", period="2099-01")])
    data = fx.xlsx(
        {
            "Instructions": bad,
            "说明": bad,
            "代码表": bad,
            "old": fx.Sheet(rows=bad, hidden=True),
            "reports": fx.reports_sheet([report_row(world.ent_a.uscc)]),
        }
    )

    tables, problems = read_workbook("x.xlsx", data, max_rows=100)

    assert problems == []
    assert [t.sheet for t in tables] == ["reports"]


def test_sheets_without_a_table_are_skipped_when_another_sheet_holds_one(world: World) -> None:
    data = fx.xlsx(
        {
            "封面": [["2020年3月外贸订单月报"], ["宁波市北仑区商务局"]],
            "reports": fx.reports_sheet([report_row(world.ent_a.uscc)]),
            "report_lines": fx.lines_sheet([]),  # a template sheet left empty
            "Sheet3": [],
        }
    )

    outcome = run("x.xlsx", data)

    assert outcome.problems == []
    assert outcome.written["reports"] == 1


def test_a_workbook_without_any_table_says_so_per_sheet(ref: None) -> None:
    data = fx.xlsx({"封面": [["2020年3月外贸订单月报"]], "Sheet2": []})

    tables, problems = read_workbook("x.xlsx", data, max_rows=100)

    assert tables == []
    assert [(p.sheet, p.row) for p in problems] == [("封面", 1), ("Sheet2", 0)]
    assert "does not match any ExportWatch table" in problems[0].message
    assert problems[1].message == "The sheet is empty."


def test_a_workbook_whose_every_sheet_is_hidden_or_instructions_says_so(ref: None) -> None:
    data = fx.xlsx({"说明": [["x"]], "data": fx.Sheet(rows=fx.reports_sheet([report_row(make_uscc(1))]), hidden=True)})

    tables, problems = read_workbook("x.xlsx", data, max_rows=100)

    assert tables == []
    assert [p.message for p in problems] == [
        "The workbook has no data sheet: every sheet is hidden or holds instructions or codes."
    ]


def test_a_header_problem_on_a_data_sheet_is_reported_even_if_another_sheet_is_fine(world: World) -> None:
    header = [*fx.REPORT_KEYS[:2], *fx.REPORT_KEYS[3:]]  # exports_usd left out
    data = fx.xlsx(
        {
            "reports": fx.reports_sheet([report_row(world.ent_a.uscc)]),
            "more": [header, [world.ent_b.uscc, P, 1, 1, 1, 1, "up", "up"]],
        }
    )

    outcome = run("x.xlsx", data)

    assert [(p.sheet, p.column) for p in outcome.problems] == [("more", "exports_usd")]
    assert Report.objects.count() == 0


# --- Reading the sheet XML: the fast scan and the exact parse agree ------------------------------------------------


def _strip_refs(xml: bytes) -> bytes:
    return re.sub(rb' r="[A-Z]*\d+"', b"", xml)


def test_a_sheet_written_without_cell_references_reads_the_same(world: World) -> None:
    data = fx.xlsx({"reports": fx.reports_sheet([report_row(world.ent_a.uscc), report_row(world.ent_b.uscc)])})
    plain = fx.with_sheet_xml(data, _strip_refs)

    before = read_workbook("a.xlsx", data, max_rows=100)[0][0]
    after = read_workbook("b.xlsx", plain, max_rows=100)[0][0]

    assert b' r="' not in fx.parts(plain)["xl/worksheets/sheet1.xml"]
    assert inspect_workbook("b.xlsx", plain).sheets["reports"].rows == 4
    assert list(after.rows) == list(before.rows)


def test_a_cell_below_the_last_row_tag_is_bounded_by_the_exact_parse(world: World) -> None:
    data = fx.xlsx({"reports": fx.reports_sheet([report_row(world.ent_a.uscc)])})
    moved = fx.with_sheet_xml(data, lambda xml: xml.replace(b'<c r="I3"', b'<c r="K5000"', 1))

    info = inspect_workbook("m.xlsx", moved).sheets["reports"]

    assert (info.rows, info.cols) == (5000, 11)


def test_the_fast_scan_bounds_an_ordinary_sheet(world: World) -> None:
    rows = [report_row(make_uscc(n)) for n in range(1, 120)]
    data = fx.xlsx({"reports": fx.reports_sheet(rows), "wide": fx.Sheet(rows=[["x"]], extra={(3, 30): "y"})})

    sheets = inspect_workbook("w.xlsx", data).sheets

    assert (sheets["reports"].rows, sheets["reports"].cols) == (121, 9)
    assert (sheets["wide"].rows, sheets["wide"].cols) == (4, 31)


def _letters(column: int) -> str:
    text = ""
    while column:
        column, rest = divmod(column - 1, 26)
        text = chr(65 + rest) + text
    return text


def _scan(xml: bytes, chunk: int) -> _SheetScan:
    scan = _SheetScan()
    for start in range(0, len(xml), chunk):
        scan.feed(xml[start : start + chunk])
    scan.finish()
    return scan


@given(
    st.lists(st.tuples(st.integers(1, 16_384), st.integers(1, 1_048_576)), min_size=1, max_size=30),
    st.integers(min_value=1, max_value=300),
)
@settings(max_examples=200, deadline=None)
def test_the_tag_scan_finds_the_largest_row_and_column_of_plain_references(
    cells: list[tuple[int, int]], chunk: int
) -> None:
    xml = (
        b"<sheetData>"
        + b"".join(
            b'<row r="%d"><c r="%s%d" t="s"><v>1</v></c></row>' % (row, _letters(col).encode(), row)
            for col, row in cells
        )
        + b"</sheetData>"
    )

    scan = _scan(xml, chunk)

    assert not scan.exact_needed and not scan.has_formula
    assert (scan.rows, scan.cols) == (max(r for _c, r in cells), max(c for c, _r in cells))


@pytest.mark.parametrize(
    "cell", [b"<c>", b'<c r="a1">', b'<c r="A01">', b'<c r="AAAA1">', b'<c r="A12345678">', b'<c t="s" r="A1">']
)
def test_a_cell_tag_the_scan_cannot_read_takes_the_exact_parse(cell: bytes) -> None:
    xml = b'<sheetData><row r="1"><c r="A1"><v>1</v></c>' + cell + b"<v>2</v></c></row></sheetData>"

    assert _scan(xml, 16).exact_needed


def test_the_tag_scan_finds_a_formula_only_in_the_sheet_data() -> None:
    data = b'<sheetData><row r="1"><c r="A1"><f>B1</f><v>1</v></c></row></sheetData>'
    after = b'<sheetData><row r="1"><c r="A1"><v>1</v></c></row></sheetData><f>B1</f>'

    assert _scan(data, 7).has_formula
    assert not _scan(after, 7).has_formula


def _large_sheet_workbook() -> bytes:
    buf = io.BytesIO()
    book = xlsxwriter.Workbook(buf)
    sheet = book.add_worksheet("numbers")
    for row in range(70_000):  # about 9 MB of sheet XML: unpacked and scanned in several chunks
        sheet.write_row(row, 0, [row, row * 2, row * 3, row * 4])
    sheet.write(80_000, 5, 1)
    book.close()
    return buf.getvalue()


def test_a_sheet_larger_than_a_chunk_is_bounded_and_a_damaged_one_refused(ref: None) -> None:
    data = _large_sheet_workbook()
    part = next(i for i in zipfile.ZipFile(io.BytesIO(data)).infolist() if i.filename == "xl/worksheets/sheet1.xml")
    assert part.file_size > 2 * CHUNK
    damaged = bytearray(data)
    damaged[part.header_offset + 30 + len(part.filename) + part.compress_size // 2] ^= 0xFF

    info = inspect_workbook("large.xlsx", data).sheets["numbers"]
    tables, problems = read_workbook("damaged.xlsx", bytes(damaged), max_rows=100_000)

    assert (info.rows, info.cols) == (80_001, 6)
    assert tables == []
    assert [p.message for p in problems] == [_damaged("xl/worksheets/sheet1.xml").message]  # in this thread's language


# --- Property: the importer never crashes and never writes partially -------------------------------------------------

cell_text = st.text(alphabet=st.characters(codec="utf-8", exclude_categories=("Cs",)), max_size=12)
amount = st.one_of(
    st.integers(min_value=-5, max_value=10**7), st.sampled_from(["", "1,000", "1.5", "abc", "9e99"]), cell_text
)


@st.composite
def valid_row(draw: st.DrawFn, usccs: list[str]) -> list[object]:
    backlog = draw(st.integers(min_value=0, max_value=10**7))
    return [
        draw(st.sampled_from(usccs)),
        draw(st.sampled_from(["2020-03", "2020-02", "2020-01", "2020年1月"])),
        draw(st.one_of(st.integers(min_value=0, max_value=10**6), st.sampled_from(["1,000", "0.5", "12,345.67"]))),
        draw(st.integers(min_value=0, max_value=10**6)),
        backlog,
        draw(st.integers(min_value=0, max_value=backlog)),
        draw(st.one_of(st.integers(min_value=0, max_value=100), st.just(""))),
        draw(st.sampled_from(["up", "same", "down", "上升"])),
        draw(st.sampled_from(["up", "same", "down", "持平"])),
    ]


@st.composite
def random_row(draw: st.DrawFn, usccs: list[str]) -> list[object]:
    return [
        draw(st.one_of(st.sampled_from([*usccs, make_uscc(999), "not-a-code"]), cell_text)),
        draw(st.one_of(st.sampled_from(["2020-03", "2020-02", "202001", "2020-13", "2030-01", ""]), cell_text)),
        draw(amount),
        draw(amount),
        draw(st.one_of(st.integers(min_value=0, max_value=10**7), cell_text)),
        draw(st.one_of(st.integers(min_value=0, max_value=10**6), cell_text)),
        draw(st.one_of(st.integers(min_value=0, max_value=100), st.just(""), cell_text)),
        draw(st.sampled_from(["up", "same", "down", "", "sideways"])),
        draw(st.sampled_from(["up", "same", "down", "上升", "x"])),
    ]


@st.composite
def report_rows(draw: st.DrawFn, usccs: list[str]) -> list[list[object]]:
    """1-5 rows, most of them valid (so that both outcomes occur), some random."""
    n = draw(st.integers(min_value=1, max_value=5))
    return [
        draw(valid_row(usccs) if draw(st.integers(min_value=0, max_value=9)) < 8 else random_row(usccs))
        for _i in range(n)
    ]


def _csv(rows: list[list[object]]) -> bytes:
    import csv
    import io

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(fx.REPORT_KEYS)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _check_all_or_nothing(name: str, data: bytes, n_rows: int) -> None:
    before = Report.objects.count()
    outcome = run(name, data)
    after = Report.objects.count()
    event("refused" if outcome.problems or outcome.warnings else "written")
    if outcome.problems or outcome.warnings:
        assert after == before
        assert not outcome.committed
    else:
        assert after == before + outcome.written["reports"]
        assert outcome.written["reports"] + outcome.unchanged["reports"] == n_rows  # every row, one report each


@pytest.mark.django_db
@given(data=st.data())
@settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_rows_never_crash_the_importer_nor_write_partially(world: World, data: st.DataObject) -> None:
    rows = data.draw(report_rows([world.ent_a.uscc, world.ent_b.uscc, world.ent_c.uscc]))

    _check_all_or_nothing("r.csv", _csv(rows), len(rows))
    _check_all_or_nothing("r.xlsx", fx.xlsx({"reports": fx.reports_sheet(rows)}), len(rows))
