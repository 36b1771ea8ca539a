"""Seasonal changes, EWMA and CUSUM charts and robust z-scores in exportwatch.core.change_detection."""

import math
from collections.abc import Callable

import pytest

from exportwatch.core.change_detection import (
    MAD_SCALE,
    ChartPoint,
    cusum_chart,
    ewma_chart,
    robust_z,
    seasonal_changes,
)

Chart = Callable[..., list[ChartPoint]]

# In control: mean 0, sample σ = sqrt(12/11) ≈ 1.044 over the 12 warm-up values.
CALM = [1.0, -1.0] * 6
SIGMA = math.sqrt(12 / 11)


def signals(points: list[ChartPoint]) -> list[tuple[int, str]]:
    return [(p.index, p.signal) for p in points if p.signal is not None]


# --- Seasonal changes ------------------------------------------------------------------------


def test_seasonal_changes_are_log_ratios_to_a_season_earlier() -> None:
    values: list[float | None] = [100, 50, 200, 25, 0, 50, 100]
    assert seasonal_changes(values, season=2) == [
        None,
        None,
        pytest.approx(math.log(2)),  # 200 / 100
        pytest.approx(math.log(0.5)),  # 25 / 50
        None,  # 0 has no logarithm
        pytest.approx(math.log(2)),  # 50 / 25
        None,  # compared with 0
    ]


def test_seasonal_changes_skip_missing_values_on_either_side() -> None:
    assert seasonal_changes([None, 10.0, 20.0, None], season=2) == [None, None, None, None]


def test_the_default_season_is_twelve_months() -> None:
    changes = seasonal_changes([300.0] + [1.0] * 11 + [200.0])
    assert changes[:12] == [None] * 12
    assert changes[12] == pytest.approx(math.log(2 / 3))  # a fall of a third


def test_seasonal_changes_of_nothing_are_nothing() -> None:
    assert seasonal_changes([]) == []


def test_seasonal_changes_reject_a_season_below_one() -> None:
    with pytest.raises(ValueError, match="season"):
        seasonal_changes([1.0, 2.0], season=0)


# --- Both charts -----------------------------------------------------------------------------

CHARTS = [pytest.param(ewma_chart, id="ewma"), pytest.param(cusum_chart, id="cusum")]


@pytest.mark.parametrize("chart", CHARTS)
def test_a_step_drop_is_detected_within_two_points(chart: Chart) -> None:
    step = len(CALM)
    points = chart([*CALM, -2.5, -2.5, -2.5, -2.5])
    first = signals(points)[0]
    assert first[1] == "down"
    assert step <= first[0] <= step + 2


@pytest.mark.parametrize("chart", CHARTS)
def test_a_step_rise_signals_up(chart: Chart) -> None:
    assert signals(chart([*CALM, 3.0, 3.0, 3.0]))[0][1] == "up"


@pytest.mark.parametrize("chart", CHARTS)
def test_a_series_that_stays_in_control_gives_no_signal(chart: Chart) -> None:
    assert signals(chart(CALM * 3)) == []


@pytest.mark.parametrize("chart", CHARTS)
def test_no_signal_is_given_during_the_warm_up(chart: Chart) -> None:
    points = chart([0.0, 0.0, 0.0, -50.0, 0.0, 0.0], warmup=4)
    assert [p.warm_up for p in points] == [True, True, True, True, False, False]
    assert all(p.statistic is None and p.lower is None and p.upper is None for p in points[:4])
    assert signals(points) == []


@pytest.mark.parametrize("chart", CHARTS)
def test_a_series_too_short_for_the_warm_up_is_all_warm_up(chart: Chart) -> None:
    points = chart([1.0, None, -3.0], warmup=12)
    assert [(p.index, p.value, p.warm_up, p.signal) for p in points] == [
        (0, 1.0, True, None),
        (1, None, True, None),
        (2, -3.0, True, None),
    ]


@pytest.mark.parametrize("chart", CHARTS)
def test_empty_and_all_missing_series_give_warm_up_points_only(chart: Chart) -> None:
    assert chart([]) == []
    assert all(p.warm_up and p.signal is None for p in chart([None] * 20))


@pytest.mark.parametrize("chart", CHARTS)
def test_missing_values_in_the_warm_up_are_skipped(chart: Chart) -> None:
    points = chart([None, 1.0, None, -1.0, 1.0, -1.0, 0.0], warmup=4)
    assert [p.warm_up for p in points] == [True] * 6 + [False]


@pytest.mark.parametrize("chart", CHARTS)
def test_a_warm_up_without_variation_does_not_crash_and_any_departure_signals(chart: Chart) -> None:
    points = chart([0.0] * 12 + [0.0, -0.01, -0.01, -0.01])
    assert points[12].signal is None  # the same value is in control
    assert signals(points)[0] == (13, "down")


@pytest.mark.parametrize("chart", CHARTS)
def test_the_warm_up_needs_two_values(chart: Chart) -> None:
    with pytest.raises(ValueError, match="warmup"):
        chart([1.0, 2.0, 3.0], warmup=1)


# --- EWMA ------------------------------------------------------------------------------------


def test_the_ewma_limits_widen_with_time_towards_their_asymptote() -> None:
    points = ewma_chart([*CALM, 0.0, 0.0])
    for t, point in enumerate(points[12:], start=1):
        spread = 3.0 * SIGMA * math.sqrt(0.3 / 1.7 * (1 - 0.7 ** (2 * t)))
        assert (point.lower, point.upper) == pytest.approx((-spread, spread))
    assert points[12].upper is not None and points[13].upper is not None
    assert points[12].upper < points[13].upper < 3.0 * SIGMA * math.sqrt(0.3 / 1.7)


def test_the_ewma_statistic_starts_from_the_warm_up_mean() -> None:
    points = ewma_chart([*CALM, -2.5, -2.5])
    assert points[12].statistic == pytest.approx(-0.75)  # 0.3 · −2.5 + 0.7 · 0
    assert points[13].statistic == pytest.approx(-1.275)  # 0.3 · −2.5 + 0.7 · −0.75
    assert [points[12].signal, points[13].signal] == [None, "down"]


def test_a_missing_value_carries_the_ewma_forward_without_a_signal() -> None:
    points = ewma_chart([*CALM, -2.5, -2.5, None, -2.5])
    carried = points[14]
    assert (carried.value, carried.signal) == (None, None)
    assert (carried.statistic, carried.lower, carried.upper) == (
        points[13].statistic,
        points[13].lower,
        points[13].upper,
    )
    assert points[15].statistic == pytest.approx(0.3 * -2.5 + 0.7 * -1.275)


@pytest.mark.parametrize(("lam", "width"), [(0.0, 3.0), (1.5, 3.0), (0.3, 0.0)])
def test_ewma_parameters_out_of_range_are_rejected(lam: float, width: float) -> None:
    with pytest.raises(ValueError, match=r"lam|width"):
        ewma_chart(CALM, lam=lam, width=width)


# --- CUSUM -----------------------------------------------------------------------------------


def test_the_cusum_sums_standardised_values_and_restarts_after_a_signal() -> None:
    # u = −2.5 / σ ≈ −2.394; S⁻ grows by |u| − k ≈ 1.894 a point and exceeds h = 4 at the third point.
    points = cusum_chart([*CALM, *([-2.5] * 6)])
    lows = [p.statistic for p in points[12:]]
    step = 2.5 / SIGMA - 0.5
    assert lows == pytest.approx([-step, -2 * step, -3 * step, -step, -2 * step, -3 * step])
    assert signals(points) == [(14, "down"), (17, "down")]
    assert (points[12].lower, points[12].upper) == (-4.0, 4.0)


def test_a_missing_value_keeps_the_cusum_sums() -> None:
    points = cusum_chart([*CALM, -2.5, None, -2.5, -2.5])
    assert points[13].statistic == points[12].statistic
    assert signals(points) == [(15, "down")]


@pytest.mark.parametrize(("k", "h"), [(-0.1, 4.0), (0.5, 0.0)])
def test_cusum_parameters_out_of_range_are_rejected(k: float, h: float) -> None:
    with pytest.raises(ValueError, match=r"k|h"):
        cusum_chart(CALM, k=k, h=h)


# --- Robust z --------------------------------------------------------------------------------


def test_robust_z_uses_the_median_and_the_mad_of_the_peers() -> None:
    peers = [1.0, 2.0, 3.0, 4.0, 100.0]  # median 3, MAD = median(2, 1, 0, 1, 97) = 1
    assert robust_z(6.0, peers) == pytest.approx(3 / MAD_SCALE)
    assert robust_z(-3.0, peers) == pytest.approx(-6 / MAD_SCALE)
    assert robust_z(3.0, peers) == 0.0


@pytest.mark.parametrize(
    ("peers", "min_peers"),
    [([], 5), ([1.0, 2.0, 3.0, 4.0], 5), ([1.0, 2.0], 3)],
)
def test_robust_z_needs_enough_peers(peers: list[float], min_peers: int) -> None:
    assert robust_z(10.0, peers, min_peers=min_peers) is None


def test_robust_z_is_undefined_when_most_peers_are_equal() -> None:
    assert robust_z(-0.5, [0.0, 0.0, 0.0, 0.1, -0.2]) is None  # MAD = 0


def test_robust_z_rejects_a_minimum_below_one() -> None:
    with pytest.raises(ValueError, match="min_peers"):
        robust_z(1.0, [1.0], min_peers=0)
