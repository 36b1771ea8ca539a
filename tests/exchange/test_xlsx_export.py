""".xlsx exports: the registered tables (`exportwatch export … --format xlsx`, /export/<table>.xlsx) and the page
tables (the reporting status and its by-town table, ``?format=csv|xlsx``).

Row 1 the Chinese header with its unit, row 2 the stable keys, typed cells, codes as text, every text cell
escaped against formula injection and never written as a formula; the file re-imports unchanged.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import tempfile
import time
import zipfile
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.core.signals import request_finished
from django.db import close_old_connections
from django.test import Client
from django.utils import translation

from exportwatch.core.records import DisruptionIn, NeedIn
from exportwatch.directory.models import Enterprise
from exportwatch.exchange import xlsx
from exportwatch.exchange.exports import EXPORTABLES, cell_text, export_rows
from exportwatch.exchange.services import import_files
from exportwatch.exchange.tables import HEADER_ALIASES
from exportwatch.exchange.xlsx import header_text, write_rows_xlsx, write_table_xlsx
from exportwatch.reporting.models import Source
from exportwatch.reporting.services import disruption_file, need_file
from tests.conftest import World
from tests.reporting.factories import line_in, submit

DESIGN_TABLES = ("enterprises", "reports", "report_lines", "disruptions", "needs")
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def workbook(data: bytes) -> openpyxl.Workbook:
    return openpyxl.load_workbook(io.BytesIO(data))


def values(ws: Any) -> list[list[Any]]:
    return [[c.value for c in row] for row in ws.iter_rows()]


def table_xlsx(table: str, *, enterprises: Any = None, period: str | None = None) -> bytes:
    buf = io.BytesIO()
    write_table_xlsx(buf, table, enterprises=enterprises or Enterprise.objects.all(), period=period)
    return buf.getvalue()


def fetch(client: Client, path: str, **extra: Any) -> bytes:
    response = client.get(path, **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == XLSX_TYPE
    body = b"".join(response.streaming_content)
    close(response)
    return body


def close(response: Any) -> None:
    """Close a response as the server would, without the request-finished hook closing the test's connection.

    (Django's test client holds the database connection in a transaction; closing a response fires
    request_finished, whose close_old_connections would close it on PostgreSQL.)
    """
    request_finished.disconnect(close_old_connections)
    try:
        response.close()
    finally:
        request_finished.connect(close_old_connections)


def fetch_csv(client: Client, path: str, **extra: Any) -> list[list[str]]:
    response = client.get(path, **extra)
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"].startswith("text/csv")
    return list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode("utf-8-sig"))))


def as_csv_text(value: Any) -> str:
    """What the CSV export writes for a cell read back from the workbook."""
    if isinstance(value, float | int) and not isinstance(value, bool):
        return cell_text(Decimal(str(value)))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    return "" if value is None else str(value)


@pytest.fixture
def filled(world: World) -> World:
    """Every DESIGN table has rows: reports with lines in two months, a disruption and a need."""
    submit(world.ent_a, "2020-02", lines=[line_in(world.ent_a, "2020-02")])
    submit(
        world.ent_a,
        "2020-03",
        lines=[line_in(world.ent_a, "2020-03"), line_in(world.ent_a, "2020-03", market="DE", hs="8481")],
        capacity_utilization_pct=Decimal("80.5"),
    )
    submit(world.ent_b, "2020-03", exports_usd=Decimal("1234567.89"))
    disruption_file(
        enterprise=world.ent_a,
        data=DisruptionIn(
            world.ent_a.uscc, dt.date(2020, 3, 10), "held_at_port", Decimal(1000), "US", "84", "港口滞留"
        ),
        created_by=None,
        source=Source.WEB,
    )
    need_file(
        enterprise=world.ent_b,
        data=NeedIn(world.ent_b.uscc, dt.date(2020, 3, 12), "financing", Decimal(5000), "high", "需要贷款"),
        created_by=None,
        source=Source.WEB,
    )
    return world


# --- Header rows ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", DESIGN_TABLES)
def test_row_one_is_the_chinese_header_with_units_and_row_two_the_keys(filled: World, table: str) -> None:
    with translation.override("zh-hans"):
        ws = workbook(table_xlsx(table)).active
    header, keys = values(ws)[:2]

    columns = list(EXPORTABLES[table].columns)
    assert keys == columns
    for key, text in zip(columns, header, strict=True):
        assert any("\u4e00" <= ch <= "\u9fff" for ch in text), (key, text)  # Chinese
        if key in HEADER_ALIASES:
            assert text == HEADER_ALIASES[key][0]
        if key.endswith("_usd"):
            assert "美元" in text, text


def test_the_amount_headers_state_us_dollars(world: World) -> None:
    with translation.override("zh-hans"):
        header = values(workbook(table_xlsx("reports")).active)[0]

    assert header[2] == "当月出口额（美元）"
    assert header[:2] == ["统一社会信用代码", "月份"]


def test_the_derived_enterprise_columns_get_chinese_headers(world: World) -> None:
    with translation.override("zh-hans"):
        header = values(workbook(table_xlsx("enterprises")).active)[0]

    assert header[-2:] == ["头部企业", header_text("whitelist_eligible", language="zh-hans")]
    assert header[-1] != "whitelist_eligible"


def test_the_header_stays_chinese_when_english_is_active(world: World) -> None:
    header = values(workbook(table_xlsx("enterprises")).active)[0]

    assert header[0] == "统一社会信用代码"
    assert header[-2] == "头部企业"


def test_a_sheet_has_frozen_headers_and_a_filter_on_the_key_row(filled: World) -> None:
    ws = workbook(table_xlsx("reports")).active

    assert ws.freeze_panes == "B3"
    assert ws.auto_filter.ref == "A2:I5"  # the key row and three reports
    assert ws.column_dimensions["A"].width > 18


# --- Values ------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("table", DESIGN_TABLES)
def test_the_xlsx_values_equal_the_csv_values(filled: World, table: str) -> None:
    rows = values(workbook(table_xlsx(table)).active)[2:]
    expected = list(export_rows(table, enterprises=Enterprise.objects.all(), period=None))

    assert expected
    assert [[as_csv_text(v) for v in row] for row in rows] == expected


def test_amounts_are_numbers_with_thousands_format_and_dates_are_dates(filled: World) -> None:
    reports = workbook(table_xlsx("reports")).active
    ent_b = next(row for row in reports.iter_rows(min_row=3) if row[0].value == filled.ent_b.uscc)
    assert ent_b[2].value == pytest.approx(1234567.89)
    assert ent_b[2].data_type == "n"
    assert ent_b[2].number_format == "#,##0.00"
    assert ent_b[6].value == 75  # capacity utilisation, a plain number

    disruption = next(workbook(table_xlsx("disruptions")).active.iter_rows(min_row=3))
    assert disruption[1].value == dt.datetime(2020, 3, 10)
    assert disruption[1].is_date
    assert disruption[1].number_format == "yyyy-mm-dd"


@pytest.mark.parametrize(
    ("table", "codes"),
    [
        ("enterprises", ("uscc", "customs_code", "town", "industry", "contact_phone")),
        ("reports", ("uscc", "period")),
        ("report_lines", ("uscc", "period", "market", "hs")),
        ("disruptions", ("uscc", "market", "hs")),
    ],
)
def test_codes_stay_text(filled: World, table: str, codes: tuple[str, ...]) -> None:
    ws = workbook(table_xlsx(table)).active
    keys = [c.value for c in ws[2]]

    data = list(ws.iter_rows(min_row=3))
    assert data
    for row in data:
        for key in codes:
            cell = row[keys.index(key)]
            assert cell.data_type == "s", (key, cell.value)
            assert isinstance(cell.value, str)
    periods = {row[keys.index("period")].value for row in data} if "period" in keys else {"2020-03"}
    assert "2020-03" in periods


def test_head_and_whitelist_flags_are_the_csv_texts(world: World) -> None:
    ws = workbook(table_xlsx("enterprises")).active
    by_uscc = {row[0]: row for row in values(ws)[2:]}

    assert by_uscc[world.ent_a.uscc][-2:] == ["true", "true"]
    assert by_uscc[world.ent_c.uscc][-2:] == ["false", "false"]


# --- Formula injection --------------------------------------------------------------------------------------


@pytest.fixture
def hostile(world: World) -> World:
    world.ent_b.name = "=1+1"
    world.ent_b.contact_name = "@SUM(A1)"
    world.ent_b.contact_phone = "+8613800000000"
    world.ent_b.save()
    day = dt.date(2020, 3, 10)
    for note in ("-2+3", "\tX"):
        disruption_file(
            enterprise=world.ent_b,
            data=DisruptionIn(world.ent_b.uscc, day, "held_at_port", Decimal(1000), "", "", note),
            created_by=None,
            source=Source.WEB,
        )
    need_file(
        enterprise=world.ent_b,
        data=NeedIn(world.ent_b.uscc, day, "financing", Decimal(5000), "high", "=cmd|' /C calc'!A0"),
        created_by=None,
        source=Source.WEB,
    )
    return world


def test_text_that_starts_like_a_formula_is_escaped_text(hostile: World) -> None:
    enterprises = workbook(table_xlsx("enterprises")).active
    row = next(r for r in enterprises.iter_rows(min_row=3) if r[0].value == hostile.ent_b.uscc)
    keys = [c.value for c in enterprises[2]]
    cell = {k: row[i] for i, k in enumerate(keys)}
    assert cell["name"].value == "'=1+1"
    assert cell["contact_name"].value == "'@SUM(A1)"
    assert cell["contact_phone"].value == "'+8613800000000"
    assert {cell[k].data_type for k in ("name", "contact_name", "contact_phone")} == {"s"}

    notes = sorted(r[-1] for r in values(workbook(table_xlsx("disruptions")).active)[2:])
    assert notes == ["'\tX", "'-2+3"]
    need = values(workbook(table_xlsx("needs")).active)[2]
    assert need[-1] == "'=cmd|' /C calc'!A0"


@pytest.mark.parametrize("table", DESIGN_TABLES)
def test_no_cell_is_a_formula(hostile: World, table: str) -> None:
    data = table_xlsx(table)

    for ws in workbook(data):
        for row in ws.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (cell.coordinate, cell.value)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for name in archive.namelist():
            if name.startswith("xl/worksheets/"):
                assert b"<f>" not in archive.read(name) and b"<f " not in archive.read(name)


def test_a_page_table_escapes_its_text_too() -> None:
    buf = io.BytesIO()
    write_rows_xlsx(buf, [("note", "=HEADER"), ("n", "n")], [["=1+1", 1], ["@SUM(A1)", 2], ["plain", 3]])

    ws = workbook(buf.getvalue()).active
    assert values(ws) == [["'=HEADER", "n"], ["note", "n"], ["'=1+1", 1], ["'@SUM(A1)", 2], ["plain", 3]]


# --- Round trip ----------------------------------------------------------------------------------------------


def test_the_exported_workbooks_reimport_unchanged(filled: World) -> None:
    files = [(f"{table}.xlsx", table_xlsx(table)) for table in ("reports", "report_lines", "disruptions", "needs")]

    outcome = import_files(files, user=None)

    assert outcome.problems == []
    assert outcome.written == dict.fromkeys(outcome.written, 0)
    assert outcome.unchanged["reports"] == 3
    assert outcome.unchanged["report_lines"] == 4
    assert outcome.unchanged["disruptions"] == 1
    assert outcome.unchanged["needs"] == 1


# --- Streaming and memory ------------------------------------------------------------------------------------------


def test_rows_are_consumed_one_at_a_time_with_constant_memory(monkeypatch: pytest.MonkeyPatch) -> None:
    """The writer pulls the next row only after writing the previous one, in xlsxwriter's constant_memory mode."""
    n = 50_000
    produced = 0
    lag: list[int] = []
    modes: list[bool] = []

    def rows() -> Iterator[list[Any]]:
        nonlocal produced
        for i in range(n):
            produced += 1
            yield [f"9133{i:014d}", "2020-03", Decimal(i) / 4, dt.date(2020, 3, 1 + i % 28), "x" * 20]

    real_write = xlsx._Writer.write

    def spy(self: Any, row: Any) -> None:
        lag.append(produced - len(lag))
        modes.append(self.book.constant_memory)
        real_write(self, row)

    monkeypatch.setattr(xlsx._Writer, "write", spy)
    columns = [("uscc", "u"), ("period", "p"), ("exports_usd", "e"), ("date", "d"), ("note", "n")]
    buf = io.BytesIO()
    started = time.monotonic()

    written = write_rows_xlsx(buf, columns, rows())

    assert time.monotonic() - started < 10
    assert written == n
    assert set(lag) == {1}  # never more than the row being written was taken from the generator
    assert all(modes)
    ws = openpyxl.load_workbook(io.BytesIO(buf.getvalue()), read_only=True).active
    assert ws.max_row == n + 2


def test_a_table_longer_than_a_sheet_continues_on_the_next_sheet_with_the_header() -> None:
    buf = io.BytesIO()
    written = write_rows_xlsx(buf, [("uscc", "统一社会信用代码")], ([f"u{i}"] for i in range(7)), max_rows_per_sheet=5)

    book = workbook(buf.getvalue())
    assert written == 7
    assert book.sheetnames == ["data", "data (2)", "data (3)"]
    assert [values(ws) for ws in book] == [
        [["统一社会信用代码"], ["uscc"], ["u0"], ["u1"], ["u2"]],
        [["统一社会信用代码"], ["uscc"], ["u3"], ["u4"], ["u5"]],
        [["统一社会信用代码"], ["uscc"], ["u6"]],
    ]


def test_an_empty_table_is_a_sheet_with_its_header(world: World) -> None:
    rows = values(workbook(table_xlsx("needs")).active)

    assert rows[1] == list(EXPORTABLES["needs"].columns)
    assert len(rows) == 2


# --- The command line ----------------------------------------------------------------------------------------------


def test_the_command_writes_xlsx(filled: World, tmp_path: Path) -> None:
    out = tmp_path / "f.xlsx"

    call_command(
        "export_data", "reports", "--format", "xlsx", "--period", "2020-03", "-o", str(out), stdout=io.StringIO()
    )

    rows = values(openpyxl.load_workbook(out).active)
    assert rows[0][0] == "统一社会信用代码"
    assert rows[1] == list(EXPORTABLES["reports"].columns)
    assert [(r[0], r[1]) for r in rows[2:]] == [(filled.ent_a.uscc, "2020-03"), (filled.ent_b.uscc, "2020-03")]


def test_the_command_needs_a_file_for_xlsx(world: World) -> None:
    with pytest.raises(CommandError, match="-o"):
        call_command("export_data", "reports", "--format", "xlsx", stdout=io.StringIO())


def test_the_command_still_writes_csv_by_default(world: World) -> None:
    out = io.StringIO()

    call_command("export_data", "enterprises", stdout=out)

    assert out.getvalue().startswith("uscc,name,")


# --- The web download ----------------------------------------------------------------------------------------------


def test_the_web_xlsx_is_a_named_attachment(filled: World, monkeypatch: pytest.MonkeyPatch) -> None:
    handles: list[Any] = []
    real = tempfile.TemporaryFile

    def recorded(*args: Any, **kwargs: Any) -> Any:
        handles.append(real(*args, **kwargs))
        return handles[-1]

    monkeypatch.setattr(xlsx.tempfile, "TemporaryFile", recorded)

    response = logged_in(filled.analyst).get("/export/reports.xlsx?period=2020-03")

    assert response.status_code == 200
    assert response["Content-Type"] == XLSX_TYPE
    assert response["Content-Disposition"] == 'attachment; filename="reports-2020-03.xlsx"'
    rows = values(workbook(b"".join(response.streaming_content)).active)
    close(response)
    assert len(handles) == 1
    assert handles[0].closed  # the anonymous temporary file is gone with the response
    assert [(r[0], r[1]) for r in rows[2:]] == [(filled.ent_a.uscc, "2020-03"), (filled.ent_b.uscc, "2020-03")]


@pytest.mark.parametrize(
    ("persona", "visible"),
    [
        ("reporter", {"ent_a"}),
        ("town_officer", {"ent_a", "ent_b"}),
        ("analyst", {"ent_a", "ent_b", "ent_c"}),
        ("handler", set()),
        ("outsider", {"ent_far"}),
    ],
)
def test_the_web_xlsx_contains_only_the_users_scope(world: World, persona: str, visible: set[str]) -> None:
    rows = values(workbook(fetch(logged_in(getattr(world, persona)), "/export/enterprises.xlsx")).active)

    assert {r[0] for r in rows[2:]} == {getattr(world, name).uscc for name in visible}


def test_the_outsiders_xlsx_holds_none_of_our_data(filled: World) -> None:
    client = logged_in(filled.outsider)

    for table in DESIGN_TABLES:
        text = repr(values(workbook(fetch(client, f"/export/{table}.xlsx")).active))
        for ent in (filled.ent_a, filled.ent_b, filled.ent_c):
            assert ent.uscc not in text
            assert ent.name not in text


def test_the_web_xlsx_follows_the_list_filters(world: World) -> None:
    rows = values(workbook(fetch(logged_in(world.analyst), "/export/enterprises.xlsx?town=330213100")).active)

    assert [r[0] for r in rows[2:]] == [world.ent_c.uscc]


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
def test_uscc_narrows_an_export_to_one_enterprise(filled: World, ext: str) -> None:
    client = logged_in(filled.analyst)
    path = f"/export/reports.{ext}?uscc={filled.ent_a.uscc}"

    rows = fetch_csv(client, path)[1:] if ext == "csv" else values(workbook(fetch(client, path)).active)[2:]

    assert {r[0] for r in rows} == {filled.ent_a.uscc}
    assert len(rows) == 2


@pytest.mark.parametrize("ext", ["csv", "xlsx"])
@pytest.mark.parametrize(("persona", "target"), [("reporter", "ent_b"), ("outsider", "ent_a"), ("handler", "ent_a")])
def test_uscc_outside_the_scope_is_404(world: World, ext: str, persona: str, target: str) -> None:
    uscc = getattr(world, target).uscc

    assert logged_in(getattr(world, persona)).get(f"/export/reports.{ext}?uscc={uscc}").status_code == 404


def test_a_reporter_downloads_the_own_history(filled: World) -> None:
    rows = values(workbook(fetch(logged_in(filled.reporter), f"/export/reports.xlsx?uscc={filled.ent_a.uscc}")).active)

    assert [(r[0], r[1]) for r in rows[2:]] == [(filled.ent_a.uscc, "2020-02"), (filled.ent_a.uscc, "2020-03")]


def test_the_web_xlsx_of_an_unknown_table_or_period_is_404(world: World) -> None:
    client = logged_in(world.analyst)

    assert client.get("/export/customers.xlsx").status_code == 404
    assert client.get("/export/reports.xlsx?period=2020-13").status_code == 404


def test_an_anonymous_xlsx_download_is_redirected_to_login(world: World) -> None:
    response = Client().get("/export/enterprises.xlsx")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")


# --- The reporting status downloads --------------------------------------------------------------------------------


@pytest.fixture
def march(world: World) -> World:
    """ent_a reported March on time, ent_b late, ent_c not at all (deadline 2020-04-05, today 2020-04-15)."""
    submit(world.ent_a, "2020-03", by=world.reporter, on=dt.date(2020, 4, 3))
    submit(world.ent_b, "2020-03", by=world.town_officer, on=dt.date(2020, 4, 10))
    return world


STATUS_KEYS = ["uscc", "name", "town", "status", "first_submitted_at", "versions", "contact_name", "contact_phone"]


def test_the_status_list_downloads_as_xlsx(march: World) -> None:
    body = fetch(logged_in(march.analyst), "/bureau/status/?period=2020-03&format=xlsx", HTTP_ACCEPT_LANGUAGE="en")

    rows = values(workbook(body).active)
    assert rows[1] == STATUS_KEYS
    assert rows[0][:4] == ["Unified social credit code", "Enterprise name", "Town", "Status"]
    data = {r[0]: r for r in rows[2:]}
    assert len(data) == 3
    assert {k: r[3] for k, r in data.items()} == {
        march.ent_a.uscc: "On time",
        march.ent_b.uscc: "Late",
        march.ent_c.uscc: "Missing",
    }
    assert isinstance(data[march.ent_a.uscc][4], dt.datetime)
    assert data[march.ent_a.uscc][5] == 1
    assert data[march.ent_c.uscc][4] is None


def test_the_status_list_downloads_as_csv_in_the_users_language(march: World) -> None:
    client = logged_in(march.analyst)

    header, *rows = fetch_csv(client, "/bureau/status/?period=2020-03&format=csv", HTTP_ACCEPT_LANGUAGE="zh-hans")

    assert header[0] == "统一社会信用代码"
    assert len(rows) == 3
    assert [r[3] for r in rows] == ["未报送", "逾期报送", "按时报送"]  # the page's order: missing first
    by_uscc = {r[0]: r for r in rows}
    assert by_uscc[march.ent_a.uscc][4].startswith("2020-04-03")
    assert by_uscc[march.ent_c.uscc][4:6] == ["", "0"]


def test_the_status_download_follows_the_status_filter_and_the_scope(march: World) -> None:
    missing = fetch_csv(logged_in(march.analyst), "/bureau/status/?period=2020-03&status=missing&format=csv")
    town = fetch_csv(logged_in(march.town_officer), "/bureau/status/?period=2020-03&format=csv")

    assert [r[0] for r in missing[1:]] == [march.ent_c.uscc]
    assert {r[0] for r in town[1:]} == {march.ent_a.uscc, march.ent_b.uscc}


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_status_by_town_downloads(march: World, fmt: str) -> None:
    path = f"/bureau/status/?period=2020-03&table=towns&format={fmt}"
    client = logged_in(march.analyst)

    if fmt == "csv":
        _header, *rows = fetch_csv(client, path)
    else:
        rows = [[as_csv_text(v) for v in r] for r in values(workbook(fetch(client, path)).active)[2:]]

    by_town = {r[0]: r for r in rows}
    assert set(by_town) == {"330213001", "330213100"}
    assert by_town["330213001"][2:] == ["2", "2", "100", "1", "1", "0", "0"]
    assert by_town["330213100"][2:] == ["1", "0", "0", "0", "0", "1", "0"]


def test_the_status_download_has_a_file_name_and_refuses_unknown_formats(march: World) -> None:
    client = logged_in(march.analyst)

    response = client.get("/bureau/status/?period=2020-03&status=late&format=xlsx")
    assert response["Content-Disposition"] == 'attachment; filename="status-2020-03-late.xlsx"'
    close(response)
    assert client.get("/bureau/status/?period=2020-03&format=pdf").status_code == 404
    assert logged_in(march.reporter).get("/bureau/status/?period=2020-03&format=csv").status_code == 404


# --- Download buttons -------------------------------------------------------------------------------------------------


def test_the_pages_offer_excel_and_csv_downloads(filled: World) -> None:
    analyst = logged_in(filled.analyst)
    uscc = filled.ent_a.uscc

    listing = analyst.get("/bureau/enterprises/?town=330213001").content.decode()
    assert "/export/enterprises.xlsx?town=330213001" in listing
    assert "/export/enterprises.csv?town=330213001" in listing

    status = analyst.get("/bureau/status/?period=2020-03&status=missing").content.decode()
    assert "format=xlsx" in status and "format=csv" in status and "table=towns" in status
    assert "/export/reports.xlsx?period=2020-03" in status

    detail = analyst.get(f"/bureau/enterprises/{uscc}/").content.decode()
    for table in ("reports", "disruptions"):
        for ext in ("xlsx", "csv"):
            assert f"/export/{table}.{ext}?uscc={uscc}" in detail

    mine = logged_in(filled.reporter).get("/report/").content.decode()
    assert f"/export/reports.xlsx?uscc={uscc}" in mine
    assert f"/export/reports.csv?uscc={uscc}" in mine


def test_every_link_the_status_page_offers_downloads(march: World) -> None:
    client = logged_in(march.analyst)
    html = client.get("/bureau/status/?period=2020-03").content.decode()

    links = {
        part.split('"')[0].replace("&amp;", "&")
        for part in html.split('href="')[1:]
        if "format=" in part.split('"')[0] or "/export/" in part.split('"')[0]
    }
    assert len(links) == 6
    for link in links:
        response = client.get(link if not link.startswith("?") else f"/bureau/status/{link}")
        assert response.status_code == 200, link
        assert "attachment" in response["Content-Disposition"]
        close(response)


def test_a_column_key_shared_by_tables_has_each_tables_own_header() -> None:
    from exportwatch.exchange.xlsx import table_columns

    def status(table: str) -> str:
        return dict(table_columns(table, language="zh-hans"))["status"]

    assert (status("cases"), status("warnings"), status("reconciliation")) == ("办理状态", "处理状态", "核对结果")
