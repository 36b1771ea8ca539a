"""A stored forecast against what happened (exportwatch.core.forecast_outcomes): literal months, known answers."""

from __future__ import annotations

import pytest

from exportwatch.core.forecast_outcomes import month_outcome, outcome_summary


def test_a_month_inside_both_intervals_with_its_error_against_the_mean() -> None:
    o = month_outcome(mean=100.0, actual=110.0, lo80=90.0, hi80=115.0, lo95=80.0, hi95=125.0)
    assert o.inside80 and o.inside95
    assert o.error == pytest.approx(0.10)


def test_a_month_outside_the_80_interval_but_inside_the_95() -> None:
    o = month_outcome(mean=100.0, actual=60.0, lo80=80.0, hi80=120.0, lo95=55.0, hi95=145.0)
    assert not o.inside80 and o.inside95
    assert o.error == pytest.approx(-0.40)


def test_the_bounds_themselves_count_as_inside() -> None:
    o = month_outcome(mean=100.0, actual=80.0, lo80=80.0, hi80=120.0, lo95=80.0, hi95=120.0)
    assert o.inside80 and o.inside95


def test_a_missing_bound_holds_nothing_and_a_zero_mean_has_no_relative_error() -> None:
    o = month_outcome(mean=0.0, actual=5.0, lo80=None, hi80=10.0, lo95=0.0, hi95=None)
    assert not o.inside80 and not o.inside95
    assert o.error is None


def test_the_months_together_weigh_by_size() -> None:
    months = [
        month_outcome(mean=100.0, actual=110.0, lo80=90.0, hi80=115.0, lo95=80.0, hi95=125.0),  # +10, inside both
        month_outcome(mean=300.0, actual=200.0, lo80=250.0, hi80=350.0, lo95=190.0, hi95=410.0),  # -100, 95 only
        month_outcome(mean=50.0, actual=80.0, lo80=40.0, hi80=60.0, lo95=30.0, hi95=70.0),  # +30, neither
    ]
    s = outcome_summary(months)
    assert s is not None
    assert (s.months, s.inside80, s.inside95) == (3, 1, 2)
    assert s.wape == pytest.approx((10 + 100 + 30) / (110 + 200 + 80))
    assert s.bias == pytest.approx((110 + 200 + 80) / (100 + 300 + 50) - 1)


def test_no_month_reported_gives_no_summary_and_all_zero_actuals_no_wape() -> None:
    assert outcome_summary([]) is None
    zero = outcome_summary([month_outcome(mean=10.0, actual=0.0, lo80=0.0, hi80=20.0, lo95=0.0, hi95=30.0)])
    assert zero is not None and zero.wape is None and zero.bias == pytest.approx(-1.0)
