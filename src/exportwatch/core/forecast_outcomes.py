"""A stored forecast against what happened: each forecast month whose exports have since been reported, and the
months taken together.

A forecast made from origin ``P`` saw the data up to ``P`` only, so once later months are reported it can be
checked as a reader of the forecast would: was each month inside its 80 % / 95 % interval, and by how much did
the exports differ from the forecast mean. Taken together the months give

* the share inside each interval (an 80 % interval that holds far fewer than 8 months in 10 was too narrow);
* the weighted absolute percentage error ``WAPE = Σ |actual − mean| / Σ |actual|`` (the months weigh by their size,
  so a small month's miss does not dominate; defined when the actuals are not all zero);
* the bias ``Σ actual / Σ mean − 1`` (positive: the exports came in above the forecast).

A single origin gives at most six months, so these describe one forecast, not the model's record: the record is
the rolling-origin backtest (``core.forecasting.backtest``).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class MonthOutcome:
    """One forecast month against its reported exports (USD). ``error`` is ``actual / mean − 1``, None when the
    mean is 0; a bound that is None holds nothing."""

    mean: float
    actual: float
    error: float | None
    inside80: bool
    inside95: bool


def _inside(low: float | None, high: float | None, value: float) -> bool:
    return low is not None and high is not None and low <= value <= high


def month_outcome(
    *,
    mean: float,
    actual: float,
    lo80: float | None,
    hi80: float | None,
    lo95: float | None,
    hi95: float | None,
) -> MonthOutcome:
    """Compare one month's forecast (mean and bounds) with its reported exports."""
    return MonthOutcome(
        mean=mean,
        actual=actual,
        error=actual / mean - 1 if mean else None,
        inside80=_inside(lo80, hi80, actual),
        inside95=_inside(lo95, hi95, actual),
    )


@dataclass(frozen=True, slots=True)
class OutcomeSummary:
    """The months with a reported outcome taken together (see the module's docstring)."""

    months: int
    inside80: int
    inside95: int
    wape: float | None
    bias: float | None


def outcome_summary(outcomes: Sequence[MonthOutcome]) -> OutcomeSummary | None:
    """The months of ``outcomes`` together; None when there is none."""
    if not outcomes:
        return None
    actual = math.fsum(o.actual for o in outcomes)
    mean = math.fsum(o.mean for o in outcomes)
    scale = math.fsum(abs(o.actual) for o in outcomes)
    return OutcomeSummary(
        months=len(outcomes),
        inside80=sum(o.inside80 for o in outcomes),
        inside95=sum(o.inside95 for o in outcomes),
        wape=math.fsum(abs(o.actual - o.mean) for o in outcomes) / scale if scale else None,
        bias=actual / mean - 1 if mean else None,
    )
