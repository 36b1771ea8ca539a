"""CSV import (`exportwatch import` = the ``import_data`` command, and ``import_files`` behind it)."""

from __future__ import annotations

import io
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from exportwatch.common.models import AuditEvent
from exportwatch.core.codes import USCC_ALPHABET
from exportwatch.directory.models import Enterprise
from exportwatch.exchange.csvio import FileProblem
from exportwatch.exchange.services import import_files
from exportwatch.reporting.models import Disruption, Need, Report, ReportLine
from tests.conftest import World, make_uscc

E1 = make_uscc(101)
E2 = make_uscc(102)

ENTERPRISES_HEADER = (
    "uscc,name,customs_code,town,industry,exports_last_year_usd,imports_last_year_usd,contact_name,contact_phone,"
    "segments\n"
)
ENTERPRISES = (
    ENTERPRISES_HEADER
    + f"{E1},宁波测试一号有限公司,3302960001,溪口镇,36,12000000,500000,张三,13800000001,canton_fair;us_exporter\n"
    + f"{E2},宁波测试二号有限公司,,330213001,34,800000,300000,李四,13800000002,\n"
)
REPORTS_HEADER = (
    "uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,capacity_utilization_pct,"
    "new_orders_trend,outlook_3m\n"
)
REPORT_E1 = f"{E1},2020-03,100000,80000,500000,300000,75,down,same\n"
REPORT_E2 = f"{E2},2020-03,50000,20000,100000,50000,,up,down\n"
REPORTS = REPORTS_HEADER + REPORT_E1 + REPORT_E2
LINES_HEADER = "uscc,period,market,hs,backlog_usd,new_orders_usd,exports_usd\n"
LINES_E1 = f"{E1},2020-03,US,84,200000,30000,40000\n{E1},2020-03,DE,8481,100000,20000,30000\n"
LINE_E2 = f"{E2},2020-03,JP,61,50000,10000,20000\n"
LINES = LINES_HEADER + LINES_E1 + LINE_E2

GOOD = {"enterprises.csv": ENTERPRISES, "reports.csv": REPORTS, "report_lines.csv": LINES}


@dataclass
class Run:
    out: str
    err: str
    error: CommandError | None
    paths: dict[str, str]

    def at(self, name: str, row: int, column: str) -> str:
        """The FILE:ROW:COLUMN prefix the importer prints for a problem."""
        return f"{self.paths[name]}:{row}:{column}:"


def run_import(tmp_path: Path, files: dict[str, str | bytes], *options: str) -> Run:
    paths: dict[str, str] = {}
    for name, content in files.items():
        path = tmp_path / name
        path.write_bytes(content if isinstance(content, bytes) else content.encode("utf-8"))
        paths[name] = str(path)
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_data", *paths.values(), *options, stdout=out, stderr=err)
    except CommandError as exc:
        return Run(out.getvalue(), err.getvalue(), exc, paths)
    return Run(out.getvalue(), err.getvalue(), None, paths)


def counts() -> dict[str, int]:
    return {
        "enterprises": Enterprise.objects.count(),
        "reports": Report.objects.count(),
        "lines": ReportLine.objects.count(),
        "disruptions": Disruption.objects.count(),
        "needs": Need.objects.count(),
        "audit": AuditEvent.objects.count(),
    }


def wrong_check_character(uscc: str) -> str:
    return uscc[:17] + next(ch for ch in USCC_ALPHABET if ch != uscc[17])


# --- A valid set of files ----------------------------------------------------------------------------


def test_a_valid_set_of_files_imports_and_prints_the_rows_written_per_table(ref: None, tmp_path: Path) -> None:
    run = run_import(tmp_path, GOOD)

    assert run.error is None, run.err
    assert "enterprises: 2 written, 0 unchanged" in run.out
    assert "reports: 2 written, 0 unchanged" in run.out
    assert "report_lines: 3 written, 0 unchanged" in run.out
    assert Enterprise.objects.filter(uscc__in=[E1, E2]).count() == 2
    assert Report.objects.filter(period="2020-03", version=1, is_current=True).count() == 2
    assert ReportLine.objects.count() == 3


def test_imported_values_are_stored_as_given(ref: None, tmp_path: Path) -> None:
    run_import(tmp_path, GOOD)

    ent = Enterprise.objects.get(uscc=E1)
    assert (ent.name, ent.customs_code, ent.town_id, ent.industry_id) == (
        "宁波测试一号有限公司",
        "3302960001",
        "330213100",
        "36",
    )
    assert sorted(s.code for s in ent.segments.all()) == ["canton_fair", "us_exporter"]
    report = Report.objects.get(enterprise=ent, period="2020-03")
    assert (report.exports_usd, report.backlog_due_3m_usd, report.capacity_utilization_pct) == (
        Decimal(100_000),
        Decimal(300_000),
        Decimal(75),
    )
    assert (report.new_orders_trend, report.outlook_3m, report.source) == ("down", "same", "csv")
    assert sorted((ln.market_id, ln.hs, ln.backlog_usd) for ln in report.lines.all()) == [
        ("DE", "8481", Decimal(100_000)),
        ("US", "84", Decimal(200_000)),
    ]


def test_importing_the_same_files_again_writes_nothing(ref: None, tmp_path: Path) -> None:
    run_import(tmp_path, GOOD)
    before = counts()

    run = run_import(tmp_path, GOOD)

    assert run.error is None, run.err
    assert counts() == before
    assert "enterprises: 0 written, 2 unchanged" in run.out
    assert "reports: 0 written, 2 unchanged" in run.out
    assert "report_lines: 0 written, 3 unchanged" in run.out


def test_a_changed_report_is_imported_as_a_new_version(ref: None, tmp_path: Path) -> None:
    run_import(tmp_path, GOOD)

    run = run_import(tmp_path, {"reports.csv": REPORTS.replace(",100000,80000,", ",110000,80000,")})

    assert run.error is None, run.err
    assert "reports: 1 written, 1 unchanged" in run.out
    versions = Report.objects.filter(enterprise__uscc=E1, period="2020-03").order_by("version")
    assert [(r.version, r.is_current, r.exports_usd) for r in versions] == [
        (1, False, Decimal(100_000)),
        (2, True, Decimal(110_000)),
    ]
    assert versions[1].lines.count() == 2  # the stored lines carry over to the new version


def test_disruptions_and_needs_import_once(world: World, tmp_path: Path) -> None:
    uscc = world.ent_a.uscc
    files = {
        "disruptions.csv": "uscc,date,kind,amount_usd,market,hs,note\n"
        f"{uscc},2020-03-10,shipment_delayed,50000,US,84,延期\n",
        "needs.csv": "uscc,date,category,amount_usd,urgency,description\n"
        f"{uscc},2020-03-12,financing,1000000,high,贷款\n",
    }

    first = run_import(tmp_path, files)
    again = run_import(tmp_path, files)

    assert first.error is None, first.err
    assert "disruptions: 1 written, 0 unchanged" in first.out
    assert "needs: 1 written, 0 unchanged" in first.out
    assert "disruptions: 0 written, 1 unchanged" in again.out
    assert (Disruption.objects.count(), Need.objects.count()) == (1, 1)


# --- What the importer reads -----------------------------------------------------------------------

CN_ENTERPRISES = (
    "统一社会信用代码,企业名称,海关编码,镇街,行业代码,上年出口额（美元）,上年进口额（美元）,联系人,联系电话,企业标签\n"
    f"{E1},宁波测试一号有限公司,3302960001,溪口镇,36,12000000,500000,张三,13800000001,canton_fair\n"
)
CN_REPORTS = (
    "统一社会信用代码,月份,当月出口额（美元）,当月新增订单（美元）,在手订单（美元）,三个月内交货在手订单（美元）,"
    "产能利用率（%）,新订单较上月,未来三个月出口预期\n"
    f"{E1},2020-03,100000,80000,500000,300000,75,下降,持平\n"
)
CN_LINES = (
    "统一社会信用代码,月份,市场,HS编码,在手订单（美元）,新增订单（美元）,出口额（美元）\n"
    f"{E1},2020-03,US,84,200000,30000,40000\n"
)


def test_chinese_headers_are_accepted(ref: None, tmp_path: Path) -> None:
    run = run_import(tmp_path, {"企业.csv": CN_ENTERPRISES, "订单.csv": CN_REPORTS, "明细.csv": CN_LINES})

    assert run.error is None, run.err
    report = Report.objects.get(enterprise__uscc=E1, period="2020-03")
    assert (report.new_orders_trend, report.outlook_3m) == ("down", "same")
    assert report.lines.count() == 1


def test_chinese_headers_with_ascii_parentheses_are_accepted(ref: None, tmp_path: Path) -> None:
    run = run_import(tmp_path, {"企业.csv": CN_ENTERPRISES.replace("（美元）", "(美元)")})

    assert run.error is None, run.err
    assert Enterprise.objects.get(uscc=E1).exports_last_year_usd == Decimal(12_000_000)


def test_a_gb18030_encoded_file_imports(ref: None, tmp_path: Path) -> None:
    run = run_import(tmp_path, {"企业.csv": CN_ENTERPRISES.encode("gb18030")})

    assert run.error is None, run.err
    ent = Enterprise.objects.get(uscc=E1)
    assert (ent.name, ent.contact_name) == ("宁波测试一号有限公司", "张三")


def test_a_utf8_file_with_a_byte_order_mark_imports(ref: None, tmp_path: Path) -> None:
    run = run_import(tmp_path, {"企业.csv": CN_ENTERPRISES.encode("utf-8-sig")})

    assert run.error is None, run.err
    assert Enterprise.objects.get(uscc=E1).name == "宁波测试一号有限公司"


def test_windows_line_endings_are_accepted(ref: None, tmp_path: Path) -> None:
    run = run_import(tmp_path, {"enterprises.csv": ENTERPRISES.replace("\n", "\r\n")})

    assert run.error is None, run.err
    assert Enterprise.objects.filter(uscc__in=[E1, E2]).count() == 2


@pytest.mark.parametrize("delimiter", [";", "\t"], ids=["semicolon", "tab"])
def test_a_file_with_another_delimiter_imports(ref: None, tmp_path: Path, delimiter: str) -> None:
    files = {name: text.replace(",", delimiter) for name, text in GOOD.items() if name != "enterprises.csv"}
    files["enterprises.csv"] = ENTERPRISES

    run = run_import(tmp_path, files)

    assert run.error is None, run.err
    assert Report.objects.count() == 2
    assert ReportLine.objects.count() == 3


def test_periods_written_as_slash_or_in_chinese_are_read_as_the_same_month(ref: None, tmp_path: Path) -> None:
    files = {
        "enterprises.csv": ENTERPRISES,
        "reports.csv": REPORTS.replace(f"{E1},2020-03", f"{E1},2020/3").replace(f"{E2},2020-03", f"{E2},2020年3月"),
        "report_lines.csv": LINES.replace(f"{E1},2020-03", f"{E1},2020年3月").replace(f"{E2},2020-03", f"{E2},2020/3"),
    }

    run = run_import(tmp_path, files)

    assert run.error is None, run.err
    assert sorted(Report.objects.values_list("period", flat=True)) == ["2020-03", "2020-03"]
    assert Report.objects.get(enterprise__uscc=E1).lines.count() == 2
    assert Report.objects.get(enterprise__uscc=E2).lines.count() == 1


def test_amounts_with_thousands_separators_are_read(ref: None, tmp_path: Path) -> None:
    reports = REPORTS_HEADER + f'{E1},2020-03,"1,234,567",80000,500000,300000,75,down,same\n'

    run = run_import(tmp_path, {"enterprises.csv": ENTERPRISES, "reports.csv": reports})

    assert run.error is None, run.err
    assert Report.objects.get().exports_usd == Decimal(1_234_567)


# --- Bad input: a clear message, and nothing written --------------------------------------------------


@dataclass(frozen=True)
class Bad:
    files: dict[str, str | bytes]
    where: tuple[str, int, str]  # file, row, column of the expected message
    says: str  # a fragment of the message


def _bad_cases() -> dict[str, Bad]:
    bad_uscc = wrong_check_character(E2)
    reports_with = lambda row: REPORTS_HEADER + REPORT_E1 + row  # noqa: E731
    lines_with = lambda row: LINES_HEADER + LINES_E1 + row  # noqa: E731
    return {
        "invalid-check-character": Bad(
            {"reports.csv": reports_with(REPORT_E2.replace(E2, bad_uscc))},
            ("reports.csv", 3, "uscc"),
            f"should be {E2[17]}",
        ),
        "negative-amount": Bad(
            {"reports.csv": reports_with(REPORT_E2.replace(",50000,", ",-50000,"))},
            ("reports.csv", 3, "exports_usd"),
            "cannot be negative",
        ),
        "due-above-backlog": Bad(
            {"reports.csv": reports_with(f"{E2},2020-03,50000,20000,100000,150000,,up,down\n")},
            ("reports.csv", 3, "backlog_due_3m_usd"),
            "cannot be larger than the total backlog",
        ),
        "lines-above-totals": Bad(
            {"reports.csv": REPORTS, "report_lines.csv": lines_with(f"{E2},2020-03,JP,61,150000,10000,20000\n")},
            ("reports.csv", 3, "backlog_usd"),
            "add up to 150,000",
        ),
        "unknown-market": Bad(
            {"reports.csv": REPORTS, "report_lines.csv": lines_with(LINE_E2.replace(",JP,", ",XX,"))},
            ("report_lines.csv", 4, "market"),
            "“XX” is not a known country",
        ),
        "unknown-hs": Bad(
            {"reports.csv": REPORTS, "report_lines.csv": lines_with(LINE_E2.replace(",61,", ",7799,"))},
            ("report_lines.csv", 4, "hs"),
            "“7799” is not a known HS code",
        ),
        "future-period": Bad(
            {"reports.csv": reports_with(REPORT_E2.replace("2020-03", "2020-05"))},
            ("reports.csv", 3, "period"),
            "2020-05 is in the future",
        ),
        "missing-required-column": Bad(
            {"reports.csv": REPORTS.replace(",backlog_usd,", ",")},
            ("reports.csv", 1, "backlog_usd"),
            "Required column(s) missing",
        ),
        "unknown-column": Bad(
            {"reports.csv": REPORTS_HEADER.strip() + ",remark\n" + REPORT_E1.strip() + ",ok\n"},
            ("reports.csv", 1, "remark"),
            "Unknown column “remark”",
        ),
        "binary-file": Bad(
            {"photo.csv": b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00"},
            ("photo.csv", 0, ""),
            "binary file",
        ),
        "garbled-file": Bad(
            {"garbled.csv": b"uscc,period\n" + bytes([0x80, 0xFF] * 20) + b"\n"},
            ("garbled.csv", 0, ""),
            "cannot be read",
        ),
        "empty-file": Bad({"empty.csv": b""}, ("empty.csv", 0, ""), "empty"),
        "blank-file": Bad({"blank.csv": "\n \n\n"}, ("blank.csv", 0, ""), "empty"),
        "header-only": Bad({"reports.csv": REPORTS_HEADER}, ("reports.csv", 1, ""), "no data rows"),
        "unrecognised-header": Bad(
            {"other.csv": "foo,bar\n1,2\n"}, ("other.csv", 1, ""), "does not match any ExportWatch table"
        ),
        "unregistered-enterprise": Bad(
            {"reports.csv": reports_with(REPORT_E2.replace(E2, make_uscc(999)))},
            ("reports.csv", 3, "uscc"),
            f"No enterprise with the unified social credit code {make_uscc(999)}",
        ),
        "lines-without-report": Bad(
            {"reports.csv": REPORTS_HEADER + REPORT_E1, "report_lines.csv": LINES},
            ("report_lines.csv", 4, "period"),
            "no report of",
        ),
        "duplicate-line": Bad(
            {"reports.csv": REPORTS, "report_lines.csv": LINES + f"{E2},2020-03,JP,61,1,1,1\n"},
            ("reports.csv", 3, "market"),
            "appears 2 times",
        ),
        "amount-not-a-number": Bad(
            {"reports.csv": reports_with(REPORT_E2.replace(",50000,", ",50k,"))},
            ("reports.csv", 3, "exports_usd"),
            "“50k” is not a number",
        ),
        "too-many-cells": Bad(
            {"reports.csv": reports_with(REPORT_E2.strip() + ",extra\n")},
            ("reports.csv", 3, ""),
            "has 10 cells",
        ),
    }


BAD_CASES = _bad_cases()


@pytest.mark.parametrize("case", BAD_CASES.values(), ids=BAD_CASES.keys())
def test_a_bad_input_is_reported_by_file_row_and_column_and_nothing_is_written(
    ref: None, tmp_path: Path, case: Bad
) -> None:
    # The good enterprises file rides along: had the import not been all-or-nothing, it would be written.
    files: dict[str, str | bytes] = {"enterprises.csv": ENTERPRISES, **case.files}
    before = counts()

    run = run_import(tmp_path, files)

    assert run.error is not None, run.out
    assert "nothing was written" in str(run.error)
    name, row, column = case.where
    lines = [line for line in run.err.splitlines() if line.startswith(run.at(name, row, column))]
    assert lines, f"no problem at {run.at(name, row, column)} in:\n{run.err}"
    assert any(case.says in line for line in lines), run.err
    assert counts() == before


def test_one_good_file_and_one_bad_file_write_nothing(ref: None, tmp_path: Path) -> None:
    before = counts()

    run = run_import(tmp_path, {"enterprises.csv": ENTERPRISES, "reports.csv": REPORTS.replace(",75,", ",175,")})

    assert run.error is not None
    assert run.at("reports.csv", 2, "capacity_utilization_pct") in run.err
    assert counts() == before
    assert not Enterprise.objects.filter(uscc__in=[E1, E2]).exists()


def test_every_problem_of_a_file_is_listed_not_just_the_first(ref: None, tmp_path: Path) -> None:
    reports = (
        REPORTS_HEADER
        + REPORT_E1.replace(",100000,", ",-1,")
        + REPORT_E2.replace("2020-03", "2020-05").replace(",up,", ",sideways,")
    )

    run = run_import(tmp_path, {"enterprises.csv": ENTERPRISES, "reports.csv": reports})

    assert run.at("reports.csv", 2, "exports_usd") in run.err
    assert run.at("reports.csv", 3, "period") in run.err
    assert run.at("reports.csv", 3, "new_orders_trend") in run.err
    assert "3 problem(s)" in str(run.error)


def test_a_duplicate_report_row_in_one_file_is_refused(ref: None, tmp_path: Path) -> None:
    reports = REPORTS + REPORT_E1.replace(",100000,", ",90000,")
    before = counts()

    run = run_import(tmp_path, {"enterprises.csv": ENTERPRISES, "reports.csv": reports})

    assert run.error is not None
    [line] = [ln for ln in run.err.splitlines() if ln.startswith(run.at("reports.csv", 4, "period"))]
    assert "already appears on row 2" in line
    assert counts() == before


def test_a_duplicate_report_row_with_another_spelling_of_the_month_is_refused(ref: None, tmp_path: Path) -> None:
    reports = REPORTS + REPORT_E1.replace("2020-03", "2020年3月")

    run = run_import(tmp_path, {"enterprises.csv": ENTERPRISES, "reports.csv": reports})

    assert run.error is not None
    assert run.at("reports.csv", 4, "period") in run.err


def test_a_missing_file_is_a_command_error(ref: None, tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="no such file"):
        call_command("import_data", str(tmp_path / "nowhere.csv"), stdout=io.StringIO(), stderr=io.StringIO())


# --- Dry run and valid rows only -------------------------------------------------------------------------


def test_a_dry_run_writes_nothing_and_says_what_would_be_written(ref: None, tmp_path: Path) -> None:
    before = counts()

    run = run_import(tmp_path, GOOD, "--dry-run")

    assert run.error is None, run.err
    assert counts() == before
    assert "enterprises: 2 would write, 0 unchanged" in run.out
    assert "reports: 2 would write, 0 unchanged" in run.out
    assert "report_lines: 3 would write, 0 unchanged" in run.out


def test_a_dry_run_of_bad_files_lists_the_problems(ref: None, tmp_path: Path) -> None:
    run = run_import(tmp_path, {**GOOD, "reports.csv": REPORTS.replace(",down,", ",sideways,")}, "--dry-run")

    assert run.error is not None
    assert run.at("reports.csv", 2, "new_orders_trend") in run.err


def _valid_rows_only_files() -> dict[str, str | bytes]:
    # E2's report is fine but one of its lines names an unknown market: the report goes with its lines.
    lines = LINES_HEADER + LINES_E1 + LINE_E2 + f"{E2},2020-03,XX,61,1,1,1\n"
    return {"enterprises.csv": ENTERPRISES, "reports.csv": REPORTS, "report_lines.csv": lines}


def test_valid_rows_only_writes_the_good_rows(ref: None, tmp_path: Path) -> None:
    run = run_import(tmp_path, _valid_rows_only_files(), "--valid-rows-only")

    assert run.error is None, run.err
    assert Enterprise.objects.filter(uscc__in=[E1, E2]).count() == 2
    report = Report.objects.get(enterprise__uscc=E1)
    assert report.lines.count() == 2
    assert "reports: 1 written" in run.out
    assert "report_lines: 2 written" in run.out


def test_valid_rows_only_never_writes_a_report_without_its_lines(ref: None, tmp_path: Path) -> None:
    run_import(tmp_path, _valid_rows_only_files(), "--valid-rows-only")

    assert not Report.objects.filter(enterprise__uscc=E2).exists()
    assert not ReportLine.objects.filter(report__enterprise__uscc=E2).exists()


def test_valid_rows_only_lists_the_skipped_rows(ref: None, tmp_path: Path) -> None:
    run = run_import(tmp_path, _valid_rows_only_files(), "--valid-rows-only")

    skipped = [line for line in run.err.splitlines() if line.startswith("skipped ")]
    assert f"skipped {run.at('report_lines.csv', 5, 'market')}" in "\n".join(skipped)
    assert f"skipped {run.at('reports.csv', 3, '')} skipped with its report" in skipped
    assert f"skipped {run.at('report_lines.csv', 4, '')} skipped with its report" in skipped
    assert len(skipped) == 3


def test_valid_rows_only_skips_a_report_whose_bad_line_spells_the_month_differently(ref: None, tmp_path: Path) -> None:
    files = _valid_rows_only_files()
    files["report_lines.csv"] = str(files["report_lines.csv"]).replace(f"{E2},2020-03,XX", f"{E2},2020/3,XX")

    run_import(tmp_path, files, "--valid-rows-only")

    assert not Report.objects.filter(enterprise__uscc=E2).exists()


def test_valid_rows_only_with_a_whole_bad_file_writes_the_other_files(ref: None, tmp_path: Path) -> None:
    run = run_import(tmp_path, {"enterprises.csv": ENTERPRISES, "empty.csv": b""}, "--valid-rows-only")

    assert run.error is None, run.err
    assert Enterprise.objects.filter(uscc__in=[E1, E2]).count() == 2
    assert f"skipped {run.at('empty.csv', 0, '')}" in run.err


# --- import_files, called directly ------------------------------------------------------------------------


def test_import_files_returns_the_problems_and_commits_nothing(ref: None) -> None:
    reports = REPORTS_HEADER + REPORT_E1.replace(",75,", ",101,")
    before = counts()

    outcome = import_files([("e.csv", ENTERPRISES.encode()), ("r.csv", reports.encode())], user=None)

    assert not outcome.committed
    assert [(p.file, p.row, p.column) for p in outcome.problems] == [("r.csv", 2, "capacity_utilization_pct")]
    assert isinstance(outcome.problems[0], FileProblem)
    assert counts() == before


def test_import_files_counts_what_it_wrote(ref: None) -> None:
    outcome = import_files([(name, text.encode()) for name, text in GOOD.items()], user=None)

    assert outcome.committed
    assert outcome.problems == []
    assert (outcome.written["enterprises"], outcome.written["reports"], outcome.written["report_lines"]) == (2, 2, 3)


def test_import_files_records_who_imported(world: World) -> None:
    reports = REPORTS_HEADER + REPORT_E1.replace(E1, world.ent_a.uscc)

    import_files([("r.csv", reports.encode())], user=world.reporter, scope=Enterprise.objects.filter(pk=world.ent_a.pk))

    report = Report.objects.get()
    assert report.submitted_by == world.reporter
    assert AuditEvent.objects.filter(actor=world.reporter, action="report.submit").count() == 1


def test_import_files_refuses_rows_of_enterprises_outside_the_scope(world: World) -> None:
    reports = REPORTS_HEADER + REPORT_E1.replace(E1, world.ent_a.uscc) + REPORT_E1.replace(E1, world.ent_c.uscc)
    scope = Enterprise.objects.filter(town__code="330213001")  # the town officer's: ent_a and ent_b
    before = counts()

    outcome = import_files([("r.csv", reports.encode())], user=world.town_officer, scope=scope)

    assert [(p.row, p.column) for p in outcome.problems] == [(3, "uscc")]
    assert not outcome.committed
    assert counts() == before


def test_import_files_refuses_registering_an_enterprise_outside_the_scope(world: World) -> None:
    outcome = import_files(
        [("e.csv", ENTERPRISES.encode())], user=world.reporter, scope=Enterprise.objects.filter(pk=world.ent_a.pk)
    )

    assert {(p.row, p.column) for p in outcome.problems} == {(2, "uscc"), (3, "uscc")}
    assert not Enterprise.objects.filter(uscc__in=[E1, E2]).exists()


def test_import_files_dry_run_rolls_back(ref: None) -> None:
    before = counts()

    outcome = import_files([(name, text.encode()) for name, text in GOOD.items()], user=None, dry_run=True)

    assert not outcome.committed
    assert outcome.written["reports"] == 2
    assert counts() == before
