"""Levels, changes and order-book health (DESIGN §6), on plain numbers and monthly series.

Conventions shared by the indicator modules (``indicators``, ``difficulties``, ``sentiment``,
``concentration``, ``reporting_rates``):

* Amounts are USD and may be given as ``int``, ``float`` or ``Decimal`` (:data:`Number`); every result is a
  ``float``. Sums use :func:`math.fsum`, so they do not depend on the order of the rows.
* A **fraction** is a ratio such as ``0.25``; a **percent** is the same ratio times 100. Each function says
  which one it returns.
* An indicator that is not defined (a zero or missing denominator, no data) is ``None``: never a
  ``ZeroDivisionError``, never NaN. A missing input (``None``) makes the result ``None``.
* A non-finite input (NaN, infinity) or a value that is not a number is a caller's mistake and raises.
* A monthly series is a ``Mapping`` from period ``'YYYY-MM'`` to an amount; a month that is absent or ``None``
  has no figure.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from decimal import Decimal
from typing import Any, TypeVar, overload

from exportwatch.core.periods import period_add, period_range, year_month

Number = int | float | Decimal
"""An amount or a weight as it comes: a Python number or a ``Decimal`` read from the database."""

R = TypeVar("R")
K = TypeVar("K")
T = TypeVar("T")

JAN_FEB_SUFFIX = "-01+02"
"""Label suffix of a merged January + February point: ``'2020-01+02'`` (see :func:`merge_jan_feb`)."""

_JAN_FEB_RE = re.compile(r"^(\d{4})-01\+02$")

COVERAGE_WINDOW = 3  # months of exports averaged by coverage_months


# --- Helpers ---------------------------------------------------------------------------------


def to_float(value: Number) -> float:
    """An amount as a finite ``float``.

    Raises:
        TypeError: when ``value`` is not an ``int``, ``float`` or ``Decimal`` (e.g. the text ``'12'``).
        ValueError: when ``value`` is NaN or infinite.
    """
    if type(value) is float:  # the common case, checked first: a province evaluates millions of figures
        if math.isfinite(value):
            return value
        raise ValueError(f"not a finite number: {value!r}")
    if not isinstance(value, int | float | Decimal):
        raise TypeError(f"not a number: {value!r}")
    result = float(value)
    if not math.isfinite(result):
        raise ValueError(f"not a finite number: {value!r}")
    return result


def ratio(numerator: Number | None, denominator: Number | None) -> float | None:
    """``numerator / denominator`` as a float (the unit is whatever the caller's quotient means).

    Returns:
        The quotient; ``None`` when either argument is ``None`` or the denominator is 0.
    """
    if numerator is None or denominator is None:
        return None
    den = to_float(denominator)
    if den == 0:
        return None
    return to_float(numerator) / den


@overload
def getter(spec: str) -> Callable[[Any], Any]: ...


@overload
def getter(spec: Callable[[R], T]) -> Callable[[R], T]: ...


def getter(spec: str | Callable[[Any], Any]) -> Callable[[Any], Any]:
    """A function that reads one field of a row.

    Args:
        spec: A callable, returned unchanged, or a field name: read as ``row[name]`` from a ``Mapping`` and
            as ``getattr(row, name)`` from anything else (a dataclass, a named tuple, an ORM row).
    """
    if callable(spec):
        return spec
    name = spec

    def read(row: Any) -> Any:
        return row[name] if isinstance(row, Mapping) else getattr(row, name)

    return read


def total(values: Iterable[Number | None]) -> float:
    """The sum of the amounts, ``None`` entries left out; 0.0 for no amounts (USD or the input's unit)."""
    return math.fsum(to_float(v) for v in values if v is not None)


# --- Levels ----------------------------------------------------------------------------------


@overload
def sum_by(rows: Iterable[R], *, key: Callable[[R], K], value: str | Callable[[R], Any]) -> dict[K, float]: ...


@overload
def sum_by(rows: Iterable[Any], *, key: str, value: str | Callable[[Any], Any]) -> dict[Any, float]: ...


def sum_by(
    rows: Iterable[Any], *, key: str | Callable[[Any], Any], value: str | Callable[[Any], Any]
) -> dict[Any, float]:
    """Sum an amount by any dimension: ``{k: Σ value(row) for rows with key(row) == k}``.

    Args:
        rows: Any rows (dataclasses, mappings, ORM rows).
        key: The dimension, as a field name or a callable (a tuple key gives a cross-tabulation,
            e.g. ``lambda r: (r.town, r.market)``).
        value: The amount (``Number`` or ``None``), as a field name or a callable.

    Returns:
        The sums (float, in the amount's unit), keys in order of first appearance. A row whose amount is
        ``None`` adds nothing, and a key seen only on such rows is left out. Empty rows give ``{}``.
    """
    key_of, value_of = getter(key), getter(value)
    groups: dict[Any, list[float]] = {}
    for row in rows:
        amount = value_of(row)
        if amount is not None:
            groups.setdefault(key_of(row), []).append(to_float(amount))
    return {k: math.fsum(amounts) for k, amounts in groups.items()}


def window(series: Mapping[str, Number | None], end: str, months: int) -> list[float | None]:
    """The amounts of the ``months`` periods ending with ``end`` (included), oldest first.

    Returns:
        ``months`` entries, ``None`` for a period without a figure; ``[]`` when ``months`` is 0.

    Raises:
        ValueError: when ``end`` is not ``'YYYY-MM'`` or ``months`` is negative.
    """
    if months < 0:
        raise ValueError(f"months must not be negative: {months}")
    if months == 0:
        return []
    return [_value(series, p) for p in period_range(period_add(end, 1 - months), end)]


# --- Changes ---------------------------------------------------------------------------------


def growth(current: Number | None, previous: Number | None) -> float | None:
    """Relative change ``(current − previous) / previous``, a fraction (0.25 = +25 %, −1.0 = fell to zero).

    Returns:
        The change; ``None`` when either figure is ``None`` or ``previous`` is 0.
    """
    if current is None or previous is None:
        return None
    prev = to_float(previous)
    if prev == 0:
        return None
    return (to_float(current) - prev) / prev


def growth_of_sums(current: Sequence[Number | None], previous: Sequence[Number | None]) -> float | None:
    """:func:`growth` of the sum of ``current`` against the sum of ``previous`` (e.g. three months of new orders
    against the same three a year before), a fraction.

    Returns:
        The growth; ``None`` when any figure is ``None`` (a month not reported makes the sums incomparable) or
        the previous sum is 0.
    """
    if any(v is None for v in current) or any(v is None for v in previous):
        return None
    return growth(math.fsum(to_float(v) for v in current if v is not None),
                  math.fsum(to_float(v) for v in previous if v is not None))  # fmt: skip


def yoy(series: Mapping[str, Number | None], period: str) -> float | None:
    """Year-on-year growth of a monthly series: :func:`growth` of ``period`` against the same month a year
    earlier, a fraction.

    ``period`` may also be a merged Jan+Feb label ``'YYYY-01+02'`` of a series made by :func:`merge_jan_feb`,
    compared with ``'(YYYY−1)-01+02'``.

    Returns:
        The growth; ``None`` when either month has no figure or the earlier one is 0.

    Raises:
        ValueError: when ``period`` is neither ``'YYYY-MM'`` nor ``'YYYY-01+02'``.
    """
    merged = _JAN_FEB_RE.match(period)
    year_ago = jan_feb_label(int(merged.group(1)) - 1) if merged else period_add(period, -12)
    return growth(series.get(period), series.get(year_ago))


def mom(series: Mapping[str, Number | None], period: str) -> float | None:
    """Month-on-month growth of a monthly series: :func:`growth` of ``period`` against the month before,
    a fraction. Meant for unmerged series (in a merged one, March has no February to compare with).

    Returns:
        The growth; ``None`` when either month has no figure or the earlier one is 0.

    Raises:
        ValueError: when ``period`` is not ``'YYYY-MM'``.
    """
    return growth(series.get(period), series.get(period_add(period, -1)))


# --- Chinese New Year: January and February combined -----------------------------------------


def jan_feb_label(year: int) -> str:
    """The label of the merged January + February point of ``year``: ``jan_feb_label(2020)`` -> ``'2020-01+02'``.

    The label sorts after ``'YYYY-01'`` and before ``'YYYY-03'``, so a merged series still sorts in time order.
    """
    return f"{year:04d}{JAN_FEB_SUFFIX}"


def jan_feb_total(series: Mapping[str, Number | None], year: int) -> float | None:
    """January + February of ``year`` (USD, or the series' unit).

    Returns:
        The sum; ``None`` when either month has no figure (half of the holiday season is not comparable).
    """
    jan = _value(series, f"{year:04d}-01")
    feb = _value(series, f"{year:04d}-02")
    if jan is None or feb is None:
        return None
    return jan + feb


def yoy_jan_feb(series: Mapping[str, Number | None], year: int) -> float | None:
    """Year-on-year growth of January + February combined, a fraction.

    Chinese New Year falls in January or February, so comparing either month alone with a year earlier
    measures the holiday's date more than the trade: ``growth(JanFeb(year), JanFeb(year − 1))``.

    Returns:
        The growth; ``None`` when any of the four months has no figure or last year's sum is 0.
    """
    return growth(jan_feb_total(series, year), jan_feb_total(series, year - 1))


def merge_jan_feb(series: Mapping[str, Number | None]) -> dict[str, float | None]:
    """The series with each year's January and February replaced by one point labelled ``'YYYY-01+02'``.

    The merged point is ``Jan + Feb`` (see :func:`jan_feb_total`), or ``None`` when only one of the two months
    has a figure; a year with neither month has no merged point. Other months are kept as they are (as floats).
    :func:`yoy` accepts the merged labels.

    Returns:
        A new series sorted by label, which is time order.

    Raises:
        ValueError: when a key is not ``'YYYY-MM'``.
    """
    merged: dict[str, float | None] = {}
    for period in series:
        year, month = year_month(period)
        if month in (1, 2):
            merged[jan_feb_label(year)] = jan_feb_total(series, year)
        else:
            merged[period] = _value(series, period)
    return dict(sorted(merged.items()))


# --- Year to date ----------------------------------------------------------------------------


def ytd_total(series: Mapping[str, Number | None], period: str) -> float | None:
    """Year-to-date sum: January of ``period``'s year through ``period``, both included (USD, or the series'
    unit).

    Returns:
        The sum; ``None`` when any of those months has no figure (a partial sum would understate the year).

    Raises:
        ValueError: when ``period`` is not ``'YYYY-MM'``.
    """
    values = window(series, period, year_month(period)[1])
    if any(v is None for v in values):
        return None
    return math.fsum(v for v in values if v is not None)


def ytd_growth(series: Mapping[str, Number | None], period: str) -> float | None:
    """Year-to-date growth, a fraction: ``growth(ytd_total(period), ytd_total(same month a year earlier))``.

    Returns:
        The growth; ``None`` when either year-to-date sum is ``None`` or last year's is 0.

    Raises:
        ValueError: when ``period`` is not ``'YYYY-MM'``.
    """
    return growth(ytd_total(series, period), ytd_total(series, period_add(period, -12)))


# --- Order-book health -----------------------------------------------------------------------


def coverage_months(backlog: Number | None, last_exports: Sequence[Number | None]) -> float | None:
    """How many months of exports the orders in hand cover: ``backlog / mean(exports of the last 3 months)``.

    Args:
        backlog: Orders in hand not yet shipped at the end of the latest month (USD).
        last_exports: Monthly exports (USD), oldest first, ending with the latest month (see :func:`window`).
            Only the last three entries are used; ``None`` entries (months without a figure) are left out of
            the mean.

    Returns:
        Months (e.g. 2.5); ``None`` when ``backlog`` is ``None``, no month has a figure, or the mean is 0.
    """
    if backlog is None:
        return None
    known = [to_float(v) for v in last_exports[-COVERAGE_WINDOW:] if v is not None]
    if not known:
        return None
    return ratio(backlog, math.fsum(known) / len(known))


def book_to_bill(new_orders: Number | None, exports: Number | None) -> float | None:
    """Book-to-bill ratio ``new_orders / exports`` of the same period (a plain ratio; above 1 the book grows).

    Returns:
        The ratio; ``None`` when either figure is ``None`` or exports are 0.
    """
    return ratio(new_orders, exports)


def short_order_share(backlog_due_3m: Number | None, backlog: Number | None) -> float | None:
    """Share of the order book due to ship within 3 months: ``backlog_due_3m / backlog``, a fraction 0..1.

    Returns:
        The share; ``None`` when either figure is ``None`` or the backlog is 0.
    """
    return ratio(backlog_due_3m, backlog)


def cancellation_rate(
    cancelled: Number | None, previous_backlog: Number | None, new_orders: Number | None
) -> float | None:
    """Share of the orders that could have shipped which were cancelled:
    ``cancelled / (previous_backlog + new_orders)``, a fraction.

    Args:
        cancelled: Amount cancelled during the period (USD), e.g. the ``order_cancelled`` disruptions.
        previous_backlog: Orders in hand at the end of the previous period (USD).
        new_orders: New orders signed during the period (USD).

    Returns:
        The rate; ``None`` when any figure is ``None`` or the denominator is 0.
    """
    if previous_backlog is None or new_orders is None:
        return None
    return ratio(cancelled, to_float(previous_backlog) + to_float(new_orders))


# --- Private ---------------------------------------------------------------------------------


def _value(series: Mapping[str, Number | None], period: str) -> float | None:
    value = series.get(period)
    return None if value is None else to_float(value)
