"""A complete panel: a series' monthly totals with the months its enterprises skipped estimated.

The aggregates sum whoever reported each month, so an enterprise that skips a month takes its exports out of that
month's total, and a forecaster reads the hole as a fall (about 2 % of the demo district's exports a month, and up to
a tenth of the reporters at the forecast origin, whose reports may still be coming in). Here each month an enterprise
skipped is carried from its latest reported month before it (its *source*): its figure there times the growth of its
series between the two months, measured on the series' other enterprises (ratio imputation: the enterprise is
assumed to move with the rest of its series).

Which months are filled (:func:`fill_pairs` for many enterprises at once, :func:`fill_sources` for one): every month
of a gap (the enterprise reported before and after it), and at the end of the window the months at most
:data:`TRAILING_MONTHS` after its latest report (late, or still coming in). Months before an enterprise's first
report in the window are not filled (it was new, or not yet monitored), nor months after a longer silence at the end
(it may have stopped).

The growth from the source month ``k`` to the month ``m`` (:func:`complete`) is the series' total at ``m`` over its
total at ``k`` without the enterprises missing at ``m`` (their figures at their sources): the same enterprises on
both sides, up to those who reported at ``m`` but not at ``k``, which random absences balance. When the enterprises
left at ``k`` hold less than :data:`THIN_BASE` of the series' total there (a series of a few enterprises, most of
them absent), the series says too little about its own growth and the ``fallback`` growth is used (the
jurisdiction's); without one, the figure is carried unchanged.

Where another source knows a skipped month's figure itself (the exports customs recorded for the enterprise that
month), the month takes that figure instead of the carried one (:attr:`Fill.known`); the enterprise still counts
among the absent in the growth of the others.

Everything here is arithmetic on month indices and floats: no database, no clock.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

import numpy as np

TRAILING_MONTHS = 3
"""How many months after an enterprise's latest report are still filled at the end of the window: a report that is
late or still coming in (the forecast origin waits for 90 % of the reporters, not all), not an enterprise that has
stopped reporting."""

THIN_BASE = 0.5
"""The share of a series' total at the source month that the enterprises still reporting at the filled month must
hold for the series' own growth to be used."""

Growth = Callable[[int, int], float | None]
"""The growth of a series from month ``k`` to month ``m`` (``growth(k, m)``), or None where it says nothing."""


@dataclass(frozen=True)
class Fill:
    """A figure to carry into a month an enterprise skipped: ``value``, its figure in the series at ``source`` (its
    latest reported month before ``month``), or the sum of several enterprises' with the same two months (the
    arithmetic is the same); months are indices into the series. ``known``: the month's figure from another
    source (customs), taken as it is instead of the carried one; ``value`` then only counts the enterprises among
    the absent when the growth of the others is measured."""

    month: int
    source: int
    value: float
    known: float | None = None


def fill_pairs(
    enterprises: Sequence[int] | np.ndarray,
    months: Sequence[int] | np.ndarray,
    *,
    last: int,
    trailing: int = TRAILING_MONTHS,
) -> tuple[np.ndarray, np.ndarray]:
    """The months to fill of many enterprises at once, each with the report it is carried from.

    Args:
        enterprises: For each report, its enterprise (any integer id).
        months: For each report, the index of its month (reports after ``last`` are ignored; one report per
            enterprise and month).
        last: The index of the window's last month.
        trailing: How many months after an enterprise's latest report are filled at the end.

    Returns:
        Two arrays of the same length, one entry per month to fill: the position (in the arguments) of the report it
        is carried from, and the month. Every month of a gap between two reports of an enterprise, and up to
        ``trailing`` months after its latest report (not beyond ``last``).
    """
    ent = np.asarray(enterprises, dtype=np.int64)
    mon = np.asarray(months, dtype=np.int64)
    keep = np.flatnonzero(mon <= last)
    if len(keep) == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    order = keep[np.lexsort((mon[keep], ent[keep]))]
    e, m = ent[order], mon[order]
    same = np.append(e[1:] == e[:-1], False)  # the next report is the same enterprise's
    following = np.append(m[1:], 0)
    end = np.where(same, following - 1, np.minimum(last, m + trailing))
    count = np.maximum(end - m, 0)
    total = int(count.sum())
    starts = np.repeat(np.cumsum(count) - count, count)
    filled = np.repeat(m, count) + (np.arange(total) - starts) + 1
    return np.repeat(order, count), filled


def fill_sources(reported: Iterable[int], *, last: int, trailing: int = TRAILING_MONTHS) -> list[tuple[int, int]]:
    """The months up to ``last`` that one enterprise skipped and that are filled, each with its source month
    (:func:`fill_pairs` for one enterprise).

    Args:
        reported: The indices of the months it reported (any order).
        last: The index of the window's last month.
        trailing: How many months after its latest report are filled at the end.

    Returns:
        ``(month, source)`` pairs in month order: every month of a gap between two reports, and up to ``trailing``
        months after the latest report (not beyond ``last``).
    """
    months = np.array(sorted(set(reported)), dtype=np.int64)
    rows, filled = fill_pairs(np.zeros(len(months), dtype=np.int64), months, last=last, trailing=trailing)
    return [(int(f), int(months[r])) for r, f in zip(rows, filled, strict=True)]


def _growths(totals: np.ndarray, fills: Sequence[Fill]) -> dict[tuple[int, int], float | None]:
    """The series' own growth for each (source, month) pair of ``fills`` (see the module docstring); None where its
    base is thin or a total is missing."""
    by_month: dict[int, list[Fill]] = defaultdict(list)
    for f in fills:
        by_month[f.month].append(f)
    found: dict[tuple[int, int], float | None] = {}
    for m, here in by_month.items():
        for k in {f.source for f in here}:
            before, now = float(totals[k]), float(totals[m])
            # Every enterprise absent at m that still reported at k or later, at its source figure.
            absent = sum(f.value for f in here if f.source >= k)
            base = before - absent
            usable = math.isfinite(before) and math.isfinite(now) and before > 0 and base >= THIN_BASE * before
            found[(k, m)] = now / base if usable else None
    return found


def growth_of(totals: Sequence[float], fills: Sequence[Fill]) -> Growth:
    """The series' own growth between the months of ``fills`` as a function (the fallback of smaller series)."""
    found = _growths(np.asarray(totals, dtype=float), fills)
    return lambda k, m: found.get((k, m))


def complete(
    totals: Sequence[float], fills: Sequence[Fill], *, fallback: Growth | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """A series' totals with the skipped months of its enterprises filled.

    Args:
        totals: The reported total of each month (NaN for a month without any report: left NaN).
        fills: The enterprises' figures to carry (:class:`Fill`), each month an enterprise skipped.
        fallback: The growth to use where the series' own says nothing (its base is thin); None: carry unchanged.

    Returns:
        The completed totals and the filled part of each month (0 where nothing was filled), figures from another
        source (:attr:`Fill.known`) included.
    """
    reported = np.asarray(totals, dtype=float)
    filled = np.zeros(len(reported))
    growths = _growths(reported, fills)
    for f in fills:
        if not 0 <= f.month < len(reported) or not math.isfinite(reported[f.month]):
            continue
        if f.known is not None:
            filled[f.month] += f.known
            continue
        if not f.value:
            continue
        g = growths.get((f.source, f.month))
        if g is None and fallback is not None:
            g = fallback(f.source, f.month)
        filled[f.month] += f.value * (1.0 if g is None else g)
    return reported + filled, filled
