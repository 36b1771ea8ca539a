"""The annual target against year-to-date plus forecast: the probability on a hand-built case."""

from __future__ import annotations

import math

import pytest

from exportwatch.core.target_tracking import Z80, MonthForecast, month_sd, target_track


def test_a_month_s_spread_is_read_off_its_80_percent_interval() -> None:
    assert month_sd(MonthForecast(100, 100 - Z80 * 10, 100 + Z80 * 10)) == pytest.approx(10)
    assert month_sd(MonthForecast(100, lo95=100 - 1.959963984540054 * 5, hi95=100 + 1.959963984540054 * 5)) == (
        pytest.approx(5)
    )
    assert month_sd(MonthForecast(100)) is None


def test_the_probability_sums_the_months_as_fully_correlated() -> None:
    # Year to date 600; three months left, each 100 ± 10 (one sd): expected 900, sd 30 (not √300 ≈ 17.3).
    months = [MonthForecast(100, 100 - Z80 * 10, 100 + Z80 * 10)] * 3
    track = target_track(target=930, year_to_date=600, remaining=months)
    assert track.expected == pytest.approx(900)
    assert track.sd == pytest.approx(30)
    assert track.gap == pytest.approx(900 / 930 - 1)
    assert track.probability == pytest.approx(1 - 0.8413447460685429)  # one sd short: P(Z >= 1)
    assert target_track(target=900, year_to_date=600, remaining=months).probability == pytest.approx(0.5)
    assert track.months_left == 3


def test_a_complete_year_is_certain_either_way() -> None:
    assert target_track(target=100, year_to_date=120, remaining=[]).probability == 1.0
    assert target_track(target=100, year_to_date=80, remaining=[]).probability == 0.0


def test_a_month_without_an_interval_leaves_the_probability_unknown() -> None:
    track = target_track(target=100, year_to_date=50, remaining=[MonthForecast(60)])
    assert track.probability is None and math.isnan(track.sd)
    assert track.gap == pytest.approx(0.1)
