"""Annual export target tracking (稳外贸基本盘): the year-to-date actuals plus the forecast for the rest of the year
against the target, and the probability of reaching it.

The year's exports are ``Y = A + Σ_m F_m``: ``A`` the actuals of the months up to the origin, ``F_m`` the forecast
of each remaining month. Each month's forecast is taken as normal, its standard deviation read off its 80 %
interval, ``σ_m = (hi80_m − lo80_m) / (2 · 1.2816)`` (the 95 % interval when the 80 % one is missing:
``/ (2 · 1.9600)``). The errors of the months of one path are strongly correlated (a shock that makes April
short makes May short too), so the standard deviation of the sum is taken as ``Σ σ_m`` (full correlation), the
conservative end: independence (``√Σ σ_m²``) would overstate how sure the forecast is. Then
``P(Y ≥ T) = 1 − Φ((T − A − Σ mean_m) / Σ σ_m)``. Months after December of the origin's year are not counted;
remaining months without a forecast make the result unknown (``None``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Z80 = 1.2815515655446004  # the standard normal's 90th percentile: an 80 % interval is mean ± Z80 σ
Z95 = 1.959963984540054


@dataclass(frozen=True, slots=True)
class MonthForecast:
    """One remaining month: the forecast mean and its intervals (USD)."""

    mean: float
    lo80: float | None = None
    hi80: float | None = None
    lo95: float | None = None
    hi95: float | None = None


@dataclass(frozen=True, slots=True)
class TargetTrack:
    """Where the year is heading against its target.

    Attributes:
        target: The year's target (USD).
        year_to_date: The actuals of the months up to the origin (USD).
        rest_forecast: The forecast sum of the remaining months (USD).
        expected: ``year_to_date + rest_forecast`` (USD).
        gap: ``(expected − target) / target`` (a fraction; −0.05 is 5 % short); ``None`` for a zero target.
        sd: The standard deviation of ``expected`` (USD; 0 when the year is complete).
        probability: ``P(year's exports ≥ target)`` under the normal approximation; ``None`` when unknown.
        months_left: The number of remaining months counted.
    """

    target: float
    year_to_date: float
    rest_forecast: float
    expected: float
    gap: float | None
    sd: float
    probability: float | None
    months_left: int


def month_sd(month: MonthForecast) -> float | None:
    """The standard deviation implied by a month's 80 % interval (else its 95 % one); ``None`` without either."""
    if month.lo80 is not None and month.hi80 is not None:
        return max(month.hi80 - month.lo80, 0.0) / (2 * Z80)
    if month.lo95 is not None and month.hi95 is not None:
        return max(month.hi95 - month.lo95, 0.0) / (2 * Z95)
    return None


def normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def target_track(*, target: float, year_to_date: float, remaining: Sequence[MonthForecast]) -> TargetTrack:
    """The year's expected exports against ``target``.

    Args:
        target: The annual target (USD, > 0 for a gap and a probability).
        year_to_date: The sum of the year's actual exports up to the origin (USD).
        remaining: The forecast of each month from the one after the origin to December, in order.

    Returns:
        A :class:`TargetTrack`; ``probability`` is 1 or 0 when nothing is uncertain (no months left, or zero-width
        intervals), ``None`` when a month has no interval.
    """
    rest = float(sum(m.mean for m in remaining))
    expected = year_to_date + rest
    sds = [month_sd(m) for m in remaining]
    gap = None if target == 0 else (expected - target) / target
    if any(s is None for s in sds):
        return TargetTrack(target, year_to_date, rest, expected, gap, math.nan, None, len(remaining))
    sd = float(sum(s for s in sds if s is not None))
    certain = 1.0 if expected >= target else 0.0
    probability = certain if sd <= 0 else 1.0 - normal_cdf((target - expected) / sd)
    return TargetTrack(target, year_to_date, rest, expected, gap, sd, probability, len(remaining))
