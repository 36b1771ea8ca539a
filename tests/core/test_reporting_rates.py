"""Reporting and on-time rates in exportwatch.core.reporting_rates."""

import pytest

from exportwatch.core.periods import LATE, MISSING, ON_TIME, PENDING
from exportwatch.core.reporting_rates import (
    ExpectedReport,
    ReportingRates,
    reporting_rates,
    reporting_rates_by,
    reporting_rates_by_tags,
)

ROWS = [
    ExpectedReport("A", ON_TIME, town="T1", segments=("us_exporter", "canton_fair")),
    ExpectedReport("B", LATE, town="T1", segments=("us_exporter",)),
    ExpectedReport("C", MISSING, town="T1"),
    ExpectedReport("D", ON_TIME, town="T2", segments=("canton_fair", "canton_fair")),
    ExpectedReport("E", PENDING, town="T2", segments=("us_exporter",)),
]


def test_it_counts_expected_reported_and_on_time_reports() -> None:
    rates = reporting_rates(row.status for row in ROWS)
    assert rates == ReportingRates(on_time=2, late=1, missing=1, pending=1)
    assert (rates.expected, rates.reported) == (5, 3)
    assert rates.reporting_rate == 0.6  # 3 / 5
    assert rates.on_time_rate == 0.4  # 2 / 5
    assert rates.on_time_share_of_reported == pytest.approx(2 / 3)


def test_no_expected_reports_give_no_rates() -> None:
    rates = reporting_rates([])
    assert rates.expected == 0
    assert (rates.reporting_rate, rates.on_time_rate, rates.on_time_share_of_reported) == (None, None, None)


def test_nobody_reported_gives_a_zero_rate_and_no_punctuality() -> None:
    rates = reporting_rates([MISSING, PENDING])
    assert (rates.reporting_rate, rates.on_time_rate, rates.on_time_share_of_reported) == (0.0, 0.0, None)


def test_an_unknown_status_is_rejected() -> None:
    with pytest.raises(ValueError, match="status"):
        reporting_rates(["submitted"])


def test_it_computes_the_rates_by_town() -> None:
    by_town = reporting_rates_by(ROWS, key="town")
    assert list(by_town) == ["T1", "T2"]
    assert by_town["T1"].reporting_rate == pytest.approx(2 / 3)  # A on time, B late, C missing
    assert by_town["T1"].on_time_rate == pytest.approx(1 / 3)
    assert by_town["T2"].reporting_rate == 0.5  # D on time, E pending


def test_it_groups_by_a_callable_and_reads_mappings() -> None:
    rows = [{"who": "A", "state": ON_TIME}, {"who": "B", "state": LATE}]
    by_initial = reporting_rates_by(rows, key=lambda r: r["who"], status="state")
    assert by_initial["B"] == ReportingRates(late=1)


def test_it_counts_an_enterprise_in_each_of_its_segments() -> None:
    by_segment = reporting_rates_by_tags(ROWS, tags="segments")
    assert by_segment == {
        "us_exporter": ReportingRates(on_time=1, late=1, pending=1),  # A, B, E
        "canton_fair": ReportingRates(on_time=2),  # A and D (D's repeated tag counts once)
    }


def test_rates_by_group_of_no_rows_are_empty() -> None:
    assert reporting_rates_by([], key="town") == {}
    assert reporting_rates_by_tags([], tags="segments") == {}
