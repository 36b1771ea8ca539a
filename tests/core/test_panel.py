"""The complete panel: which skipped months are filled, from which report, and by how much."""

from __future__ import annotations

import math

import numpy as np
import pytest

from exportwatch.core.panel import THIN_BASE, Fill, complete, fill_sources, growth_of


def test_a_gap_is_filled_from_the_report_before_it() -> None:
    assert fill_sources([0, 1, 4, 5], last=5) == [(2, 1), (3, 1)]


def test_months_before_the_first_report_are_not_filled() -> None:
    assert fill_sources([3, 4, 5], last=5) == []


def test_the_end_is_filled_for_at_most_the_trailing_months() -> None:
    assert fill_sources([0, 1], last=9, trailing=3) == [(2, 1), (3, 1), (4, 1)]
    assert fill_sources([0, 1], last=2, trailing=3) == [(2, 1)]
    assert fill_sources([0, 5], last=5, trailing=0) == [(1, 0), (2, 0), (3, 0), (4, 0)]


def test_reports_after_the_window_and_repeats_are_ignored() -> None:
    assert fill_sources([2, 0, 0, 7], last=3, trailing=3) == [(1, 0), (3, 2)]
    assert fill_sources([], last=3) == []


def test_a_skipped_month_moves_with_the_rest_of_the_series() -> None:
    # Two enterprises: A 60 then 90 (it grew by half), B 40 in month 0 and absent in month 1.
    totals = [100.0, 90.0]
    done, filled = complete(totals, [Fill(month=1, source=0, value=40.0)])
    # The others grew from 60 to 90: B is carried from 40 to 60.
    assert filled.tolist() == [0.0, 60.0]
    assert done.tolist() == [100.0, 150.0]


def test_the_absent_are_taken_out_of_the_base_even_when_they_are_most_of_it() -> None:
    # B (40) and C (10) both absent in month 1; A, the rest, went from 50 to 55.
    totals = [100.0, 55.0]
    fills = [Fill(1, 0, 40.0), Fill(1, 0, 10.0)]
    done, filled = complete(totals, fills)
    assert filled[1] == pytest.approx((40.0 + 10.0) * 55.0 / 50.0)
    assert done[1] == pytest.approx(55.0 + 55.0)


def test_a_thin_base_takes_the_fallback_growth_or_carries_the_figure() -> None:
    # The absent hold 80 % of month 0: the series' own growth (20 → 30) is not trusted.
    assert THIN_BASE > 0.2
    totals = [100.0, 30.0]
    fills = [Fill(1, 0, 80.0)]
    _done, carried = complete(totals, fills)
    assert carried.tolist() == [0.0, 80.0]
    _done, moved = complete(totals, fills, fallback=lambda k, m: 0.5)
    assert moved.tolist() == [0.0, 40.0]


def test_a_gap_of_two_months_is_carried_from_the_same_source() -> None:
    # A reports 50, 55, 60, 66; B reports 50, —, —, 50.
    totals = [100.0, 55.0, 60.0, 116.0]
    fills = [Fill(1, 0, 50.0), Fill(2, 0, 50.0)]
    done, filled = complete(totals, fills)
    assert filled[1] == pytest.approx(50.0 * 55.0 / 50.0)
    assert filled[2] == pytest.approx(50.0 * 60.0 / 50.0)
    assert done[0] == 100.0 and done[3] == 116.0


def test_a_month_customs_knows_takes_the_customs_figure_and_still_counts_among_the_absent() -> None:
    # B (40) and C (10) absent in month 1; customs recorded B exporting 25 then; A went from 50 to 55.
    totals = [100.0, 55.0]
    fills = [Fill(1, 0, 40.0, known=25.0), Fill(1, 0, 10.0)]
    done, filled = complete(totals, fills)
    # C moves with A alone (B is out of the base, as without customs); B is customs' 25, not carried.
    assert filled[1] == pytest.approx(25.0 + 10.0 * 55.0 / 50.0)
    assert done[1] == pytest.approx(55.0 + 25.0 + 11.0)
    # Customs may know a figure where the carried one is nothing (a market the source month did not have),
    # and a zero: the enterprise exported nothing that month.
    assert complete([100.0, 55.0], [Fill(1, 0, 0.0, known=7.0)])[1].tolist() == [0.0, 7.0]
    assert complete([100.0, 55.0], [Fill(1, 0, 40.0, known=0.0)])[1].tolist() == [0.0, 0.0]


def test_a_month_without_any_report_stays_missing() -> None:
    done, filled = complete([100.0, math.nan], [Fill(1, 0, 40.0)])
    assert math.isnan(done[1]) and filled[1] == 0.0


def test_the_growth_of_a_series_as_the_fallback() -> None:
    growth = growth_of(np.array([200.0, 210.0]), [Fill(1, 0, 10.0)])
    assert growth(0, 1) == pytest.approx(210.0 / 190.0)
    assert growth(0, 2) is None


def test_many_enterprises_at_once_give_each_one_s_months() -> None:
    from exportwatch.core.panel import fill_pairs

    rng = np.random.default_rng(7)
    enterprises, months, expected = [], [], []
    for e in rng.permutation(40):
        reported = sorted(int(m) for m in np.flatnonzero(rng.random(30) < 0.85))
        at = len(months)
        enterprises += [int(e)] * len(reported)
        months += reported
        expected += [(at + reported.index(k), m) for m, k in fill_sources(reported, last=26)]
    rows, filled = fill_pairs(enterprises, months, last=26)
    assert sorted(zip(rows.tolist(), filled.tolist(), strict=True)) == sorted(expected)
    assert fill_pairs([], [], last=3)[0].size == 0
