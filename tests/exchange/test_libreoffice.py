"""Workbooks written by a real spreadsheet program: LibreOffice converts CSV files to .xlsx, .xls and .ods, with the
code columns marked as text and without (then it turns a day such as ``2020-03-15`` into a date and ``0101`` into
the number 101; LibreOffice 7.4 leaves ``2020-03`` as text, which Excel would make a date), and the importer must
write exactly the rows of the CSV files."""

from __future__ import annotations

import datetime as dt
import io
import shutil
import subprocess
import uuid
from decimal import Decimal
from pathlib import Path

import openpyxl
import pytest

from exportwatch.exchange.annotate import annotate
from exportwatch.exchange.services import import_files
from exportwatch.exchange.workbook import inspect_workbook, read_workbook
from exportwatch.reporting.models import Report, ReportLine
from tests.conftest import World, make_uscc
from tests.exchange import fixtures as fx

U1, U2, U3 = make_uscc(1), make_uscc(2), make_uscc(3)  # ent_a, ent_b, ent_c of the world fixture

CSV_FILES = {
    "reports.csv": (
        "uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,capacity_utilization_pct,"
        "new_orders_trend,outlook_3m\n"
        f"{U1},2020-03,100000,80000,500000,300000,75,down,same\n"
        f"{U2},2020-03,50000.5,20000,100000,50000,,up,down\n"
        f"{U3},2020-02,1234567.89,0,0,0,100,same,same\n"
    ),
    "report_lines.csv": (
        "uscc,period,market,hs,backlog_usd,new_orders_usd,exports_usd\n"
        f"{U1},2020-03-01,US,84,200000,30000,40000\n"
        f"{U1},2020-03-31,DE,8481,100000,20000,30000\n"
        f"{U2},2020-03-15,JP,0101,50000,10000,20000\n"
    ),
    "formula_reports.csv": (
        "uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,capacity_utilization_pct,"
        "new_orders_trend,outlook_3m\n"
        f"{U1},2020-03,100000,80000,500000,300000,75,down,same\n"
        f"{U2},2020-03,=40000+10000,20000,100000,50000,,up,down\n"
    ),
    "long.csv": "uscc,name\n" + "".join(f"{make_uscc(n)},企业{n}\n" for n in range(1, 400)),
    "bad_lines.csv": (
        "uscc,period,market,hs,backlog_usd,new_orders_usd,exports_usd\n"
        f"{U1},2020-03,US,84,200000,30000,40000\n"
        f"{U1},2020-03,XX,8481,100000,20000,30000\n"
    ),
}

EXPECTED_REPORTS = [
    (U1, "2020-03", Decimal("100000"), Decimal("80000"), Decimal("500000"), Decimal("300000"), Decimal("75")),
    (U2, "2020-03", Decimal("50000.5"), Decimal("20000"), Decimal("100000"), Decimal("50000"), None),
    (U3, "2020-02", Decimal("1234567.89"), Decimal("0"), Decimal("0"), Decimal("0"), Decimal("100")),
]
EXPECTED_LINES = [
    (U1, "DE", "8481", Decimal("100000"), Decimal("20000"), Decimal("30000")),
    (U1, "US", "84", Decimal("200000"), Decimal("30000"), Decimal("40000")),
    (U2, "JP", "0101", Decimal("50000"), Decimal("10000"), Decimal("20000")),
]

TEXT_CODES = "CSV:44,34,76,1,1/2/2/2"  # comma, double quote, UTF-8, from line 1; columns 1 and 2 as text
VARIANTS = {
    "xlsx, codes as text": ("xlsx", TEXT_CODES),
    "xls, codes as text": ("xls", TEXT_CODES),
    "ods, codes as text": ("ods", TEXT_CODES),
    "xlsx, as LibreOffice guesses": ("xlsx", None),
    "xls, as LibreOffice guesses": ("xls", None),
}


def soffice(sources: list[Path], fmt: str, outdir: Path, infilter: str | None) -> None:
    profile = Path(f"/tmp/lo-{uuid.uuid4().hex}")
    command = ["soffice", "--headless", f"-env:UserInstallation=file://{profile}", "--convert-to", fmt]
    if infilter:
        command.append(f"--infilter={infilter}")
    command += ["--outdir", str(outdir), *map(str, sources)]
    try:
        subprocess.run(command, check=True, capture_output=True, timeout=120)
    finally:
        shutil.rmtree(profile, ignore_errors=True)


@pytest.fixture(scope="module")
def converted(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict[str, bytes]]:
    """variant -> {file name: bytes}, every CSV converted by LibreOffice."""
    source = tmp_path_factory.mktemp("csv")
    paths = []
    for name, text in CSV_FILES.items():
        (source / name).write_text(text, encoding="utf-8")
        paths.append(source / name)
    out: dict[str, dict[str, bytes]] = {}
    for variant, (fmt, infilter) in VARIANTS.items():
        outdir = tmp_path_factory.mktemp(fmt)
        soffice(paths, fmt, outdir, infilter)
        out[variant] = {p.name: p.read_bytes() for p in sorted(outdir.iterdir())}
        assert len(out[variant]) == len(CSV_FILES), (variant, list(out[variant]))
    return out


def stored_reports() -> list[tuple[object, ...]]:
    return sorted(
        Report.objects.filter(is_current=True).values_list(
            "enterprise__uscc",
            "period",
            "exports_usd",
            "new_orders_usd",
            "backlog_usd",
            "backlog_due_3m_usd",
            "capacity_utilization_pct",
        )
    )


def stored_lines() -> list[tuple[object, ...]]:
    return sorted(
        ReportLine.objects.values_list(
            "report__enterprise__uscc", "market_id", "hs", "backlog_usd", "new_orders_usd", "exports_usd"
        )
    )


def test_the_csv_files_themselves_import_as_expected(world: World) -> None:
    files = [(name, CSV_FILES[name].encode()) for name in ("reports.csv", "report_lines.csv")]

    outcome = import_files(files, user=None)

    assert outcome.problems == []
    assert stored_reports() == EXPECTED_REPORTS
    assert stored_lines() == EXPECTED_LINES


@pytest.mark.parametrize("variant", list(VARIANTS))
def test_a_workbook_written_by_libreoffice_imports_the_same_rows_as_its_csv(
    world: World, converted: dict[str, dict[str, bytes]], variant: str
) -> None:
    fmt = VARIANTS[variant][0]
    files = [(f"{stem}.{fmt}", converted[variant][f"{stem}.{fmt}"]) for stem in ("reports", "report_lines")]

    outcome = import_files(files, user=None)

    assert outcome.problems == [], variant
    assert (outcome.written["reports"], outcome.written["report_lines"]) == (3, 3)
    assert stored_reports() == EXPECTED_REPORTS
    assert stored_lines() == EXPECTED_LINES
    assert {r.source for r in Report.objects.all()} == {"csv"}


@pytest.mark.parametrize("variant", [v for v, (_fmt, infilter) in VARIANTS.items() if infilter is None])
def test_without_text_columns_libreoffice_turns_periods_into_dates_and_the_importer_copes(
    ref: None, converted: dict[str, dict[str, bytes]], variant: str
) -> None:
    fmt = VARIANTS[variant][0]

    tables, problems = read_workbook(f"report_lines.{fmt}", converted[variant][f"report_lines.{fmt}"], max_rows=10)

    assert problems == []
    values = [v for _n, v in tables[0].rows]
    assert all(isinstance(v["period"], dt.date) for v in values)
    assert [v["hs"] for v in values] == [84, 8481, 101]
    assert values[0]["uscc"] == U1


def test_with_text_columns_the_codes_stay_text(ref: None, converted: dict[str, dict[str, bytes]]) -> None:
    tables, problems = read_workbook(
        "report_lines.xlsx", converted["xlsx, codes as text"]["report_lines.xlsx"], max_rows=10
    )

    assert problems == []
    assert [v["period"] for _n, v in tables[0].rows] == ["2020-03-01", "2020-03-31", "2020-03-15"]
    assert [v["hs"] for _n, v in tables[0].rows] == [84, 8481, 101]  # column 4 was not marked as text


def test_re_importing_a_libreoffice_workbook_writes_nothing_new(
    world: World, converted: dict[str, dict[str, bytes]]
) -> None:
    files = [(f"{s}.xls", converted["xls, as LibreOffice guesses"][f"{s}.xls"]) for s in ("reports", "report_lines")]
    import_files(files, user=None)

    again = import_files(files, user=None)

    assert again.problems == []
    assert (again.written["reports"], again.unchanged["reports"]) == (0, 3)
    assert Report.objects.count() == 3


@pytest.mark.parametrize("fmt", ["xls", "xlsx", "ods"])
def test_a_mistake_in_a_libreoffice_workbook_is_marked_in_the_workbook_offered_back(
    world: World, converted: dict[str, dict[str, bytes]], fmt: str
) -> None:
    variant = next(v for v, (f, infilter) in VARIANTS.items() if f == fmt and infilter)
    name = f"bad_lines.{fmt}"
    data = converted[variant][name]
    files = [(f"reports.{fmt}", converted[variant][f"reports.{fmt}"]), (name, data)]

    outcome = import_files(files, user=None)

    assert [(p.file, p.sheet, p.row, p.col, p.column) for p in outcome.problems] == [
        (name, "bad_lines", 3, 3, "market")
    ]
    assert Report.objects.count() == 0

    filename, content = annotate(name, data, outcome.problems)

    assert filename == "bad_lines-problems.xlsx"
    book = openpyxl.load_workbook(io.BytesIO(content))
    assert book.sheetnames == ["Problems", "bad_lines"]
    cell = book["bad_lines"]["C3"]
    assert cell.value == "XX"
    assert cell.fill.fgColor.rgb.endswith("FFC7CE")
    assert outcome.problems[0].message in cell.comment.text
    assert book["bad_lines"]["A3"].value == U1


@pytest.mark.parametrize("fmt", ["xls", "xlsx", "ods"])
def test_a_formula_typed_in_libreoffice_is_refused_with_its_cell(
    world: World, converted: dict[str, dict[str, bytes]], fmt: str
) -> None:
    variant = next(v for v, (f, infilter) in VARIANTS.items() if f == fmt and infilter)
    name = f"formula_reports.{fmt}"

    outcome = import_files([(name, converted[variant][name])], user=None)

    assert [(p.sheet, p.row, p.col, p.column) for p in outcome.problems] == [("formula_reports", 3, 3, "exports_usd")]
    shown = "=…" if fmt == "xls" else "=40000+10000"  # .xls stores formulas compiled, not as text
    assert f"This cell holds a formula ({shown}); enter the value itself." in outcome.problems[0].message
    assert Report.objects.count() == 0


def test_an_xls_with_a_cell_moved_far_away_is_refused_before_it_is_read(
    ref: None, converted: dict[str, dict[str, bytes]]
) -> None:
    data = converted["xls, codes as text"]["long.xls"]
    assert (
        inspect_workbook("long.xls", data).sheets["long"].rows,
        read_workbook("long.xls", data, max_rows=1000)[1][0].row,
    ) == (400, 1)

    far = fx.xls_with_a_cell_moved(data, 65_535, 65_000)  # python-calamine would allocate 136 GB and abort

    tables, problems = read_workbook("far.xls", far, max_rows=1_000_000)

    assert tables == []
    assert [p.message[:40] for p in problems] == ["The sheet’s used area is too large (65,5"]
