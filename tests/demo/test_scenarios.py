"""The labelled scenarios of the early-warning harness (exportwatch.demo.scenarios): pure generation, checked on the
files it writes; one test imports them (dry run) against the reference data."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from typing import Any

import pytest

from exportwatch.core.periods import period_add
from exportwatch.core.warning_record import drop_onsets
from exportwatch.demo.scenarios import KINDS, Scenario, scenario_generate

TOWNS = ("330213001", "330213003", "330213100")
SMALL = 40  # enterprises: enough for every kind of shock, quick to generate


def rows(scenario: Scenario, prefix: str) -> list[dict[str, str]]:
    """Every row of the scenario's files whose name starts with ``prefix``."""
    out: list[dict[str, str]] = []
    for name, data in scenario.files:
        if name.startswith(prefix):
            out.extend(csv.DictReader(io.StringIO(data.decode("utf-8"))))
    return out


@pytest.fixture(scope="module")
def scenarios() -> dict[str, Scenario]:
    return {kind: scenario_generate(kind, towns=TOWNS, seed=7, enterprises=SMALL) for kind in KINDS}


def test_the_same_seed_gives_the_same_files_and_labels() -> None:
    one = scenario_generate("distress", towns=TOWNS, seed=3, enterprises=20)
    two = scenario_generate("distress", towns=TOWNS, seed=3, enterprises=20)
    assert one.files == two.files
    assert one.labels == two.labels
    other = scenario_generate("distress", towns=TOWNS, seed=4, enterprises=20)
    assert other.files != one.files


def test_files_come_as_a_registry_then_one_batch_a_month(scenarios: dict[str, Scenario]) -> None:
    s = scenarios["calm"]
    assert [b.label for b in s.batches] == ["registry", *s.periods]
    assert s.periods[0] == "2018-01" and s.periods[-1] == "2020-12" and len(s.periods) == 36
    assert [name for name, _data in s.batches[0].files] == ["enterprises.csv"]
    assert [name for name, _data in s.batches[1].files][:2] == ["reports-2018-01.csv", "report_lines-2018-01.csv"]
    assert len(rows(s, "enterprises")) == SMALL


@pytest.mark.parametrize("kind", KINDS)
def test_the_backlog_identity_holds_every_month(scenarios: dict[str, Scenario], kind: str) -> None:
    for book in scenarios[kind].books.values():
        before = book.backlog_start
        for new, exports, backlog, cancelled in zip(
            book.new_orders, book.exports, book.backlog, book.cancelled, strict=True
        ):
            assert backlog == before + new - exports - cancelled
            assert min(new, exports, backlog, cancelled) >= 0
            before = backlog


@pytest.mark.parametrize("kind", KINDS)
def test_the_reports_state_the_books_and_their_lines_add_up_to_them(scenarios: dict[str, Scenario], kind: str) -> None:
    s = scenarios[kind]
    index = {p: i for i, p in enumerate(s.periods)}
    sums: dict[tuple[str, str], list[int]] = defaultdict(lambda: [0, 0, 0])
    for line in rows(s, "report_lines"):
        total = sums[(line["uscc"], line["period"])]
        for k, column in enumerate(("backlog_usd", "new_orders_usd", "exports_usd")):
            total[k] += int(line[column])
    reports = rows(s, "reports")
    assert reports
    for r in reports:
        book, i = s.books[r["uscc"]], index[r["period"]]
        assert book.reported[i]
        figures = [int(r["backlog_usd"]), int(r["new_orders_usd"]), int(r["exports_usd"])]
        assert figures == [book.backlog[i], book.new_orders[i], book.exports[i]]
        assert sums[(r["uscc"], r["period"])] == figures
        assert int(r["backlog_due_3m_usd"]) == book.backlog_due_3m[i] <= int(r["backlog_usd"])
    assert len(reports) == sum(sum(b.reported) for b in s.books.values())


@pytest.mark.parametrize("kind", KINDS)
def test_the_falls_labelled_are_the_drops_of_the_reported_exports(scenarios: dict[str, Scenario], kind: str) -> None:
    s = scenarios[kind]
    index = {p: i for i, p in enumerate(s.periods)}
    series: dict[str, list[float | None]] = {u: [None] * len(s.periods) for u in s.books}
    for r in rows(s, "reports"):
        series[r["uscc"]][index[r["period"]]] = float(r["exports_usd"])
    for uscc, values in series.items():
        assert s.labels.falls[uscc] == tuple(s.periods[i] for i in drop_onsets(values))
        assert s.labels.first_fall(uscc) == (s.labels.falls[uscc] or (None,))[0]


def test_the_registry_states_last_years_exports_as_simulated(scenarios: dict[str, Scenario]) -> None:
    s = scenarios["calm"]
    for r in rows(s, "enterprises"):
        assert int(r["exports_last_year_usd"]) == s.exports_last_year[r["uscc"]] > 0


def test_orders_lead_exports_by_two_to_five_months(scenarios: dict[str, Scenario]) -> None:
    """In calm months the book holds between one and a half and six months of shipments."""
    s = scenarios["calm"]
    for book in s.books.values():
        mean_exports = sum(book.exports[12:24]) / 12
        mean_backlog = sum(book.backlog[12:24]) / 12
        assert 1.5 <= mean_backlog / mean_exports <= 6


def _line_sums(s: Scenario, column: str, match: Any) -> dict[str, int]:
    out: dict[str, int] = defaultdict(int)
    for line in rows(s, "report_lines"):
        if match(line):
            out[line["period"]] += int(line[column])
    return out


def test_a_market_collapse_cuts_that_markets_new_orders_by_60_percent_and_exports_follow(
    scenarios: dict[str, Scenario],
) -> None:
    s = scenarios["market_collapse"]
    assert (s.labels.onset, s.labels.market) == ("2019-06", "US")
    onset = "2019-06"
    orders = _line_sums(s, "new_orders_usd", lambda ln: ln["market"] == "US")
    exports = _line_sums(s, "exports_usd", lambda ln: ln["market"] == "US")
    before = [period_add(onset, k) for k in (-3, -2, -1)]
    after = [period_add(onset, k) for k in (0, 1, 2)]
    ratio = sum(orders[p] for p in after) / sum(orders[period_add(p, -12)] for p in after)
    assert 0.3 < ratio < 0.5
    assert 0.9 < sum(orders[p] for p in before) / sum(orders[period_add(p, -12)] for p in before) < 1.3
    # Exports hold for the first month and have fallen well within six.
    assert exports[onset] / exports[period_add(onset, -12)] > 0.85
    late = [period_add(onset, k) for k in (6, 7, 8)]
    assert sum(exports[p] for p in late) / sum(exports[period_add(p, -12)] for p in late) < 0.6
    assert _line_sums(s, "new_orders_usd", lambda ln: ln["market"] != "US")[after[0]] > 0


def test_a_product_collapse_cuts_the_chapters_new_orders(scenarios: dict[str, Scenario]) -> None:
    s = scenarios["product_collapse"]
    assert s.labels.hs == "85"
    orders = _line_sums(s, "new_orders_usd", lambda ln: ln["hs"].startswith("85"))
    after = ["2019-06", "2019-07", "2019-08"]
    assert 0.3 < sum(orders[p] for p in after) / sum(orders[period_add(p, -12)] for p in after) < 0.5


def test_distressed_enterprises_slide_before_their_exports_fall(scenarios: dict[str, Scenario]) -> None:
    s = scenarios["distress"]
    labels = s.labels
    assert len(labels.distressed) == round(0.1 * SMALL)
    assert set(labels.distress_falls) == set(labels.distressed)
    for uscc, start in labels.distressed.items():
        fall = labels.distress_falls[uscc]
        assert "2019-01" <= start <= "2020-06"
        assert fall is None or fall >= start
    falling = [u for u, f in labels.distress_falls.items() if f is not None]
    assert len(falling) >= len(labels.distressed) // 2
    # Some of them filed what happened to their book; everyone else stayed calm.
    filed = {r["uscc"] for r in rows(s, "disruptions") if r["kind"] in ("order_cancelled", "order_reduced")}
    assert filed & set(labels.distressed)


def test_a_systemic_downturn_hits_most_markets(scenarios: dict[str, Scenario]) -> None:
    s = scenarios["systemic"]
    assert len(s.labels.markets) >= 15
    orders = _line_sums(s, "new_orders_usd", lambda ln: True)
    after = ["2019-07", "2019-08", "2019-09"]
    assert 0.5 < sum(orders[p] for p in after) / sum(orders[period_add(p, -12)] for p in after) < 0.85


def test_calm_labels_no_shock(scenarios: dict[str, Scenario]) -> None:
    labels = scenarios["calm"].labels
    assert labels.onset is None and labels.market is None and labels.hs is None
    assert not labels.distressed and not labels.markets


@pytest.mark.parametrize(
    ("kind", "options", "message"),
    [
        ("meltdown", {}, "unknown scenario kind"),
        ("calm", {"towns": ()}, "town"),
        ("calm", {"last_period": "2019-06"}, "25 months"),
        ("market_collapse", {"onset": "2018-06"}, "onset"),
        ("market_collapse", {"market": "XX"}, "market"),
        ("product_collapse", {"hs": "01"}, "HS chapter"),
        ("distress", {"distress_share": 0.0}, "distress_share"),
    ],
)
def test_it_refuses_impossible_scenarios(kind: str, options: dict[str, Any], message: str) -> None:
    arguments: dict[str, Any] = {"towns": TOWNS, "enterprises": 5, **options}
    with pytest.raises(ValueError, match=message):
        scenario_generate(kind, **arguments)


def test_the_files_pass_the_importer_without_a_problem(ref: None, settings: Any) -> None:
    from exportwatch.exchange.services import import_files
    from exportwatch.reporting.models import Report

    settings.EXPORTWATCH_TODAY = dt.date(2021, 1, 15)  # after the scenario's last month
    s = scenario_generate("distress", towns=TOWNS, seed=11, enterprises=30)
    outcome = import_files(s.files, user=None, dry_run=True)
    assert outcome.problems == [] and outcome.warnings == []
    assert outcome.written["enterprises"] == 30
    assert outcome.written["reports"] == sum(sum(b.reported) for b in s.books.values())
    assert outcome.written["disruptions"] > 0 and outcome.written["needs"] > 0
    assert not Report.objects.exists()  # a dry run writes nothing
