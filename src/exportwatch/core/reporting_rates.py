"""Reporting discipline: expected, actual and on-time reports, overall and by town or segment (DESIGN §6).

Every enterprise expected to report for a period has exactly one status from
:func:`exportwatch.core.periods.reporting_status`: ``on_time``, ``late``, ``missing`` or ``pending`` (not yet
submitted, deadline not yet passed). A report submitted on time or late counts as reported.

Before the deadline the rates are provisional: pending reports count as expected but not (yet) reported.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, overload

from exportwatch.core.indicators import getter, ratio
from exportwatch.core.periods import LATE, MISSING, ON_TIME, PENDING, REPORTING_STATUSES

K = TypeVar("K")
R = TypeVar("R")


@dataclass(frozen=True, slots=True)
class ExpectedReport:
    """One enterprise expected to report for a period, its status (``REPORTING_STATUSES``) and its groups."""

    uscc: str
    status: str
    town: str = ""
    segments: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ReportingRates:
    """Counts of expected reports by status, and the rates derived from them (fractions 0..1)."""

    on_time: int = 0
    late: int = 0
    missing: int = 0
    pending: int = 0

    @property
    def expected(self) -> int:
        """Enterprises expected to report: every status counted."""
        return self.on_time + self.late + self.missing + self.pending

    @property
    def reported(self) -> int:
        """Reports submitted, on time or late."""
        return self.on_time + self.late

    @property
    def reporting_rate(self) -> float | None:
        """``reported / expected``, a fraction; ``None`` when nothing is expected."""
        return ratio(self.reported, self.expected)

    @property
    def on_time_rate(self) -> float | None:
        """``on_time / expected``, a fraction (the bureau's on-time rate); ``None`` when nothing is expected."""
        return ratio(self.on_time, self.expected)

    @property
    def on_time_share_of_reported(self) -> float | None:
        """``on_time / reported``, a fraction (punctuality of those who reported); ``None`` when none reported."""
        return ratio(self.on_time, self.reported)


def reporting_rates(statuses: Iterable[str]) -> ReportingRates:
    """Count the statuses of the expected reports (one status per expected enterprise).

    Returns:
        The counts and rates; all counts 0 (and rates ``None``) for no statuses.

    Raises:
        ValueError: when a status is not one of ``REPORTING_STATUSES``.
    """
    counts = dict.fromkeys(REPORTING_STATUSES, 0)
    for status in statuses:
        if status not in counts:
            raise ValueError(f"unknown reporting status: {status!r}")
        counts[status] += 1
    return ReportingRates(on_time=counts[ON_TIME], late=counts[LATE], missing=counts[MISSING], pending=counts[PENDING])


@overload
def reporting_rates_by(
    rows: Iterable[R], *, key: Callable[[R], K], status: str | Callable[[R], Any] = "status"
) -> dict[K, ReportingRates]: ...


@overload
def reporting_rates_by(
    rows: Iterable[Any], *, key: str, status: str | Callable[[Any], Any] = "status"
) -> dict[Any, ReportingRates]: ...


def reporting_rates_by(
    rows: Iterable[Any], *, key: str | Callable[[Any], Any], status: str | Callable[[Any], Any] = "status"
) -> dict[Any, ReportingRates]:
    """:func:`reporting_rates` per group, each row in exactly one group (e.g. ``key="town"``).

    Args:
        rows: One row per expected enterprise, e.g. :class:`ExpectedReport`.
        key: The group, as a field name or a callable.
        status: The status, as a field name or a callable.

    Returns:
        The rates per group, in order of first appearance; ``{}`` for no rows.

    Raises:
        ValueError: when a status is not one of ``REPORTING_STATUSES``.
    """
    key_of = getter(key)
    return _rates_by(rows, groups=lambda row: (key_of(row),), status=status)


@overload
def reporting_rates_by_tags(
    rows: Iterable[R], *, tags: Callable[[R], Iterable[K]], status: str | Callable[[R], Any] = "status"
) -> dict[K, ReportingRates]: ...


@overload
def reporting_rates_by_tags(
    rows: Iterable[Any], *, tags: str, status: str | Callable[[Any], Any] = "status"
) -> dict[Any, ReportingRates]: ...


def reporting_rates_by_tags(
    rows: Iterable[Any], *, tags: str | Callable[[Any], Iterable[Any]], status: str | Callable[[Any], Any] = "status"
) -> dict[Any, ReportingRates]:
    """:func:`reporting_rates` per tag, a row counting in each of its tags (e.g. ``tags="segments"``: an
    enterprise that is both a Canton Fair exhibitor and a US exporter counts in both segments, one with no
    segment in none). A tag repeated on one row counts once.

    Args:
        rows: One row per expected enterprise, e.g. :class:`ExpectedReport`.
        tags: The tags of a row (an iterable), as a field name or a callable.
        status: The status, as a field name or a callable.

    Returns:
        The rates per tag, in order of first appearance; ``{}`` for no rows.

    Raises:
        ValueError: when a status is not one of ``REPORTING_STATUSES``.
    """
    return _rates_by(rows, groups=getter(tags), status=status)


def _rates_by(
    rows: Iterable[Any], *, groups: Callable[[Any], Iterable[Any]], status: str | Callable[[Any], Any]
) -> dict[Any, ReportingRates]:
    status_of = getter(status)
    statuses: dict[Any, list[str]] = {}
    for row in rows:
        for group in dict.fromkeys(groups(row)):
            statuses.setdefault(group, []).append(status_of(row))
    return {group: reporting_rates(found) for group, found in statuses.items()}
