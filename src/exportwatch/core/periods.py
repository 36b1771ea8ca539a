"""Monthly reporting periods written as ``'YYYY-MM'`` strings, and reporting deadlines.

A period is one calendar month. Because the year always has four digits and the month two,
``'YYYY-MM'`` strings sort in time order, so ``a < b`` means "period ``a`` is earlier".

Nothing here reads the clock: "today" is always an argument.
"""

from __future__ import annotations

import calendar
import re
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime

from exportwatch.core.codes import parse_period

ON_TIME = "on_time"
LATE = "late"
MISSING = "missing"
PENDING = "pending"
REPORTING_STATUSES = (ON_TIME, LATE, MISSING, PENDING)

# "2020-03", "2020/3", with optional blanks around the separator.
_YEAR_MONTH_RE = re.compile(r"^(\d{4})\s*[-/]\s*(\d{1,2})$")
# "2020.03" but not "2020.1": a spreadsheet stores a typed 2020.10 as the number 2020.1, which
# must not be read as January.
_DOTTED_YEAR_MONTH_RE = re.compile(r"^(\d{4})\.(\d{2})$")
# "202003".
_COMPACT_RE = re.compile(r"^(\d{4})(\d{2})$")
# "2020年3月" (the trailing 月 may be left out).
_CHINESE_YEAR_MONTH_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月?$")
# "2020-03-15", "2020/3/15", "2020.3.15", optionally followed by a time such as " 00:00:00".
_DATE_RE = re.compile(
    r"^(\d{4})\s*[-/.]\s*(\d{1,2})\s*[-/.]\s*(\d{1,2})"  # the day
    r"(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"  # an optional time, ignored
)
# "2020年3月15日" (the trailing 日 may be left out).
_CHINESE_DATE_RE = re.compile(r"^(\d{4})\s*年\s*(\d{1,2})\s*月\s*(\d{1,2})\s*日?$")


def _split(period: str) -> tuple[int, int]:
    """``'2020-03'`` -> ``(2020, 3)``, raising ``ValueError`` for anything else."""
    parsed = parse_period(period)
    if parsed is None:
        raise ValueError(f"not a YYYY-MM period: {period!r}")
    return parsed


def year_month(period: str) -> tuple[int, int]:
    """``'2020-03'`` -> ``(2020, 3)``; ``ValueError`` for anything that is not a ``YYYY-MM`` period."""
    return _split(period)


def month_number(period: str) -> int:
    """A period as a count of months (``year * 12 + month - 1``), for arithmetic over many periods at once."""
    year, month = _split(period)
    return year * 12 + month - 1


def period_of_month_number(number: int) -> str:
    """The inverse of :func:`month_number`."""
    return f"{number // 12:04d}-{number % 12 + 1:02d}"


def _as_date(value: date) -> date:
    """Drop the time of a ``datetime`` (a ``datetime`` and a ``date`` cannot be compared)."""
    return value.date() if isinstance(value, datetime) else value


def period_of(d: date) -> str:
    """The period that contains day ``d``.

    Args:
        d: Any day (a ``datetime`` is taken at its own wall-clock date).

    Returns:
        ``'YYYY-MM'``, e.g. ``date(2020, 3, 15)`` -> ``'2020-03'``.
    """
    return f"{d.year:04d}-{d.month:02d}"


def period_add(period: str, months: int) -> str:
    """Move a period by a number of months.

    The period is turned into a month index ``n = 12 * year + (month - 1)``, shifted by
    ``months`` and turned back: ``year = n // 12``, ``month = n mod 12 + 1``.

    Args:
        period: ``'YYYY-MM'``.
        months: Months to add; negative to go back.

    Returns:
        ``'YYYY-MM'``, e.g. ``period_add('2020-11', 3)`` -> ``'2021-02'``.

    Raises:
        ValueError: when ``period`` is not ``'YYYY-MM'`` or the result leaves years 1..9999.
    """
    year, month = _split(period)
    index = 12 * year + (month - 1) + months
    new_year, new_month0 = divmod(index, 12)
    if not 1 <= new_year <= 9999:
        raise ValueError(f"period out of range: {period!r} + {months} months")
    return f"{new_year:04d}-{new_month0 + 1:02d}"


def period_range(start: str, end: str) -> list[str]:
    """Every period from ``start`` to ``end``, both included, in time order.

    Args:
        start: First period, ``'YYYY-MM'``.
        end: Last period, ``'YYYY-MM'``.

    Returns:
        ``end - start + 1`` periods; an empty list when ``end`` is earlier than ``start``.

    Raises:
        ValueError: when either argument is not ``'YYYY-MM'``.
    """
    start_year, start_month = _split(start)
    end_year, end_month = _split(end)
    count = (12 * end_year + end_month) - (12 * start_year + start_month) + 1
    return [period_add(start, i) for i in range(max(count, 0))]


def period_start(period: str) -> date:
    """The first day of a period.

    Raises:
        ValueError: when ``period`` is not ``'YYYY-MM'``.
    """
    year, month = _split(period)
    return date(year, month, 1)


def period_end(period: str) -> date:
    """The last day of a period (28, 29, 30 or 31 depending on the month and leap year).

    Raises:
        ValueError: when ``period`` is not ``'YYYY-MM'``.
    """
    year, month = _split(period)
    return date(year, month, calendar.monthrange(year, month)[1])


def report_deadline(period: str, *, deadline_day: int) -> date:
    """The last day on which the report for ``period`` counts as on time.

    The report for a month is due on day ``deadline_day`` of the following month, clamped to
    that month's length: ``min(deadline_day, days_in(next month))``. For example the 31st
    deadline of period ``'2021-01'`` is 2021-02-28.

    Args:
        period: The month reported on, ``'YYYY-MM'``.
        deadline_day: Day of the next month, 1..31.

    Returns:
        The deadline day (a report submitted on that day is still on time).

    Raises:
        ValueError: when ``period`` is not ``'YYYY-MM'`` or ``deadline_day`` is not 1..31.
    """
    if not 1 <= deadline_day <= 31:
        raise ValueError(f"deadline_day must be 1..31, got {deadline_day}")
    next_period = period_add(period, 1)
    year, month = _split(next_period)
    return date(year, month, min(deadline_day, calendar.monthrange(year, month)[1]))


def is_future(period: str, *, today: date) -> bool:
    """Whether ``period`` is later than the month containing ``today``.

    The current month is not in the future.

    Raises:
        ValueError: when ``period`` is not ``'YYYY-MM'``.
    """
    _split(period)
    return period > period_of(today)


SETTLED_SHARE = 0.9
"""A month whose reports are coming in counts as in (settled) once as many enterprises as this share of the month
before's have reported it, or once its reporting deadline has passed."""


@dataclass(frozen=True)
class ComingIn:
    """A month whose reports are coming in: ``reported`` enterprises of the ``before`` that reported the month
    before, its reporting ``deadline`` not yet passed."""

    period: str
    reported: int
    before: int
    deadline: date


def settled_month(reporters: Mapping[str, int], *, today: date, deadline_day: int) -> tuple[str | None, list[ComingIn]]:
    """The latest month of ``reporters`` (enterprises with a report, by ``'YYYY-MM'``) whose reports are in as of
    ``today`` — its deadline (:func:`report_deadline`) has passed, or :data:`SETTLED_SHARE` as many enterprises as
    the month before have reported it (a month with none before it stands on its own) — and the later months,
    latest first, that are still coming in. ``(None, [...])`` when no month of ``reporters`` is in."""
    coming_in: list[ComingIn] = []
    for period in sorted((p for p, n in reporters.items() if n > 0), reverse=True):
        before = reporters.get(period_add(period, -1), 0)
        deadline = report_deadline(period, deadline_day=deadline_day)
        if _as_date(today) > deadline or reporters[period] >= SETTLED_SHARE * before:
            return period, coming_in
        coming_in.append(ComingIn(period=period, reported=reporters[period], before=before, deadline=deadline))
    return None, coming_in


def reporting_status(*, period: str, today: date, deadline_day: int, submitted_at: date | None) -> str:
    """Where a monthly report stands against its deadline (see :func:`report_deadline`).

    Args:
        period: The month reported on, ``'YYYY-MM'``.
        today: The current local date.
        deadline_day: Day of the next month on which the report is due, 1..31.
        submitted_at: Local date the report was submitted, or ``None`` if it was not.

    Returns:
        ``"on_time"`` (submitted on or before the deadline), ``"late"`` (submitted after it),
        ``"missing"`` (not submitted and the deadline has passed, i.e. ``today > deadline``) or
        ``"pending"`` (not submitted and the deadline is today or later).

    Raises:
        ValueError: when ``period`` is not ``'YYYY-MM'`` or ``deadline_day`` is not 1..31.
    """
    deadline = report_deadline(period, deadline_day=deadline_day)
    if submitted_at is None:
        return MISSING if _as_date(today) > deadline else PENDING
    return LATE if _as_date(submitted_at) > deadline else ON_TIME


def _valid_date(year: int, month: int, day: int) -> date | None:
    try:
        return date(year, month, day)
    except ValueError:
        return None


def coerce_date(value: object) -> date | None:
    """Read a day as typed in a form, a CSV cell or an Excel cell.

    Accepts ``date`` and ``datetime`` objects (the time is dropped) and the strings
    ``'2020-03-15'``, ``'2020/3/15'``, ``'2020.3.15'``, ``'2020-03-15 00:00:00'`` and
    ``'2020年3月15日'``; full-width digits are read as ASCII digits.

    Returns:
        The date, or ``None`` when ``value`` is none of the above or not a real calendar day.
    """
    if isinstance(value, date):
        return _as_date(value)
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    m = _DATE_RE.match(text) or _CHINESE_DATE_RE.match(text)
    if not m:
        return None
    return _valid_date(int(m.group(1)), int(m.group(2)), int(m.group(3)))


def coerce_period(value: object) -> str | None:
    """Read a period as typed in a form, a CSV cell or an Excel cell, normalised to ``'YYYY-MM'``.

    Accepts ``'2020-03'``, ``'2020/03'``, ``'2020-3'``, ``'2020.03'`` (two-digit month only),
    ``'202003'`` (also as the integer ``202003``), ``'2020年3月'``, a ``date``/``datetime`` object
    and any day string that :func:`coerce_date` reads (its year and month are taken, as for a
    date object, because spreadsheets turn a typed ``2020-03`` into the day 2020-03-01).

    Floats are refused: the spreadsheet number ``2020.1`` may have been typed as ``2020.10``.

    Returns:
        ``'YYYY-MM'``, or ``None`` when ``value`` is not a period (month outside 1..12, year 0000,
        or unreadable).
    """
    if isinstance(value, date):
        return period_of(value)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    text = unicodedata.normalize("NFKC", value).strip()
    m = (
        _YEAR_MONTH_RE.match(text)
        or _DOTTED_YEAR_MONTH_RE.match(text)
        or _COMPACT_RE.match(text)
        or _CHINESE_YEAR_MONTH_RE.match(text)
    )
    if m:
        year, month = int(m.group(1)), int(m.group(2))
        if year >= 1 and 1 <= month <= 12:
            return f"{year:04d}-{month:02d}"
        return None
    day = coerce_date(text)
    return None if day is None else period_of(day)
