"""Statistical change detection per series (DESIGN §7, source (b)).

Monthly trade has a strong season (Chinese New Year, Christmas orders), so a series is first made seasonally
comparable with :func:`seasonal_changes`: ``c_t = ln(x_t / x_{t−s})``, the log ratio to the same month a year
earlier (``s = 12``). A log ratio of −0.405 is a fall of a third (``ln(2/3)``); it is symmetric (a halving and a
doubling are −0.693 and +0.693) and adds up over time.

Two control charts then watch such a series. Both estimate the in-control mean ``μ`` and standard deviation
``σ`` (sample, ``n − 1``) from the first ``warmup`` known values (the warm-up, Phase I in the textbooks) and
signal from the next value on (Phase II):

* :func:`ewma_chart`, the exponentially weighted moving average ``z_t = λ·x_t + (1 − λ)·z_{t−1}`` with
  ``z_0 = μ``, against the exact time-varying limits ``μ ± L·σ·sqrt(λ/(2 − λ)·(1 − (1 − λ)^(2t)))``;
  ``λ = 0.3, L = 3`` catch a shift of two σ within a few points and rarely signal by chance;
* :func:`cusum_chart`, the two-sided tabular CUSUM on ``u_t = (x_t − μ)/σ``:
  ``S⁺_t = max(0, S⁺_{t−1} + u_t − k)``, ``S⁻_t = max(0, S⁻_{t−1} − u_t − k)``, signalling when a sum exceeds
  ``h``; ``k = 0.5, h = 4`` are the usual choice for detecting a shift of one σ (in-control average run length
  about 170 points).

:func:`robust_z` compares one value with its peers (the same indicator of similar enterprises) by median and
MAD, which a few extreme peers cannot drag.

A missing value (``None``) is a month without a figure: the charts carry their statistic forward without a
signal. Values must be finite; NaN or infinity is a caller's mistake and raises.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass

from exportwatch.core.indicators import to_float

UP, DOWN = "up", "down"

SIGMA_FLOOR = 1e-6
"""Smallest σ used by the charts, in the unit of the values. A warm-up with no variation (a series reported
flat, or seasonal log ratios all 0) has ``σ = 0``; flooring it avoids a division by zero and makes any later
departure of more than a few millionths signal, which is what a perfectly flat history deserves."""

MAD_SCALE = 1.4826
"""``1/Φ⁻¹(3/4)``: ``1.4826·MAD`` estimates σ for normally distributed values."""


@dataclass(frozen=True, slots=True)
class ChartPoint:
    """One point of a control chart.

    Attributes:
        index: Position in the input series.
        value: The input value, ``None`` when missing.
        statistic: EWMA: ``z_t`` in the values' unit. CUSUM: the larger of the two sums, signed (``S⁺`` when
            ``S⁺ >= S⁻``, else ``−S⁻``), in σ units, before any reset. ``None`` during the warm-up.
        lower: EWMA: the lower control limit. CUSUM: ``−h``. ``None`` during the warm-up.
        upper: EWMA: the upper control limit. CUSUM: ``h``. ``None`` during the warm-up.
        signal: ``"down"`` below the lower limit, ``"up"`` above the upper limit, else ``None``.
        warm_up: ``True`` for the points used to estimate ``μ`` and ``σ`` (and the missing ones among or
            before them), and for every point when the series is too short to finish the warm-up.
    """

    index: int
    value: float | None
    statistic: float | None
    lower: float | None
    upper: float | None
    signal: str | None
    warm_up: bool


# --- Seasonal comparison ---------------------------------------------------------------------


def seasonal_changes(values: Sequence[float | None], *, season: int = 12) -> list[float | None]:
    """Log ratio of each value to the value ``season`` steps earlier: ``ln(x_t / x_{t−season})``.

    Args:
        values: A regular series, oldest first (e.g. monthly exports, USD); ``None`` where missing.
        season: The seasonal period in steps (12 for monthly data).

    Returns:
        One entry per value; ``None`` for the first ``season`` entries and wherever either value is missing or
        not positive (a log ratio needs two positive amounts).

    Raises:
        ValueError: when ``season`` is below 1 or a value is NaN or infinite.
    """
    if season < 1:
        raise ValueError(f"season must be at least 1: {season}")
    known = [None if v is None else to_float(v) for v in values]
    changes: list[float | None] = []
    for t, current in enumerate(known):
        earlier = known[t - season] if t >= season else None
        if current is None or earlier is None or current <= 0 or earlier <= 0:
            changes.append(None)
        else:
            changes.append(math.log(current / earlier))
    return changes


# --- Control charts --------------------------------------------------------------------------


def ewma_chart(
    values: Sequence[float | None], *, lam: float = 0.3, width: float = 3.0, warmup: int = 12
) -> list[ChartPoint]:
    """EWMA control chart (see the module docstring for the formulas).

    Args:
        values: The series, oldest first (usually :func:`seasonal_changes`); ``None`` where missing.
        lam: The smoothing weight ``λ``, ``0 < λ <= 1`` (1 is a Shewhart chart of single values).
        width: ``L``, the half-width of the limits in asymptotic standard deviations of ``z``.
        warmup: How many known values estimate ``μ`` and ``σ`` (at least 2).

    Returns:
        One point per value. A missing value after the warm-up repeats the last ``z`` and limits, without a
        signal (before the first known value after the warm-up, ``z = μ`` and both limits are ``μ``); ``t``
        counts the known values after the warm-up.

    Raises:
        ValueError: on a parameter out of range, or a value that is NaN or infinite.
    """
    if not 0 < lam <= 1:
        raise ValueError(f"lam must be in (0, 1]: {lam}")
    if width <= 0:
        raise ValueError(f"width must be positive: {width}")
    known, start, mu, sigma = _warm_up(values, warmup)
    points = _warm_up_points(known, start)
    z, t = mu, 0
    for index in range(start, len(known)):
        value = known[index]
        if value is not None:
            z = lam * value + (1 - lam) * z
            t += 1
        spread = width * sigma * math.sqrt(lam / (2 - lam) * (1 - (1 - lam) ** (2 * t)))
        lower, upper = mu - spread, mu + spread
        signal = None if value is None else DOWN if z < lower else UP if z > upper else None
        points.append(ChartPoint(index, value, z, lower, upper, signal, warm_up=False))
    return points


def cusum_chart(
    values: Sequence[float | None], *, k: float = 0.5, h: float = 4.0, warmup: int = 12
) -> list[ChartPoint]:
    """Two-sided tabular CUSUM (see the module docstring for the formulas).

    When a sum exceeds ``h`` (strictly), the point signals (``"up"`` for ``S⁺``, ``"down"`` for ``S⁻``) and that
    sum restarts from 0, so a lasting shift signals again every few points.

    Args:
        values: The series, oldest first (usually :func:`seasonal_changes`); ``None`` where missing.
        k: The allowance (reference value), in σ units: half the shift to detect.
        h: The decision interval, in σ units.
        warmup: How many known values estimate ``μ`` and ``σ`` (at least 2).

    Returns:
        One point per value; ``statistic`` is in σ units. A missing value after the warm-up keeps both sums,
        without a signal.

    Raises:
        ValueError: on a parameter out of range, or a value that is NaN or infinite.
    """
    if k < 0:
        raise ValueError(f"k must not be negative: {k}")
    if h <= 0:
        raise ValueError(f"h must be positive: {h}")
    known, start, mu, sigma = _warm_up(values, warmup)
    points = _warm_up_points(known, start)
    high = low = 0.0
    for index in range(start, len(known)):
        value = known[index]
        signal = None
        if value is not None:
            u = (value - mu) / sigma
            high = max(0.0, high + u - k)
            low = max(0.0, low - u - k)
        statistic = high if high >= low else -low
        if low > h:
            signal, low = DOWN, 0.0
        elif high > h:
            signal, high = UP, 0.0
        points.append(ChartPoint(index, value, statistic, -h, h, signal, warm_up=False))
    return points


# --- Peers -----------------------------------------------------------------------------------


def robust_z(value: float, peers: Sequence[float], *, min_peers: int = 5) -> float | None:
    """Robust z-score of a value among its peers: ``(value − median) / (1.4826·MAD)``, with
    ``MAD = median(|p − median|)``.

    Args:
        value: The value to judge (e.g. one enterprise's seasonal change of new orders).
        peers: The same indicator of comparable units; normally without ``value`` itself.
        min_peers: Fewest peers for a score (at least 1).

    Returns:
        The score, in robust standard deviations (−3 is far below the peers); ``None`` with fewer than
        ``min_peers`` peers, or when ``MAD`` is 0. A zero MAD means more than half the peers share one value
        (often 0, "no change"), so there is no spread to measure against: returning ``None`` rather than an
        infinite score keeps every unit that merely differs from that majority from being flagged.

    Raises:
        ValueError: when ``min_peers`` is below 1 or a value is NaN or infinite.
    """
    if min_peers < 1:
        raise ValueError(f"min_peers must be at least 1: {min_peers}")
    if len(peers) < min_peers:
        return None
    numbers = [to_float(p) for p in peers]
    centre = statistics.median(numbers)
    mad = statistics.median(abs(p - centre) for p in numbers)
    if mad == 0:
        return None
    return (to_float(value) - centre) / (MAD_SCALE * mad)


# --- Private ---------------------------------------------------------------------------------


def _warm_up(values: Sequence[float | None], warmup: int) -> tuple[list[float | None], int, float, float]:
    """The values as floats, the index after the warm-up (``len(values)`` when it does not finish), ``μ`` and
    ``σ`` (floored at ``SIGMA_FLOOR``)."""
    if warmup < 2:
        raise ValueError(f"warmup must be at least 2 values: {warmup}")
    known = [None if v is None else to_float(v) for v in values]
    sample: list[float] = []
    for index, value in enumerate(known):
        if value is not None:
            sample.append(value)
            if len(sample) == warmup:
                return known, index + 1, *_mean_and_sd(sample)
    return known, len(known), 0.0, SIGMA_FLOOR


def _mean_and_sd(sample: list[float]) -> tuple[float, float]:
    """Mean and sample standard deviation (``n − 1``), the latter floored at ``SIGMA_FLOOR``; in floats with
    ``math.fsum`` (``statistics.stdev`` computes in fractions: a province charts thousands of series a month)."""
    mean = math.fsum(sample) / len(sample)
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in sample) / (len(sample) - 1))
    return mean, max(sd, SIGMA_FLOOR)


def _warm_up_points(known: list[float | None], start: int) -> list[ChartPoint]:
    return [ChartPoint(i, known[i], None, None, None, None, warm_up=True) for i in range(start)]
