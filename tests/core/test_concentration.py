"""Herfindahl–Hirschman index and market exposure in exportwatch.core.concentration."""

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exportwatch.core.concentration import (
    HHI_POINTS,
    exposure,
    hhi,
    hhi_by,
    hhi_of_amounts,
    market_mix,
    normalized_hhi,
)
from exportwatch.core.indicators import sum_by
from exportwatch.core.records import LineIn

amounts = st.lists(st.integers(0, 10**12) | st.decimals(0, 10**9, places=2), min_size=1).filter(lambda xs: sum(xs) > 0)


def test_exposure_is_each_markets_share_of_the_total() -> None:
    assert exposure({"US": 600, "DE": Decimal("300"), "JP": 100.0, "FR": None}) == {
        "US": 0.6,
        "DE": 0.3,
        "JP": 0.1,
    }


def test_exposure_is_none_without_a_total() -> None:
    assert exposure({}) is None
    assert exposure({"US": 0, "DE": None}) is None


def test_exposure_rejects_a_negative_amount() -> None:
    with pytest.raises(ValueError):
        exposure({"US": -1, "DE": 2})


def test_the_hhi_is_the_sum_of_squared_shares() -> None:
    assert hhi([0.5, 0.3, 0.2]) == pytest.approx(0.38)  # 0.25 + 0.09 + 0.04
    assert hhi([1]) == 1.0
    assert hhi([Decimal("0.25")] * 4) == 0.25


def test_the_hhi_in_points_is_ten_thousand_times_larger() -> None:
    assert HHI_POINTS == 10_000
    assert hhi([0.5, 0.3, 0.2], points=True) == pytest.approx(3800.0)  # 50² + 30² + 20²


def test_the_hhi_of_nothing_is_none() -> None:
    assert hhi([]) is None


def test_the_hhi_rejects_shares_in_percent() -> None:
    with pytest.raises(ValueError, match="fractions"):
        hhi([50, 30, 20])


def test_the_hhi_of_amounts_turns_them_into_shares_first() -> None:
    assert hhi_of_amounts([600, Decimal("300"), 100, None]) == pytest.approx(0.46)  # 0.36 + 0.09 + 0.01
    assert hhi_of_amounts([600, 300, 100], points=True) == pytest.approx(4600.0)
    assert hhi_of_amounts([]) is None
    assert hhi_of_amounts([0, 0]) is None


def test_the_normalised_hhi_rescales_from_one_over_n_to_one() -> None:
    # HHI = 0.38, n = 3: (0.38 − 1/3) / (1 − 1/3) = 0.07.
    assert normalized_hhi([0.5, 0.3, 0.2]) == pytest.approx(0.07)
    assert normalized_hhi([0.25] * 4) == pytest.approx(0.0)
    assert normalized_hhi([1, 0, 0]) == pytest.approx(1.0)


def test_the_normalised_hhi_needs_two_shares() -> None:
    assert normalized_hhi([1]) is None
    assert normalized_hhi([]) is None


LINES = [
    # uscc, market, exports: A sells 90 to US and 10 to DE (twice split over HS codes), B only to JP.
    LineIn("A", "2020-03", "US", "61", Decimal(0), Decimal(0), Decimal("60")),
    LineIn("A", "2020-03", "US", "84", Decimal(0), Decimal(0), Decimal("30")),
    LineIn("A", "2020-03", "DE", "84", Decimal(0), Decimal(0), Decimal("10")),
    LineIn("B", "2020-03", "JP", "61", Decimal(0), Decimal(0), Decimal("100")),
    LineIn("C", "2020-03", "JP", "61", Decimal(0), Decimal(0), Decimal("0")),
]


def test_it_computes_the_hhi_of_each_enterprise_by_market() -> None:
    # A: 0.9² + 0.1² = 0.82; B: 1; C exported nothing.
    assert hhi_by(LINES, group="uscc", item="market", value="exports_usd") == {
        "A": pytest.approx(0.82),
        "B": 1.0,
        "C": None,
    }


def test_it_computes_the_hhi_of_each_enterprise_by_product() -> None:
    # A by HS: 61 → 60, 84 → 40: 0.36 + 0.16 = 0.52 (5200 points).
    result = hhi_by(LINES, group=lambda line: line.uscc, item="hs", value="exports_usd", points=True)
    assert result["A"] == pytest.approx(5200.0)


def test_it_computes_the_hhi_of_the_district() -> None:
    # US 90, DE 10, JP 100 of 200: 0.45² + 0.05² + 0.5² = 0.2025 + 0.0025 + 0.25 = 0.455.
    by_market = sum_by(LINES, key="market", value="exports_usd")
    assert hhi_of_amounts(by_market.values()) == pytest.approx(0.455)


def test_hhi_by_rejects_a_negative_amount() -> None:
    with pytest.raises(ValueError):
        hhi_by([{"g": "A", "m": "US", "v": 5}, {"g": "A", "m": "US", "v": -1}], group="g", item="m", value="v")


@given(amounts)
def test_the_hhi_of_amounts_lies_between_one_over_n_and_one(values: list[int | Decimal]) -> None:
    index = hhi_of_amounts(values)
    assert index is not None
    assert 1 / len(values) - 1e-12 <= index <= 1 + 1e-12


@given(amounts)
def test_exposure_shares_add_up_to_one(values: list[int | Decimal]) -> None:
    shares = exposure(dict(enumerate(values)))
    assert shares is not None
    assert sum(shares.values()) == pytest.approx(1.0)
    assert all(0 <= s <= 1 for s in shares.values())


@given(amounts.filter(lambda xs: len(xs) >= 2))
def test_the_normalised_hhi_lies_between_zero_and_one(values: list[int | Decimal]) -> None:
    shares = exposure(dict(enumerate(values)))
    assert shares is not None
    index = normalized_hhi(shares.values())
    assert index is not None
    assert 0 <= index <= 1


def test_market_mix_sums_each_markets_lines_before_squaring() -> None:
    hhi_value, main = market_mix([("US", 300), ("DE", 200), ("US", Decimal("300")), ("JP", None)])
    assert main == "US"
    assert hhi_value == pytest.approx((600 / 800) ** 2 + (200 / 800) ** 2)


def test_market_mix_gives_a_tie_to_the_higher_code_whatever_the_order() -> None:
    assert market_mix([("DE", 5), ("US", 5)])[1] == "US"
    assert market_mix([("US", 5), ("DE", 5)])[1] == "US"


def test_market_mix_is_nothing_without_itemised_exports() -> None:
    assert market_mix([]) == (None, None)
    assert market_mix([("US", 0), ("DE", None)]) == (None, None)


def test_market_mix_rejects_a_negative_amount() -> None:
    with pytest.raises(ValueError):
        market_mix([("US", -1)])


@given(st.lists(st.tuples(st.sampled_from(["US", "DE", "JP", "GB"]), st.integers(0, 10**9)), min_size=1))
def test_market_mix_agrees_with_hhi_by(lines: list[tuple[str, int]]) -> None:
    index, main = market_mix(lines)
    expected = hhi_by(lines, group=lambda _r: 0, item=lambda r: r[0], value=lambda r: r[1])[0]
    if expected is None:
        assert index is None
    else:
        assert index == pytest.approx(expected)
    if main is not None:
        sums = sum_by(lines, key=lambda r: r[0], value=lambda r: r[1])
        assert sums[main] == max(sums.values())
