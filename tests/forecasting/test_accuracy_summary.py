"""The accuracy benchmark's summary: the target read per case and pooled, on literal records."""

from __future__ import annotations

import pytest
from benchmarks.forecast_accuracy import _Chosen, _Tally


def _chosen(mases: list[float], covered: list[float], outcomes: list[int]) -> _Chosen:
    return _Chosen(mase=mases, covered=covered, outcomes=outcomes, picks=["median"])


def test_the_summary_counts_the_cases_within_the_target_and_pools_by_sum():
    tally = _Tally()
    ratios = tally.add("a", _chosen([0.4, 0.8, 0.3], [0.75, 0.5, 1.0], [12, 11, 10]), [1.0, 1.0, 0.5])
    assert ratios == pytest.approx([0.4, 0.8, 0.6])
    tally.add("b", _chosen([0.9, 0.5, 0.5], [0.9, 1.0, 0.7], [4, 4, 4]), [1.0, 1.0, 1.0])

    lines = tally.lines()

    assert "within the error target: 1 of 2; missed: b" in lines[1]  # 0.8 × naive exactly is within
    # pooled: (0.4 + 0.9) / 2, (0.8 + 0.5) / 2, (0.3 + 0.5) / 1.5
    assert "0.65 / 0.65 / 0.53" in lines[2]
    # coverage weighed by outcomes: (9 + 3.6) / 16, (5.5 + 4) / 15, (10 + 2.8) / 14
    assert "79% / 63% / 91%" in lines[3]
    assert "inside 70%–90%: 3 of 6" in lines[3]


def test_the_chosen_line_gives_each_model_picked_once_in_order_of_first_pick():
    chosen = _Chosen(
        mase=[0.5, 0.25, 1.0],
        covered=[0.75, 1.0, 0.7],
        outcomes=[12, 11, 10],
        picks=["median", "arima", "median", "ets"],
    )

    assert chosen.line([0.5, 0.625, 1.25]) == (
        "MASE 0.50 / 0.25 / 1.00  (× naive 0.50 / 0.62 / 1.25)  80 % covered 75% / 100% / 70%  picks: median, arima, ets"
    )


def test_no_case_no_summary():
    assert _Tally().lines() == []
