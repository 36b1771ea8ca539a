"""Working days: the calendar the case clocks count in (DESIGN §9).

A **working day** is a Monday to Friday that is not a public holiday, or a make-up working day (调休: a Saturday
or Sunday the State Council made a working day to stretch a holiday). A working day counts whole, from 00:00 to
24:00; there are no office hours. Limits are given in working days, possibly fractional.

**Counting.** Time counts only while it falls on a working day. A limit of ``n`` working days from an event is
due at the earliest instant by which ``n`` days of working-day time have passed since the event:

* a case submitted on Friday at 15:00 with a limit of 1 working day is due on the next working day at 15:00
  (9 hours of Friday, then 15 hours of Monday, when Monday is a working day);
* an event on a non-working day starts counting at the beginning (00:00) of the next working day: a case
  submitted on Saturday with a limit of 1 is due at 24:00 on Monday, i.e. Tuesday 00:00;
* when a count ends exactly at the end of a working day, the due instant is that midnight (Friday 00:00 plus one
  working day is due at Saturday 00:00, not at Monday 00:00).

Working time is kept in whole microseconds: a limit is rounded to the microsecond, and
``working_time_between(start, add_working_days(start, n))`` gives ``n`` back to the microsecond.

**Time zone.** Every datetime must be *aware* (carry a time zone); a naive datetime is refused with a
``ValueError``, so naive and aware values are never mixed. Dates are judged on the calendar's wall clock
(:data:`CHINA_TZ`, UTC+08:00, by default: China has kept one offset with no daylight saving since 1991), and the
datetimes returned are in the calendar's time zone.

**Pauses.** A clock may be paused (a case waiting for the enterprise): :meth:`WorkCalendar.elapsed_working_days`
leaves out the working time inside the pauses (overlapping pauses count once; an open pause lasts until now), and
:meth:`WorkCalendar.deadline` moves the due instant out by them.

The calendar for China 2020 onwards ships as data in ``core/data/cn_workdays.json`` (public holidays and make-up
days per year, from the State Council General Office's yearly notices); :func:`china_calendar` loads it.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import date, datetime, time, timedelta, timezone, tzinfo
from functools import cache
from importlib import resources
from typing import Any

CHINA_TZ = timezone(timedelta(hours=8), "UTC+08:00")
"""China Standard Time; fixed, China has had no daylight saving since 1991."""

_DAY = timedelta(days=1)
_ONE_US = timedelta(microseconds=1)
US_PER_DAY = 86_400_000_000

OK, WARNING, BREACHED = CLOCK_STATUSES = ("ok", "warning", "breached")
DEFAULT_WARN_SHARE = 0.8

Pause = tuple[datetime, datetime | None]
"""A paused interval (start, end); ``end=None`` while the pause lasts."""


def _days_to_us(n: float, what: str = "number of working days") -> int:
    if isinstance(n, bool) or not isinstance(n, int | float):
        raise TypeError(f"{what} must be a number, not {type(n).__name__}")
    if not math.isfinite(n) or n < 0:
        raise ValueError(f"{what} must be finite and >= 0, got {n!r}")
    return n * US_PER_DAY if isinstance(n, int) else round(n * US_PER_DAY)


def _us(delta: timedelta) -> int:
    return delta // _ONE_US


class WorkCalendar:
    """Which days are working days, and how much working time lies between two instants.

    Args:
        holidays: Public holidays (放假日), including those that fall on a weekend (harmless).
        makeup_days: Make-up working days (调休上班日); each must be a Saturday or Sunday.
        tz: The wall clock that decides which day an instant falls on.

    Raises:
        TypeError: when a day is not a ``date`` (a ``datetime`` is refused too).
        ValueError: when a day is both a holiday and a make-up day, or a make-up day is a Monday to Friday.
    """

    __slots__ = ("holidays", "makeup_days", "tz")

    holidays: frozenset[date]
    makeup_days: frozenset[date]
    tz: tzinfo

    def __init__(self, holidays: Iterable[date] = (), makeup_days: Iterable[date] = (), *, tz: tzinfo = CHINA_TZ):
        self.holidays = frozenset(holidays)
        self.makeup_days = frozenset(makeup_days)
        self.tz = tz
        for day in self.holidays | self.makeup_days:
            if isinstance(day, datetime) or not isinstance(day, date):
                raise TypeError(f"calendar days must be dates, got {day!r}")
        both = self.holidays & self.makeup_days
        if both:
            raise ValueError(f"both a holiday and a make-up working day: {', '.join(sorted(map(str, both)))}")
        weekdays = sorted(str(day) for day in self.makeup_days if day.weekday() < 5)
        if weekdays:
            raise ValueError(f"a make-up working day must be a Saturday or Sunday: {', '.join(weekdays)}")

    def __repr__(self) -> str:
        return f"WorkCalendar({len(self.holidays)} holidays, {len(self.makeup_days)} make-up days, tz={self.tz})"

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, WorkCalendar):
            return NotImplemented
        return (self.holidays, self.makeup_days, self.tz) == (other.holidays, other.makeup_days, other.tz)

    def __hash__(self) -> int:
        return hash((self.holidays, self.makeup_days, self.tz))

    # --- days ---

    def is_working_day(self, day: date) -> bool:
        """Whether ``day`` is a working day: a make-up day, or a Monday to Friday that is not a holiday.

        Raises:
            TypeError: when ``day`` is a ``datetime`` (give its ``.date()`` on the calendar's clock).
        """
        if isinstance(day, datetime) or not isinstance(day, date):
            raise TypeError(f"is_working_day takes a date, got {day!r}")
        if day in self.makeup_days:
            return True
        return day.weekday() < 5 and day not in self.holidays

    # --- instants ---

    def _local(self, moment: datetime, name: str = "datetime") -> datetime:
        if not isinstance(moment, datetime):
            raise TypeError(f"{name} must be a datetime, got {moment!r}")
        if moment.tzinfo is None or moment.utcoffset() is None:
            raise ValueError(
                f"{name} {moment.isoformat()} is naive: the working-day calendar takes aware datetimes only "
                "(naive and aware datetimes are never mixed)"
            )
        return moment.astimezone(self.tz)

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.tz)

    def _working_us(self, start: datetime, end: datetime) -> int:
        """Working time in [start, end), both already on the calendar's clock, in microseconds."""
        if end <= start:
            return 0
        total = 0
        day, last = start.date(), end.date()
        while day <= last:
            if self.is_working_day(day):
                low = max(start, self._midnight(day))
                high = min(end, self._midnight(day + _DAY))
                if high > low:
                    total += _us(high - low)
            day += _DAY
        return total

    def _add_us(self, start: datetime, amount: int) -> datetime:
        """The earliest instant by which ``amount`` microseconds of working time have passed since ``start``."""
        if amount == 0:
            return start
        cursor, day = start, start.date()
        while True:
            day_end = self._midnight(day + _DAY)
            if self.is_working_day(day):
                available = _us(day_end - cursor)
                if amount <= available:
                    return cursor + timedelta(microseconds=amount)
                amount -= available
            cursor, day = day_end, day + _DAY

    def add_working_days(self, start: datetime, n: float) -> datetime:
        """The instant ``n`` working days after ``start`` (see the module docstring for the counting rule).

        Args:
            start: The event, aware.
            n: Working days, >= 0, possibly fractional (rounded to the microsecond).

        Returns:
            The earliest instant by which ``n`` days of working-day time have passed, on the calendar's clock;
            ``start`` itself when ``n`` is 0.

        Raises:
            ValueError: on a naive ``start``, or a negative or infinite ``n``.
        """
        return self._add_us(self._local(start, "start"), _days_to_us(n))

    def working_time_between(self, start: datetime, end: datetime) -> float:
        """Working-day time in [start, end), in working days (fractional; 0.0 when ``end <= start``).

        Raises:
            ValueError: on a naive datetime.
        """
        return self._working_us(self._local(start, "start"), self._local(end, "end")) / US_PER_DAY

    def _pauses(self, pauses: Iterable[Pause], *, floor: datetime) -> list[tuple[datetime, datetime | None]]:
        """Pauses on the calendar's clock, starting no earlier than ``floor``, sorted and merged where they meet
        or overlap; an open pause swallows every later one."""
        clipped: list[tuple[datetime, datetime | None]] = []
        for pause_start, pause_end in pauses:
            low = self._local(pause_start, "pause start")
            high = None if pause_end is None else self._local(pause_end, "pause end")
            if high is not None and high < low:
                raise ValueError(f"a pause ends before it starts: {pause_start.isoformat()} - {pause_end}")
            if high is not None and high <= floor:
                continue
            clipped.append((max(low, floor), high))
        clipped.sort(key=lambda pause: pause[0])
        merged: list[tuple[datetime, datetime | None]] = []
        for low, high in clipped:
            if merged:
                last_low, last_high = merged[-1]
                if last_high is None:
                    break
                if low <= last_high:
                    merged[-1] = (last_low, None if high is None else max(last_high, high))
                    continue
            merged.append((low, high))
        return merged

    def elapsed_working_days(self, start: datetime, now: datetime, pauses: Sequence[Pause] = ()) -> float:
        """Working days elapsed on a clock started at ``start``, as of ``now``, leaving out the pauses.

        Args:
            start: When the clock started, aware.
            now: The instant asked about, aware; before ``start`` nothing has elapsed.
            pauses: (start, end) intervals in which the clock stood still; ``end=None`` for a pause still on
                (it lasts until ``now``). Pauses may overlap (they count once) and may reach outside
                [start, now) (only the part inside counts).

        Returns:
            Working days (fractional), never negative, never decreasing as ``now`` grows.

        Raises:
            ValueError: on a naive datetime, or a pause that ends before it starts.
        """
        low, high = self._local(start, "start"), self._local(now, "now")
        if high <= low:
            return 0.0
        total = self._working_us(low, high)
        for pause_start, pause_end in self._pauses(pauses, floor=low):
            if pause_start >= high:
                break
            total -= self._working_us(pause_start, high if pause_end is None else min(pause_end, high))
        return total / US_PER_DAY

    def deadline(self, start: datetime, n: float, pauses: Sequence[Pause] = ()) -> datetime | None:
        """When a clock started at ``start`` with a limit of ``n`` working days runs out, given its pauses.

        Returns:
            The earliest instant at which :meth:`elapsed_working_days` reaches ``n``; ``None`` when the limit
            is not reached before a pause that is still on (the due date is unknown while the clock stands).

        Raises:
            ValueError: as :meth:`elapsed_working_days` and :meth:`add_working_days`.
        """
        cursor = self._local(start, "start")
        remaining = _days_to_us(n)
        for pause_start, pause_end in self._pauses(pauses, floor=cursor):
            available = self._working_us(cursor, pause_start)
            if remaining <= available:
                return self._add_us(cursor, remaining)
            remaining -= available
            if pause_end is None:
                return None
            cursor = max(cursor, pause_end)
        return self._add_us(cursor, remaining)


def clock_status(elapsed: float, limit: float, warn_share: float = DEFAULT_WARN_SHARE) -> str:
    """Where a clock stands against its limit: ``"ok"``, ``"warning"`` or ``"breached"``.

    ``"warning"`` once ``elapsed >= warn_share * limit``; ``"breached"`` once ``elapsed > limit`` (at the due
    instant itself the case is still on time). Values are compared to the microsecond, so that a share such as
    0.8 × 3 is not missed by a rounding error.

    Args:
        elapsed: Working days used, >= 0.
        limit: The limit in working days, > 0.
        warn_share: The share of the limit at which to warn, 0 < share <= 1 (default 0.8).

    Raises:
        ValueError: on a negative or non-finite ``elapsed``, a limit that is not positive, or a share outside
            (0, 1].
    """
    used = _days_to_us(elapsed, "elapsed")
    allowed = _days_to_us(limit, "limit")
    if allowed == 0:
        raise ValueError("limit must be > 0")
    if isinstance(warn_share, bool) or not 0 < warn_share <= 1:
        raise ValueError(f"warn_share must be in (0, 1], got {warn_share!r}")
    if used > allowed:
        return BREACHED
    if used >= round(warn_share * limit * US_PER_DAY):
        return WARNING
    return OK


# --- The shipped calendar for China -------------------------------------------------------------------------------


def _day(text: Any, where: str) -> date:
    if not isinstance(text, str):
        raise ValueError(f"{where}: expected a date as YYYY-MM-DD, got {text!r}")
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"{where}: not a date: {text!r}") from None


def published_years(data: Mapping[str, Any]) -> tuple[int, ...]:
    """The years a calendar document (the shape of ``cn_workdays.json``) gives in full, in order."""
    return tuple(sorted(int(year) for year, entry in data["years"].items() if entry.get("published")))


def calendar_from_data(
    data: Mapping[str, Any], *, years: Iterable[int] | None = None, tz: tzinfo = CHINA_TZ
) -> WorkCalendar:
    """A :class:`WorkCalendar` from a calendar document shaped like ``cn_workdays.json``.

    The document has ``{"years": {"2020": {"published": true, "holidays": [{"name", "from", "to"}, ...],
    "makeup_days": [{"name", "date"}, ...]}, ...}}`` with ISO dates; a holiday period runs from ``from`` to
    ``to``, both included, and may start in the year before (New Year 2023 began on 31 December 2022).

    Args:
        data: The parsed document.
        years: The years to take; ``None`` for every published one.
        tz: The calendar's clock.

    Raises:
        ValueError: when a year asked for is missing or not published, or the document is malformed.
    """
    available = published_years(data)
    wanted = available if years is None else tuple(sorted(set(years)))
    missing = [year for year in wanted if year not in available]
    if missing:
        raise ValueError(
            f"no published working-day calendar for {', '.join(map(str, missing))} "
            f"(published: {', '.join(map(str, available))})"
        )
    holidays: set[date] = set()
    makeup_days: set[date] = set()
    for year in wanted:
        entry = data["years"][str(year)]
        for period in entry["holidays"]:
            where = f"{year} {period.get('name', '?')}"
            first, last = _day(period["from"], where), _day(period["to"], where)
            if last < first:
                raise ValueError(f"{where}: holiday ends before it starts")
            day = first
            while day <= last:
                holidays.add(day)
                day += _DAY
        for makeup in entry["makeup_days"]:
            makeup_days.add(_day(makeup["date"], f"{year} {makeup.get('name', '?')}"))
    return WorkCalendar(holidays, makeup_days, tz=tz)


@cache
def _china_data() -> Mapping[str, Any]:
    text = resources.files("exportwatch.core").joinpath("data", "cn_workdays.json").read_text(encoding="utf-8")
    data: Mapping[str, Any] = json.loads(text)
    return data


def china_calendar_years() -> tuple[int, ...]:
    """The years the shipped calendar for China gives in full (dates outside them count as plain Mon-Fri)."""
    return published_years(_china_data())


def china_calendar(years: Iterable[int] | None = None) -> WorkCalendar:
    """The working-day calendar of mainland China, from the State Council's notices shipped in
    ``core/data/cn_workdays.json``.

    This reads the package's own data file once (the only file the core reads); the services may add local
    changes (a province's extra days, next year's notice) by building a :class:`WorkCalendar` of their own.

    Args:
        years: The years to load; ``None`` for every published year (:func:`china_calendar_years`).

    Raises:
        ValueError: when a year asked for is not in the data or not published yet.
    """
    return calendar_from_data(_china_data(), years=years)
