"""Monthly periods and reporting deadlines in exportwatch.core.periods."""

from datetime import date, datetime

import pytest

from exportwatch.core.periods import (
    ComingIn,
    coerce_date,
    coerce_period,
    is_future,
    period_add,
    period_end,
    period_of,
    period_range,
    period_start,
    report_deadline,
    reporting_status,
    settled_month,
)

# --- Arithmetic ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "period"),
    [
        (date(2020, 3, 15), "2020-03"),
        (date(2020, 12, 31), "2020-12"),
        (date(999, 1, 1), "0999-01"),
        (datetime(2021, 7, 1, 23, 59), "2021-07"),
    ],
)
def test_it_names_the_period_containing_a_day(day: date, period: str) -> None:
    assert period_of(day) == period


@pytest.mark.parametrize(
    ("period", "months", "result"),
    [
        ("2020-03", 0, "2020-03"),
        ("2020-03", 1, "2020-04"),
        ("2020-11", 3, "2021-02"),
        ("2020-12", 1, "2021-01"),
        ("2020-01", -1, "2019-12"),
        ("2020-03", -15, "2018-12"),
        ("2020-03", 24, "2022-03"),
    ],
)
def test_it_moves_a_period_by_a_number_of_months(period: str, months: int, result: str) -> None:
    assert period_add(period, months) == result


@pytest.mark.parametrize("period", ["2020-3", "2020-13", "202003", ""])
def test_it_refuses_to_move_a_malformed_period(period: str) -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        period_add(period, 1)


def test_it_refuses_to_move_a_period_past_year_9999() -> None:
    with pytest.raises(ValueError, match="out of range"):
        period_add("9999-12", 1)


@pytest.mark.parametrize(
    ("start", "end", "periods"),
    [
        ("2020-11", "2021-02", ["2020-11", "2020-12", "2021-01", "2021-02"]),
        ("2020-03", "2020-03", ["2020-03"]),
        ("2020-04", "2020-03", []),
    ],
)
def test_it_lists_the_periods_between_two_periods_inclusive(start: str, end: str, periods: list[str]) -> None:
    assert period_range(start, end) == periods


def test_it_refuses_to_list_periods_from_a_malformed_period() -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        period_range("2020-3", "2020-05")


@pytest.mark.parametrize(
    ("period", "first_day"),
    [("2020-03", date(2020, 3, 1)), ("2021-12", date(2021, 12, 1))],
)
def test_it_gives_the_first_day_of_a_period(period: str, first_day: date) -> None:
    assert period_start(period) == first_day


@pytest.mark.parametrize(
    ("period", "last_day"),
    [
        ("2020-01", date(2020, 1, 31)),
        ("2020-02", date(2020, 2, 29)),
        ("2021-02", date(2021, 2, 28)),
        ("1900-02", date(1900, 2, 28)),
        ("2000-02", date(2000, 2, 29)),
        ("2020-04", date(2020, 4, 30)),
        ("2020-12", date(2020, 12, 31)),
    ],
)
def test_it_gives_the_last_day_of_a_period(period: str, last_day: date) -> None:
    assert period_end(period) == last_day


def test_it_refuses_the_last_day_of_a_malformed_period() -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        period_end("2020-13")


# --- Deadlines -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("period", "deadline_day", "deadline"),
    [
        ("2020-03", 15, date(2020, 4, 15)),
        ("2020-03", 1, date(2020, 4, 1)),
        ("2020-12", 10, date(2021, 1, 10)),
        ("2021-01", 31, date(2021, 2, 28)),
        ("2024-01", 30, date(2024, 2, 29)),
        ("2020-03", 31, date(2020, 4, 30)),
        ("2020-04", 31, date(2020, 5, 31)),
    ],
)
def test_it_puts_the_deadline_on_that_day_of_the_next_month_clamped_to_its_length(
    period: str, deadline_day: int, deadline: date
) -> None:
    assert report_deadline(period, deadline_day=deadline_day) == deadline


@pytest.mark.parametrize("deadline_day", [0, 32, -1])
def test_it_rejects_a_deadline_day_outside_1_to_31(deadline_day: int) -> None:
    with pytest.raises(ValueError, match=r"1\.\.31"):
        report_deadline("2020-03", deadline_day=deadline_day)


@pytest.mark.parametrize(
    ("period", "today", "future"),
    [
        ("2024-04", date(2024, 3, 31), True),
        ("2025-01", date(2024, 12, 31), True),
        ("2024-03", date(2024, 3, 1), False),
        ("2024-03", date(2024, 3, 31), False),
        ("2024-02", date(2024, 3, 1), False),
        ("2023-12", date(2024, 1, 1), False),
    ],
)
def test_it_tells_whether_a_period_is_later_than_the_current_month(period: str, today: date, future: bool) -> None:
    assert is_future(period, today=today) is future


def test_it_refuses_to_judge_whether_a_malformed_period_is_future() -> None:
    with pytest.raises(ValueError, match="YYYY-MM"):
        is_future("2024/03", today=date(2024, 3, 1))


@pytest.mark.parametrize(
    ("period", "today", "submitted_at", "status"),
    [
        ("2024-02", date(2024, 3, 20), date(2024, 3, 15), "on_time"),  # on the deadline day
        ("2024-02", date(2024, 3, 20), date(2024, 3, 1), "on_time"),
        ("2024-02", date(2024, 3, 20), date(2024, 2, 29), "on_time"),  # before the month ended
        ("2024-02", date(2024, 3, 20), date(2024, 3, 16), "late"),  # the day after the deadline
        ("2023-12", date(2024, 3, 20), date(2024, 2, 1), "late"),
        ("2024-02", date(2024, 3, 16), None, "missing"),  # the day after the deadline
        ("2023-12", date(2024, 3, 20), None, "missing"),
        ("2024-02", date(2024, 3, 15), None, "pending"),  # the deadline day itself
        ("2024-02", date(2024, 3, 1), None, "pending"),
        ("2024-03", date(2024, 3, 20), None, "pending"),  # the current month
    ],
)
def test_it_classifies_a_report_against_its_deadline(
    period: str, today: date, submitted_at: date | None, status: str
) -> None:
    assert reporting_status(period=period, today=today, deadline_day=15, submitted_at=submitted_at) == status


def test_it_compares_a_submission_time_by_its_date() -> None:
    status = reporting_status(
        period="2024-02",
        today=date(2024, 3, 20),
        deadline_day=15,
        submitted_at=datetime(2024, 3, 15, 23, 59),
    )
    assert status == "on_time"


# --- Reading typed values --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "period"),
    [
        ("2020-03", "2020-03"),
        ("2020/03", "2020-03"),
        ("2020-3", "2020-03"),
        ("2020/3", "2020-03"),
        ("2020.03", "2020-03"),
        ("2020.12", "2020-12"),
        ("202003", "2020-03"),
        (202003, "2020-03"),
        ("2020年3月", "2020-03"),
        ("2020年03月", "2020-03"),
        ("2020 年 3 月", "2020-03"),
        ("2020年3", "2020-03"),
        ("２０２０－０３", "2020-03"),
        ("２０２０年３月", "2020-03"),
        ("  2020-03  ", "2020-03"),
        (date(2020, 3, 15), "2020-03"),
        (datetime(2020, 3, 1, 0, 0), "2020-03"),
        ("2020-03-01", "2020-03"),
        ("2020/3/1", "2020-03"),
        ("2020-03-01 00:00:00", "2020-03"),
        ("2020年3月15日", "2020-03"),
    ],
)
def test_it_reads_a_period_in_the_accepted_spellings(value: object, period: str) -> None:
    assert coerce_period(value) == period


@pytest.mark.parametrize(
    "value",
    [
        "",
        "2020-13",
        "2020-00",
        "0000-03",
        "202013",
        "20203",
        "20-03",
        "2020",
        "March 2020",
        "2020-02-30",
        "2020年13月",
        "2020.3",
        "2020.1",
        None,
        True,
        2020.03,
    ],
)
def test_it_refuses_a_value_that_is_not_a_period(value: object) -> None:
    assert coerce_period(value) is None


@pytest.mark.parametrize(
    ("value", "day"),
    [
        ("2020-03-15", date(2020, 3, 15)),
        ("2020/3/15", date(2020, 3, 15)),
        ("2020.3.5", date(2020, 3, 5)),
        ("2020-03-15 00:00:00", date(2020, 3, 15)),
        ("2020-03-15T08:30", date(2020, 3, 15)),
        ("2020年3月15日", date(2020, 3, 15)),
        ("2020年3月15", date(2020, 3, 15)),
        ("２０２０－０３－１５", date(2020, 3, 15)),
        (" 2020-03-15 ", date(2020, 3, 15)),
        ("2020-02-29", date(2020, 2, 29)),
        (date(2020, 3, 15), date(2020, 3, 15)),
        (datetime(2020, 3, 15, 23, 59), date(2020, 3, 15)),
    ],
)
def test_it_reads_a_day_in_the_accepted_spellings(value: object, day: date) -> None:
    assert coerce_date(value) == day


@pytest.mark.parametrize(
    "value",
    ["", "2021-02-29", "2020-13-01", "2020-03", "15/03/2020", "20200315", "yesterday", None, 20200315],
)
def test_it_refuses_a_value_that_is_not_a_day(value: object) -> None:
    assert coerce_date(value) is None


def test_it_returns_a_plain_date_for_a_datetime() -> None:
    assert type(coerce_date(datetime(2020, 3, 15, 8, 0))) is date


def test_month_numbers_round_trip_and_order() -> None:
    from exportwatch.core.periods import month_number, period_of_month_number, year_month

    assert year_month("2020-03") == (2020, 3)
    assert month_number("2020-01") - month_number("2019-12") == 1
    assert month_number("2020-03") == 2020 * 12 + 2
    for period in ("2017-01", "2019-12", "2020-03"):
        assert period_of_month_number(month_number(period)) == period
    with pytest.raises(ValueError):
        month_number("2020-13")


# --- the latest month whose reports are in -------------------------------------------------------------------


def test_a_month_is_in_at_nine_tenths_of_the_month_before_or_after_its_deadline() -> None:
    reporters = {"2020-02": 100, "2020-03": 89, "2020-04": 3}  # deadlines: the 5th of the next month
    early = date(2020, 4, 3)
    assert settled_month(reporters, today=early, deadline_day=5) == (
        "2020-02",
        [
            ComingIn(period="2020-04", reported=3, before=89, deadline=date(2020, 5, 5)),
            ComingIn(period="2020-03", reported=89, before=100, deadline=date(2020, 4, 5)),
        ],
    )
    assert settled_month(reporters, today=date(2020, 4, 5), deadline_day=5)[0] == "2020-02"  # due that day: open
    assert settled_month(reporters, today=date(2020, 4, 6), deadline_day=5)[0] == "2020-03"  # passed
    assert settled_month(reporters | {"2020-03": 90}, today=early, deadline_day=5)[0] == "2020-03"  # 90 of 100
    assert settled_month({"2020-03": 1}, today=early, deadline_day=5) == ("2020-03", [])  # nothing before it
    assert settled_month({"2020-03": 0}, today=early, deadline_day=5) == (None, [])  # no reporter is no month
    assert settled_month({}, today=early, deadline_day=5) == (None, [])
