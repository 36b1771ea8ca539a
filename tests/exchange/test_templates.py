"""Excel templates (`exportwatch template`, the download page): structure, round trips through the importer,
LibreOffice, and who may download what."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
import uuid
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import quote

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from openpyxl.worksheet.worksheet import Worksheet
from python_calamine import CalamineWorkbook

from exportwatch.directory.models import Enterprise, Region
from exportwatch.exchange.exports import export_rows
from exportwatch.exchange.grid import find_header
from exportwatch.exchange.services import import_files
from exportwatch.exchange.tables import TABLES
from exportwatch.exchange.templates_xlsx import (
    CODES_SHEET,
    INSTRUCTIONS_SHEET,
    REFERENCE_SHEET,
    ROSTER_SHEET,
    XLSX_CONTENT_TYPE,
    template_blank,
    template_enterprise,
    template_town,
)
from exportwatch.reporting.models import Disruption, Need, Report
from tests.conftest import World
from tests.reporting.factories import line_in, submit

PERIOD = "2020-03"
TOWN_A = "330213001"
TOWN_B = "330213100"


# --- Helpers -------------------------------------------------------------------------------------------------


def load(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def saved(wb: openpyxl.Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def key_row(ws: Worksheet) -> int:
    """The 1-based row of the stable keys (the Chinese header is right above it)."""
    for row in range(1, 6):
        if ws.cell(row, 1).value == "uscc":
            return row
    raise AssertionError(f"no key row in {ws.title}")


def keys(ws: Worksheet) -> list[str]:
    row = key_row(ws)
    return [c.value for c in ws[row] if c.value]


def fill(ws: Worksheet, row: int, values: Mapping[str, object]) -> None:
    columns = {key: i + 1 for i, key in enumerate(keys(ws))}
    for key, value in values.items():
        ws.cell(row, columns[key]).value = value


def value(ws: Worksheet, row: int, key: str) -> Any:
    return ws.cell(row, keys(ws).index(key) + 1).value


def import_workbook(data: bytes, name: str = "template.xlsx") -> Any:
    return import_files([(name, data)], user=None)


def exported(table: str, *enterprises: Any, period: str | None = PERIOD) -> list[list[str]]:
    scope = Enterprise.objects.filter(pk__in=[e.pk for e in enterprises])
    return list(export_rows(table, enterprises=scope, period=period))


def grids(data: bytes) -> Iterator[tuple[str, list[list[object]]]]:
    book = CalamineWorkbook.from_filelike(io.BytesIO(data))
    for name in book.sheet_names:
        yield name, book.get_sheet_by_name(name).to_python()


def last_period(world: World) -> None:
    """ent_a reported February with two lines: what the March template prefills."""
    submit(
        world.ent_a,
        "2020-02",
        lines=[
            line_in(world.ent_a, "2020-02", market="US", hs="84"),
            line_in(world.ent_a, "2020-02", market="DE", hs="8481", exports_usd=123_456),
        ],
        exports_usd=987_654,
    )


def fill_enterprise(wb: openpyxl.Workbook, ent: Any, *, scale: float = 1) -> None:
    """Fill a March enterprise template: the report row, the two prefilled lines and one new line."""
    reports = wb["reports"]
    first = key_row(reports) + 1
    fill(
        reports,
        first,
        {
            "exports_usd": 100_000 / scale,
            "new_orders_usd": 80_000 / scale,
            "backlog_usd": 500_000 / scale,
            "backlog_due_3m_usd": 300_000 / scale,
            "capacity_utilization_pct": 75,
            "new_orders_trend": "减少",
            "outlook_3m": "持平",
        },
    )
    lines = wb["report_lines"]
    row = key_row(lines) + 1
    amounts = {"US": (200_000, 30_000, 40_000), "DE": (100_000, 20_000, 30_000)}
    while value(lines, row, "market"):
        backlog, new, exports = amounts[value(lines, row, "market")]
        fill(
            lines, row, {"backlog_usd": backlog / scale, "new_orders_usd": new / scale, "exports_usd": exports / scale}
        )
        row += 1
    fill(
        lines,
        row,
        {
            "uscc": ent.uscc,
            "period": PERIOD,
            "market": "JP",
            "hs": "61",
            "backlog_usd": 50_000 / scale,
            "new_orders_usd": 10_000 / scale,
            "exports_usd": 20_000 / scale,
        },
    )


def expected_lines(ent: Any) -> list[list[str]]:
    return [
        [ent.uscc, PERIOD, "DE", "8481", "100000", "20000", "30000"],
        [ent.uscc, PERIOD, "JP", "61", "50000", "10000", "20000"],
        [ent.uscc, PERIOD, "US", "84", "200000", "30000", "40000"],
    ]


def list_validations(ws: Worksheet) -> dict[str, str]:
    """Column key -> formula1 of the column's list validation."""
    columns = keys(ws)
    found = {}
    for dv in ws.data_validations.dataValidation:
        if dv.type == "list":
            col = next(iter(dv.sqref.ranges)).min_col
            found[columns[col - 1]] = dv.formula1
    return found


# --- Structure -----------------------------------------------------------------------------------------------


def test_the_enterprise_template_has_instructions_first_then_its_data_and_reference_sheets(world: World) -> None:
    wb = load(template_enterprise(enterprise=world.ent_a, period=PERIOD))

    assert wb.sheetnames[0] == INSTRUCTIONS_SHEET
    assert {"reports", "report_lines", REFERENCE_SHEET, CODES_SHEET} <= set(wb.sheetnames)
    assert wb[CODES_SHEET].sheet_state == "hidden"


def test_the_enterprise_template_shows_the_registry_facts_in_a_title_row_above_the_header(world: World) -> None:
    ws = load(template_enterprise(enterprise=world.ent_a, period=PERIOD))["reports"]

    title = ws.cell(1, 1).value
    assert world.ent_a.name in title
    assert world.ent_a.town.name in title
    assert world.ent_a.industry.name in title
    assert "金额单位：美元" in title
    assert key_row(ws) == 3


def test_each_data_sheet_has_the_chinese_header_with_the_keys_beneath(world: World) -> None:
    ws = load(template_enterprise(enterprise=world.ent_a, period=PERIOD))["reports"]

    header = [c.value for c in ws[key_row(ws) - 1]]
    assert header[:3] == ["统一社会信用代码", "月份", "当月出口额（美元）"]
    assert keys(ws) == [
        "uscc",
        "period",
        "exports_usd",
        "new_orders_usd",
        "backlog_usd",
        "backlog_due_3m_usd",
        "capacity_utilization_pct",
        "new_orders_trend",
        "outlook_3m",
    ]
    assert ws.cell(key_row(ws), 1).font.color.rgb.endswith("808080")


@pytest.mark.parametrize(("unit", "word"), [("usd", "（美元）"), ("wan", "（万美元）")])
def test_every_amount_header_states_the_unit(world: World, unit: str, word: str) -> None:
    wb = load(template_blank(unit=unit))

    for ws in wb.worksheets:
        if ws.title in (INSTRUCTIONS_SHEET, CODES_SHEET) or ws.cell(1, 1).value is None or ws.max_row < 2:
            continue
        if ws.cell(2, 1).value != "uscc":
            continue
        for key_cell, head_cell in zip(ws[2], ws[1], strict=True):
            if key_cell.value and key_cell.value.endswith("_usd"):
                assert head_cell.value.endswith(word), (ws.title, head_cell.value)
                if unit == "usd":
                    assert "万美元" not in head_cell.value


def test_the_instructions_state_the_unit_and_explain_every_column_of_every_sheet(world: World) -> None:
    wb = load(template_blank(unit="wan"))
    text = "\n".join(str(c.value) for row in wb[INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value)

    assert "金额单位：万美元" in text
    for name in TABLES:
        for key in keys(wb[name]):
            assert f"：{key}" in text, (name, key)
    assert "延期发货" in text and "shipment_delayed" in text
    assert "融资需求" in text and "financing" in text
    assert "增加、持平、减少" in text


def test_the_blank_template_has_one_sheet_per_table_and_no_protection(world: World) -> None:
    wb = load(template_blank())

    assert wb.sheetnames[0] == INSTRUCTIONS_SHEET
    assert set(TABLES) <= set(wb.sheetnames)
    for name in TABLES:
        ws = wb[name]
        assert key_row(ws) == 2
        assert keys(ws) == list(TABLES[name].columns)
        assert not ws.protection.sheet


def test_drop_downs_point_at_defined_names_over_the_hidden_code_sheet(world: World) -> None:
    wb = load(template_blank())

    expected = {
        "report_lines": {"market": "markets", "hs": "hs_chapters"},
        "reports": {"new_orders_trend": "trends", "outlook_3m": "trends"},
        "disruptions": {"kind": "disruption_kinds", "market": "markets", "hs": "hs_chapters"},
        "needs": {"category": "need_categories", "urgency": "urgencies"},
        "enterprises": {"town": "towns", "industry": "industries"},
    }
    for sheet, lists in expected.items():
        found = list_validations(wb[sheet])
        for key, name in lists.items():
            assert found[key] == name, (sheet, key)
            assert name in wb.defined_names
            assert wb.defined_names[name].attr_text.startswith(f"'{CODES_SHEET}'!")


def test_the_drop_down_lists_hold_bare_codes(world: World) -> None:
    wb = load(template_blank())

    def listed(name: str) -> list[str]:
        ((sheet, ref),) = wb.defined_names[name].destinations
        return [row[0].value for row in wb[sheet][ref.replace("$", "")]]

    assert "US" in listed("markets")
    assert "84" in listed("hs_chapters")
    assert all(len(code) == 2 for code in listed("hs_chapters"))
    assert listed("disruption_kinds")[0] == "延期发货"  # the Chinese words the importer reads
    assert listed("trends") == ["增加", "持平", "减少"]
    assert listed("urgencies") == ["低", "一般", "高", "紧急"]


def test_amount_cells_accept_numbers_of_zero_or_more_and_say_the_unit_in_chinese(world: World) -> None:
    ws = load(template_blank(unit="wan"))["reports"]
    column = keys(ws).index("exports_usd") + 1

    dv = next(d for d in ws.data_validations.dataValidation if next(iter(d.sqref.ranges)).min_col == column)
    assert (dv.type, dv.operator, dv.formula1) == ("decimal", "greaterThanOrEqual", "0")
    assert "万美元" in dv.prompt
    capacity = keys(ws).index("capacity_utilization_pct") + 1
    dv = next(d for d in ws.data_validations.dataValidation if next(iter(d.sqref.ranges)).min_col == capacity)
    assert (dv.type, dv.formula1, dv.formula2) == ("decimal", "0", "100")


def test_code_cells_are_text_so_excel_keeps_a_period_as_typed(world: World) -> None:
    ws = load(template_blank())["report_lines"]
    first = key_row(ws) + 1

    for key in ("uscc", "period", "market", "hs"):
        assert ws.cell(first, keys(ws).index(key) + 1).number_format == "@", key


def test_the_prefilled_codes_are_locked_and_the_amounts_open_under_a_passwordless_protection(world: World) -> None:
    ws = load(template_enterprise(enterprise=world.ent_a, period=PERIOD))["reports"]
    row = key_row(ws) + 1

    assert ws.protection.sheet
    assert not ws.protection.password
    assert value(ws, row, "uscc") == world.ent_a.uscc
    assert value(ws, row, "period") == PERIOD
    assert ws.cell(row, 1).protection.locked
    assert ws.cell(row, 2).protection.locked
    assert not ws.cell(row, keys(ws).index("exports_usd") + 1).protection.locked
    assert not ws.cell(row, keys(ws).index("outlook_3m") + 1).protection.locked
    assert ws.freeze_panes == f"A{row}"


def test_the_enterprise_template_prefills_last_periods_lines_without_their_amounts(world: World) -> None:
    last_period(world)

    ws = load(template_enterprise(enterprise=world.ent_a, period=PERIOD))["report_lines"]

    first = key_row(ws) + 1
    prefilled = [(value(ws, r, "market"), value(ws, r, "hs")) for r in (first, first + 1)]
    assert sorted(prefilled) == [("DE", "8481"), ("US", "84")]
    for r in (first, first + 1):
        assert value(ws, r, "period") == PERIOD
        assert all(value(ws, r, k) is None for k in ("backlog_usd", "new_orders_usd", "exports_usd"))
    assert value(ws, first + 2, "market") is None
    assert list_validations(ws)["uscc"] == "enterprise_usccs"
    assert list_validations(ws)["period"] == "report_periods"


def test_last_periods_figures_appear_on_the_reference_sheet_only(world: World) -> None:
    last_period(world)

    wb = load(template_enterprise(enterprise=world.ent_a, period=PERIOD))

    reference = [c.value for row in wb[REFERENCE_SHEET].iter_rows() for c in row]
    assert 987_654 in reference
    assert 123_456 in reference
    data = [c.value for name in ("reports", "report_lines") for row in wb[name].iter_rows() for c in row]
    assert 987_654 not in data
    assert 123_456 not in data


def test_the_reference_sheet_of_a_wan_template_shows_figures_in_wan(world: World) -> None:
    last_period(world)

    wb = load(template_enterprise(enterprise=world.ent_a, period=PERIOD, unit="wan"))

    reference = [c.value for row in wb[REFERENCE_SHEET].iter_rows() for c in row]
    assert pytest.approx(98.7654) in reference


def test_the_town_template_has_one_locked_row_per_enterprise_named_in_a_comment(world: World) -> None:
    town = Region.objects.get(code=TOWN_A)

    wb = load(template_town(town=town, enterprises=[world.ent_b, world.ent_a], period=PERIOD))

    ws = wb["reports"]
    first = key_row(ws) + 1
    rows = {value(ws, r, "uscc"): r for r in range(first, ws.max_row + 1) if value(ws, r, "uscc")}
    assert set(rows) == {world.ent_a.uscc, world.ent_b.uscc}
    for ent in (world.ent_a, world.ent_b):
        cell = ws.cell(rows[ent.uscc], 1)
        assert cell.comment is not None and ent.name in cell.comment.text
        assert cell.protection.locked
        assert value(ws, rows[ent.uscc], "period") == PERIOD
    assert ws.protection.sheet and not ws.protection.password
    roster = [c.value for row in wb[ROSTER_SHEET].iter_rows() for c in row]
    assert world.ent_a.name in roster and world.ent_b.uscc in roster
    lines = wb["report_lines"]
    assert list_validations(lines)["uscc"] == "enterprise_usccs"
    assert lines.max_row >= key_row(lines) + 200


def test_sheets_that_are_not_tables_never_look_like_one_to_the_importer(world: World) -> None:
    last_period(world)
    town = Region.objects.get(code=TOWN_A)

    for data in (
        template_enterprise(enterprise=world.ent_a, period=PERIOD),
        template_town(town=town, enterprises=[world.ent_a], period=PERIOD),
        template_blank(),
    ):
        for name, grid in grids(data):
            header = find_header(grid)
            if name in TABLES:
                assert header is not None, name
            else:
                assert header is None, (name, header and header.keys)


def test_a_period_that_is_not_a_month_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        template_enterprise(enterprise=world.ent_a, period="2020-13")


# --- Round trips through the importer ------------------------------------------------------------------------


def test_a_filled_enterprise_template_imports_and_exports_as_filled(world: World) -> None:
    last_period(world)
    wb = load(template_enterprise(enterprise=world.ent_a, period=PERIOD))
    fill_enterprise(wb, world.ent_a)

    outcome = import_workbook(saved(wb))

    assert outcome.problems == []
    assert outcome.written["reports"] == 1
    assert exported("reports", world.ent_a) == [
        [world.ent_a.uscc, PERIOD, "100000", "80000", "500000", "300000", "75", "down", "same"]
    ]
    assert exported("report_lines", world.ent_a) == expected_lines(world.ent_a)


def test_a_wan_template_is_scaled_to_us_dollars(world: World) -> None:
    last_period(world)
    wb = load(template_enterprise(enterprise=world.ent_a, period=PERIOD, unit="wan"))
    fill_enterprise(wb, world.ent_a, scale=10_000)
    fill(wb["reports"], key_row(wb["reports"]) + 1, {"exports_usd": 12.5})

    outcome = import_workbook(saved(wb))

    assert outcome.problems == []
    assert exported("reports", world.ent_a)[0][2] == "125000"
    assert exported("report_lines", world.ent_a) == expected_lines(world.ent_a)


def test_an_unchanged_enterprise_template_submits_nothing(world: World) -> None:
    last_period(world)

    outcome = import_workbook(template_enterprise(enterprise=world.ent_a, period=PERIOD))

    # Rows with nothing filled in are no rows: last period's figures are never re-submitted.
    assert not any(outcome.written.values())
    assert not Report.objects.filter(enterprise=world.ent_a, period=PERIOD).exists()


def test_a_filled_town_template_imports_every_enterprise(world: World) -> None:
    town = Region.objects.get(code=TOWN_A)
    wb = load(template_town(town=town, enterprises=[world.ent_a, world.ent_b], period=PERIOD))
    ws = wb["reports"]
    figures = {world.ent_a.uscc: (100_000, "增加"), world.ent_b.uscc: (7_000, "持平")}
    for row in range(key_row(ws) + 1, key_row(ws) + 3):
        exports, trend = figures[value(ws, row, "uscc")]
        fill(
            ws,
            row,
            {
                "exports_usd": exports,
                "new_orders_usd": 5_000,
                "backlog_usd": 40_000,
                "backlog_due_3m_usd": 40_000,
                "new_orders_trend": trend,
                "outlook_3m": "减少",
            },
        )
    lines = wb["report_lines"]
    fill(
        lines,
        key_row(lines) + 1,
        {
            "uscc": world.ent_b.uscc,
            "period": PERIOD,
            "market": "US",
            "hs": "61",
            "backlog_usd": 10_000,
            "new_orders_usd": 0,
            "exports_usd": 7_000,
        },
    )

    outcome = import_workbook(saved(wb))

    assert outcome.problems == []
    assert exported("reports", world.ent_a, world.ent_b) == [
        [world.ent_a.uscc, PERIOD, "100000", "5000", "40000", "40000", "", "up", "down"],
        [world.ent_b.uscc, PERIOD, "7000", "5000", "40000", "40000", "", "same", "down"],
    ]
    assert exported("report_lines", world.ent_a, world.ent_b) == [
        [world.ent_b.uscc, PERIOD, "US", "61", "10000", "0", "7000"]
    ]


def test_a_filled_blank_template_imports_reports_lines_disruptions_and_needs(world: World) -> None:
    wb = load(template_blank())
    ent = world.ent_c
    reports, lines, disruptions, needs = (wb[n] for n in ("reports", "report_lines", "disruptions", "needs"))
    fill(
        reports,
        3,
        {
            "uscc": ent.uscc,
            "period": PERIOD,
            "exports_usd": 30_000,
            "new_orders_usd": 20_000,
            "backlog_usd": 90_000,
            "backlog_due_3m_usd": 60_000,
            "capacity_utilization_pct": 60.5,
            "new_orders_trend": "down",
            "outlook_3m": "up",
        },
    )
    fill(
        lines,
        3,
        {
            "uscc": ent.uscc,
            "period": PERIOD,
            "market": "GB",
            "hs": "96",
            "backlog_usd": 90_000,
            "new_orders_usd": 20_000,
            "exports_usd": 30_000,
        },
    )
    fill(
        disruptions,
        3,
        {
            "uscc": ent.uscc,
            "date": dt.datetime(2020, 3, 20),
            "kind": "order_cancelled",
            "amount_usd": 15_000,
            "market": "IT",
            "hs": "96",
            "note": "买方取消订单",
        },
    )
    fill(
        needs,
        3,
        {
            "uscc": ent.uscc,
            "date": "2020-03-25",
            "category": "credit_insurance",
            "amount_usd": 50_000,
            "urgency": "urgent",
            "description": "需要出口信用保险",
        },
    )

    outcome = import_workbook(saved(wb))

    assert outcome.problems == []
    assert exported("reports", ent) == [[ent.uscc, PERIOD, "30000", "20000", "90000", "60000", "60.5", "down", "up"]]
    assert exported("report_lines", ent) == [[ent.uscc, PERIOD, "GB", "96", "90000", "20000", "30000"]]
    assert exported("disruptions", ent) == [
        [ent.uscc, "2020-03-20", "order_cancelled", "15000", "IT", "96", "买方取消订单"]
    ]
    assert exported("needs", ent) == [
        [ent.uscc, "2020-03-25", "credit_insurance", "50000", "urgent", "需要出口信用保险"]
    ]
    assert Disruption.objects.count() == 1 and Need.objects.count() == 1


def test_a_template_filled_and_saved_by_libreoffice_still_imports(world: World, tmp_path: Path) -> None:
    last_period(world)
    wb = load(template_enterprise(enterprise=world.ent_a, period=PERIOD, unit="wan"))
    fill_enterprise(wb, world.ent_a, scale=10_000)
    source = tmp_path / "filled.xlsx"
    source.write_bytes(saved(wb))
    out = tmp_path / "lo"
    profile = tmp_path / f"lo-{uuid.uuid4().hex}"
    subprocess.run(
        [
            "soffice",
            f"-env:UserInstallation=file://{profile}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
        timeout=180,
    )
    resaved = (out / "filled.xlsx").read_bytes()
    assert resaved != source.read_bytes()

    outcome = import_workbook(resaved, "filled-by-libreoffice.xlsx")

    assert outcome.problems == []
    assert exported("reports", world.ent_a) == [
        [world.ent_a.uscc, PERIOD, "100000", "80000", "500000", "300000", "75", "down", "same"]
    ]
    assert exported("report_lines", world.ent_a) == expected_lines(world.ent_a)


# --- The command ---------------------------------------------------------------------------------------------


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("template", *args, stdout=out)
    return out.getvalue()


def test_the_command_writes_an_enterprise_template(world: World, tmp_path: Path) -> None:
    target = tmp_path / "a.xlsx"

    run("--kind", "enterprise", "--uscc", world.ent_a.uscc, "--period", PERIOD, "--unit", "wan", "-o", str(target))

    ws = load(target.read_bytes())["reports"]
    assert value(ws, key_row(ws) + 1, "uscc") == world.ent_a.uscc
    assert ws.cell(key_row(ws) - 1, 3).value == "当月出口额（万美元）"


def test_the_command_writes_a_town_template_by_code_or_name(world: World, tmp_path: Path) -> None:
    town = Region.objects.get(code=TOWN_A)
    for given in (town.code, town.name):
        target = tmp_path / "town.xlsx"
        run("--kind", "town", "--town", given, "--period", PERIOD, "-o", str(target))
        ws = load(target.read_bytes())["reports"]
        usccs = {value(ws, r, "uscc") for r in range(key_row(ws) + 1, ws.max_row + 1)}
        assert usccs == {world.ent_a.uscc, world.ent_b.uscc}


def test_the_command_writes_the_blank_template_under_its_chinese_name(
    world: World, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)

    printed = run("--kind", "blank").strip()

    assert printed == "外贸订单数据模板_空白.xlsx"
    assert "needs" in load((tmp_path / printed).read_bytes()).sheetnames


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--kind", "enterprise", "--period", PERIOD), "--uscc"),
        (("--kind", "enterprise", "--uscc", "91330213MA0000999X", "--period", PERIOD), "No enterprise"),
        (("--kind", "enterprise", "--uscc", "@ent_a", "--period", "2020-3x"), "not a month"),
        (("--kind", "enterprise", "--uscc", "@ent_a", "--period", "2020-05"), "in the future"),
        (("--kind", "town", "--period", PERIOD), "--town"),
        (("--kind", "town", "--town", "不存在镇", "--period", PERIOD), "not a known town"),
    ],
)
def test_the_command_explains_what_is_wrong(world: World, tmp_path: Path, args: tuple[str, ...], message: str) -> None:
    args = tuple(world.ent_a.uscc if a == "@ent_a" else a for a in args)

    with pytest.raises(CommandError, match=message):
        run(*args, "-o", str(tmp_path / "x.xlsx"))

    assert not (tmp_path / "x.xlsx").exists()


# --- The web page and download -------------------------------------------------------------------------------


def client_for(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def download(client: Client, **params: str) -> Any:
    return client.get(reverse("exchange:template_download"), params)


def test_a_reporter_downloads_the_template_of_its_own_enterprise(world: World) -> None:
    response = download(client_for(world.reporter), kind="enterprise", uscc=world.ent_a.uscc, period=PERIOD)

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_CONTENT_TYPE
    name = f"外贸订单填报模板_{world.ent_a.name}_{PERIOD}.xlsx"
    assert f"filename*=UTF-8''{quote(name)}" in response["Content-Disposition"]
    assert response["Content-Disposition"].startswith("attachment;")
    ws = load(response.content)["reports"]
    assert value(ws, key_row(ws) + 1, "uscc") == world.ent_a.uscc


def test_the_download_defaults_to_the_period_falling_due(world: World) -> None:
    response = download(client_for(world.reporter), kind="enterprise", uscc=world.ent_a.uscc)

    ws = load(response.content)["reports"]
    assert value(ws, key_row(ws) + 1, "period") == "2020-03"


@pytest.mark.parametrize(
    ("persona", "enterprise"),
    [
        ("reporter", "ent_b"),
        ("reporter", "ent_c"),
        ("town_officer", "ent_c"),
        ("outsider", "ent_a"),
        ("handler", "ent_a"),
        ("leader", "ent_a"),
    ],
)
def test_an_enterprise_outside_the_users_scope_is_a_404(world: World, persona: str, enterprise: str) -> None:
    response = download(
        client_for(getattr(world, persona)), kind="enterprise", uscc=getattr(world, enterprise).uscc, period=PERIOD
    )

    assert response.status_code == 404


def test_a_town_officer_downloads_the_town_template_and_its_enterprises(world: World) -> None:
    client = client_for(world.town_officer)

    town = download(client, kind="town", town=TOWN_A, period=PERIOD, unit="wan")
    enterprise = download(client, kind="enterprise", uscc=world.ent_b.uscc, period=PERIOD)

    assert town.status_code == 200
    assert quote("_万美元.xlsx") in town["Content-Disposition"]
    ws = load(town.content)["reports"]
    assert {value(ws, r, "uscc") for r in range(key_row(ws) + 1, ws.max_row + 1)} == {
        world.ent_a.uscc,
        world.ent_b.uscc,
    }
    assert enterprise.status_code == 200


@pytest.mark.parametrize(
    ("persona", "town"),
    [("town_officer", TOWN_B), ("outsider", TOWN_A), ("reporter", TOWN_A), ("leader", TOWN_A), ("analyst", "330213")],
)
def test_a_town_outside_the_users_scope_is_a_404(world: World, persona: str, town: str) -> None:
    response = download(client_for(getattr(world, persona)), kind="town", town=town, period=PERIOD)

    assert response.status_code == 404


def test_an_analyst_downloads_any_town_of_the_district_and_the_blank_template(world: World) -> None:
    client = client_for(world.analyst)

    assert download(client, kind="town", town=TOWN_B, period=PERIOD).status_code == 200
    blank = download(client, kind="blank")
    assert blank.status_code == 200
    assert "needs" in load(blank.content).sheetnames


@pytest.mark.parametrize("persona", ["reporter", "handler", "leader"])
def test_the_blank_template_is_for_the_bureau_and_town_officers_only(world: World, persona: str) -> None:
    assert download(client_for(getattr(world, persona)), kind="blank").status_code == 404


@pytest.mark.parametrize(
    "params",
    [
        {"kind": "enterprise", "period": "2020-13"},
        {"kind": "enterprise", "period": "2020-05"},
        {"kind": "enterprise", "period": PERIOD, "unit": "cny"},
        {"kind": "nonsense", "period": PERIOD},
    ],
)
def test_a_bad_period_unit_or_kind_is_a_404(world: World, params: dict[str, str]) -> None:
    response = download(client_for(world.reporter), uscc=world.ent_a.uscc, **params)

    assert response.status_code == 404


def test_an_anonymous_visitor_is_sent_to_the_login_page(world: World) -> None:
    for url in (reverse("exchange:templates"), reverse("exchange:template_download") + "?kind=blank"):
        response = Client().get(url)
        assert response.status_code == 302
        assert "login" in response["Location"]


def test_the_page_offers_a_reporter_its_own_enterprise_only(world: World) -> None:
    response = client_for(world.reporter).get(reverse("exchange:templates"))

    body = response.content.decode()
    assert response.status_code == 200
    assert world.ent_a.uscc in body
    assert 'value="2020-03"' in body
    assert 'value="town"' not in body and 'value="blank"' not in body


def test_the_page_offers_a_town_officer_the_town_and_its_enterprises(world: World) -> None:
    body = client_for(world.town_officer).get(reverse("exchange:templates")).content.decode()

    assert 'value="town"' in body and TOWN_A in body
    assert world.ent_b.uscc in body
    assert world.ent_c.uscc not in body
    assert TOWN_B not in body


def test_the_page_offers_an_analyst_every_town_and_the_blank_template(world: World) -> None:
    body = client_for(world.analyst).get(reverse("exchange:templates")).content.decode()

    assert TOWN_A in body and TOWN_B in body
    assert 'value="blank"' in body


def test_the_page_tells_a_handler_there_is_nothing_to_download(world: World) -> None:
    body = client_for(world.handler).get(reverse("exchange:templates"), HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert "There is no template for your account" in body
