"""Reported against customs exports (exportwatch.core.reconciliation), on literals."""

from decimal import Decimal

import pytest

from exportwatch.core.reconciliation import (
    AGREE,
    DISAGREE,
    NO_CUSTOMS,
    NO_REPORT,
    STATUSES,
    Reconciled,
    gap,
    reconcile,
)

D = Decimal
TOL = D("0.2")


def test_equal_figures_agree() -> None:
    assert reconcile(D(100), D(100), tolerance=TOL) == Reconciled(D(0), D("1.0000"), AGREE)


def test_it_unpacks_as_difference_ratio_status() -> None:
    difference, ratio, status = reconcile(D(90), D(100), tolerance=TOL)
    assert (difference, ratio, status) == (D(-10), D("0.9000"), AGREE)


@pytest.mark.parametrize(
    ("reported", "customs", "status"),
    [
        (D(80), D(100), AGREE),  # gap 20 of 100: exactly the tolerance, not beyond it
        (D(100), D(80), AGREE),  # the same the other way round (share of the larger figure)
        (D("79.99"), D(100), DISAGREE),
        (D(100), D("79.99"), DISAGREE),
        (D(125), D(100), AGREE),  # 25 of 125: exactly 20 % of the larger figure
    ],
)
def test_the_gap_is_a_share_of_the_larger_figure(reported: Decimal, customs: Decimal, status: str) -> None:
    assert reconcile(reported, customs, tolerance=TOL).status == status


def test_a_gap_just_beyond_the_tolerance_disagrees() -> None:
    assert reconcile(D("125.01"), D(100), tolerance=TOL).status == DISAGREE


def test_difference_and_ratio_are_exact_and_rounded_half_up_to_four_places() -> None:
    result = reconcile(D("200000.00"), D("150000.00"), tolerance=TOL)
    assert result.difference == D("50000.00")
    assert result.ratio == D("1.3333")
    assert reconcile(D(2), D(3), tolerance=TOL).ratio == D("0.6667")
    assert reconcile(D("1.00005"), D(1), tolerance=TOL).ratio == D("1.0001")  # half up


def test_zero_customs_has_no_ratio_and_disagrees_with_a_positive_report() -> None:
    assert reconcile(D(500), D(0), tolerance=TOL) == Reconciled(D(500), None, DISAGREE)


def test_zero_against_zero_agrees() -> None:
    assert reconcile(D(0), D(0), tolerance=TOL) == Reconciled(D(0), None, AGREE)


def test_a_zero_report_against_customs_exports_disagrees() -> None:
    assert reconcile(D(0), D(300), tolerance=TOL) == Reconciled(D(-300), D("0.0000"), DISAGREE)


def test_without_a_report_nothing_is_compared() -> None:
    assert reconcile(None, D(300), tolerance=TOL) == Reconciled(None, None, NO_REPORT)


def test_without_customs_records_nothing_is_compared() -> None:
    assert reconcile(D(300), None, tolerance=TOL) == Reconciled(None, None, NO_CUSTOMS)


def test_a_zero_tolerance_flags_any_difference() -> None:
    assert reconcile(D("100.01"), D(100), tolerance=D(0)).status == DISAGREE
    assert reconcile(D(100), D(100), tolerance=D(0)).status == AGREE


def test_a_tolerance_of_one_never_flags() -> None:
    assert reconcile(D(1_000_000), D(1), tolerance=D(1)).status == AGREE


def test_nothing_to_reconcile_is_a_caller_mistake() -> None:
    with pytest.raises(ValueError, match="nothing to reconcile"):
        reconcile(None, None, tolerance=TOL)


def test_a_negative_tolerance_is_refused() -> None:
    with pytest.raises(ValueError, match="tolerance"):
        reconcile(D(1), D(1), tolerance=D("-0.1"))


@pytest.mark.parametrize(
    ("reported", "customs", "expected"),
    [(D(100), D(80), D(20)), (D(80), D(100), D(20)), (None, D(300), D(300)), (D(300), None, D(300))],
)
def test_the_gap_counts_a_missing_figure_as_zero(
    reported: Decimal | None, customs: Decimal | None, expected: Decimal
) -> None:
    assert gap(reported, customs) == expected


def test_every_status_is_listed() -> None:
    assert set(STATUSES) == {AGREE, DISAGREE, NO_REPORT, NO_CUSTOMS}
