"""Monthly export forecasts 1–6 months ahead with 80 % and 95 % intervals, their backtest and model choice.

Everything here works on plain arrays: no Django, no clock, no files. A series is a :class:`History` (monthly,
oldest first, no gaps; a month without a figure is NaN); a forecaster has the uniform ``fit(history)`` /
``predict(h)`` interface (:class:`Forecaster`) and returns a :class:`Forecast`; :data:`MODELS` names them.

**The models** (all on the series after the data preparation and the Chinese New Year adjustment below):

* ``seasonal_naive`` — the same month a year earlier. Intervals: normal, from the in-sample seasonal-naive
  residuals (their root mean square ``s``), widened with the number of years ahead: ``s * sqrt(k + 1)`` for a
  month ``k`` whole years after the first forecast year (Hyndman & Athanasopoulos, *FPP3* §5.5). With less than a
  year of history it is the naive forecast (the last month), ``s * sqrt(h)``.
* ``ets`` — exponential smoothing in the additive Holt–Winters form with an undamped trend (statsforecast
  ``AutoETS`` with the model fixed to ``AAA``, ``damped=False``; smoothing parameters by maximum likelihood).
  Intervals: the model's analytic normal intervals. The automatic choice over all forms costs about ten times as
  much (STACK.md; 62 s against 5.7 s for 1,000 series here), and letting it also try the damped trend doubles
  the cost without changing the demo's backtest (median MASE by horizon equal to two decimals for the district,
  its towns, industries and 472 enterprises); a damped trend alone does not extend a straight line.
* ``theta`` — the standard Theta method (statsforecast ``Theta``: classical multiplicative or additive
  deseasonalisation when a seasonality test finds it, simple exponential smoothing with drift). Intervals: the
  model's normal intervals.
* ``arima`` — the airline model ARIMA(0,1,1)(0,1,1)₁₂ with its order fixed (statsforecast ``ARIMA``). The
  automatic order search is far too slow for thousands of series (STACK.md: 850 s for 5,000); the fixed order
  costs about as much as ETS. Intervals: the model's analytic normal intervals.
* ``order_book`` — shipments follow the order book: for each horizon ``k`` the exports ``k`` months after a month
  are regressed on that month's backlog due within three months and its new orders, with no intercept, after
  taking out the season: ``exports[t + k] ≈ S[t + k] · (a_k · backlog_due_3m[t] + b_k · new_orders[t])``.
  ``S`` is the seasonal index of the series (:func:`seasonal_index`: each calendar month's mean over the last
  whole years over their mean). The two conversion rates are learned per series by least squares on its own
  history and kept non-negative (when the free fit makes one negative, the other is fitted alone). The forecast
  ``k`` months after the last month applies them to the last month's book. Intervals: normal, from the
  in-sample residuals of that horizon's regression (``s_k = sqrt(Σ r² / (n_k − 2))``, times ``S``). Without
  order data (or fewer than :data:`MIN_ORDER_BOOK_PAIRS` usable months) it falls back to the seasonal naive
  forecast, and the forecast says so in its ``model``. Taking out the season roughly halved its backtest error
  on the demo's district (median MASE at 1–3 months 1.2–1.3 against 1.7–2.0) and makes it the best model for
  the demo's enterprises at 1–3 months (1.01, 0.94, 1.04 against ETS 1.06, 1.17, 1.22).
* ``order_lead`` — the orders' lead (订单先行): the seasonal naive forecast moved by the year-on-year change of
  the new orders that ship in the month. An order signed in month ``t`` ships some months later, so the exports
  of month ``T`` follow, year on year, the new orders of the :data:`ORDER_LEAD_WIDTH` (3) months ending ``L``
  months before it: ``exports[T] ≈ exports[T − 12] · Σ new[T − L − 2 .. T − L] / Σ new[T − 14 − L .. T − 12 − L]``
  (the months whose orders of both years are known; the change kept within [0, 4]). The lead ``L`` is learned
  per series: of 1–4 months, the one whose in-sample error on the months it can score (from the 19th on, the same
  for every lead) is the lowest, at least six of them (a shorter lead on a tie). ``k`` months ahead the window ends
  ``max(k, L)`` months before the forecast month: no order signed after the last month is known, so from month
  ``L + 1`` on it is the last three months' change. Intervals: normal, from the in-sample errors at the chosen
  lead (``s = sqrt(Σ e² / (n − 1))``), widened by ``sqrt(k − L + 1)`` beyond the lead. Without new orders, with
  fewer than two years or where a change is not defined it falls back to the seasonal naive forecast. Customs'
  export leading index rests on the same idea (firms' new export orders lead their exports); on the warnings'
  scenario suite this model alone forecast the district's exports through a market or product collapse at
  0.2–0.75 of seasonal naive's error at 1–3 months (ETS, Theta and ARIMA: 0.3–1.6), the statistical models
  seeing the collapse only when it reaches the exports.
* ``combination`` — the mean of ``ets`` and ``order_book``. A member that fell back (a short series, no order
  book) does not vote, and the forecast then carries the one member's name (or ``seasonal_naive``). Intervals:
  each bound is the mean of the members' bounds (quantile averaging), which keeps them ordered. On the demo's
  backtest this pair beat the mean of ETS, Theta and the order book at every level (120 enterprises, median MASE
  at 1–3 months: 0.99, 1.00, 1.08 against 1.04, 1.15, 1.22) and costs less; adding ARIMA widened the intervals
  towards their nominal coverage but did not lower the error at 2–3 months. Theta was the weakest model there
  (and its 80 % intervals covered only 40–60 % of the actuals) and stays out.
* ``median`` — month by month the median of the orders' lead, ETS, Theta, ARIMA and the order book, each model
  voting once (a member that fell back votes as the model it fell back to: without an order book the seasonal
  naive forecast votes once in place of the orders' lead and the order book); each bound the median of the
  members' bounds. A median ignores the one model that goes astray at a turn, where a mean follows it half way,
  and it is the default of :func:`choose` (see *Backtest*): the choice by a record of twelve origins follows
  the noise of those origins, and this fixed combination was the more accurate forecast of district exports on
  the demo and on the warnings' scenario suite (``benchmarks/forecast_accuracy.py``; figures in
  ``docs/benchmarks.md``).

A statistical model (``ets``, ``theta``, ``arima``) needs :data:`MIN_STATISTICAL` months (two years); a shorter
series gets the seasonal naive forecast, and the forecast's ``model`` says ``seasonal_naive``.

**Data preparation.** Leading months without a figure are dropped (the series starts at its first figure);
months missing inside the series are filled by linear interpolation between their neighbours (a missing last
month repeats the last figure). A series with no figure at all cannot be forecast (``ValueError``). Forecasts
and their bounds are floored at zero: exports are not negative.

**Chinese New Year.** The festival moves between late January and late February, and the factories close for
about three weeks from it, so the split of exports between January and February changes from year to year while
their sum is steady. The models therefore see January and February as one season: in each year both months are
replaced by half their sum. The forecast for a January or February is split back by the January share
``s = J / (J + F)`` expected for that year: ``s = a + b·x`` where ``x`` is the festival's balance between the two
months — the days of the 21-day closure from the festival day that fall in January, minus those in February,
over 21 (:func:`cny_balance`: 1 when the closure lies wholly in January, −1 wholly in February) — and ``a``,
``b`` are fitted by least squares on the series' own complete years. With fewer than three such years (or
when the balance did not vary) ``b = 0`` and ``a`` is the mean share; with none, ``a = 31/59`` (days). The
share is kept within [0.05, 0.95]. A January that ends the history (its February not yet known) enters the
model as ``J / (2 s)``. The January and February forecasts (and their bounds) are the season's half scaled by
``2 s`` and ``2 (1 − s)``. The festival dates are :data:`CNY_DATES` (2000–2050); for a year outside the table
the balance is taken as 0. A closure running into March is not modelled.

The split has an error of its own, which no model sees (they forecast the season): a year's share strays from
``a + b·x`` by a spread ``σ_s``, so a January forecast of ``2 s·S`` (``S`` the season's monthly mean) errs by
``2 S·σ_s`` besides the season's own error. Each bound of a January or February is therefore moved away from the
mean to ``sqrt(d² + (z · 2 S · σ_s)²)`` (``d`` its distance after the split, ``z`` the interval's normal quantile).
A series holds few festivals (three years fit the two-parameter share with one degree of freedom left), so
``σ_s`` pools the residuals of its own years with a prior (:func:`share_spread`):
``σ_s² = (2 · 0.05² + Σ r²) / (2 + years − parameters)`` — :data:`CNY_SHARE_SPREAD` weighted as
:data:`CNY_SHARE_PRIOR_YEARS` years. Without it the orders' lead's 80 % interval covered 18–25 % of the demo's
January and February outcomes (its other months 68–76 %); with it 81–82 % (12 origins of 2019, every demo series;
prior 0.04: 72–75 %, 0.06: 86–89 %; ``benchmarks/forecast_accuracy.py``). The demo's series, pooled, stray by
0.085 (133 degrees of freedom, data to 2019-12); the prior is lower because the models' own spreads already hold
part of the festival's noise, and it rests on one festival year of the demo: a weak basis, to be revisited on a
bureau's own years.

**Backtest.** :func:`backtest` refits each model at rolling origins over the end of the history and scores the
forecasts against what followed: MASE (the mean absolute error scaled by the in-sample seasonal-naive mean
absolute error of the training part, per origin) and the share of actuals inside the 80 % and 95 % intervals,
per horizon. :func:`choose` picks the model with the lowest mean MASE over the short horizons; the median of
the models when it was compared and no other model's record is :data:`MEDIAN_MARGIN` (30 %) better (or there is
no record yet), else the seasonal naive forecast.

**Intervals scaled to the record.** A model's own intervals come from its in-sample fit, and the median's are the
median of its members' bounds, while its errors are smaller than theirs: on the warnings' scenario suite the
chosen 80 % interval held 92–95 % of the outcomes, on the demo's levels the orders' lead's 52–58 %. So the backtest
also keeps each model's *spread* at each horizon: the mean over the origins of |actual − forecast| divided by the
80 % interval's distance from the forecast on the actual's side (:data:`SPREAD_NORMAL`, 0.62, for a calibrated
normal interval), each origin weighing half as much as the one :data:`SPREAD_HALF_LIFE` (4) origins after it
(:func:`recent_mean`). :func:`scale_to_record` moves every bound of a forecast away from (or towards) its mean by
spread / :data:`SPREAD_NORMAL` (:func:`record_scale`), so that the intervals are as wide as the model's errors over
the rolling origins were; the festival months keep their extra width relative to the others. The coverage the
backtest reports is the coverage of the intervals so scaled as they would have been at each origin: the spread of
the origins before it (from the :data:`SPREAD_MIN_ORIGINS`-th on; the model's own interval before that). On the
scenario suite this took the chosen interval's pooled coverage at 1 / 2 / 3 months from 92 / 94 / 92 % to 82 / 79 /
73 % with the origins weighing the same, 81 / 79 / 74 % with the latest weighing most (case-horizons covered 70–90 %:
32, 59, 71 of 126). On the demo's levels, whose last twelve origins run into the February 2020 halt, scaling each
origin by the other eleven gives every model 77–80 %; by the origins before it, as the record counts, 61–72 % (the
calm origins made the intervals narrow when the halt came), against 46–79 % for the models' own intervals
(docs/benchmarks.md).

**Bulk.** :func:`forecast_many`, :func:`forecast_models` (several models, the combination's members once) and
:func:`backtest_many` (every origin of every series in one pass) work on all the series at once: the histories of
the same length are stacked into matrices and the series starting at the same month (after their leading months
without a figure) are prepared, forecast, split back for the festival and scored as the rows of one matrix. The
order-book regressions are solved in closed form for every row at once (the normal equations of the two columns, then
the one-column fits where a rate would be negative: the estimator of :func:`_nonnegative_least_squares`); a series whose
two book columns are as good as proportional (``1 − r² < 1e-6``) goes through that function alone. The statistical
models run in one statsforecast call per model over every series and origin. The results equal the one-series path up
to float rounding (the tests compare them: forecasts to 1e-9, MASE to 1e-9 relative). statsforecast (and pandas,
statsmodels under it) is imported on first use only: the import costs about 6 s of CPU (5–15 s of wall time on this busy
machine). statsforecast 2.x compiles nothing at run time (no numba): the first call costs no more than the next ones.

**Cost** (wall time on this 2-core machine while other work ran on it, so ±2×; series of 39 months, 6 months
ahead, ``n_jobs=1``): one series 0.2 ms seasonal naive, 1–2 ms order book, 2–13 ms Theta, 4–14 ms ETS, 12–41 ms
ARIMA; 5,000 series through :func:`forecast_many` 0.1 s seasonal naive, 0.1 s order book (0.8 s and 2.2 s
series by series), 8–12 s Theta, 27–29 s ETS, 86 s ARIMA; ``n_jobs=2`` did not help on a busy machine (ETS
38 s) but halves ARIMA and ETS when the second core is idle (972 series of 24–36 months: ARIMA 5.6 s against
11.3 s, ETS 1.8 s against 3.2 s; statsforecast starts its processes at each call, so the backtest makes one call
per model over every origin). :func:`backtest_many` with 12 origins: 10,000 series on the seasonal naive and
order-book models 1.5 s (88 s series by series); 80 series on all six models 15 s, nearly all of it in
statsforecast. A backtest multiplies the statistical models' cost by the number of origins:
a province's thousands of series cannot all be backtested with ETS or ARIMA within a minute; backtest the cheap
models widely and the expensive ones on the few large series, or use fewer origins.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Hashable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from typing import Any, Protocol, Self, TypeVar

import numpy as np
import numpy.typing as npt

from exportwatch.core.periods import month_number, period_add, period_of_month_number

Array = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]
K = TypeVar("K", bound=Hashable)

SEASON = 12
"""Months in a season (a year)."""
Z80 = 1.2815515655446004
"""The standard normal quantile for a central 80 % interval."""
Z95 = 1.959963984540054
"""The standard normal quantile for a central 95 % interval."""
MIN_STATISTICAL = 2 * SEASON
"""Months a statistical model (ETS, Theta, ARIMA) needs; a shorter series gets the seasonal naive forecast."""
MIN_ORDER_BOOK_PAIRS = 12
"""Months with a usable (book, later exports) pair the order-book model needs for each horizon."""
CNY_CLOSURE_DAYS = 21
"""Days from the festival over which the factories are taken to be closed."""
CNY_MIN_YEARS = 3
"""Complete January–February years needed to fit the festival effect on the January share."""
CNY_DEFAULT_SHARE = 31 / 59
"""January's share of January + February when the series has no complete year (by days)."""
CNY_SHARE_LIMITS = (0.05, 0.95)
CNY_SHARE_SPREAD = 0.05
"""The prior standard deviation of a year's January share around its fit (see *Chinese New Year* above)."""
CNY_SHARE_PRIOR_YEARS = 2
"""The weight of :data:`CNY_SHARE_SPREAD` against a series' own residuals, in years."""

SEASONAL_NAIVE = "seasonal_naive"
ETS = "ets"
THETA = "theta"
ARIMA = "arima"
ORDER_BOOK = "order_book"
ORDER_LEAD = "order_lead"
COMBINATION = "combination"
MEDIAN = "median"


# --- The data ----------------------------------------------------------------------------------


def _as_array(values: Any, *, name: str) -> Array:
    array = np.asarray(values, dtype=np.float64)
    if array.ndim != 1:
        raise ValueError(f"{name} must be one-dimensional")
    return array


@dataclass(frozen=True, slots=True)
class History:
    """One monthly series, oldest first, with no gaps: a month without a figure is NaN.

    ``exports`` is the target (USD). ``new_orders``, ``backlog`` and ``backlog_due_3m`` (USD, same length) feed
    the order-book model; they may be left out. Arrays are converted to float64 on construction.
    """

    first_period: str
    exports: Array
    new_orders: Array | None = None
    backlog: Array | None = None
    backlog_due_3m: Array | None = None

    def __post_init__(self) -> None:
        month_number(self.first_period)  # ValueError for anything but YYYY-MM
        exports = _as_array(self.exports, name="exports")
        object.__setattr__(self, "exports", exports)
        for name in ("new_orders", "backlog", "backlog_due_3m"):
            value = getattr(self, name)
            if value is not None:
                array = _as_array(value, name=name)
                if len(array) != len(exports):
                    raise ValueError(f"{name} has {len(array)} months, exports {len(exports)}")
                object.__setattr__(self, name, array)

    @property
    def last_period(self) -> str:
        """The last month of the series."""
        return period_add(self.first_period, len(self.exports) - 1)

    def head(self, months: int) -> History:
        """The first ``months`` months (the history as it stood then)."""
        return History(
            first_period=self.first_period,
            exports=self.exports[:months],
            new_orders=None if self.new_orders is None else self.new_orders[:months],
            backlog=None if self.backlog is None else self.backlog[:months],
            backlog_due_3m=None if self.backlog_due_3m is None else self.backlog_due_3m[:months],
        )


@dataclass(frozen=True, slots=True)
class Forecast:
    """``h`` months after the last month of the history: the point forecast and its 80 % and 95 % bounds.

    ``model`` is the model that made it — the one asked for, or ``seasonal_naive`` when the series was too short
    (or had no order book) for it. Always ``lo95 <= lo80 <= mean <= hi80 <= hi95``, all ``>= 0``.
    """

    model: str
    first_period: str
    mean: Array
    lo80: Array
    hi80: Array
    lo95: Array
    hi95: Array

    @property
    def periods(self) -> list[str]:
        """The forecast months, ``'YYYY-MM'``."""
        return [period_add(self.first_period, k) for k in range(len(self.mean))]


class Forecaster(Protocol):
    """A forecasting model: ``fit`` on one history, then ``predict`` any number of months after it."""

    name: str

    def fit(self, history: History) -> Forecaster: ...

    def predict(self, h: int) -> Forecast: ...


# --- Preparation and the Chinese New Year ------------------------------------------------------

CNY_DATES: dict[int, date] = {
    year: date(year, month, day)
    for year, month, day in (
        (2000, 2, 5), (2001, 1, 24), (2002, 2, 12), (2003, 2, 1), (2004, 1, 22),
        (2005, 2, 9), (2006, 1, 29), (2007, 2, 18), (2008, 2, 7), (2009, 1, 26),
        (2010, 2, 14), (2011, 2, 3), (2012, 1, 23), (2013, 2, 10), (2014, 1, 31),
        (2015, 2, 19), (2016, 2, 8), (2017, 1, 28), (2018, 2, 16), (2019, 2, 5),
        (2020, 1, 25), (2021, 2, 12), (2022, 2, 1), (2023, 1, 22), (2024, 2, 10),
        (2025, 1, 29), (2026, 2, 17), (2027, 2, 6), (2028, 1, 26), (2029, 2, 13),
        (2030, 2, 3), (2031, 1, 23), (2032, 2, 11), (2033, 1, 31), (2034, 2, 19),
        (2035, 2, 8), (2036, 1, 28), (2037, 2, 15), (2038, 2, 4), (2039, 1, 24),
        (2040, 2, 12), (2041, 2, 1), (2042, 1, 22), (2043, 2, 10), (2044, 1, 30),
        (2045, 2, 17), (2046, 2, 6), (2047, 1, 26), (2048, 2, 14), (2049, 2, 2),
        (2050, 1, 23),
    )
}  # fmt: skip
"""The Chinese New Year (day 1 of the lunar year), 2000–2050."""


def cny_balance(year: int) -> float:
    """Where the festival's closure falls: (closure days in January − closure days in February) / closure days.

    1 when the 21 days from the festival lie wholly in January, −1 when wholly in February (days running into
    March count for neither); 0 for a year outside :data:`CNY_DATES`.
    """
    festival = CNY_DATES.get(year)
    if festival is None:
        return 0.0
    days = [festival + timedelta(days=k) for k in range(CNY_CLOSURE_DAYS)]
    january = sum(1 for d in days if d.month == 1)
    february = sum(1 for d in days if d.month == 2)
    return (january - february) / CNY_CLOSURE_DAYS


@dataclass(frozen=True, slots=True)
class JanuaryShare:
    """January's expected share of January + February in a year: ``a + b * cny_balance(year)``, clipped;
    ``spread`` is the standard deviation of a year's share around it (:func:`share_spread`)."""

    a: float = CNY_DEFAULT_SHARE
    b: float = 0.0
    years: int = 0
    spread: float = CNY_SHARE_SPREAD

    def of(self, year: int) -> float:
        low, high = CNY_SHARE_LIMITS
        return min(max(self.a + self.b * cny_balance(year), low), high)


def january_share(first_month: int, values: Array) -> JanuaryShare:
    """Fit :class:`JanuaryShare` on the complete years (January and February both > 0 in sum) of a series.

    ``first_month`` is the month number (:func:`~exportwatch.core.periods.month_number`) of ``values[0]``.
    """
    shares: list[float] = []
    balances: list[float] = []
    for i in range(len(values) - 1):
        if (first_month + i) % SEASON == 0:  # a January with its February
            january, february = values[i], values[i + 1]
            total = january + february
            if math.isfinite(total) and total > 0:
                shares.append(float(january / total))
                balances.append(cny_balance((first_month + i) // SEASON))
    if not shares:
        return JanuaryShare()
    s, x = np.array(shares), np.array(balances)
    if len(shares) >= CNY_MIN_YEARS and float(np.ptp(x)) > 0:
        b = float(np.sum((x - x.mean()) * (s - s.mean())) / np.sum((x - x.mean()) ** 2))
        a = float(s.mean() - b * x.mean())
        spread = float(share_spread(np.sum((s - a - b * x) ** 2), len(shares) - 2))
        return JanuaryShare(a=a, b=b, years=len(shares), spread=spread)
    spread = float(share_spread(np.sum((s - s.mean()) ** 2), len(shares) - 1))
    return JanuaryShare(a=float(s.mean()), b=0.0, years=len(shares), spread=spread)


def share_spread(squares: npt.ArrayLike, dof: npt.ArrayLike) -> Array:
    """The spread of the January share: the residuals' sum of ``squares`` on ``dof`` degrees of freedom pooled
    with the prior :data:`CNY_SHARE_SPREAD` weighted as :data:`CNY_SHARE_PRIOR_YEARS` years (floats or arrays)."""
    pooled = (CNY_SHARE_PRIOR_YEARS * CNY_SHARE_SPREAD**2 + np.asarray(squares)) / (
        CNY_SHARE_PRIOR_YEARS + np.asarray(dof)
    )
    return np.asarray(np.sqrt(pooled), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class Prepared:
    """A history made ready for a model: the exports from the first figure, gaps filled, January and February
    made one season; ``first_month`` is the month number of ``y[0]``, ``end_month`` that of the month after
    the history (the first forecast month)."""

    y: Array
    first_month: int
    end_month: int
    share: JanuaryShare
    skipped: int = 0  # leading months without a figure, dropped


def _fill(values: Array) -> Array:
    """Linear interpolation over the NaN inside a series (which starts with a figure); a NaN tail repeats the
    last figure."""
    missing = np.isnan(values)
    if not missing.any():
        return values.copy()
    index = np.arange(len(values))
    return np.interp(index, index[~missing], values[~missing])


def prepare(history: History) -> Prepared:
    """Trim, fill and adjust a history for the Chinese New Year (see the module's docstring)."""
    exports = history.exports
    finite = np.flatnonzero(np.isfinite(exports))
    if len(finite) == 0:
        raise ValueError("the series has no figure to forecast from")
    skipped = int(finite[0])
    first_month = month_number(history.first_period) + skipped
    end_month = month_number(history.first_period) + len(exports)
    filled = _fill(exports[skipped:])
    share = january_share(first_month, exports[skipped:])  # reported months only, not the filled ones
    y = filled.copy()
    months = (first_month + np.arange(len(y))) % SEASON
    for i in np.flatnonzero(months == 0):
        year_share = share.of((first_month + int(i)) // SEASON)
        if i + 1 < len(y):
            y[i] = y[i + 1] = (filled[i] + filled[i + 1]) / 2
        else:  # a January whose February is not known yet
            y[i] = filled[i] / (2 * year_share)
    if months[0] == 1:  # a February whose January is before the series
        y[0] = filled[0] / (2 * (1 - share.of(first_month // SEASON)))
    return Prepared(y=y, first_month=first_month, end_month=end_month, share=share, skipped=skipped)


def _bounds(mean: Array, sigma: Array) -> tuple[Array, Array, Array, Array]:
    return mean - Z80 * sigma, mean + Z80 * sigma, mean - Z95 * sigma, mean + Z95 * sigma


def _split(raw: Array, factor: Array, split_sd: Array) -> Array:
    """Scale the season's (mean, lo80, hi80, lo95, hi95) (first axis) by ``factor``, widen each bound by the split's
    own error (``split_sd`` per month, added in quadrature), floor at zero and order the bounds."""
    m, l80, h80, l95, h95 = raw * factor

    def away(bound: Array, side: float, z: float) -> Array:
        # A bound on the wrong side of the mean (numerical noise) is moved to it: the order the callers rely on.
        return np.asarray(m + side * np.hypot(np.maximum(side * (bound - m), 0.0), z * split_sd), dtype=np.float64)

    m, l80, h80, l95, h95 = np.maximum(
        np.stack([m, away(l80, -1.0, Z80), away(h80, 1.0, Z80), away(l95, -1.0, Z95), away(h95, 1.0, Z95)]), 0.0
    )
    return np.stack([m, l80, h80, np.minimum(l95, l80), np.maximum(h95, h80)])


def finish(model: str, prepared: Prepared, mean: Array, lo80: Array, hi80: Array, lo95: Array, hi95: Array) -> Forecast:
    """Split the January–February season back into its months (the bounds widened by the error of the split),
    floor at zero and order the bounds."""
    h = len(mean)
    months = prepared.end_month + np.arange(h)
    factor = np.ones(h)
    for k in range(h):
        month, year = int(months[k]) % SEASON, int(months[k]) // SEASON
        if month == 0:
            factor[k] = 2 * prepared.share.of(year)
        elif month == 1:
            factor[k] = 2 * (1 - prepared.share.of(year))
    raw = np.stack([np.asarray(a, dtype=np.float64) for a in (mean, lo80, hi80, lo95, hi95)])
    festival = months % SEASON <= 1
    split_sd = np.where(festival, 2 * np.maximum(raw[0], 0.0) * prepared.share.spread, 0.0)
    m, l80, h80, l95, h95 = _split(raw, factor, split_sd)
    return Forecast(
        model=model,
        first_period=period_of_month_number(prepared.end_month),
        mean=m,
        lo80=l80,
        hi80=h80,
        lo95=l95,
        hi95=h95,
    )


# --- Seasonal naive ----------------------------------------------------------------------------


def _seasonal_naive_raw(y: Array, h: int) -> tuple[Array, Array, Array, Array, Array]:
    n = len(y)
    steps = np.arange(h)
    if n >= SEASON:
        mean = y[n - SEASON + steps % SEASON]
        residuals = y[SEASON:] - y[:-SEASON]
        sigma0 = float(np.sqrt(np.mean(residuals**2))) if len(residuals) else 0.0
        sigma = sigma0 * np.sqrt(steps // SEASON + 1.0)
    else:
        mean = np.full(h, y[-1])
        residuals = np.diff(y)
        sigma0 = float(np.sqrt(np.mean(residuals**2))) if len(residuals) else 0.0
        sigma = sigma0 * np.sqrt(steps + 1.0)
    return (mean, *_bounds(mean, sigma))


class SeasonalNaive:
    """The same month a year earlier (January and February as one season); intervals from its own residuals."""

    name = SEASONAL_NAIVE

    def __init__(self) -> None:
        self._prepared: Prepared | None = None

    def fit(self, history: History) -> SeasonalNaive:
        self._prepared = prepare(history)
        return self

    def predict(self, h: int) -> Forecast:
        prepared = _fitted(self._prepared, self.name)
        return finish(self.name, prepared, *_seasonal_naive_raw(prepared.y, h))


def _fitted(prepared: Prepared | None, name: str) -> Prepared:
    if prepared is None:
        raise RuntimeError(f"{name}: predict() before fit()")
    return prepared


# --- Statistical models through statsforecast -------------------------------------------------


def _statsforecast_model(name: str) -> Any:
    """The statsforecast model object behind ``name`` (imported here: statsforecast takes seconds to import)."""
    from statsforecast.models import ARIMA as StatsARIMA
    from statsforecast.models import AutoETS, Theta

    if name == ETS:
        return AutoETS(season_length=SEASON, model="AAA", damped=False, alias=name)
    if name == THETA:
        return Theta(season_length=SEASON, alias=name)
    if name == ARIMA:
        return StatsARIMA(order=(0, 1, 1), seasonal_order=(0, 1, 1), season_length=SEASON, alias=name)
    raise ValueError(f"not a statsforecast model: {name!r}")


_LEVELS = [80, 95]
_KEYS = ("mean", "lo-80", "hi-80", "lo-95", "hi-95")


class Statistical:
    """ETS, Theta or ARIMA (see the module's docstring) on the prepared series; the seasonal naive forecast for a
    series shorter than :data:`MIN_STATISTICAL`."""

    def __init__(self, name: str) -> None:
        _statsforecast_model(name)  # ValueError for an unknown name
        self.name = name
        self._prepared: Prepared | None = None

    def fit(self, history: History) -> Statistical:
        # statsforecast's models fit and forecast in one step (``forecast``), so the fit is done in predict.
        self._prepared = prepare(history)
        return self

    def predict(self, h: int) -> Forecast:
        prepared = _fitted(self._prepared, self.name)
        if len(prepared.y) < MIN_STATISTICAL:
            return finish(SEASONAL_NAIVE, prepared, *_seasonal_naive_raw(prepared.y, h))
        with np.errstate(divide="ignore", invalid="ignore"):  # Theta's seasonality test on a flat series
            result = _statsforecast_model(self.name).forecast(y=prepared.y, h=h, level=_LEVELS)
        return _statistical_finish(
            self.name, prepared, tuple(np.asarray(result[key], dtype=np.float64) for key in _KEYS)
        )


def _statistical_finish(name: str, prepared: Prepared, raw: tuple[Array, ...]) -> Forecast:
    """The statistical forecast, or the seasonal naive one where the model gave no finite numbers."""
    if not all(np.isfinite(values).all() for values in raw):
        return finish(SEASONAL_NAIVE, prepared, *_seasonal_naive_raw(prepared.y, len(raw[0])))
    mean, lo80, hi80, lo95, hi95 = raw
    return finish(name, prepared, mean, lo80, hi80, lo95, hi95)


def ets() -> Statistical:
    return Statistical(ETS)


def theta() -> Statistical:
    return Statistical(THETA)


def arima() -> Statistical:
    return Statistical(ARIMA)


# --- The order book ----------------------------------------------------------------------------


def _nonnegative_least_squares(x: Array, y: Array) -> Array:
    """Least squares ``y ≈ x @ c`` with ``c >= 0`` for two columns: the free fit, else the better one-column fit."""
    coef, *_ = np.linalg.lstsq(x, y, rcond=None)
    if (coef >= 0).all():
        return np.asarray(coef, dtype=np.float64)
    best, best_sse = np.zeros(x.shape[1]), float(np.sum(y**2))
    for j in range(x.shape[1]):
        column = x[:, j]
        norm = float(column @ column)
        if norm <= 0:
            continue
        c = max(float(column @ y) / norm, 0.0)
        sse = float(np.sum((y - c * column) ** 2))
        if sse < best_sse:
            best, best_sse = np.zeros(x.shape[1]), sse
            best[j] = c
    return best


def seasonal_index(prepared: Prepared) -> Array:
    """Each calendar month's level against the year's (index 0 = January): the mean of the month over the last
    whole number of years of the prepared series over the mean of those years; all 1 with less than a year or a
    mean that is not positive."""
    y = prepared.y
    full = (len(y) // SEASON) * SEASON
    index = np.ones(SEASON)
    if full == 0:
        return index
    window = y[len(y) - full :]
    overall = float(window.mean())
    if overall <= 0:
        return index
    months = (prepared.first_month + len(y) - full + np.arange(full)) % SEASON
    for month in range(SEASON):
        index[month] = float(window[months == month].mean()) / overall
    return np.maximum(index, 0.0)


@dataclass(frozen=True, slots=True)
class OrderBookFit:
    """The conversion rates learned for each horizon ``k`` (index ``k - 1``): ``exports[t + k] ≈ S[t + k] *
    (due[k-1] * backlog_due_3m[t] + new[k-1] * new_orders[t])``, the residual standard deviation of the
    seasonally adjusted regression and the months used; ``season`` is ``S`` by calendar month (January first)."""

    due: tuple[float, ...]
    new: tuple[float, ...]
    sigma: tuple[float, ...]
    pairs: tuple[int, ...]
    season: tuple[float, ...]

    def predict(self, *, first_month: int, backlog_due_3m: float, new_orders: float) -> tuple[Array, Array]:
        """(mean, sigma) for the months from month number ``first_month`` on, from the last month's book."""
        h = len(self.due)
        season = np.array(self.season)[(first_month + np.arange(h)) % SEASON]
        mean = season * (np.array(self.due) * backlog_due_3m + np.array(self.new) * new_orders)
        return mean, season * np.array(self.sigma)


def order_book_fit(prepared: Prepared, history: History, h: int) -> OrderBookFit | None:
    """Fit the order-book regressions for horizons 1..h; ``None`` when the history cannot support them."""
    if history.backlog_due_3m is None or history.new_orders is None:
        return None
    due = history.backlog_due_3m[prepared.skipped :]
    new = history.new_orders[prepared.skipped :]
    y = prepared.y
    n = len(y)
    if not (math.isfinite(due[-1]) and math.isfinite(new[-1])):
        return None
    season = seasonal_index(prepared)
    s = season[(prepared.first_month + np.arange(n)) % SEASON]
    rates_due, rates_new, sigmas, pairs = [], [], [], []
    for k in range(1, h + 1):
        x = np.column_stack([due[: n - k], new[: n - k]])
        usable = np.isfinite(x).all(axis=1) & (s[k:] > 0)
        count = int(usable.sum())
        if count < MIN_ORDER_BOOK_PAIRS:
            return None
        target = y[k:][usable] / s[k:][usable]
        coef = _nonnegative_least_squares(x[usable], target)
        residuals = target - x[usable] @ coef
        sigmas.append(float(np.sqrt(np.sum(residuals**2) / (count - 2))))
        rates_due.append(float(coef[0]))
        rates_new.append(float(coef[1]))
        pairs.append(count)
    return OrderBookFit(
        due=tuple(rates_due),
        new=tuple(rates_new),
        sigma=tuple(sigmas),
        pairs=tuple(pairs),
        season=tuple(float(v) for v in season),
    )


class _FromTheBook:
    """A forecaster that reads the history's order book beside its prepared exports: ``_forecast`` makes the
    forecast from both."""

    name: str

    def __init__(self) -> None:
        self._history: History | None = None
        self._prepared: Prepared | None = None

    def fit(self, history: History) -> Self:
        self._history = history
        self._prepared = prepare(history)
        return self

    def predict(self, h: int) -> Forecast:
        prepared = _fitted(self._prepared, self.name)
        assert self._history is not None
        return self._forecast(prepared, self._history, h)

    def _forecast(self, prepared: Prepared, history: History, h: int) -> Forecast:
        raise NotImplementedError


class OrderBook(_FromTheBook):
    """Shipments from the book: the backlog due within three months and the new orders of the last month, at
    the conversion rates the series' own history shows (see the module's docstring)."""

    name = ORDER_BOOK

    def _forecast(self, prepared: Prepared, history: History, h: int) -> Forecast:
        return _order_book_forecast(prepared, history, h)


# --- The orders' lead ---------------------------------------------------------------------------

ORDER_LEAD_LEADS = (1, 2, 3, 4)
"""The leads tried: months between signing an order and shipping it (the first month of the window)."""
ORDER_LEAD_WIDTH = 3
"""Months of new orders summed into one year-on-year change."""
ORDER_LEAD_MIN_MONTHS = 6
"""In-sample months each lead must be scored on; fewer (a history shorter than two years) and the model falls
back to the seasonal naive forecast."""
ORDER_LEAD_GROWTH_LIMIT = 4.0
"""The year-on-year change of the orders is kept within [0, this]: a window of orders a year ago close to nothing
does not multiply last year's exports without bound."""
_ORDER_LEAD_FIRST_TARGET = SEASON + max(ORDER_LEAD_LEADS) + ORDER_LEAD_WIDTH - 1
"""The first month (index) the in-sample fit scores: every lead's window and its year-ago window lie inside."""
_ORDER_LEAD_MIN_LENGTH = _ORDER_LEAD_FIRST_TARGET + ORDER_LEAD_MIN_MONTHS
"""The shortest prepared series a lead is learned on (shorter: the model falls back, no lead)."""


def _orders_change(new: Array, ends: IntArray) -> tuple[Array, BoolArray]:
    """The year-on-year change of the new orders summed over the :data:`ORDER_LEAD_WIDTH` months ending at
    ``ends`` (row × any, month indices ``>= SEASON + WIDTH - 1``), over the months whose order figures of both
    years are known; and where it is defined (one such month at least, a positive year-ago sum)."""
    every = np.arange(new.shape[0]).reshape((-1,) + (1,) * (ends.ndim - 1))
    now = np.zeros(ends.shape)
    before = np.zeros(ends.shape)
    known = np.zeros(ends.shape, dtype=bool)
    for back in range(ORDER_LEAD_WIDTH):
        a, b = new[every, ends - back], new[every, ends - back - SEASON]
        pair = np.isfinite(a) & np.isfinite(b)
        now += np.where(pair, a, 0.0)
        before += np.where(pair, b, 0.0)
        known |= pair
    defined = known & (before > 0)
    with np.errstate(divide="ignore", invalid="ignore"):
        change = np.where(defined, np.clip(now / np.where(defined, before, 1.0), 0.0, ORDER_LEAD_GROWTH_LIMIT), 1.0)
    return np.asarray(change, dtype=np.float64), np.asarray(defined, dtype=bool)


def _order_lead_fit(y: Array, new: Array) -> tuple[BoolArray, IntArray, Array]:
    """The lead learned by row (``y`` prepared, ``new`` the new orders from the first figure, row × month, at least
    :data:`_ORDER_LEAD_MIN_LENGTH` months): which rows could score a lead, the lead, and the spread of the in-sample
    errors at it."""
    count_rows, n = y.shape
    targets = np.arange(_ORDER_LEAD_FIRST_TARGET, n)
    best = np.full(count_rows, np.inf)
    lead = np.full(count_rows, ORDER_LEAD_LEADS[0])
    sigma = np.zeros(count_rows)
    for candidate in ORDER_LEAD_LEADS:
        change, defined = _orders_change(new, np.broadcast_to(targets - candidate, (count_rows, len(targets))))
        errors = np.where(defined, y[:, targets - SEASON] * change - y[:, targets], 0.0)
        count = defined.sum(axis=1)
        with np.errstate(divide="ignore", invalid="ignore"):
            score = np.where(count >= ORDER_LEAD_MIN_MONTHS, np.abs(errors).sum(axis=1) / count, np.inf)
            spread = np.sqrt((errors**2).sum(axis=1) / (count - 1))
        better = score < best  # the shorter lead on a tie
        best = np.where(better, score, best)
        lead = np.where(better, candidate, lead)
        sigma = np.where(better, spread, sigma)
    return np.isfinite(best), np.asarray(lead, dtype=np.int64), sigma


def _order_lead_rows(y: Array, new: Array, h: int) -> tuple[BoolArray, Array]:
    """The orders' lead by row (``y`` prepared, ``new`` the new orders from the first figure, row × month): which
    rows the model fits, and their raw forecast (mean, lo80, hi80, lo95, hi95) × row × month ahead (the other
    rows' values are meaningless). One function for the one-series and the bulk path."""
    count_rows, n = y.shape
    if n < _ORDER_LEAD_MIN_LENGTH:
        return np.zeros(count_rows, dtype=bool), _seasonal_naive_rows(y, h)
    fits, lead, sigma = _order_lead_fit(y, new)
    ahead = np.arange(1, h + 1)
    first = np.maximum(ahead[None, :], lead[:, None])  # no order signed after the last month is known
    change, defined = _orders_change(new, n - 1 + ahead[None, :] - first)
    fits &= defined.all(axis=1)
    mean = _seasonal_naive_rows(y, h)[0] * change
    widen = np.sqrt(np.maximum(ahead[None, :] - lead[:, None] + 1, 1))
    return fits, _bounds_rows(mean, sigma[:, None] * widen)


def _order_lead_forecast(prepared: Prepared, history: History, h: int) -> Forecast:
    if history.new_orders is not None:
        fits, raw = _order_lead_rows(prepared.y[None, :], history.new_orders[None, prepared.skipped :], h)
        if fits[0]:
            return finish(ORDER_LEAD, prepared, *raw[:, 0])
    return finish(SEASONAL_NAIVE, prepared, *_seasonal_naive_raw(prepared.y, h))


class OrderLead(_FromTheBook):
    """Last year's exports moved by the year-on-year change of the new orders signed at the series' lead (see the
    module's docstring)."""

    name = ORDER_LEAD

    def _forecast(self, prepared: Prepared, history: History, h: int) -> Forecast:
        return _order_lead_forecast(prepared, history, h)


# --- The combination ---------------------------------------------------------------------------

COMBINED = (ETS, ORDER_BOOK)
"""The members of the combination (each only where it did not fall back)."""


def combine(forecasts: Sequence[Forecast]) -> Forecast:
    """The mean of forecasts of the same months, bound by bound (quantile averaging)."""
    usable = [f for f in forecasts if f.model in COMBINED]
    if not usable:  # every member fell back to the same seasonal naive forecast
        return forecasts[0]
    first = usable[0]

    def mean_of(attribute: str) -> Array:
        return np.asarray(np.mean([getattr(f, attribute) for f in usable], axis=0), dtype=np.float64)

    return Forecast(
        model=COMBINATION if len(usable) > 1 else first.model,
        first_period=first.first_period,
        mean=mean_of("mean"),
        lo80=mean_of("lo80"),
        hi80=mean_of("hi80"),
        lo95=mean_of("lo95"),
        hi95=mean_of("hi95"),
    )


class _OfMembers:
    """A forecast made of other models' forecasts of the same history: ``members`` by name, merged by ``merge``."""

    name: str
    members: tuple[str, ...]

    def __init__(self) -> None:
        self._history: History | None = None

    def fit(self, history: History) -> _OfMembers:
        self._history = history
        return self

    def predict(self, h: int) -> Forecast:
        if self._history is None:
            raise RuntimeError(f"{self.name}: predict() before fit()")
        return self.merge({name: MODELS[name]().fit(self._history).predict(h) for name in self.members})

    def merge(self, forecasts: dict[str, Forecast]) -> Forecast:
        raise NotImplementedError


class Combination(_OfMembers):
    """The mean of ETS and the order book (the members that did not fall back); bounds averaged."""

    name = COMBINATION
    members = COMBINED

    def merge(self, forecasts: dict[str, Forecast]) -> Forecast:
        return combine(list(forecasts.values()))  # a member that fell back (short series, no book) does not vote


# --- The median of the models -------------------------------------------------------------------

MEDIAN_OF = (ORDER_LEAD, ETS, THETA, ARIMA, ORDER_BOOK)
"""The members of the median. A member that fell back votes as the model it fell back to, each model once: where the
orders' lead has no order book to follow, the seasonal naive forecast votes in its place."""


def median_of(forecasts: Mapping[str, Forecast]) -> Forecast:
    """The median of the members' forecasts of the same months (``forecasts`` by member name), bound by bound.
    Each model votes once: a member that fell back to a model another member also fell back to (or is) adds
    nothing; with one voter the forecast is that voter's and carries its name. Each bound is the median of the
    members' bounds, so the bounds stay ordered (a median keeps an order that holds member by member)."""
    voters: dict[str, Forecast] = {}
    for forecast_ in forecasts.values():
        voters.setdefault(forecast_.model, forecast_)
    usable = list(voters.values())
    if len(usable) == 1:
        return usable[0]

    def median(attribute: str) -> Array:
        return np.asarray(np.median([getattr(f, attribute) for f in usable], axis=0), dtype=np.float64)

    return Forecast(
        model=MEDIAN,
        first_period=usable[0].first_period,
        mean=median("mean"),
        lo80=median("lo80"),
        hi80=median("hi80"),
        lo95=median("lo95"),
        hi95=median("hi95"),
    )


class Median(_OfMembers):
    """The median of the orders' lead, ETS, Theta, ARIMA and the order book (each model once: see
    :func:`median_of`), month by month; bounds likewise."""

    name = MEDIAN
    members = MEDIAN_OF

    def merge(self, forecasts: dict[str, Forecast]) -> Forecast:
        return median_of(forecasts)


MODELS: dict[str, Callable[[], Forecaster]] = {
    SEASONAL_NAIVE: SeasonalNaive,
    ETS: ets,
    THETA: theta,
    ARIMA: arima,
    ORDER_BOOK: OrderBook,
    ORDER_LEAD: OrderLead,
    COMBINATION: Combination,
    MEDIAN: Median,
}
"""The forecasters by name."""
MADE_OF: dict[str, type[_OfMembers]] = {COMBINATION: Combination, MEDIAN: Median}
"""The forecasters made of other models' forecasts, by name."""


def forecast(history: History, model: str, h: int) -> Forecast:
    """Fit ``model`` on ``history`` and forecast ``h`` months."""
    return MODELS[model]().fit(history).predict(h)


# --- Backtest and choice -----------------------------------------------------------------------


SPREAD_NORMAL = math.sqrt(2 / math.pi) / Z80
"""The mean of |error| over the 80 % interval's half-width when the errors are normal and the interval is right
(E|Z| / z₀.₉ ≈ 0.62): a model's spread (:class:`Accuracy`) over this is how much its intervals are scaled."""
SPREAD_MIN_ORIGINS = 4
"""Origins scored before the backtest scales a model's intervals by the spread of those before (the first ones are
scored on the model's own intervals)."""
SCALE_FLOOR = 0.25
"""The narrowest a record may make an interval, as a share of the model's own: twelve origins with (almost) no error
do not make a forecast certain."""
SPREAD_HALF_LIFE = 4
"""Origins after which an origin's error weighs half as much in the spread: a record that was calm until a turn
widens the intervals within a few origins of it, not only once the turn fills half the record."""
_SPREAD_DECAY = 0.5 ** (1 / SPREAD_HALF_LIFE)


def recent_mean(values: Sequence[float]) -> float:
    """The mean of ``values`` (oldest first), each weighing :data:`_SPREAD_DECAY` times the next one's."""
    weights = _SPREAD_DECAY ** np.arange(len(values) - 1, -1, -1, dtype=np.float64)
    return float(np.dot(weights, np.asarray(values, dtype=np.float64)) / weights.sum())


@dataclass(frozen=True, slots=True)
class Accuracy:
    """A model's record at one horizon over the backtest origins: MASE, the share of actuals inside the 80 % / 95 %
    intervals as scaled to the record (:func:`scale_to_record`; at each origin by the spread of the origins before
    it), and the spread (the mean |error| over the 80 % interval's distance on the actual's side, the latest origins
    weighing most: :func:`recent_mean`). ``None`` when
    there was nothing to score (or, for MASE, no scale; for the spread, intervals of no width)."""

    model: str
    horizon: int
    mase: float | None
    coverage80: float | None
    coverage95: float | None
    origins: int
    spread: float | None = None


def record_scale(spread: float | None) -> float:
    """How much a model's intervals are scaled for its spread: spread / :data:`SPREAD_NORMAL`, not under
    :data:`SCALE_FLOOR`; 1 without a spread."""
    if spread is None or not math.isfinite(spread):
        return 1.0
    return max(spread / SPREAD_NORMAL, SCALE_FLOOR)


def scale_to_record(fc: Forecast, spreads: Sequence[float | None]) -> Forecast:
    """The forecast with each bound's distance from the mean scaled by :func:`record_scale` of the model's spread
    at that horizon (``spreads[k]`` for month ``k + 1``; beyond the last horizon recorded, the last one's), floored
    at zero. A horizon without a spread keeps the model's own bounds."""
    if not spreads:
        return fc
    known = [s for s in spreads if s is not None]
    last = known[-1] if known else None
    h = len(fc.mean)
    r = np.array([record_scale(spreads[k] if k < len(spreads) else last) for k in range(h)])
    m = np.asarray(fc.mean, dtype=np.float64)

    def moved(bound: Array) -> Array:
        return np.asarray(np.maximum(m + r * (np.asarray(bound, dtype=np.float64) - m), 0.0), dtype=np.float64)

    return replace(fc, lo80=moved(fc.lo80), hi80=moved(fc.hi80), lo95=moved(fc.lo95), hi95=moved(fc.hi95))


def seasonal_naive_scale(exports: Array) -> float | None:
    """The in-sample mean absolute error of the seasonal naive forecast (months with both figures)."""
    if len(exports) <= SEASON:
        return None
    errors = np.abs(exports[SEASON:] - exports[:-SEASON])
    errors = errors[np.isfinite(errors)]
    return float(np.mean(errors)) if len(errors) else None


def _origins(n: int, *, origins: int, min_train: int) -> list[int]:
    """The training lengths of the backtest: the last ``origins`` ends with at least one month after them."""
    return [t for t in range(n - origins, n) if t >= min_train]


def _standardized(actual: float, mean: float, lo: float, hi: float) -> float | None:
    """|actual − mean| over the interval's distance from the mean on the actual's side; None for a distance of 0."""
    distance = hi - mean if actual >= mean else mean - lo
    return abs(actual - mean) / distance if distance > 0 else None


@dataclass
class _Score:
    scaled: list[float] = field(default_factory=list)
    spreads: list[float] = field(default_factory=list)
    inside80: int = 0
    inside95: int = 0
    count: int = 0

    def add(self, actual: float, fc: Forecast, k: int, scale: float | None) -> None:
        self.count += 1
        mean = float(fc.mean[k])
        # The intervals as scaled to the record of the origins before this one.
        r = record_scale(recent_mean(self.spreads)) if len(self.spreads) >= SPREAD_MIN_ORIGINS else 1.0
        z80 = _standardized(actual, mean, float(fc.lo80[k]), float(fc.hi80[k]))
        z95 = _standardized(actual, mean, float(fc.lo95[k]), float(fc.hi95[k]))
        self.inside80 += bool(z80 <= r) if z80 is not None else bool(fc.lo80[k] <= actual <= fc.hi80[k])
        self.inside95 += bool(z95 <= r) if z95 is not None else bool(fc.lo95[k] <= actual <= fc.hi95[k])
        if z80 is not None:
            self.spreads.append(z80)
        error = abs(mean - actual)
        if scale is not None and scale > 0:
            self.scaled.append(error / scale)
        elif scale is not None and error <= 1e-9 * max(abs(actual), 1.0):
            self.scaled.append(0.0)  # a series that repeats exactly, forecast exactly

    def accuracy(self, model: str, horizon: int) -> Accuracy:
        if self.count == 0:
            return Accuracy(model=model, horizon=horizon, mase=None, coverage80=None, coverage95=None, origins=0)
        # MASE is undefined when an origin's scale is 0 and its forecast missed.
        mase = float(np.mean(self.scaled)) if len(self.scaled) == self.count else None
        return Accuracy(
            model=model,
            horizon=horizon,
            mase=mase,
            coverage80=self.inside80 / self.count,
            coverage95=self.inside95 / self.count,
            origins=self.count,
            spread=recent_mean(self.spreads) if self.spreads else None,
        )


def _score(
    scores: dict[tuple[str, int], _Score], model: str, history: History, t: int, fc: Forecast, horizons: int
) -> None:
    scale = seasonal_naive_scale(history.exports[:t])
    for k in range(min(horizons, len(history.exports) - t)):
        actual = float(history.exports[t + k])
        if math.isfinite(actual):
            scores.setdefault((model, k + 1), _Score()).add(actual, fc, k, scale)


def _records(scores: dict[tuple[str, int], _Score], models: Sequence[str], horizons: int) -> list[Accuracy]:
    return [scores.get((model, k), _Score()).accuracy(model, k) for model in models for k in range(1, horizons + 1)]


def backtest(
    history: History, models: Sequence[str], *, horizons: int = 6, origins: int = 12, min_train: int = 24
) -> list[Accuracy]:
    """Rolling-origin backtest: each model refitted on the first ``t`` months for each of the last ``origins``
    training ends ``t`` (at least ``min_train`` months), forecasting ``horizons`` months. One
    :class:`Accuracy` per model and horizon 1..horizons, models in the order given."""
    scores: dict[tuple[str, int], _Score] = {}
    n = len(history.exports)
    for t in _origins(n, origins=origins, min_train=min_train):
        head = history.head(t)
        if not np.isfinite(head.exports).any():
            continue
        forecasts = _forecast_models(head, models, horizons)
        for model in models:
            _score(scores, model, history, t, forecasts[model], horizons)
    return _records(scores, models, horizons)


def _forecast_models(history: History, models: Sequence[str], h: int) -> dict[str, Forecast]:
    """Several models on one series, the members of the models made of others (``MADE_OF``) computed once."""
    result = {name: forecast(history, name, h) for name in _needed(models) if name not in MADE_OF}
    for name in models:
        if name in MADE_OF:
            made = MADE_OF[name]()
            result[name] = made.merge({member: result[member] for member in made.members})
    return result


def _needed(models: Sequence[str]) -> list[str]:
    """The models asked for and the members of those made of others among them, each once."""
    needed = list(models)
    for name in models:
        if name in MADE_OF:
            needed += MADE_OF[name].members
    return list(dict.fromkeys(needed))


MEDIAN_MARGIN = 0.3
"""How much lower (as a share of the median's) another model's mean MASE must be for :func:`choose` to take it
instead of the median."""


def choose(accuracies: Sequence[Accuracy], *, horizons: Sequence[int] = (1, 2, 3)) -> str:
    """The model with the lowest mean MASE over ``horizons`` (a model must have a MASE at each of them).

    The default — kept when nothing beats it, on a tie and when there is no record — is the median of the models
    when it is among those compared (the most robust forecast of the backtests, see the module's docstring), else
    the seasonal naive forecast. Another model replaces the median only with a mean MASE at least
    :data:`MEDIAN_MARGIN` lower than the median's: twelve origins are a noisy record, and a record made before a
    turn favours the models that miss it. Further ties go to the seasonal naive forecast, then to the first name in
    alphabetical order."""
    by_model: dict[str, dict[int, float | None]] = {}
    for accuracy in accuracies:
        by_model.setdefault(accuracy.model, {})[accuracy.horizon] = accuracy.mase
    default = MEDIAN if MEDIAN in by_model else SEASONAL_NAIVE
    handicap = 1 / (1 - MEDIAN_MARGIN) if default == MEDIAN else 1.0
    best, best_score = default, math.inf
    for model in sorted(by_model, key=lambda m: (m != default, m != SEASONAL_NAIVE, m)):
        values = [by_model[model].get(k) for k in horizons]
        if not values or any(v is None for v in values):
            continue
        score = float(np.mean([v for v in values if v is not None])) * (1.0 if model == default else handicap)
        if score < best_score:
            best, best_score = model, score
    return best


# --- Many series at once -----------------------------------------------------------------------
#
# The bulk path does what the one-series path above does, for all the series of a call at once: the histories
# of the same length are stacked into matrices (:class:`_Stack`), and the series of a stack that start at the
# same month (the same leading months without a figure) are prepared, forecast, split back and scored as the
# rows of one matrix (:class:`_Batch`). Only the statistical models leave numpy (one statsforecast call per
# model over every batch), and the rare series whose order book is nearly collinear go through
# :func:`_nonnegative_least_squares` one by one. The results equal the one-series path up to float rounding
# (the tests compare them).

_BALANCE_FIRST_YEAR = min(CNY_DATES)
_BALANCES = np.array([cny_balance(year) for year in range(_BALANCE_FIRST_YEAR, max(CNY_DATES) + 1)])
_COLLINEAR = 1e-6
"""Below this ``det / (a11 * a22)`` (one minus the squared uncentred correlation of the two book columns) the
closed-form order-book fit hands the series to the one-series least squares (as good as collinear)."""


def _balances(years: IntArray) -> Array:
    """:func:`cny_balance` for an array of years."""
    offset = years - _BALANCE_FIRST_YEAR
    inside = (offset >= 0) & (offset < len(_BALANCES))
    return np.where(inside, _BALANCES[np.clip(offset, 0, len(_BALANCES) - 1)], 0.0)


def _shares_of(a: Array, b: Array, years: IntArray) -> Array:
    """:meth:`JanuaryShare.of` for arrays (``a``, ``b`` broadcast against ``years``)."""
    low, high = CNY_SHARE_LIMITS
    return np.asarray(np.clip(a + b * _balances(years), low, high), dtype=np.float64)


@dataclass(frozen=True, slots=True)
class _Stack:
    """Histories of the same length, one row each; ``rows`` are their positions in the caller's sequence. ``due``
    and ``new`` are NaN where a history lacks that figure (each on its own)."""

    rows: IntArray
    first_month: IntArray
    exports: Array
    due: Array
    new: Array


def _stacks(histories: Sequence[History]) -> list[_Stack]:
    by_length: dict[int, list[int]] = {}
    for i, history in enumerate(histories):
        by_length.setdefault(len(history.exports), []).append(i)
    months: dict[str, int] = {}
    stacks = []
    for n, rows in by_length.items():
        members = [histories[i] for i in rows]
        nothing = np.full(n, np.nan)
        stacks.append(
            _Stack(
                rows=np.array(rows, dtype=np.int64),
                first_month=np.array(
                    [months.setdefault(h.first_period, month_number(h.first_period)) for h in members], dtype=np.int64
                ),
                exports=np.array([h.exports for h in members], dtype=np.float64).reshape(len(rows), n),
                # Each figure on its own: a market's history has new orders (the orders' lead reads them) but no
                # part due within three months (the order book needs both).
                due=np.array(
                    [nothing if h.backlog_due_3m is None else h.backlog_due_3m for h in members], dtype=np.float64
                ).reshape(len(rows), n),
                new=np.array(
                    [nothing if h.new_orders is None else h.new_orders for h in members], dtype=np.float64
                ).reshape(len(rows), n),
            )
        )
    return stacks


@dataclass(frozen=True, slots=True)
class _Batch:
    """:func:`prepare` for the rows ``select`` of a stack cut after month ``t`` that all skip the same leading
    months: ``y`` is ``Prepared.y`` by row, ``a`` and ``b`` their :class:`JanuaryShare`, ``due`` and ``new`` their
    order book from the first figure."""

    stack: _Stack
    select: IntArray
    t: int
    y: Array
    first_month: IntArray
    end_month: IntArray
    a: Array
    b: Array
    spread: Array
    due: Array
    new: Array

    @property
    def rows(self) -> IntArray:
        """The positions of the rows in the caller's sequence."""
        return self.stack.rows[self.select]


def _january_shares(first_month: IntArray, values: Array) -> tuple[Array, Array, Array]:
    """:func:`january_share` by row: the arrays ``a``, ``b`` and ``spread``."""
    count_rows, m = values.shape
    a = np.full(count_rows, CNY_DEFAULT_SHARE)
    b = np.zeros(count_rows)
    if m < 2:
        return a, b, np.full(count_rows, CNY_SHARE_SPREAD)
    positions = first_month[:, None] + np.arange(m - 1)
    total = values[:, :-1] + values[:, 1:]
    with np.errstate(invalid="ignore"):
        usable = (positions % SEASON == 0) & np.isfinite(total) & (total > 0)
    count = usable.sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        s = np.where(usable, values[:, :-1] / np.where(usable, total, 1.0), 0.0)
        x = np.where(usable, _balances(positions // SEASON), 0.0)
        s_mean = s.sum(axis=1) / count
        x_mean = x.sum(axis=1) / count
        dx = np.where(usable, x - x_mean[:, None], 0.0)
        ds = np.where(usable, s - s_mean[:, None], 0.0)
        slope = (dx * ds).sum(axis=1) / (dx**2).sum(axis=1)
    balance_range = np.where(usable, x, -np.inf).max(axis=1) - np.where(usable, x, np.inf).min(axis=1)
    fitted = (count >= CNY_MIN_YEARS) & (balance_range > 0)
    b = np.where(fitted, slope, 0.0)
    a = np.where(count > 0, np.where(fitted, s_mean - b * x_mean, s_mean), CNY_DEFAULT_SHARE)
    squares = np.where(usable, (ds - b[:, None] * dx) ** 2, 0.0).sum(axis=1)
    spread = share_spread(squares, np.maximum(count - np.where(fitted, 2, 1), 0))
    return np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64), np.asarray(spread, dtype=np.float64)


def _batches(stack: _Stack, t: int) -> list[_Batch]:
    """The stack's series as they stood after month ``t`` (those with a figure by then), prepared."""
    finite = np.isfinite(stack.exports[:, :t])
    has = finite.any(axis=1)
    skipped = np.argmax(finite, axis=1)
    return [_batch(stack, np.flatnonzero(has & (skipped == s)), int(s), t) for s in np.unique(skipped[has])]


def _batch(stack: _Stack, select: IntArray, skipped: int, t: int) -> _Batch:
    raw = stack.exports[select, skipped:t]
    m = raw.shape[1]
    first_month = stack.first_month[select] + skipped
    filled = raw.copy()
    for i in np.flatnonzero(np.isnan(raw).any(axis=1)):
        filled[i] = _fill(raw[i])
    a, b, spread = _january_shares(first_month, raw)
    y = filled.copy()
    months = (first_month[:, None] + np.arange(m)) % SEASON
    rows, columns = np.nonzero(months[:, :-1] == 0)  # a January with its February
    half = (filled[rows, columns] + filled[rows, columns + 1]) / 2
    y[rows, columns] = half
    y[rows, columns + 1] = half
    last = np.flatnonzero(months[:, -1] == 0)  # a January whose February is not known yet
    y[last, -1] = filled[last, -1] / (2 * _shares_of(a[last], b[last], (first_month[last] + m - 1) // SEASON))
    first = np.flatnonzero(months[:, 0] == 1)  # a February whose January is before the series
    y[first, 0] = filled[first, 0] / (2 * (1 - _shares_of(a[first], b[first], first_month[first] // SEASON)))
    return _Batch(
        stack=stack,
        select=select,
        t=t,
        y=y,
        first_month=first_month,
        end_month=stack.first_month[select] + t,
        a=a,
        b=b,
        spread=spread,
        due=stack.due[select, skipped:t],
        new=stack.new[select, skipped:t],
    )


def _bounds_rows(mean: Array, sigma: Array) -> Array:
    return np.stack([mean, *_bounds(mean, sigma)])


def _seasonal_naive_rows(y: Array, h: int) -> Array:
    """:func:`_seasonal_naive_raw` by row: (mean, lo80, hi80, lo95, hi95) × rows × h."""
    count_rows, n = y.shape
    steps = np.arange(h)
    if n >= SEASON:
        mean = y[:, n - SEASON + steps % SEASON]
        residuals = y[:, SEASON:] - y[:, :-SEASON]
        widen = np.sqrt(steps // SEASON + 1.0)
    else:
        mean = np.repeat(y[:, -1:], h, axis=1)
        residuals = np.diff(y, axis=1)
        widen = np.sqrt(steps + 1.0)
    sigma0 = np.sqrt(np.mean(residuals**2, axis=1)) if residuals.shape[1] else np.zeros(count_rows)
    return _bounds_rows(mean, sigma0[:, None] * widen)


def _finish_rows(batch: _Batch, raw: Array) -> Array:
    """:func:`finish` by row (without the model's name)."""
    h = raw.shape[2]
    months = batch.end_month[:, None] + np.arange(h)
    share = _shares_of(batch.a[:, None], batch.b[:, None], months // SEASON)
    month = months % SEASON
    factor = np.where(month == 0, 2 * share, np.where(month == 1, 2 * (1 - share), 1.0))
    split_sd = np.where(month <= 1, 2 * np.maximum(raw[0], 0.0) * batch.spread[:, None], 0.0)
    return _split(raw, factor, split_sd)


def _seasonal_indices(batch: _Batch) -> Array:
    """:func:`seasonal_index` by row (row × calendar month)."""
    count_rows, n = batch.y.shape
    index = np.ones((count_rows, SEASON))
    full = (n // SEASON) * SEASON
    if full == 0:
        return index
    window = batch.y[:, n - full :]
    overall = window.mean(axis=1)
    by_position = window.reshape(count_rows, full // SEASON, SEASON).mean(axis=1)
    months = (batch.first_month[:, None] + n - full + np.arange(SEASON)) % SEASON
    with np.errstate(divide="ignore", invalid="ignore"):
        index[np.arange(count_rows)[:, None], months] = by_position / overall[:, None]
    index[overall <= 0] = 1.0
    return np.maximum(index, 0.0)


def _nonnegative_least_squares_rows(x1: Array, x2: Array, y: Array) -> tuple[Array, Array, BoolArray]:
    """:func:`_nonnegative_least_squares` for many two-column problems at once (rows; unused months zero in all
    three): the normal equations solved in closed form, else the better one-column fit. The third array marks
    the rows as good as collinear, left for the one-series path."""
    a11, a12, a22 = (x1 * x1).sum(axis=1), (x1 * x2).sum(axis=1), (x2 * x2).sum(axis=1)
    b1, b2 = (x1 * y).sum(axis=1), (x2 * y).sum(axis=1)
    det = a11 * a22 - a12 * a12
    collinear = ~(det > _COLLINEAR * a11 * a22)
    with np.errstate(divide="ignore", invalid="ignore"):
        c1 = np.where(collinear, 0.0, (a22 * b1 - a12 * b2) / det)
        c2 = np.where(collinear, 0.0, (a11 * b2 - a12 * b1) / det)
        one1 = np.where(a11 > 0, np.maximum(b1 / a11, 0.0), 0.0)
        one2 = np.where(a22 > 0, np.maximum(b2 / a22, 0.0), 0.0)
    free = (c1 >= 0) & (c2 >= 0)
    sse0 = np.sum(y**2, axis=1)
    sse1 = np.sum((y - one1[:, None] * x1) ** 2, axis=1)
    sse2 = np.sum((y - one2[:, None] * x2) ** 2, axis=1)
    take1 = (a11 > 0) & (sse1 < sse0)
    best = np.where(take1, sse1, sse0)
    take2 = (a22 > 0) & (sse2 < best)
    c1 = np.where(free, c1, np.where(take2, 0.0, np.where(take1, one1, 0.0)))
    c2 = np.where(free, c2, np.where(take2, one2, 0.0))
    return c1, c2, collinear


def _order_book_rows(batch: _Batch, h: int) -> tuple[BoolArray, Array]:
    """:func:`order_book_fit` and its forecast by row: which rows the model fits, and their raw forecast (the
    other rows' values are meaningless)."""
    y, due, new = batch.y, batch.due, batch.new
    count_rows, n = y.shape
    fits = np.isfinite(due[:, -1]) & np.isfinite(new[:, -1])
    season = _seasonal_indices(batch)
    every = np.arange(count_rows)[:, None]
    s = season[every, (batch.first_month[:, None] + np.arange(n)) % SEASON]
    rates = np.zeros((2, count_rows, h))
    sigma = np.zeros((count_rows, h))
    for k in range(1, h + 1):
        if n - k < MIN_ORDER_BOOK_PAIRS:
            fits[:] = False
            break
        usable = np.isfinite(due[:, : n - k]) & np.isfinite(new[:, : n - k]) & (s[:, k:] > 0)
        count = usable.sum(axis=1)
        fits &= count >= MIN_ORDER_BOOK_PAIRS
        x1 = np.where(usable, due[:, : n - k], 0.0)
        x2 = np.where(usable, new[:, : n - k], 0.0)
        with np.errstate(divide="ignore", invalid="ignore"):
            target = np.where(usable, y[:, k:] / np.where(usable, s[:, k:], 1.0), 0.0)
        c1, c2, collinear = _nonnegative_least_squares_rows(x1, x2, target)
        for i in np.flatnonzero(collinear & fits):
            c1[i], c2[i] = _nonnegative_least_squares(
                np.column_stack([x1[i][usable[i]], x2[i][usable[i]]]), target[i][usable[i]]
            )
        residuals = target - (x1 * c1[:, None] + x2 * c2[:, None])
        with np.errstate(divide="ignore", invalid="ignore"):
            sigma[:, k - 1] = np.sqrt(np.sum(residuals**2, axis=1) / (count - 2))
        rates[0, :, k - 1], rates[1, :, k - 1] = c1, c2
    ahead = season[every, (batch.end_month[:, None] + np.arange(h)) % SEASON]
    mean = ahead * (rates[0] * due[:, -1:] + rates[1] * new[:, -1:])
    return fits, _bounds_rows(mean, ahead * sigma)


def _statsforecast_many(ys: Sequence[Array], name: str, h: int, *, n_jobs: int) -> list[tuple[Array, ...]]:
    """One statsforecast call over many prepared series (each ``>= MIN_STATISTICAL`` long)."""
    import polars as pl
    from statsforecast import StatsForecast
    from tqdm import tqdm  # type: ignore[import-untyped]

    # statsforecast wraps its worker processes' results in a (disabled) progress bar, and tqdm starts a monitor
    # thread for the first bar; a thread left running makes the app's next computation run in one process
    # (forecasting.services.forecast_jobs). Interval 0 is tqdm's documented way to have no monitor.
    tqdm.monitor_interval = 0

    lengths = np.array([len(y) for y in ys])
    frame = pl.DataFrame(
        {
            "unique_id": np.repeat(np.arange(len(ys)), lengths),
            "ds": np.concatenate([np.arange(n) for n in lengths]),
            "y": np.concatenate(ys),
        }
    )
    engine = StatsForecast(models=[_statsforecast_model(name)], freq=1, n_jobs=n_jobs)
    with np.errstate(divide="ignore", invalid="ignore"):  # Theta's seasonality test on a flat series
        result: Any = engine.forecast(df=frame, h=h, level=_LEVELS)
    result = result.sort(["unique_id", "ds"])
    columns = [name if key == "mean" else f"{name}-{key}" for key in _KEYS]
    values = result.select(columns).to_numpy().astype(np.float64).reshape(len(ys), h, len(columns))
    return [tuple(values[i, :, j] for j in range(len(columns))) for i in range(len(ys))]


def _order_book_forecast(prepared: Prepared, history: History, h: int) -> Forecast:
    fitted = order_book_fit(prepared, history, h)
    if fitted is None:
        return finish(SEASONAL_NAIVE, prepared, *_seasonal_naive_raw(prepared.y, h))
    assert history.backlog_due_3m is not None and history.new_orders is not None
    mean, sigma = fitted.predict(
        first_month=prepared.end_month,
        backlog_due_3m=float(history.backlog_due_3m[-1]),
        new_orders=float(history.new_orders[-1]),
    )
    return finish(ORDER_BOOK, prepared, mean, *_bounds(mean, sigma))


@dataclass(frozen=True, slots=True)
class _Rows:
    """One model's forecasts for the rows of a batch: the model that made each (the one asked for, or the one it
    fell back to) and the finished (mean, lo80, hi80, lo95, hi95) × row × month ahead."""

    models: list[str]
    values: Array


def _statistical_rows(batches: Sequence[_Batch], name: str, h: int, *, n_jobs: int) -> list[_Rows]:
    """ETS, Theta or ARIMA on every batch in one statsforecast call; seasonal naive for the short series and
    where the model gave no finite numbers (:func:`_statistical_finish`)."""
    raws = [_seasonal_naive_rows(batch.y, h) for batch in batches]
    names = [[SEASONAL_NAIVE] * len(batch.select) for batch in batches]
    long = [i for i, batch in enumerate(batches) if batch.y.shape[1] >= MIN_STATISTICAL]
    if long:
        results = iter(_statsforecast_many([row for i in long for row in batches[i].y], name, h, n_jobs=n_jobs))
        for i in long:
            for j in range(len(batches[i].select)):
                raw = np.stack(next(results))
                if np.isfinite(raw).all():
                    raws[i][:, j] = raw
                    names[i][j] = name
    return [_Rows(models=n, values=_finish_rows(b, r)) for b, n, r in zip(batches, names, raws, strict=True)]


def _order_book_batch(batch: _Batch, h: int) -> _Rows:
    fits, raw = _order_book_rows(batch, h)
    raw = np.where(fits[None, :, None], raw, _seasonal_naive_rows(batch.y, h))
    return _Rows(models=[ORDER_BOOK if f else SEASONAL_NAIVE for f in fits.tolist()], values=_finish_rows(batch, raw))


def _order_lead_batch(batch: _Batch, h: int) -> _Rows:
    fits, raw = _order_lead_rows(batch.y, batch.new, h)
    raw = np.where(fits[None, :, None], raw, _seasonal_naive_rows(batch.y, h))
    return _Rows(models=[ORDER_LEAD if f else SEASONAL_NAIVE for f in fits.tolist()], values=_finish_rows(batch, raw))


def _combine_rows(members: Mapping[str, _Rows]) -> _Rows:
    """:func:`combine` of the two members (by name) by row."""
    first, second = members.values()
    usable = np.array([[m in COMBINED for m in rows.models] for rows in (first, second)]).reshape(2, -1)
    both, only_second = usable[0] & usable[1], ~usable[0] & usable[1]
    values = np.where(
        both[None, :, None],
        np.mean([first.values, second.values], axis=0),
        np.where(only_second[None, :, None], second.values, first.values),
    )
    names = [
        COMBINATION if b else s if o else f
        for b, o, f, s in zip(both.tolist(), only_second.tolist(), first.models, second.models, strict=True)
    ]
    return _Rows(models=names, values=values)


def _median_rows(members: Mapping[str, _Rows]) -> _Rows:
    """:func:`median_of` by row: each model votes once (the first member that is it or fell back to it)."""
    values = np.stack([rows.values for rows in members.values()])  # member × bound × row × month
    names = np.array([rows.models for rows in members.values()])  # member × row
    usable = np.array([~(names[:m] == names[m]).any(axis=0) for m in range(len(names))], dtype=bool)
    masked = np.where(usable[:, None, :, None], values, np.nan)
    voters = usable.sum(axis=0)
    names_out = [MEDIAN if count > 1 else str(names[0, j]) for j, count in enumerate(voters.tolist())]
    return _Rows(models=names_out, values=np.asarray(np.nanmedian(masked, axis=0), dtype=np.float64))


_MERGE_ROWS: dict[str, Callable[[Mapping[str, _Rows]], _Rows]] = {COMBINATION: _combine_rows, MEDIAN: _median_rows}
"""The bulk path's ``_OfMembers.merge`` by name."""


def _models_rows(batches: Sequence[_Batch], models: Sequence[str], h: int, *, n_jobs: int) -> dict[str, list[_Rows]]:
    """Several models on every batch, the members of the models made of others computed once."""
    for name in models:
        if name not in MODELS:
            raise ValueError(f"unknown model: {name!r}")
    result: dict[str, list[_Rows]] = {}
    for name in _needed(models):
        if name in MADE_OF:
            continue
        if name == SEASONAL_NAIVE:
            result[name] = [
                _Rows(models=[name] * len(b.select), values=_finish_rows(b, _seasonal_naive_rows(b.y, h)))
                for b in batches
            ]
        elif name == ORDER_BOOK:
            result[name] = [_order_book_batch(b, h) for b in batches]
        elif name == ORDER_LEAD:
            result[name] = [_order_lead_batch(b, h) for b in batches]
        else:
            result[name] = _statistical_rows(batches, name, h, n_jobs=n_jobs)
    for name in models:
        if name in MADE_OF:
            members = MADE_OF[name].members
            result[name] = [
                _MERGE_ROWS[name](dict(zip(members, rows, strict=True)))
                for rows in zip(*(result[member] for member in members), strict=True)
            ]
    return result


def forecast_many(histories: Mapping[K, History], model: str, h: int, *, n_jobs: int = 1) -> dict[K, Forecast]:
    """Forecast many series with one model: the bulk path of :func:`forecast` (same results up to float
    rounding).

    The statistical models run in one statsforecast call (``n_jobs`` processes); everything else is array
    operations over all the series at once. A series with no figure at all is left out of the result. The result
    keeps the order of ``histories``.
    """
    if model not in MODELS:
        raise ValueError(f"unknown model: {model!r}")
    return forecast_models(histories, [model], h, n_jobs=n_jobs)[model]


def order_leads(histories: Mapping[K, History]) -> dict[K, int]:
    """The lead the orders' lead learns on each series (months between the new orders and the exports that follow
    them best in its own history, of :data:`ORDER_LEAD_LEADS`): what the model reads and the pages show. A series
    the model cannot score a lead on (no new orders, fewer than two years) is left out."""
    keys = list(histories)
    found: dict[int, int] = {}
    for stack in _stacks([histories[k] for k in keys]):
        for batch in _batches(stack, stack.exports.shape[1]):
            if batch.y.shape[1] < _ORDER_LEAD_MIN_LENGTH:
                continue
            fits, lead, _sigma = _order_lead_fit(batch.y, batch.new)
            found.update((int(r), int(v)) for r, v, f in zip(batch.rows, lead, fits, strict=True) if f)
    return {keys[i]: found[i] for i in sorted(found)}


def forecast_models(
    histories: Mapping[K, History], models: Sequence[str], h: int, *, n_jobs: int = 1
) -> dict[str, dict[K, Forecast]]:
    """:func:`forecast_many` for several models, the members of the combination and the median computed once."""
    keys = list(histories)
    batches = [b for stack in _stacks([histories[k] for k in keys]) for b in _batches(stack, stack.exports.shape[1])]
    by_model = _models_rows(batches, models, h, n_jobs=n_jobs)
    periods: dict[int, str] = {}
    result: dict[str, dict[K, Forecast]] = {}
    for name in models:
        made: dict[int, Forecast] = {}
        for batch, rows in zip(batches, by_model[name], strict=True):
            for j, (position, end) in enumerate(zip(batch.rows.tolist(), batch.end_month.tolist(), strict=True)):
                if end not in periods:
                    periods[end] = period_of_month_number(end)
                mean, lo80, hi80, lo95, hi95 = rows.values[:, j]
                made[position] = Forecast(
                    model=rows.models[j],
                    first_period=periods[end],
                    mean=mean,
                    lo80=lo80,
                    hi80=hi80,
                    lo95=lo95,
                    hi95=hi95,
                )
        result[name] = {keys[position]: made[position] for position in sorted(made)}
    return result


# The backtest's tallies by series, model and horizon (the last axis of ``_Tally`` arrays).
# The spread's sum and weight decay by :data:`_SPREAD_DECAY` at each new one (its mean is :func:`recent_mean`).
_COUNT, _INSIDE80, _INSIDE95, _SCALED_SUM, _SCALED, _SPREAD_SUM, _SPREAD_WEIGHT, _SPREADS = range(8)
_TALLIES = 8


def _scales(exports: Array) -> Array:
    """:func:`seasonal_naive_scale` by row (NaN for ``None``)."""
    count_rows, n = exports.shape
    if n <= SEASON:
        return np.full(count_rows, np.nan)
    errors = np.abs(exports[:, SEASON:] - exports[:, :-SEASON])
    finite = np.isfinite(errors)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(np.where(finite, errors, 0.0).sum(axis=1) / finite.sum(axis=1), dtype=np.float64)


def _score_rows(tally: Array, rows: IntArray, values: Array, actual: Array, scale: Array) -> None:
    """:meth:`_Score.add` by row for one model (``tally`` is series × horizon × tallies)."""
    ahead = actual.shape[1]
    mean, lo80, hi80, lo95, hi95 = values[:, :, :ahead]
    finite = np.isfinite(actual)
    with np.errstate(divide="ignore", invalid="ignore"):
        error = np.abs(mean - actual)
        positive = (scale > 0)[:, None] & finite
        exact = (scale == 0)[:, None] & finite & (error <= 1e-9 * np.maximum(np.abs(actual), 1.0))
        # The intervals as scaled to the record of the origins before this one (as _Score.add).
        spreads, weight = tally[rows, :ahead, _SPREAD_SUM], tally[rows, :ahead, _SPREAD_WEIGHT]
        r = np.where(
            tally[rows, :ahead, _SPREADS] >= SPREAD_MIN_ORIGINS,
            np.maximum(spreads / np.where(weight > 0, weight, 1.0) / SPREAD_NORMAL, SCALE_FLOOR),
            1.0,
        )
        above = actual >= mean
        d80 = np.where(above, hi80 - mean, mean - lo80)
        d95 = np.where(above, hi95 - mean, mean - lo95)
        z80, z95 = error / d80, error / d95
        inside80 = np.where(d80 > 0, z80 <= r, (lo80 <= actual) & (actual <= hi80))
        inside95 = np.where(d95 > 0, z95 <= r, (lo95 <= actual) & (actual <= hi95))
        tally[rows, :ahead, _COUNT] += finite
        tally[rows, :ahead, _INSIDE80] += finite & inside80
        tally[rows, :ahead, _INSIDE95] += finite & inside95
        tally[rows, :ahead, _SCALED_SUM] += np.where(positive, error / scale[:, None], 0.0)
        tally[rows, :ahead, _SCALED] += positive | exact
        spread = finite & (d80 > 0)
        tally[rows, :ahead, _SPREAD_SUM] = np.where(spread, spreads * _SPREAD_DECAY + z80, spreads)
        tally[rows, :ahead, _SPREAD_WEIGHT] = np.where(spread, weight * _SPREAD_DECAY + 1.0, weight)
        tally[rows, :ahead, _SPREADS] += spread


def _accuracies(tally: Array, model: str) -> list[Accuracy]:
    """The records of one series and model from its tally (horizon × tallies)."""
    records = []
    for k, (count, inside80, inside95, scaled_sum, scaled, spread_sum, weight, spreads) in enumerate(
        tally.tolist(), start=1
    ):
        if count == 0:
            records.append(Accuracy(model=model, horizon=k, mase=None, coverage80=None, coverage95=None, origins=0))
            continue
        records.append(
            Accuracy(
                model=model,
                horizon=k,
                mase=scaled_sum / scaled if scaled == count else None,
                coverage80=inside80 / count,
                coverage95=inside95 / count,
                origins=int(count),
                spread=spread_sum / weight if spreads else None,
            )
        )
    return records


def backtest_many(
    histories: Mapping[K, History],
    models: Sequence[str],
    *,
    horizons: int = 6,
    origins: int = 12,
    min_train: int = 24,
    n_jobs: int = 1,
) -> dict[K, list[Accuracy]]:
    """:func:`backtest` for many series: every series at every origin (counted back from each series' own end) as
    the rows of one set of batches, forecast as arrays, with one statsforecast call per statistical model over all
    of them (so ``n_jobs`` processes start once per model, not once per origin). Same records as :func:`backtest`
    series by series, up to float rounding in the MASE."""
    keys = list(histories)
    stacks = _stacks([histories[k] for k in keys])
    tallies = np.zeros((len(models), len(keys), horizons, _TALLIES))
    batches = [
        batch
        for back in range(origins, 0, -1)  # oldest origin first, as in backtest
        for stack in stacks
        if (t := stack.exports.shape[1] - back) >= max(min_train, 1)
        for batch in _batches(stack, t)
    ]
    if batches:
        by_model = _models_rows(batches, models, horizons, n_jobs=n_jobs)
        for i, batch in enumerate(batches):
            exports = batch.stack.exports[batch.select]
            actual = exports[:, batch.t : batch.t + horizons]
            scale = _scales(exports[:, : batch.t])
            for m, name in enumerate(models):
                _score_rows(tallies[m], batch.rows, by_model[name][i].values, actual, scale)
    return {
        key: [record for m, name in enumerate(models) for record in _accuracies(tallies[m, p], name)]
        for p, key in enumerate(keys)
    }
