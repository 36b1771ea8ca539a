"""CSV export: the ``export_data`` command (`exportwatch export`) and the web download /export/<table>.csv."""

from __future__ import annotations

import csv
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client

from exportwatch.core.records import ENTERPRISE_COLUMNS, REPORT_COLUMNS, DisruptionIn, LineIn, NeedIn, ReportIn
from exportwatch.reporting.models import Source
from exportwatch.reporting.services import disruption_file, need_file, report_submit
from tests.conftest import World


def submit(ent: Any, period: str, exports: int, *, lines: tuple[tuple[str, str, int], ...] = ()) -> None:
    report = ReportIn(
        uscc=ent.uscc,
        period=period,
        exports_usd=Decimal(exports),
        new_orders_usd=Decimal(50_000),
        backlog_usd=Decimal(400_000),
        backlog_due_3m_usd=Decimal(250_000),
        capacity_utilization_pct=Decimal("80.5"),
        new_orders_trend="down",
        outlook_3m="up",
    )
    line_ins = [
        LineIn(ent.uscc, period, market, hs, Decimal(amount), Decimal(0), Decimal(0)) for market, hs, amount in lines
    ]
    report_submit(enterprise=ent, data=report, lines=line_ins, submitted_by=None, source=Source.WEB)


def export(tmp_path: Path, *args: str) -> list[list[str]]:
    out = tmp_path / "export.csv"
    call_command("export_data", *args, "-o", str(out))
    return list(csv.reader(io.StringIO(out.read_text(encoding="utf-8"))))


def download(client: Client, path: str) -> tuple[bytes, list[list[str]]]:
    response = client.get(path)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content)
    return body, list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def logged_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


# --- The export_data command ---------------------------------------------------------------------------


def test_the_enterprise_export_has_the_contract_columns_plus_head_and_whitelist(world: World, tmp_path: Path) -> None:
    header, *_ = export(tmp_path, "enterprises")

    assert header == [*ENTERPRISE_COLUMNS, "head_enterprise", "whitelist_eligible"]


def test_the_enterprise_export_has_one_row_per_enterprise_with_its_values(world: World, tmp_path: Path) -> None:
    _, *rows = export(tmp_path, "enterprises")

    by_uscc = {row[0]: row for row in rows}
    assert set(by_uscc) == {world.ent_a.uscc, world.ent_b.uscc, world.ent_c.uscc, world.ent_far.uscc}
    assert by_uscc[world.ent_a.uscc] == [
        world.ent_a.uscc,
        "宁波甲气动有限公司",
        "3302000001",
        "330213001",
        "34",
        "12000000",
        "500000",
        "王会计",
        "13800000000",
        "",
        "true",
        "true",
    ]


@pytest.mark.parametrize(
    ("enterprise", "head", "whitelist"),
    [
        ("ent_a", "true", "true"),  # 12 M exports
        ("ent_b", "false", "true"),  # 0.8 M + 0.3 M trade
        ("ent_c", "false", "false"),  # 0.4 M trade
        ("ent_far", "false", "true"),  # 2 M exports
    ],
)
def test_the_enterprise_export_flags_head_and_whitelist_enterprises(
    world: World, tmp_path: Path, enterprise: str, head: str, whitelist: str
) -> None:
    _, *rows = export(tmp_path, "enterprises")

    row = next(r for r in rows if r[0] == getattr(world, enterprise).uscc)
    assert row[-2:] == [head, whitelist]


def test_the_enterprise_export_lists_segments_separated_by_semicolons(world: World, tmp_path: Path) -> None:
    world.ent_b.segments.set(["us_exporter", "canton_fair"])

    _, *rows = export(tmp_path, "enterprises")

    row = next(r for r in rows if r[0] == world.ent_b.uscc)
    assert row[ENTERPRISE_COLUMNS.index("segments")] == "canton_fair;us_exporter"


def test_the_report_export_for_a_period_gives_only_its_current_versions(world: World, tmp_path: Path) -> None:
    submit(world.ent_a, "2020-03", 100_000)
    submit(world.ent_a, "2020-03", 120_000)  # version 2
    submit(world.ent_a, "2020-02", 90_000)
    submit(world.ent_b, "2020-03", 70_000)

    header, *rows = export(tmp_path, "reports", "--period", "2020-03")

    assert header == list(REPORT_COLUMNS)
    assert [(r[0], r[1], r[2]) for r in rows] == [
        (world.ent_a.uscc, "2020-03", "120000"),
        (world.ent_b.uscc, "2020-03", "70000"),
    ]
    assert rows[0] == [world.ent_a.uscc, "2020-03", "120000", "50000", "400000", "250000", "80.5", "down", "up"]


def test_the_report_export_without_a_period_gives_every_current_report(world: World, tmp_path: Path) -> None:
    submit(world.ent_a, "2020-03", 100_000)
    submit(world.ent_a, "2020-03", 120_000)
    submit(world.ent_a, "2020-02", 90_000)

    _, *rows = export(tmp_path, "reports")

    assert [(r[1], r[2]) for r in rows] == [("2020-02", "90000"), ("2020-03", "120000")]


def test_the_line_export_for_a_period_gives_the_lines_of_current_versions(world: World, tmp_path: Path) -> None:
    submit(world.ent_a, "2020-03", 100_000, lines=(("US", "84", 1000),))
    submit(world.ent_a, "2020-03", 100_000, lines=(("US", "84", 2000), ("DE", "8481", 500)))
    submit(world.ent_a, "2020-02", 100_000, lines=(("JP", "61", 300),))

    _, *rows = export(tmp_path, "report_lines", "--period", "2020-03")

    assert rows == [
        [world.ent_a.uscc, "2020-03", "DE", "8481", "500", "0", "0"],
        [world.ent_a.uscc, "2020-03", "US", "84", "2000", "0", "0"],
    ]


def test_an_export_round_trips_through_the_importer_unchanged(world: World, tmp_path: Path) -> None:
    submit(world.ent_a, "2020-03", 100_000, lines=(("US", "84", 1000),))
    export(tmp_path, "reports")
    (tmp_path / "reports.csv").write_bytes((tmp_path / "export.csv").read_bytes())
    export(tmp_path, "report_lines")
    (tmp_path / "lines.csv").write_bytes((tmp_path / "export.csv").read_bytes())
    out = io.StringIO()

    call_command(
        "import_data", str(tmp_path / "reports.csv"), str(tmp_path / "lines.csv"), stdout=out, stderr=io.StringIO()
    )

    assert "reports: 0 written, 1 unchanged" in out.getvalue()


def test_a_malformed_period_is_a_command_error(world: World, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("export_data", "reports", "--period", "March", "-o", str(tmp_path / "x.csv"))


def test_an_unknown_table_is_a_command_error(world: World) -> None:
    with pytest.raises(CommandError):
        call_command("export_data", "customers")


def test_the_export_is_written_to_the_commands_stdout(world: World) -> None:
    out = io.StringIO()

    call_command("export_data", "enterprises", stdout=out)

    assert out.getvalue().startswith("uscc,name,")


# --- Formula injection --------------------------------------------------------------------------------------


@pytest.fixture
def hostile(world: World) -> World:
    """Text a spreadsheet would run as a formula, in every free-text column."""
    world.ent_b.name = '=HYPERLINK("http://evil.example","点我")'
    world.ent_b.contact_name = "@SUM(A1:A9)"
    world.ent_b.contact_phone = "+8613800000000"
    world.ent_b.save()
    day = dt.date(2020, 3, 10)
    disruption_file(
        enterprise=world.ent_b,
        data=DisruptionIn(world.ent_b.uscc, day, "held_at_port", Decimal(1000), "", "", "-2+3"),
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


def test_text_cells_that_start_like_a_formula_are_escaped(hostile: World, tmp_path: Path) -> None:
    _, *rows = export(tmp_path, "enterprises")

    row = dict(zip(ENTERPRISE_COLUMNS, next(r for r in rows if r[0] == hostile.ent_b.uscc), strict=False))
    assert row["name"] == '\'=HYPERLINK("http://evil.example","点我")'
    assert row["contact_name"] == "'@SUM(A1:A9)"
    assert row["contact_phone"] == "'+8613800000000"


def test_event_texts_that_start_like_a_formula_are_escaped(hostile: World, tmp_path: Path) -> None:
    _, disruption = export(tmp_path, "disruptions")
    _, need = export(tmp_path, "needs")

    assert disruption[-1] == "'-2+3"
    assert need[-1] == "'=cmd|' /C calc'!A0"


def test_numbers_and_plain_text_are_not_escaped(hostile: World, tmp_path: Path) -> None:
    _, *rows = export(tmp_path, "enterprises")
    _, disruption = export(tmp_path, "disruptions")

    row = dict(zip(ENTERPRISE_COLUMNS, next(r for r in rows if r[0] == hostile.ent_b.uscc), strict=False))
    assert row["exports_last_year_usd"] == "800000"
    assert row["imports_last_year_usd"] == "300000"
    assert disruption[:4] == [hostile.ent_b.uscc, "2020-03-10", "held_at_port", "1000"]
    plain = next(r for r in rows if r[0] == hostile.ent_a.uscc)
    assert plain[1] == "宁波甲气动有限公司"


# --- The web download ----------------------------------------------------------------------------------------


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
def test_the_web_export_contains_only_the_users_scope(world: World, persona: str, visible: set[str]) -> None:
    _, (header, *rows) = download(logged_in(getattr(world, persona)), "/export/enterprises.csv")

    assert header[0] == "uscc"
    assert {r[0] for r in rows} == {getattr(world, name).uscc for name in visible}


def test_the_outsiders_web_export_holds_none_of_our_data(world: World) -> None:
    submit(world.ent_a, "2020-03", 100_000)
    client = logged_in(world.outsider)

    for table in ("enterprises", "reports", "report_lines", "disruptions", "needs"):
        body, _ = download(client, f"/export/{table}.csv")
        text = body.decode("utf-8-sig")
        for ent in (world.ent_a, world.ent_b, world.ent_c):
            assert ent.uscc not in text


def test_the_web_export_of_reports_follows_the_scope_and_the_period(world: World) -> None:
    submit(world.ent_a, "2020-03", 100_000)
    submit(world.ent_a, "2020-02", 90_000)
    submit(world.ent_c, "2020-03", 10_000)

    _, (_, *rows) = download(logged_in(world.town_officer), "/export/reports.csv?period=2020-03")

    assert [(r[0], r[1]) for r in rows] == [(world.ent_a.uscc, "2020-03")]


def test_the_web_export_starts_with_a_utf8_byte_order_mark(world: World) -> None:
    body, _ = download(logged_in(world.reporter), "/export/enterprises.csv")

    assert body.startswith(b"\xef\xbb\xbfuscc,")
    assert "宁波甲气动有限公司".encode() in body


def test_the_web_export_is_offered_as_a_named_attachment(world: World) -> None:
    response = logged_in(world.reporter).get("/export/reports.csv?period=2020-03")

    assert response["Content-Disposition"] == 'attachment; filename="reports-2020-03.csv"'


def test_the_web_export_of_an_unknown_table_is_404(world: World) -> None:
    assert logged_in(world.analyst).get("/export/customers.csv").status_code == 404


def test_the_web_export_with_a_malformed_period_is_404(world: World) -> None:
    assert logged_in(world.analyst).get("/export/reports.csv?period=2020-13").status_code == 404


def test_an_anonymous_web_export_is_redirected_to_login(world: World) -> None:
    response = Client().get("/export/enterprises.csv")

    assert response.status_code == 302
    assert response["Location"].startswith("/login/")
