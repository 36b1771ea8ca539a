"""Working days, the shipped China calendar and the case clocks, on literals."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from exportwatch.core.workdays import (
    CHINA_TZ,
    US_PER_DAY,
    WorkCalendar,
    calendar_from_data,
    china_calendar,
    china_calendar_years,
    clock_status,
)

CST = timezone(timedelta(hours=8))
PLAIN = WorkCalendar(set(), set())  # weekends only
CN = china_calendar()
ONE_US = 1 / US_PER_DAY


def t(y: int, m: int, d: int, hh: int = 0, mm: int = 0) -> datetime:
    return datetime(y, m, d, hh, mm, tzinfo=CST)


# --- days ---


@pytest.mark.parametrize(
    ("day", "working"),
    [
        (date(2020, 3, 6), True),  # Friday
        (date(2020, 3, 7), False),  # Saturday
        (date(2020, 3, 8), False),  # Sunday
        (date(2020, 1, 1), False),  # New Year
        (date(2020, 1, 19), True),  # Sunday, make-up day for the Spring Festival
        (date(2020, 1, 23), True),  # Thursday before the holiday
        (date(2020, 1, 24), False),
        (date(2020, 1, 30), False),  # last day of the holiday as first announced
        (date(2020, 1, 31), False),  # Friday, added by the extension
        (date(2020, 2, 1), False),  # Saturday: its make-up working day was cancelled by the extension
        (date(2020, 2, 2), False),
        (date(2020, 2, 3), True),  # Monday, back to work
        (date(2020, 4, 26), True),  # Sunday, make-up day for Labour Day
        (date(2020, 5, 5), False),
        (date(2020, 5, 9), True),  # Saturday, make-up day
        (date(2020, 6, 28), True),  # Sunday, make-up day for the Dragon Boat Festival
        (date(2020, 9, 27), True),  # Sunday, make-up day for National Day
        (date(2020, 10, 8), False),
        (date(2020, 10, 9), True),
        (date(2020, 10, 10), True),  # Saturday, make-up day
        (date(2022, 12, 31), False),  # Saturday, first day of New Year 2023
        (date(2023, 1, 2), False),
        (date(2024, 2, 9), True),  # Spring Festival Eve 2024: only encouraged off
        (date(2025, 1, 28), False),  # Spring Festival Eve 2025, a public holiday since the 2024 revision
        (date(2026, 2, 28), True),  # Saturday, make-up day
    ],
)
def test_working_days_of_the_china_calendar(day: date, working: bool) -> None:
    assert CN.is_working_day(day) is working


def test_a_datetime_is_not_taken_for_a_day() -> None:
    with pytest.raises(TypeError):
        CN.is_working_day(t(2020, 3, 6, 12))


def test_a_calendar_refuses_a_day_both_off_and_on() -> None:
    with pytest.raises(ValueError, match="both a holiday and a make-up"):
        WorkCalendar({date(2020, 1, 19)}, {date(2020, 1, 19)})


def test_a_calendar_refuses_a_make_up_day_on_a_weekday() -> None:
    with pytest.raises(ValueError, match="Saturday or Sunday"):
        WorkCalendar(set(), {date(2020, 1, 20)})


def test_a_calendar_refuses_datetimes_as_days() -> None:
    with pytest.raises(TypeError):
        WorkCalendar({t(2020, 1, 1)}, set())


# --- adding working days ---


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        (t(2020, 3, 6, 15), 1, t(2020, 3, 9, 15)),  # Friday 15:00 + 1 -> Monday 15:00
        (t(2020, 3, 7, 10), 1, t(2020, 3, 10)),  # Saturday: counting starts Monday 00:00
        (t(2020, 3, 8, 23, 59), 0.5, t(2020, 3, 9, 12)),
        (t(2020, 3, 6), 1, t(2020, 3, 7)),  # ends at Friday 24:00, the earliest instant
        (t(2020, 3, 6, 15), 0, t(2020, 3, 6, 15)),
        (t(2020, 3, 7, 15), 0, t(2020, 3, 7, 15)),
        (t(2020, 3, 9, 9), 0.25, t(2020, 3, 9, 15)),
        (t(2020, 3, 5, 12), 2.5, t(2020, 3, 10)),  # Thu half, Fri, Mon
        (t(2020, 3, 2, 9), 10, t(2020, 3, 16, 9)),  # two weeks
    ],
)
def test_add_working_days_on_a_plain_calendar(start: datetime, n: float, due: datetime) -> None:
    assert PLAIN.add_working_days(start, n) == due


@pytest.mark.parametrize(
    ("start", "n", "due"),
    [
        # Spring Festival 2020, extended to 2 February: Thursday 23 January 10:00 + 1 -> Monday 3 February 10:00
        (t(2020, 1, 23, 10), 1, t(2020, 2, 3, 10)),
        (t(2020, 1, 24, 10), 1, t(2020, 2, 4)),  # filed during the holiday
        (t(2020, 1, 18, 10), 1, t(2020, 1, 20)),  # Saturday; Sunday 19 January is a make-up working day
        (t(2020, 1, 17, 15), 1, t(2020, 1, 19, 15)),
        # National Day and Mid-Autumn 2020: 1-8 October off, Sunday 27 September and Saturday 10 October worked
        (t(2020, 9, 25, 15), 1, t(2020, 9, 27, 15)),
        (t(2020, 9, 30, 15), 2, t(2020, 10, 10, 15)),
        (t(2020, 9, 30, 15), 3, t(2020, 10, 12, 15)),
        (t(2020, 9, 26, 12), 0.5, t(2020, 9, 27, 12)),
    ],
)
def test_add_working_days_across_the_2020_holidays(start: datetime, n: float, due: datetime) -> None:
    assert CN.add_working_days(start, n) == due


def test_a_due_instant_is_given_on_the_calendar_clock_whatever_the_zone_of_the_event() -> None:
    friday_3pm_in_utc = datetime(2020, 3, 6, 7, tzinfo=UTC)
    due = PLAIN.add_working_days(friday_3pm_in_utc, 1)
    assert due == t(2020, 3, 9, 15)
    assert due.utcoffset() == timedelta(hours=8)
    # 20:00 UTC on Friday is already Saturday in China
    assert PLAIN.add_working_days(datetime(2020, 3, 6, 20, tzinfo=UTC), 1) == t(2020, 3, 10)


@pytest.mark.parametrize("n", [-1, -0.001, float("inf"), float("nan")])
def test_add_working_days_refuses_a_negative_or_infinite_limit(n: float) -> None:
    with pytest.raises(ValueError):
        PLAIN.add_working_days(t(2020, 3, 6), n)


# --- time zones ---


def test_naive_datetimes_are_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        PLAIN.add_working_days(datetime(2020, 3, 6, 15), 1)


def test_mixing_naive_and_aware_datetimes_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        PLAIN.working_time_between(t(2020, 3, 6), datetime(2020, 3, 9))
    with pytest.raises(ValueError, match="naive"):
        PLAIN.elapsed_working_days(t(2020, 3, 6), t(2020, 3, 9), [(datetime(2020, 3, 6, 12), None)])


# --- working time between ---


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (t(2020, 3, 6, 15), t(2020, 3, 9, 15), 1.0),  # across a weekend
        (t(2020, 3, 7), t(2020, 3, 9), 0.0),  # the weekend alone
        (t(2020, 3, 9, 9), t(2020, 3, 9, 15), 0.25),
        (t(2020, 3, 9, 15), t(2020, 3, 9, 9), 0.0),  # end before start
        (t(2020, 3, 2), t(2020, 3, 16), 10.0),
    ],
)
def test_working_time_between_on_a_plain_calendar(start: datetime, end: datetime, days: float) -> None:
    assert PLAIN.working_time_between(start, end) == days


@pytest.mark.parametrize(
    ("start", "end", "days"),
    [
        (t(2020, 1, 23), t(2020, 2, 4), 2.0),  # 23 January and 3 February
        (t(2020, 1, 18), t(2020, 1, 20), 1.0),  # Sunday 19 January worked
        (t(2020, 1, 31), t(2020, 2, 3), 0.0),  # the extension and the cancelled make-up day
        (t(2020, 9, 26), t(2020, 10, 9), 4.0),  # 27 (Sunday, make-up), 28, 29, 30 September
    ],
)
def test_working_time_between_across_the_2020_holidays(start: datetime, end: datetime, days: float) -> None:
    assert CN.working_time_between(start, end) == days


def test_national_day_2020_counts_its_make_up_saturday() -> None:
    # 27 (Sunday, make-up), 28, 29, 30 September, 9 October (Friday) and 10 October (Saturday, make-up)
    assert CN.working_time_between(t(2020, 9, 26), t(2020, 10, 11)) == 6.0


# --- elapsed time with pauses ---


def test_a_pause_over_a_weekend_leaves_out_only_its_working_time() -> None:
    # Thursday 09:00 to Tuesday 09:00 is 3 working days; the pause Friday 12:00 - Monday 12:00 holds 1 of them
    pauses = [(t(2020, 3, 6, 12), t(2020, 3, 9, 12))]
    assert PLAIN.elapsed_working_days(t(2020, 3, 5, 9), t(2020, 3, 10, 9), pauses) == 2.0


def test_an_open_pause_lasts_until_now() -> None:
    pauses: list[tuple[datetime, datetime | None]] = [(t(2020, 3, 10, 9), None)]
    assert PLAIN.elapsed_working_days(t(2020, 3, 9, 9), t(2020, 3, 12, 9), pauses) == 1.0


def test_overlapping_pauses_count_once_and_pauses_outside_the_clock_do_not_count() -> None:
    pauses: list[tuple[datetime, datetime | None]] = [
        (t(2020, 3, 10), t(2020, 3, 11, 12)),
        (t(2020, 3, 11), t(2020, 3, 12)),
        (t(2020, 3, 2), t(2020, 3, 9, 12)),  # starts before the clock: only Monday morning counts
        (t(2020, 3, 20), None),  # after now
    ]
    # Monday 9 March 00:00 to Friday 13 March 00:00 holds 4 working days; paused Monday 00:00-12:00 (0.5) and
    # Tuesday 00:00 to Thursday 00:00 (2, the two overlapping pauses together)
    assert PLAIN.elapsed_working_days(t(2020, 3, 9), t(2020, 3, 13), pauses) == 1.5


def test_nothing_has_elapsed_before_the_clock_starts() -> None:
    assert PLAIN.elapsed_working_days(t(2020, 3, 9), t(2020, 3, 6)) == 0.0


def test_a_pause_that_ends_before_it_starts_is_refused() -> None:
    with pytest.raises(ValueError, match="ends before it starts"):
        PLAIN.elapsed_working_days(t(2020, 3, 9), t(2020, 3, 13), [(t(2020, 3, 11), t(2020, 3, 10))])


def test_the_deadline_moves_out_by_the_pauses() -> None:
    pauses: list[tuple[datetime, datetime | None]] = [(t(2020, 3, 10, 9), t(2020, 3, 11, 9))]
    assert PLAIN.deadline(t(2020, 3, 9, 9), 2, pauses) == t(2020, 3, 12, 9)
    assert PLAIN.deadline(t(2020, 3, 9, 9), 2) == t(2020, 3, 11, 9)


def test_the_deadline_is_unknown_while_an_open_pause_stands_before_it() -> None:
    assert PLAIN.deadline(t(2020, 3, 9, 9), 2, [(t(2020, 3, 10, 9), None)]) is None
    assert PLAIN.deadline(t(2020, 3, 9, 9), 2, [(t(2020, 3, 12), None)]) == t(2020, 3, 11, 9)


def test_a_pause_across_the_2020_spring_festival_changes_nothing_it_did_not_cover() -> None:
    pauses = [(t(2020, 1, 23, 12), t(2020, 2, 3, 12))]
    assert CN.elapsed_working_days(t(2020, 1, 23), t(2020, 2, 4), pauses) == 1.0
    assert CN.deadline(t(2020, 1, 23), 1, pauses) == t(2020, 2, 4)


# --- clock status ---


@pytest.mark.parametrize(
    ("elapsed", "limit", "share", "status"),
    [
        (0, 5, 0.8, "ok"),
        (3.99, 5, 0.8, "ok"),
        (4.0, 5, 0.8, "warning"),  # 80 % of the limit
        (5.0, 5, 0.8, "warning"),  # due now, not yet late
        (5.0 + 1 / US_PER_DAY, 5, 0.8, "breached"),
        (6, 5, 0.8, "breached"),
        (2.4, 3, 0.8, "warning"),  # 0.8 * 3 is 2.4000000000000004 in floating point
        (2.4 - 1 / US_PER_DAY, 3, 0.8, "ok"),
        (0.5, 1, 0.5, "warning"),
        (0.99, 1, 1, "ok"),
        (1, 1, 1, "warning"),
    ],
)
def test_clock_status_boundaries(elapsed: float, limit: float, share: float, status: str) -> None:
    assert clock_status(elapsed, limit, share) == status


def test_the_default_warning_share_is_80_percent() -> None:
    assert clock_status(7.9, 10) == "ok"
    assert clock_status(8, 10) == "warning"


@pytest.mark.parametrize(
    ("elapsed", "limit", "share"),
    [(-1, 5, 0.8), (1, 0, 0.8), (1, -5, 0.8), (1, 5, 0), (1, 5, 1.2), (1, 5, float("nan")), (float("nan"), 5, 0.8)],
)
def test_clock_status_refuses_nonsense(elapsed: float, limit: float, share: float) -> None:
    with pytest.raises(ValueError):
        clock_status(elapsed, limit, share)


# --- the shipped calendar ---


def test_the_shipped_calendar_covers_2020_to_2026_and_leaves_2027_out_until_it_is_published() -> None:
    assert china_calendar_years() == (2020, 2021, 2022, 2023, 2024, 2025, 2026)
    with pytest.raises(ValueError, match="2027"):
        china_calendar([2027])


def test_loading_one_year_takes_its_periods_even_when_they_start_the_year_before() -> None:
    calendar = china_calendar([2023])
    assert date(2022, 12, 31) in calendar.holidays
    assert date(2023, 1, 28) in calendar.makeup_days
    assert not calendar.holidays & china_calendar([2020]).holidays


def test_the_2020_calendar_has_the_extended_spring_festival() -> None:
    calendar = china_calendar([2020])
    assert calendar.makeup_days == {
        date(2020, 1, 19),
        date(2020, 4, 26),
        date(2020, 5, 9),
        date(2020, 6, 28),
        date(2020, 9, 27),
        date(2020, 10, 10),
    }
    spring = {d for d in calendar.holidays if d.month in (1, 2) and d != date(2020, 1, 1)}
    assert min(spring) == date(2020, 1, 24)
    assert max(spring) == date(2020, 2, 2)
    assert len(spring) == 10


def _doc(**year: Any) -> dict[str, Any]:
    entry = {"published": True, "holidays": [], "makeup_days": []} | year
    return {"years": {"2030": entry}}


def test_a_calendar_document_is_validated() -> None:
    assert calendar_from_data(_doc(holidays=[{"name": "x", "from": "2030-01-01", "to": "2030-01-02"}])).holidays == {
        date(2030, 1, 1),
        date(2030, 1, 2),
    }
    with pytest.raises(ValueError, match="ends before it starts"):
        calendar_from_data(_doc(holidays=[{"name": "x", "from": "2030-01-02", "to": "2030-01-01"}]))
    with pytest.raises(ValueError, match="not a date"):
        calendar_from_data(_doc(makeup_days=[{"name": "x", "date": "2030-02-30"}]))
    with pytest.raises(ValueError, match="Saturday or Sunday"):
        calendar_from_data(_doc(makeup_days=[{"name": "x", "date": "2030-01-07"}]))
    with pytest.raises(ValueError, match="2031"):
        calendar_from_data(_doc(), years=[2031])


def test_the_shipped_file_names_a_source_for_every_published_year() -> None:
    from importlib import resources

    text = resources.files("exportwatch.core").joinpath("data", "cn_workdays.json").read_text(encoding="utf-8")
    years = json.loads(text)["years"]
    assert all(entry["source"] for entry in years.values() if entry["published"])
    assert all(entry.get("note") for entry in years.values() if not entry["published"])


# --- properties ---

instants = st.datetimes(min_value=datetime(2019, 12, 1), max_value=datetime(2027, 1, 31), timezones=st.just(CST))
working_days = st.floats(min_value=0, max_value=40, allow_nan=False, allow_infinity=False)


@settings(deadline=None)
@given(start=instants, n=working_days)
def test_working_time_to_the_due_instant_is_the_limit(start: datetime, n: float) -> None:
    due = CN.add_working_days(start, n)
    assert abs(CN.working_time_between(start, due) - n) <= ONE_US


@settings(deadline=None)
@given(start=instants.filter(lambda s: CN.is_working_day(s.date())), minutes=st.integers(0, 40 * 1440))
def test_from_a_working_day_whole_minutes_come_back_exactly(start: datetime, minutes: int) -> None:
    n = minutes / 1440
    assert CN.working_time_between(start, CN.add_working_days(start, n)) == n


@settings(deadline=None)
@given(start=instants, n=st.floats(min_value=0.001, max_value=40))
def test_the_due_instant_is_the_earliest(start: datetime, n: float) -> None:
    due = CN.add_working_days(start, n)
    assert CN.working_time_between(start, due - timedelta(microseconds=2)) < n


pause_lists = st.lists(
    st.tuples(instants, st.one_of(st.none(), st.timedeltas(timedelta(0), timedelta(days=20)))), max_size=4
)


def _pauses(raw: list[tuple[datetime, timedelta | None]]) -> list[tuple[datetime, datetime | None]]:
    return [(start, None if length is None else start + length) for start, length in raw]


@settings(deadline=None)
@given(start=instants, first=instants, later=st.timedeltas(timedelta(0), timedelta(days=60)), raw=pause_lists)
def test_elapsed_time_never_decreases_as_now_grows(
    start: datetime, first: datetime, later: timedelta, raw: list[tuple[datetime, timedelta | None]]
) -> None:
    pauses = _pauses(raw)
    before = CN.elapsed_working_days(start, first, pauses)
    after = CN.elapsed_working_days(start, first + later, pauses)
    assert 0 <= before <= after


@settings(deadline=None)
@given(start=instants, n=working_days, raw=pause_lists)
def test_the_deadline_is_where_the_elapsed_time_reaches_the_limit(
    start: datetime, n: float, raw: list[tuple[datetime, timedelta | None]]
) -> None:
    pauses = _pauses(raw)
    due = CN.deadline(start, n, pauses)
    if due is None:
        assert any(end is None for _, end in pauses)
    else:
        assert abs(CN.elapsed_working_days(start, due, pauses) - n) <= ONE_US


def test_the_default_clock_is_china_standard_time() -> None:
    assert CN.tz == CHINA_TZ
    assert CHINA_TZ.utcoffset(None) == timedelta(hours=8)
