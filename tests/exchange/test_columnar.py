"""Large tables of reports and lines, from CSV files and from worksheets, are checked in columns; what is stored is
exactly what the row-by-row rules store, and anything the columns cannot vouch for goes the row way."""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable
from typing import Any

import openpyxl
import pytest
import xlsxwriter
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from exportwatch.common.models import AuditEvent
from exportwatch.core.records import LINE_COLUMNS, REPORT_COLUMNS
from exportwatch.exchange import grid, services
from exportwatch.exchange.services import import_files
from exportwatch.reporting.models import Report, ReportLine
from tests.conftest import World

PERIODS = [f"2019-{m:02d}" for m in range(4, 13)] + ["2020-01", "2020-02", "2020-03"]
MARKETS = ["US", "DE", "JP", "GB", "FR"]
REPORT_KEYS = list(REPORT_COLUMNS)
LINE_KEYS = list(LINE_COLUMNS)
Row = list[Any]


@pytest.fixture(autouse=True)
def columnar_for_small_tables(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "COLUMNAR_MIN_CHARS", 1_000)
    monkeypatch.setattr(services, "COLUMNAR_MIN_ROWS", 20)


def _row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "COLUMNAR_MIN_CHARS", 10**12)
    monkeypatch.setattr(services, "COLUMNAR_MIN_ROWS", 10**12)


def _in_columns(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grid, "LAZY_SHEET_ROWS", 10)  # large sheets: read in columns (fastexcel) from a filled A1


def _tables(world: World) -> tuple[list[Row], list[Row]]:
    reports: list[Row] = []
    lines: list[Row] = []
    for e, ent in enumerate((world.ent_a, world.ent_b, world.ent_c)):
        for p, period in enumerate(PERIODS):
            capacity: Any = None if (e + p) % 3 == 0 else 75.5 + p
            trend = ("up", "上升", "same", "下降")[p % 4]
            reports.append([ent.uscc, period, 100000 + p, 90000.5, 400000, 300000.25, capacity, trend, "down"])
            for m, market in enumerate(MARKETS):
                for hs in ("8401", "8402", "85"):
                    lines.append([ent.uscc, period, market, hs, 4000.1 * (m + 1), 800.55, 1000 + e])
    return reports, lines


def _csv(keys: list[str], rows: list[Row]) -> bytes:
    def text(v: Any) -> str:
        return "" if v is None else f"{v:.2f}".rstrip("0").rstrip(".") if isinstance(v, float) else str(v)

    return ("\n".join([",".join(keys), *(",".join(text(v) for v in row) for row in rows)]) + "\n").encode()


def _xlsx(reports: list[Row], lines: list[Row], *, extra: Callable[[Any, Any], None] | None = None) -> bytes:
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    rs, ls = wb.add_worksheet("reports"), wb.add_worksheet("report_lines")
    for sheet, keys, rows in ((rs, REPORT_KEYS, reports), (ls, LINE_KEYS, lines)):
        sheet.write_row(0, 0, keys)
        for i, row in enumerate(rows, start=1):
            for j, value in enumerate(row):
                if value is not None:
                    sheet.write(i, j, value)
    if extra is not None:
        extra(rs, ls)
    wb.close()
    return buf.getvalue()


def _state() -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    reports = sorted(
        Report.objects.values_list(
            "enterprise__uscc",
            "period",
            "version",
            "is_current",
            "exports_usd",
            "new_orders_usd",
            "backlog_usd",
            "backlog_due_3m_usd",
            "capacity_utilization_pct",
            "new_orders_trend",
            "outlook_3m",
            "market_hhi",
            "main_market",
        )
    )
    lines = sorted(
        ReportLine.objects.values_list(
            "report__enterprise__uscc",
            "report__period",
            "market_id",
            "hs",
            "backlog_usd",
            "new_orders_usd",
            "exports_usd",
        )
    )
    audit = sorted(AuditEvent.objects.filter(object_type="report").values_list("action", "object_key", "old", "new"))
    return reports, lines, audit


def _reset() -> None:
    ReportLine.objects.all().delete()
    Report.objects.all().delete()
    with connection.cursor() as cursor:  # the audit trail refuses deletes through the ORM; a test resets it in SQL
        cursor.execute(f"DELETE FROM {AuditEvent._meta.db_table}")


def _spy(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[bool]]:
    taken: dict[str, list[bool]] = {"reports": [], "lines": []}
    fast_reports, fast_lines = services._Import.take_fast_reports, services._Import.take_fast

    def reports(self: Any, pt: Any) -> bool:
        taken["reports"].append(fast_reports(self, pt))
        return taken["reports"][-1]

    def lines(self: Any, pt: Any) -> bool:
        taken["lines"].append(fast_lines(self, pt))
        return taken["lines"][-1]

    monkeypatch.setattr(services._Import, "take_fast_reports", reports)
    monkeypatch.setattr(services._Import, "take_fast", lines)
    return taken


@pytest.mark.parametrize("lazy_grid", [True, False], ids=["rows from the grid", "rows as mappings"])
def test_a_workbook_takes_the_columnar_path_and_stores_what_the_row_path_stores(
    world: World, monkeypatch: pytest.MonkeyPatch, lazy_grid: bool
) -> None:
    monkeypatch.setattr(grid, "LAZY_SHEET_ROWS", 10 if lazy_grid else 10**9)
    reports, lines = _tables(world)
    data = _xlsx(reports, lines)
    taken = _spy(monkeypatch)
    outcome = import_files([("book.xlsx", data)], user=None)
    assert outcome.problems == []
    assert taken == {"reports": [True], "lines": [True]}
    assert outcome.written["reports"] == 3 * len(PERIODS)
    assert outcome.written["report_lines"] == len(lines)
    # Five markets, each with the same exports: an even spread, the tie going to the highest code.
    assert {(round(h, 9), m) for h, m in Report.objects.values_list("market_hhi", "main_market")} == {(0.2, "US")}
    columnar = _state()
    _reset()
    _row_by_row(monkeypatch)
    assert import_files([("book.xlsx", data)], user=None).problems == []
    assert _state() == columnar
    assert {str(v) for v in ReportLine.objects.filter(market_id="JP").values_list("backlog_usd", flat=True)} == {
        "12000.30"  # 4000.1 x 3 as a spreadsheet stores it, to the cent
    }


def test_large_csv_files_of_reports_and_lines_store_what_the_row_path_stores(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    reports, lines = _tables(world)
    files = [("reports.csv", _csv(REPORT_KEYS, reports)), ("report_lines.csv", _csv(LINE_KEYS, lines))]
    taken = _spy(monkeypatch)
    assert import_files(files, user=None).problems == []
    assert taken == {"reports": [True], "lines": [True]}
    columnar = _state()
    assert {r[9] for r in columnar[0]} == {"up", "same", "down"}  # 上升 and 下降 read as the row path reads them
    assert {r[8] for r in columnar[0]} >= {None}  # blank capacity stays blank
    _reset()
    _row_by_row(monkeypatch)
    assert import_files(files, user=None).problems == []
    assert _state() == columnar


@pytest.mark.parametrize(
    ("amount", "stored", "in_columns"),
    [
        (1000.125, "1000.13", False),  # rounded half up by the core, never by a float
        (123456789.12, "123456789.12", True),  # fastexcel writes this double as 123456789.120000005
    ],
)
def test_a_number_that_is_not_plain_whole_cents_sends_the_sheet_the_row_way(
    world: World, monkeypatch: pytest.MonkeyPatch, amount: float, stored: str, in_columns: bool
) -> None:
    if in_columns:
        _in_columns(monkeypatch)
    reports, lines = _tables(world)
    lines[7][6] = amount
    assert (reports[0][0], reports[0][1]) == (lines[7][0], lines[7][1])
    reports[0][2] = 130_000_000  # the report's exports hold its lines'
    taken = _spy(monkeypatch)
    assert import_files([("book.xlsx", _xlsx(reports, lines))], user=None).problems == []
    assert taken["lines"] == [False]
    line = ReportLine.objects.get(
        report__enterprise__uscc=lines[7][0], report__period=lines[7][1], market_id=lines[7][2], hs=lines[7][3]
    )
    assert str(line.exports_usd) == stored


def test_a_bad_cell_in_a_large_sheet_is_named_by_the_row_path(world: World) -> None:
    reports, lines = _tables(world)
    reports[4][5] = 500000  # due within 3 months above the backlog
    lines[30][4] = "lots"
    outcome = import_files([("book.xlsx", _xlsx(reports, lines))], user=None)
    found = {(p.sheet, p.row, p.column) for p in outcome.problems}
    assert found == {("reports", 6, "backlog_due_3m_usd"), ("report_lines", 32, "backlog_usd")}
    assert not Report.objects.exists()


def test_a_formula_in_a_large_sheet_is_refused_and_its_cached_value_never_read(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(grid, "LAZY_SHEET_ROWS", 10)
    reports, lines = _tables(world)

    def formula(_rs: Any, ls: Any) -> None:
        ls.write_formula(12, 4, "=1000+1", None, 1001)

    outcome = import_files([("book.xlsx", _xlsx(reports, lines, extra=formula))], user=None)
    assert [(p.sheet, p.row, p.column) for p in outcome.problems] == [("report_lines", 13, "backlog_usd")]
    assert not ReportLine.objects.exists()


def test_a_blank_row_inside_a_large_sheet_is_passed_over(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(grid, "LAZY_SHEET_ROWS", 10)
    reports, lines = _tables(world)
    data = _xlsx(reports, [*lines[:50], [None] * 7, *lines[50:]])
    outcome = import_files([("book.xlsx", data)], user=None)
    assert outcome.problems == []
    assert outcome.written["report_lines"] == len(lines)


def test_a_report_in_two_large_files_is_named_as_repeated(world: World) -> None:
    reports, _lines = _tables(world)
    files = [("a.csv", _csv(REPORT_KEYS, reports)), ("b.csv", _csv(REPORT_KEYS, reports[:1]))]
    outcome = import_files(files, user=None)
    assert [(p.file, p.row, p.column) for p in outcome.problems] == [("b.csv", 2, "period")]
    assert not Report.objects.exists()


# --- large sheets read in columns (fastexcel) ---------------------------------------------------------------------


def _sheet_at(
    keys: list[str], rows: list[Row], *, row: int = 0, col: int = 0, a1: Callable[[Any, Any], None] | None = None
) -> bytes:
    """One sheet of report lines whose header starts at (row, col), 0-based; ``a1`` may write cell A1 itself."""
    buf = io.BytesIO()
    wb = xlsxwriter.Workbook(buf)
    sheet = wb.add_worksheet("report_lines")
    if a1 is not None:
        a1(wb, sheet)
    sheet.write_row(row, col, keys)
    for i, values in enumerate(rows, start=row + 1):
        sheet.write_row(i, col, values)
    wb.close()
    return buf.getvalue()


def test_a_large_sheet_is_read_in_columns_only_when_its_first_cell_is_a_filled_a1(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exportwatch.exchange.readers import read_upload

    _in_columns(monkeypatch)
    reports, lines = _tables(world)
    tables, problems = read_upload("book.xlsx", _xlsx(reports, lines))
    assert problems == []
    assert [t.frame is not None for t in tables] == [True, True]
    cases = {
        "a title in A1": (
            _sheet_at(LINE_KEYS, lines, row=2, a1=lambda _wb, s: s.write(0, 0, "2020年3月订单明细")),
            True,
        ),
        "the header from A1": (_sheet_at(LINE_KEYS, lines), True),
        "the header from B3": (_sheet_at(LINE_KEYS, lines, row=2, col=1), False),
        "an empty A1 with a format": (
            _sheet_at(LINE_KEYS, lines, row=1, a1=lambda wb, s: s.write_blank(0, 0, None, wb.add_format({"bold": 1}))),
            False,
        ),
    }
    # openpyxl writes an empty text A1 as an inline-string cell without its string, which readers skip.
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.title = "report_lines"
    sheet["A1"] = ""
    for i, values in enumerate([LINE_KEYS, *lines], start=1):
        for j, value in enumerate(values, start=2):
            sheet.cell(i, j, value)
    written = io.BytesIO()
    book.save(written)
    cases["an empty text A1 from openpyxl"] = (written.getvalue(), False)
    for label, (data, in_columns) in cases.items():
        tables, problems = read_upload("lines.xlsx", data)
        assert problems == [], label
        assert [t.frame is not None for t in tables] == [in_columns], label


@pytest.mark.parametrize("place", [(0, 0), (2, 1)], ids=["from A1, in columns", "from B3, cell by cell"])
def test_a_large_sheet_stores_what_the_row_path_stores_and_names_bad_cells_where_they_are(
    world: World, monkeypatch: pytest.MonkeyPatch, place: tuple[int, int]
) -> None:
    _in_columns(monkeypatch)
    reports, lines = _tables(world)
    report_file = ("reports.csv", _csv(REPORT_KEYS, reports))
    row, col = place
    data = _sheet_at(LINE_KEYS, lines, row=row, col=col)
    assert import_files([report_file, ("lines.xlsx", data)], user=None).problems == []
    in_columns = _state()
    _reset()
    _row_by_row(monkeypatch)
    assert import_files([report_file, ("lines.xlsx", data)], user=None).problems == []
    assert _state() == in_columns
    _reset()
    monkeypatch.setattr(services, "COLUMNAR_MIN_ROWS", 20)
    bad = [list(r) for r in lines]
    bad[30][4] = "lots"
    bad[41][2] = "XX"
    outcome = import_files([report_file, ("lines.xlsx", _sheet_at(LINE_KEYS, bad, row=row, col=col))], user=None)
    first = row + 2  # the sheet's row of lines[0]
    assert {(p.sheet, p.row, p.column, p.col) for p in outcome.problems} == {
        ("report_lines", first + 30, "backlog_usd", col + 5),
        ("report_lines", first + 41, "market", col + 3),
    }
    assert not Report.objects.exists()


_ODD_CELLS: dict[int, list[Any]] = {  # index in LINE_KEYS -> values a clerk's sheet may hold there
    1: ["2020-01", dt.date(2020, 1, 1), "2020/1", 202001, " 2020-01", None],
    2: ["US", " US", "us", "XX", 1.0, "", None, True],
    3: ["8401", 8401, 401, "0401", "84.01", 84010000, "8401 ", None],
    4: [40000, 40000.5, 0.1 + 0.2, 123456789.12, 1e-7, -5, "40000", " 40000", "40,000", "4万", 1000.125, "=1+1",
        "'=1+1", 99999999999.99, dt.datetime(2020, 1, 1, 8, 0), False, None],
}  # fmt: skip


@given(st.data())
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_any_odd_cell_gives_the_same_outcome_in_columns_as_cell_by_cell(
    world: World, monkeypatch: pytest.MonkeyPatch, data: st.DataObject
) -> None:
    reports, lines = _tables(world)
    lines = [list(r) for r in lines]
    for _ in range(data.draw(st.integers(1, 3))):
        column = data.draw(st.sampled_from(sorted(_ODD_CELLS)))
        lines[data.draw(st.integers(0, len(lines) - 1))][column] = data.draw(st.sampled_from(_ODD_CELLS[column]))
    report_file = ("reports.csv", _csv(REPORT_KEYS, reports))
    book = ("lines.xlsx", _sheet_at(LINE_KEYS, lines))
    outcomes = []
    for in_columns in (True, False):
        with monkeypatch.context() as patched:
            if in_columns:
                _in_columns(patched)
            else:
                _row_by_row(patched)
            outcome = import_files([report_file, book], user=None, valid_rows_only=True)
            outcomes.append(
                (
                    sorted((p.row, p.column, p.col, p.message) for p in outcome.problems),
                    sorted((p.row, p.message) for p in outcome.skipped),
                    dict(outcome.written),
                    _state(),
                )
            )
            _reset()
    assert outcomes[0] == outcomes[1]
