"""Levels, changes and order-book health in exportwatch.core.indicators (DESIGN §6), on literals."""

import math
from dataclasses import dataclass
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from exportwatch.core.indicators import (
    book_to_bill,
    cancellation_rate,
    coverage_months,
    getter,
    growth,
    growth_of_sums,
    jan_feb_label,
    jan_feb_total,
    merge_jan_feb,
    mom,
    ratio,
    short_order_share,
    sum_by,
    to_float,
    total,
    window,
    yoy,
    yoy_jan_feb,
    ytd_growth,
    ytd_total,
)


@dataclass(frozen=True)
class Row:
    town: str
    market: str
    exports: int | float | Decimal | None


ROWS = [
    Row("T1", "US", 100),
    Row("T1", "DE", Decimal("50.50")),
    Row("T2", "US", 25.25),
    Row("T1", "US", 10),
    Row("T3", "JP", None),
]

amounts = st.integers(min_value=0, max_value=10**12)

# --- Helpers ---------------------------------------------------------------------------------


def test_it_turns_every_kind_of_number_into_a_float() -> None:
    assert to_float(3) == 3.0
    assert to_float(Decimal("1234.56")) == 1234.56
    assert to_float(0.5) == 0.5


@pytest.mark.parametrize("value", [math.nan, math.inf, Decimal("NaN"), Decimal("-Infinity")])
def test_it_rejects_a_number_that_is_not_finite(value: float | Decimal) -> None:
    with pytest.raises(ValueError, match="finite"):
        to_float(value)


def test_it_rejects_a_number_written_as_text() -> None:
    with pytest.raises(TypeError):
        to_float("12")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("numerator", "denominator", "expected"),
    [(1, 4, 0.25), (Decimal(3), Decimal(2), 1.5), (0, 5, 0.0), (5, 0, None), (None, 5, None), (5, None, None)],
)
def test_a_ratio_is_none_without_a_denominator(
    numerator: int | Decimal | None, denominator: int | Decimal | None, expected: float | None
) -> None:
    assert ratio(numerator, denominator) == expected


def _market_lower(row: Row) -> str:
    return row.market.lower()


def test_a_getter_reads_attributes_mapping_keys_or_calls_a_function() -> None:
    assert getter("town")(ROWS[0]) == "T1"
    assert getter("town")({"town": "T9"}) == "T9"
    assert getter(_market_lower)(ROWS[0]) == "us"


def test_a_total_leaves_out_missing_amounts() -> None:
    assert total([1, Decimal("2.5"), None, 0.5]) == 4.0
    assert total([]) == 0.0


# --- Levels ----------------------------------------------------------------------------------


def test_it_sums_by_a_field_name() -> None:
    # T1: 100 + 50.50 + 10 = 160.5; T2: 25.25; T3 only has a missing amount.
    assert sum_by(ROWS, key="town", value="exports") == {"T1": 160.5, "T2": 25.25}


def test_it_sums_by_a_callable_and_a_cross_tabulation() -> None:
    assert sum_by(ROWS, key=lambda r: (r.town, r.market), value="exports") == {
        ("T1", "US"): 110.0,
        ("T1", "DE"): 50.5,
        ("T2", "US"): 25.25,
    }


def test_it_sums_mappings() -> None:
    rows = [{"m": "US", "v": Decimal("0.10")}, {"m": "US", "v": Decimal("0.20")}]
    assert sum_by(rows, key="m", value="v") == {"US": pytest.approx(0.3)}


def test_it_sums_nothing_to_an_empty_mapping() -> None:
    assert sum_by([], key="town", value="exports") == {}


@given(st.lists(st.tuples(st.sampled_from("ABC"), amounts)))
def test_group_sums_add_up_to_the_grand_total(pairs: list[tuple[str, int]]) -> None:
    sums = sum_by(pairs, key=lambda p: p[0], value=lambda p: p[1])
    assert math.fsum(sums.values()) == pytest.approx(sum(v for _, v in pairs))


def test_a_window_lists_the_months_ending_with_the_period_oldest_first() -> None:
    series = {"2020-01": 1, "2020-03": 3}
    assert window(series, "2020-03", 3) == [1.0, None, 3.0]
    assert window(series, "2020-01", 2) == [None, 1.0]  # December 2019 has no figure
    assert window(series, "2020-03", 0) == []


def test_a_window_cannot_be_negative() -> None:
    with pytest.raises(ValueError):
        window({}, "2020-03", -1)


# --- Changes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("current", "previous", "expected"),
    [
        (125, 100, 0.25),
        (75, 100, -0.25),
        (0, 100, -1.0),
        (100, 100, 0.0),
        (Decimal("110.00"), Decimal("100.00"), pytest.approx(0.1)),
        (5, 0, None),
        (0, 0, None),
        (None, 100, None),
        (100, None, None),
    ],
)
def test_growth_is_a_fraction_of_the_previous_figure(
    current: int | Decimal | None, previous: int | Decimal | None, expected: object
) -> None:
    assert growth(current, previous) == expected


@given(st.integers(0, 10**9), st.integers(1, 10**9))
def test_growth_takes_the_previous_figure_back_to_the_current_one(current: int, previous: int) -> None:
    g = growth(current, previous)
    assert g is not None
    assert previous * (1 + g) == pytest.approx(current)


SERIES: dict[str, int | Decimal] = {
    "2019-01": 80,
    "2019-02": 20,
    "2019-03": 100,
    "2020-01": 30,
    "2020-02": 90,
    "2020-03": Decimal("90"),
    "2020-04": 0,
    "2020-05": 45,
}


def test_year_on_year_compares_with_the_same_month_a_year_earlier() -> None:
    assert yoy(SERIES, "2020-03") == pytest.approx(-0.1)  # 90 / 100 - 1
    assert yoy(SERIES, "2020-01") == pytest.approx(-0.625)  # 30 / 80 - 1
    assert yoy(SERIES, "2020-02") == pytest.approx(3.5)  # 90 / 20 - 1


def test_year_on_year_is_none_without_last_year() -> None:
    assert yoy(SERIES, "2020-04") is None
    assert yoy(SERIES, "2019-03") is None


def test_month_on_month_compares_with_the_month_before() -> None:
    assert mom(SERIES, "2020-03") == 0.0  # 90 vs 90
    assert mom(SERIES, "2020-04") == -1.0  # 0 vs 90
    assert mom(SERIES, "2020-05") is None  # from 0: undefined
    assert mom(SERIES, "2020-01") is None  # no December 2019
    assert mom(SERIES, "2019-01") is None


def test_a_change_of_a_malformed_period_raises() -> None:
    with pytest.raises(ValueError):
        yoy(SERIES, "2020-13")
    with pytest.raises(ValueError):
        mom(SERIES, "March")


# --- Chinese New Year ------------------------------------------------------------------------


def test_the_jan_feb_label_sorts_between_january_and_march() -> None:
    assert jan_feb_label(2020) == "2020-01+02"
    labels = ["2020-03", jan_feb_label(2020), "2019-12", "2020-01"]
    assert sorted(labels) == ["2019-12", "2020-01", "2020-01+02", "2020-03"]


def test_jan_feb_year_on_year_combines_both_months() -> None:
    # 2020: 30 + 90 = 120; 2019: 80 + 20 = 100; 120 / 100 - 1 = 0.2, while January alone says -62.5 %.
    assert jan_feb_total(SERIES, 2020) == 120.0
    assert yoy_jan_feb(SERIES, 2020) == pytest.approx(0.2)


def test_jan_feb_is_none_when_a_month_is_missing() -> None:
    assert jan_feb_total({"2020-01": 5}, 2020) is None
    assert yoy_jan_feb(SERIES, 2019) is None
    assert yoy_jan_feb({"2019-01": 0, "2019-02": 0, "2020-01": 1, "2020-02": 1}, 2020) is None


def test_merging_jan_feb_replaces_both_months_by_one_point() -> None:
    merged = merge_jan_feb(SERIES)
    assert list(merged) == [
        "2019-01+02",
        "2019-03",
        "2020-01+02",
        "2020-03",
        "2020-04",
        "2020-05",
    ]
    assert merged["2019-01+02"] == 100.0
    assert merged["2020-01+02"] == 120.0
    assert merged["2020-03"] == 90.0


def test_a_merged_point_with_one_month_missing_is_none() -> None:
    assert merge_jan_feb({"2021-02": 7, "2021-03": 8}) == {"2021-01+02": None, "2021-03": 8.0}


def test_year_on_year_reads_merged_labels() -> None:
    merged = merge_jan_feb(SERIES)
    assert yoy(merged, "2020-01+02") == pytest.approx(0.2)
    assert yoy(merged, "2020-03") == pytest.approx(-0.1)


def test_merging_a_malformed_period_raises() -> None:
    with pytest.raises(ValueError):
        merge_jan_feb({"2020-1": 5})


# --- Year to date ----------------------------------------------------------------------------


def test_year_to_date_sums_january_through_the_period() -> None:
    assert ytd_total(SERIES, "2020-03") == 210.0  # 30 + 90 + 90
    assert ytd_total(SERIES, "2019-03") == 200.0  # 80 + 20 + 100
    assert ytd_growth(SERIES, "2020-03") == pytest.approx(0.05)  # 210 / 200 - 1


def test_year_to_date_is_none_when_a_month_is_missing() -> None:
    assert ytd_total({"2020-01": 1, "2020-03": 3}, "2020-03") is None
    assert ytd_growth(SERIES, "2020-05") is None  # no April or May 2019


# --- Order-book health -----------------------------------------------------------------------


def test_coverage_divides_the_backlog_by_the_mean_of_the_last_three_months() -> None:
    # mean(100, 200, 300) = 200; 500 / 200 = 2.5 months. The first entry is older than three months.
    assert coverage_months(500, [9999, 100, 200, 300]) == 2.5
    assert coverage_months(Decimal("300.00"), [Decimal("100.00")]) == 3.0


def test_coverage_leaves_out_months_without_a_figure() -> None:
    assert coverage_months(300, [None, 100, 200]) == 2.0  # 300 / mean(100, 200)


@pytest.mark.parametrize(
    ("backlog", "exports"),
    [(500, []), (500, [None, None]), (500, [0, 0, 0]), (None, [100])],
)
def test_coverage_is_none_without_exports_to_divide_by(backlog: int | None, exports: list[int | None]) -> None:
    assert coverage_months(backlog, exports) is None


def test_book_to_bill_divides_new_orders_by_exports() -> None:
    assert book_to_bill(120, 100) == 1.2
    assert book_to_bill(Decimal("50"), Decimal("200")) == 0.25
    assert book_to_bill(10, 0) is None
    assert book_to_bill(None, 10) is None


def test_the_short_order_share_is_the_part_of_the_backlog_due_in_three_months() -> None:
    assert short_order_share(30, 120) == 0.25
    assert short_order_share(0, 0) is None


def test_the_cancellation_rate_divides_by_the_previous_backlog_plus_new_orders() -> None:
    assert cancellation_rate(50, 400, 100) == 0.1  # 50 / (400 + 100)
    assert cancellation_rate(Decimal("5"), Decimal("0"), Decimal("20")) == 0.25
    assert cancellation_rate(5, 0, 0) is None
    assert cancellation_rate(5, None, 10) is None
    assert cancellation_rate(None, 10, 10) is None


def test_growth_of_sums_compares_totals_and_needs_every_figure() -> None:
    assert growth_of_sums([100, 200, Decimal("300")], [200, 200, 200]) == pytest.approx(0.0)
    assert growth_of_sums([50, 50, 50], [100, 100, 100]) == pytest.approx(-0.5)
    assert growth_of_sums([50, None, 50], [100, 100, 100]) is None  # a month not reported
    assert growth_of_sums([50, 50, 50], [100, None, 100]) is None
    assert growth_of_sums([50, 50, 50], [0, 0, 0]) is None
