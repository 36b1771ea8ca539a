"""Large CSV files of lines are checked in columns; the result is exactly what the row-by-row rules give."""

from __future__ import annotations

from typing import Any

import pytest

from exportwatch.exchange import services
from exportwatch.exchange.services import import_files
from exportwatch.reporting.models import Report, ReportLine
from tests.conftest import World

PERIODS = [f"2019-{m:02d}" for m in range(4, 13)] + ["2020-01", "2020-02", "2020-03"]
MARKETS = ["US", "DE", "JP", "GB", "FR", "IT", "NL", "KR", "VN", "AU"]
REPORTS_HEADER = "uscc,period,exports_usd,new_orders_usd,backlog_usd,backlog_due_3m_usd,new_orders_trend,outlook_3m\n"
LINES_HEADER = "uscc,period,market,hs,backlog_usd,new_orders_usd,exports_usd\n"


@pytest.fixture(autouse=True)
def columnar_from_100k(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "COLUMNAR_MIN_CHARS", 100_000)


def _files(world: World, *, line_edit: Any = None) -> list[tuple[str, bytes]]:
    reports, lines = [REPORTS_HEADER], [LINES_HEADER]
    for ent in (world.ent_a, world.ent_b, world.ent_c):
        for period in PERIODS:
            reports.append(f"{ent.uscc},{period},100000,90000,4000000,3000000,same,down\n")
            for market in MARKETS:
                for hs in range(8401, 8411):
                    lines.append(f"{ent.uscc},{period},{market},{hs},4000,800.5,1000\n")
    if line_edit is not None:
        lines = line_edit(lines)
    text = "".join(lines)
    assert len(text) > 100_000
    return [("reports.csv", "".join(reports).encode()), ("report_lines.csv", text.encode())]


def _state() -> list[tuple[Any, ...]]:
    return sorted(
        ReportLine.objects.values_list(
            "report__enterprise__uscc",
            "report__period",
            "report__version",
            "market_id",
            "hs",
            "backlog_usd",
            "new_orders_usd",
            "exports_usd",
        )
    )


def _row_by_row(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(services, "COLUMNAR_MIN_CHARS", 10**12)
    monkeypatch.setattr(services, "COLUMNAR_MIN_ROWS", 10**12)


def test_a_large_file_of_lines_takes_the_columnar_path(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    taken: list[bool] = []
    original = services._Import.take_fast

    def spy(self: Any, pt: Any) -> bool:
        taken.append(original(self, pt))
        return taken[-1]

    monkeypatch.setattr(services._Import, "take_fast", spy)
    outcome = import_files(_files(world), user=None)
    assert taken == [True]
    assert outcome.written["report_lines"] == 3 * len(PERIODS) * 100
    assert outcome.written["reports"] == 3 * len(PERIODS)


def test_both_paths_store_the_same_lines(world: World, monkeypatch: pytest.MonkeyPatch) -> None:
    import_files(_files(world), user=None)
    columnar = _state()
    ReportLine.objects.all().delete()
    Report.objects.all().delete()
    _row_by_row(monkeypatch)
    import_files(_files(world), user=None)
    assert len(columnar) == 3 * len(PERIODS) * 100
    assert _state() == columnar


def test_a_bad_row_in_a_large_file_is_named_by_the_row_path(world: World) -> None:
    def spoil(lines: list[str]) -> list[str]:
        lines[1234] = lines[1234].replace(",4000,", ",-4000,")
        return lines

    outcome = import_files(_files(world, line_edit=spoil), user=None)
    assert [(p.file, p.row, p.column) for p in outcome.problems] == [("report_lines.csv", 1235, "backlog_usd")]
    assert not Report.objects.exists()


def test_lines_above_the_total_in_a_large_file_are_refused_with_the_report_row(world: World) -> None:
    def inflate(lines: list[str]) -> list[str]:
        return [ln.replace(",1000\n", ",100000\n") if i == 5 else ln for i, ln in enumerate(lines)]

    outcome = import_files(_files(world, line_edit=inflate), user=None)
    problems = [(p.file, p.row, p.column) for p in outcome.problems]
    assert problems == [("reports.csv", 2, "exports_usd")]  # 99 x 1,000 + 100,000 > 100,000
    assert not ReportLine.objects.exists()


def test_a_value_that_needs_normalising_sends_the_file_the_row_way(world: World) -> None:
    def lower(lines: list[str]) -> list[str]:
        lines[7] = lines[7].replace(",US,", ",us,")
        return lines

    outcome = import_files(_files(world, line_edit=lower), user=None)
    assert outcome.problems == []
    assert ReportLine.objects.filter(market_id="US").count() == 3 * len(PERIODS) * 10


def test_reimporting_a_large_file_writes_nothing(world: World) -> None:
    import_files(_files(world), user=None)
    again = import_files(_files(world), user=None)
    assert not any(again.written.values())
    assert Report.objects.filter(version=2).count() == 0


def test_valid_rows_only_lists_every_line_skipped_with_its_bad_report(world: World) -> None:
    files = _files(world)
    reports = files[0][1].decode().splitlines(keepends=True)
    reports[1] = reports[1].replace(",same,down", ",sideways,down")  # ent_a 2019-04: a bad trend
    outcome = import_files([("reports.csv", "".join(reports).encode()), files[1]], user=None, valid_rows_only=True)
    skipped_lines = [p.row for p in outcome.skipped if p.file == "report_lines.csv"]
    assert skipped_lines == list(range(2, 102))  # the 100 lines of that report, each listed
    assert outcome.written["report_lines"] == (3 * len(PERIODS) - 1) * 100
