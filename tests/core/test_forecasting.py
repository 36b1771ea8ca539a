"""Export forecasts, their backtest and the model choice in exportwatch.core.forecasting (pure: no database)."""

from __future__ import annotations

import math
import threading

import numpy as np
import pytest

from exportwatch.core import forecasting as fc
from exportwatch.core.forecasting import Accuracy, Forecast, History
from exportwatch.core.periods import period_add

# A year of exports with January equal to February (so the festival adjustment leaves it as it is).
FLAT_JAN_FEB = np.array([90.0, 90, 100, 100, 110, 105, 100, 100, 110, 120, 115, 130])
# A year with a January share of 0.6, steady from year to year.
STEADY_SHARE = np.array([120.0, 80, 100, 100, 110, 105, 100, 100, 110, 120, 115, 130])
STATISTICAL = (fc.ETS, fc.THETA, fc.ARIMA)


def history(values: np.ndarray | list[float], first: str = "2017-01", **book: np.ndarray) -> History:
    return History(first_period=first, exports=np.asarray(values, dtype=float), **book)


def noisy(seed: int = 0, months: int = 39) -> History:
    rng = np.random.default_rng(seed)
    exports = np.tile(STEADY_SHARE, 4)[:months] * (1 + 0.01 * np.arange(months)) * rng.lognormal(0, 0.08, months)
    new_orders = exports * rng.uniform(0.8, 1.2, months)
    due = exports * rng.uniform(2.2, 2.8, months)
    return history(exports, new_orders=new_orders, backlog=due * 1.5, backlog_due_3m=due)


def assert_ordered(forecast: Forecast) -> None:
    assert (forecast.lo95 <= forecast.lo80).all()
    assert (forecast.lo80 <= forecast.mean).all()
    assert (forecast.mean <= forecast.hi80).all()
    assert (forecast.hi80 <= forecast.hi95).all()
    assert (forecast.lo95 >= 0).all()


# --- The data --------------------------------------------------------------------------------------


def test_a_history_refuses_order_book_arrays_of_another_length() -> None:
    with pytest.raises(ValueError, match="new_orders"):
        History(first_period="2020-01", exports=np.ones(5), new_orders=np.ones(4))


def test_a_history_refuses_a_first_period_that_is_not_a_month() -> None:
    with pytest.raises(ValueError):
        History(first_period="2020-13", exports=np.ones(5))


def test_a_forecast_starts_the_month_after_the_history() -> None:
    forecast = fc.forecast(history(np.tile(FLAT_JAN_FEB, 3)), fc.SEASONAL_NAIVE, 6)
    assert forecast.first_period == "2020-01"
    assert forecast.periods == ["2020-01", "2020-02", "2020-03", "2020-04", "2020-05", "2020-06"]


def test_leading_months_without_figures_are_dropped_and_gaps_inside_are_interpolated() -> None:
    values = np.tile(FLAT_JAN_FEB, 3).copy()
    values[:2] = np.nan
    values[15] = np.nan  # 2018-04 (100), between 100 and 110
    prepared = fc.prepare(history(values))
    assert prepared.skipped == 2
    assert len(prepared.y) == 34
    assert prepared.y[13] == pytest.approx(105.0)


def test_a_series_without_any_figure_cannot_be_forecast() -> None:
    with pytest.raises(ValueError, match="no figure"):
        fc.forecast(history([math.nan] * 30), fc.SEASONAL_NAIVE, 3)


# --- Known answers ---------------------------------------------------------------------------------


@pytest.mark.parametrize("model", list(fc.MODELS))
def test_every_model_forecasts_a_constant_series_as_that_constant(model: str) -> None:
    months = 36
    constant = history(
        np.full(months, 100.0),
        new_orders=np.full(months, 100.0),
        backlog=np.full(months, 400.0),
        backlog_due_3m=np.full(months, 300.0),
    )
    forecast = fc.forecast(constant, model, 6)
    assert forecast.model == model
    np.testing.assert_allclose(forecast.mean, 100.0, rtol=1e-3)
    assert_ordered(forecast)


def test_the_seasonal_naive_forecast_of_a_pure_seasonal_pattern_is_the_pattern() -> None:
    forecast = fc.forecast(history(np.tile(STEADY_SHARE, 3)), fc.SEASONAL_NAIVE, 12)
    np.testing.assert_allclose(forecast.mean, STEADY_SHARE)
    # It never erred: no width, but for the split of January + February, whose share is not known for sure: three
    # years fit the share exactly (one degree of freedom left), so its spread is the prior's, shrunk by one year.
    spread = np.sqrt(fc.CNY_SHARE_PRIOR_YEARS * fc.CNY_SHARE_SPREAD**2 / (fc.CNY_SHARE_PRIOR_YEARS + 1))
    split = np.r_[fc.Z95 * 2 * 100 * spread, fc.Z95 * 2 * 100 * spread, np.zeros(10)]  # the season's mean is 100
    np.testing.assert_allclose(forecast.hi95, STEADY_SHARE + split)
    np.testing.assert_allclose(forecast.lo95, STEADY_SHARE - split)


@pytest.mark.parametrize("model", STATISTICAL)
def test_the_statistical_models_follow_a_pure_seasonal_pattern(model: str) -> None:
    forecast = fc.forecast(history(np.tile(STEADY_SHARE, 3)), model, 12)
    np.testing.assert_allclose(forecast.mean, STEADY_SHARE, rtol=0.02)


def test_after_a_step_the_seasonal_naive_forecast_is_the_new_level_and_the_others_leave_the_old_one() -> None:
    step = history(np.r_[np.full(24, 100.0), np.full(12, 200.0)], first="2017-03")
    np.testing.assert_allclose(fc.forecast(step, fc.SEASONAL_NAIVE, 6).mean, 200.0)
    # ETS (with its trend) and Theta (with its drift) read part of the step as growth: at least the new level.
    for model in (fc.ETS, fc.THETA, fc.ARIMA):
        assert (fc.forecast(step, model, 6).mean >= 195.0).all()


@pytest.mark.parametrize(("model", "rtol"), [(fc.ETS, 0.01), (fc.ARIMA, 1e-6)])
def test_ets_and_the_airline_model_extend_a_linear_trend(model: str, rtol: float) -> None:
    months = 36
    trend = history(100.0 + 5.0 * np.arange(months), first="2017-03")  # no January or February forecast
    forecast = fc.forecast(trend, model, 6)
    np.testing.assert_allclose(forecast.mean, 100.0 + 5.0 * np.arange(months, months + 6), rtol=rtol)


def test_a_series_shorter_than_two_years_gets_the_seasonal_naive_forecast_and_says_so() -> None:
    forecast = fc.forecast(history(np.tile(FLAT_JAN_FEB, 2)[:20]), fc.ETS, 3)
    assert forecast.model == fc.SEASONAL_NAIVE
    np.testing.assert_allclose(forecast.mean, FLAT_JAN_FEB[8:11])


def test_less_than_a_year_of_history_gives_the_last_month() -> None:
    forecast = fc.forecast(history([5.0, 7.0, 6.0], first="2020-05"), fc.SEASONAL_NAIVE, 2)
    np.testing.assert_allclose(forecast.mean, [6.0, 6.0])
    # Naive residuals 2 and -1: s = sqrt(2.5), widened with sqrt(h).
    np.testing.assert_allclose(forecast.hi80 - forecast.mean, fc.Z80 * math.sqrt(2.5) * np.sqrt([1, 2]))


def test_the_seasonal_naive_interval_is_its_residual_spread_widened_by_the_years_ahead() -> None:
    values = np.r_[np.tile(FLAT_JAN_FEB, 2), FLAT_JAN_FEB + 10]  # every month 10 above a year earlier
    forecast = fc.forecast(history(values), fc.SEASONAL_NAIVE, 24)
    # Residuals: 12 zeros and 12 tens, root mean square sqrt(50); January and February (the first two months of
    # each year ahead) add the error of their split in quadrature (the season's mean 100).
    sigma = fc.Z95 * math.sqrt(50) * np.repeat([1.0, math.sqrt(2)], 12)
    split = np.where(np.arange(24) % 12 < 2, fc.Z95 * 2 * 100 * fc.prepare(history(values)).share.spread, 0.0)
    np.testing.assert_allclose(forecast.hi95 - forecast.mean, np.hypot(sigma, split))


SEASON_INDEX = np.array([0.8, 0.8, 1.0, 1.0, 1.1, 1.05, 1.0, 0.95, 1.05, 1.1, 1.05, 1.1])  # mean 1


def book_history(due_rate: float, new_rate: float, months: int = 36) -> History:
    """A steady book (due_rate × backlog due + new_rate × new orders = 300 every month, the two parts moving
    against each other) shipped with the seasonal pattern SEASON_INDEX (January like February) the month after."""
    rng = np.random.default_rng(7)
    due = rng.uniform(200, 400, months)
    new = (300 - due_rate * due) / new_rate
    exports = 300 * np.tile(SEASON_INDEX, months // 12 + 1)[:months]
    return history(exports, new_orders=new, backlog=due * 1.5, backlog_due_3m=due)


def test_the_order_book_model_learns_the_season_and_the_conversion_rates_of_the_series() -> None:
    book = book_history(0.3, 0.5)
    fitted = fc.order_book_fit(fc.prepare(book), book, 3)
    assert fitted is not None
    np.testing.assert_allclose(fitted.season, SEASON_INDEX)
    np.testing.assert_allclose(fitted.due, 0.3)
    np.testing.assert_allclose(fitted.new, 0.5)
    assert fitted.pairs == (35, 34, 33)
    forecast = fc.forecast(book, fc.ORDER_BOOK, 3)
    assert forecast.model == fc.ORDER_BOOK
    assert book.backlog_due_3m is not None and book.new_orders is not None
    expected = SEASON_INDEX[:3] * (0.3 * book.backlog_due_3m[-1] + 0.5 * book.new_orders[-1])  # Jan..Mar 2020
    np.testing.assert_allclose(forecast.mean, expected, rtol=1e-9)
    # Exact fit: no residual; January and February carry only the error of their split.
    np.testing.assert_allclose(forecast.hi95[2] - forecast.lo95[2], 0.0, atol=1e-6)
    assert (forecast.hi95[:2] - forecast.lo95[:2] > 0).all()
    assert_ordered(forecast)


def test_the_order_book_rates_are_not_negative() -> None:
    rng = np.random.default_rng(8)
    due, new = rng.uniform(300, 400, 36), rng.uniform(50, 150, 36)
    exports = np.r_[100.0, 0.5 * due[:-1] - 0.5 * new[:-1]]  # more new orders, fewer shipments
    book = history(exports, new_orders=new, backlog_due_3m=due, first="2017-03")
    fitted = fc.order_book_fit(fc.prepare(book), book, 1)
    assert fitted is not None
    assert fitted.new[0] == 0.0
    assert fitted.due[0] > 0


def test_without_an_order_book_the_order_book_model_falls_back_to_the_seasonal_naive_forecast() -> None:
    forecast = fc.forecast(history(np.tile(FLAT_JAN_FEB, 3)), fc.ORDER_BOOK, 3)
    assert forecast.model == fc.SEASONAL_NAIVE
    np.testing.assert_allclose(forecast.mean, FLAT_JAN_FEB[:3])


def orders_led(
    fall_month: int | None = None,
    months: int = 36,
    lead: int = 3,
    pattern: np.ndarray = FLAT_JAN_FEB,
    growth: float = 1.1,
) -> History:
    """Exports with the yearly ``pattern`` growing by ``growth`` a year, the new orders of each month the exports ``lead``
    months later; with ``fall_month`` the orders fall by 40 % from that month on (the exports ``lead`` months
    later)."""
    total = months + lead
    exports = np.tile(pattern, total // 12 + 1)[:total] * growth ** (np.arange(total) / 12)
    if fall_month is not None:
        exports[fall_month + lead :] *= 0.6
    return history(exports[:months], new_orders=exports[lead:], backlog_due_3m=2 * exports[lead:])


def test_the_orders_lead_moves_last_years_exports_by_the_growth_of_the_orders() -> None:
    forecast = fc.forecast(orders_led(), fc.ORDER_LEAD, 6)
    assert forecast.model == fc.ORDER_LEAD
    expected = np.tile(FLAT_JAN_FEB, 4)[36:42] * 1.1 ** (np.arange(36, 42) / 12)
    np.testing.assert_allclose(forecast.mean, expected, rtol=1e-9)
    # Exact in sample: no spread, but for the split of January + February (the first two months).
    np.testing.assert_allclose(forecast.hi95[2:] - forecast.lo95[2:], 0.0, atol=1e-6)


def test_a_fall_of_the_orders_reaches_the_forecast_at_the_lead_the_series_shows() -> None:
    # No season and no growth, so that the months of a window weigh the same. The orders fell in the last three
    # months of the history; the exports have not yet.
    series = orders_led(fall_month=33, pattern=np.full(12, 100.0), growth=1.0)
    forecast = fc.forecast(series, fc.ORDER_LEAD, 4)
    level = np.full(4, 100.0)  # where the exports would be without the fall
    # Lead 3 is learned (with lead 1 or 2 the last months' exports would already have fallen). The forecast of the
    # k-th month ahead follows the year-on-year change of the orders of the three months ending k months before
    # it, or ending with the last month from the fourth month on: 1, 2, 3 and 3 of them fallen.
    fallen = np.array([1, 2, 3, 3])
    np.testing.assert_allclose(forecast.mean, level * (3 - 0.4 * fallen) / 3, rtol=1e-9)
    seasonal_naive = fc.forecast(series, fc.SEASONAL_NAIVE, 4)
    np.testing.assert_allclose(seasonal_naive.mean, level, rtol=1e-9)  # sees nothing of it
    assert_ordered(forecast)


def test_the_orders_lead_needs_two_years_and_the_new_orders() -> None:
    assert fc.forecast(orders_led(months=23), fc.ORDER_LEAD, 3).model == fc.SEASONAL_NAIVE
    assert fc.forecast(orders_led(months=24), fc.ORDER_LEAD, 3).model == fc.ORDER_LEAD
    without = fc.forecast(history(orders_led().exports), fc.ORDER_LEAD, 3)
    assert without.model == fc.SEASONAL_NAIVE
    np.testing.assert_allclose(without.mean, fc.forecast(history(orders_led().exports), fc.SEASONAL_NAIVE, 3).mean)


def test_the_growth_of_the_orders_is_kept_within_its_limit() -> None:
    series = orders_led()
    assert series.new_orders is not None
    new = series.new_orders.copy()
    new[-3:] *= 1_000  # a year ago close to nothing, by comparison
    forecast = fc.forecast(History(series.first_period, series.exports, new_orders=new), fc.ORDER_LEAD, 3)
    assert forecast.model == fc.ORDER_LEAD  # lead 3: the in-sample months do not see the jump
    last_year = fc.forecast(series, fc.SEASONAL_NAIVE, 3).mean
    # Every window of the three months reaches into the jump: a change of hundreds, kept at the limit.
    np.testing.assert_allclose(forecast.mean, fc.ORDER_LEAD_GROWTH_LIMIT * last_year, rtol=1e-9)


def test_the_combination_is_the_mean_of_its_members_bound_by_bound() -> None:
    series = noisy(3)
    members = [fc.forecast(series, name, 6) for name in fc.COMBINED]
    combined = fc.forecast(series, fc.COMBINATION, 6)
    assert combined.model == fc.COMBINATION
    for attribute in ("mean", "lo80", "hi80", "lo95", "hi95"):
        np.testing.assert_allclose(
            getattr(combined, attribute), np.mean([getattr(m, attribute) for m in members], axis=0)
        )


def test_the_combination_leaves_out_a_member_that_fell_back_and_says_who_made_it() -> None:
    series = history(noisy(3).exports)  # no order book
    combined = fc.forecast(series, fc.COMBINATION, 6)
    ets = fc.forecast(series, fc.ETS, 6)
    assert combined.model == fc.ETS
    np.testing.assert_allclose(combined.mean, ets.mean)


def test_the_median_is_the_median_of_its_members_bound_by_bound() -> None:
    series = noisy(3)
    members = [fc.forecast(series, name, 6) for name in fc.MEDIAN_OF]
    assert [m.model for m in members] == list(fc.MEDIAN_OF)  # nobody fell back: five voters
    median = fc.forecast(series, fc.MEDIAN, 6)
    assert median.model == fc.MEDIAN
    for attribute in ("mean", "lo80", "hi80", "lo95", "hi95"):
        values = np.sort([getattr(m, attribute) for m in members], axis=0)
        np.testing.assert_allclose(getattr(median, attribute), values[2])  # the third of five, month by month
    assert_ordered(median)


def test_a_member_of_the_median_that_fell_back_votes_once_as_the_model_it_fell_back_to() -> None:
    series = history(noisy(3).exports)  # no order book: the orders' lead and the order book fall back
    assert [fc.forecast(series, name, 6).model for name in (fc.ORDER_LEAD, fc.ORDER_BOOK)] == [fc.SEASONAL_NAIVE] * 2
    # four voters (the seasonal naive forecast once), the median the mean of the middle two
    members = [fc.forecast(series, name, 6) for name in (fc.SEASONAL_NAIVE, fc.ETS, fc.THETA, fc.ARIMA)]
    values = np.sort([m.mean for m in members], axis=0)
    median = fc.forecast(series, fc.MEDIAN, 6)
    assert median.model == fc.MEDIAN
    np.testing.assert_allclose(median.mean, (values[1] + values[2]) / 2)
    short = history(np.tile(FLAT_JAN_FEB, 2)[:20])  # too short for any model but the seasonal naive forecast
    only = fc.forecast(short, fc.MEDIAN, 3)
    assert only.model == fc.SEASONAL_NAIVE
    np.testing.assert_allclose(only.mean, fc.forecast(short, fc.SEASONAL_NAIVE, 3).mean)


@pytest.mark.parametrize("model", list(fc.MODELS))
def test_every_model_gives_ordered_non_negative_bounds(model: str) -> None:
    for seed in range(2):
        forecast = fc.forecast(noisy(seed), model, 6)
        assert len(forecast.mean) == 6
        assert_ordered(forecast)
        assert (forecast.hi95 > forecast.lo95).all()  # noisy data: real width


def test_a_statistical_model_that_gives_no_finite_numbers_falls_back_to_the_seasonal_naive_forecast(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    class Broken:
        def forecast(self, **_: object) -> dict[str, np.ndarray]:
            return {key: np.full(3, np.nan) for key in ("mean", "lo-80", "hi-80", "lo-95", "hi-95")}

    monkeypatch.setattr(fc, "_statsforecast_model", lambda name: Broken())
    forecast = fc.forecast(history(np.tile(FLAT_JAN_FEB, 3)), fc.ETS, 3)
    assert forecast.model == fc.SEASONAL_NAIVE
    np.testing.assert_allclose(forecast.mean, FLAT_JAN_FEB[:3])


def test_forecasts_are_floored_at_zero() -> None:
    falling = history(np.maximum(1000.0 - 40.0 * np.arange(30), 0.0), first="2017-03")
    for model in (fc.ETS, fc.ARIMA, fc.THETA):
        forecast = fc.forecast(falling, model, 6)
        assert (forecast.lo95 >= 0).all() and (forecast.mean >= 0).all()
        assert_ordered(forecast)


# --- The Chinese New Year ----------------------------------------------------------------------------


def test_the_festival_balance_counts_the_closure_days_in_january_against_february() -> None:
    assert fc.cny_balance(2020) == pytest.approx((7 - 14) / 21)  # 25 January: 7 days in January, 14 in February
    assert fc.cny_balance(2019) == pytest.approx(-1.0)  # 5 February: all 21 in February
    assert fc.cny_balance(2015) == pytest.approx(-10 / 21)  # 19 February: 10 in February, 11 in March
    assert fc.cny_balance(2023) == pytest.approx((10 - 11) / 21)  # 22 January
    assert fc.cny_balance(1990) == 0.0  # outside the table


def festival_series(last: str) -> tuple[History, dict[int, float]]:
    """Ordinary months 100; January + February 200, January's share 0.5 - 0.2 × the festival's balance."""
    values, shares = [], {}
    for year in range(2014, 2020):
        share = 0.5 - 0.2 * fc.cny_balance(year)
        shares[year] = share
        values += [200 * share, 200 * (1 - share)] + [100.0] * 10
    if last == "2020-01":
        shares[2020] = 0.5 - 0.2 * fc.cny_balance(2020)
        values.append(200 * shares[2020])
    return history(values, first="2014-01"), shares


def test_the_january_share_is_learned_from_the_festival_dates() -> None:
    series, _ = festival_series("2019-12")
    share = fc.january_share(fc.prepare(series).first_month, series.exports)
    assert (share.a, share.b, share.years) == (pytest.approx(0.5), pytest.approx(-0.2), 6)


@pytest.mark.parametrize("model", [fc.SEASONAL_NAIVE, fc.ETS])
def test_january_and_february_are_split_by_where_the_festival_falls_that_year(model: str) -> None:
    series, _ = festival_series("2019-12")
    forecast = fc.forecast(series, model, 3)
    january = 200 * (0.5 - 0.2 * fc.cny_balance(2020))  # 113.3: the festival straddles the months in 2020
    np.testing.assert_allclose(forecast.mean, [january, 200 - january, 100.0], rtol=1e-3)
    # A plain seasonal naive forecast would repeat 2019 (festival wholly in February): 140 and 60.
    assert forecast.mean[0] != pytest.approx(140.0, rel=0.05)


def test_the_spread_of_the_january_share_pools_the_series_own_years_with_the_prior() -> None:
    prior = fc.CNY_SHARE_PRIOR_YEARS * fc.CNY_SHARE_SPREAD**2
    series, _ = festival_series("2019-12")  # six years on the line: no residual, four degrees of freedom
    share = fc.january_share(fc.prepare(series).first_month, series.exports)
    assert share.spread == pytest.approx(np.sqrt(prior / (fc.CNY_SHARE_PRIOR_YEARS + 4)))
    # Two years, shares 0.6 and 0.4: the mean share 0.5, squares 0.02 on one degree of freedom.
    two = history([60.0, 40] + [100.0] * 10 + [40.0, 60] + [100.0] * 10)
    share = fc.january_share(fc.prepare(two).first_month, two.exports)
    assert (share.a, share.b) == (pytest.approx(0.5), 0.0)
    assert share.spread == pytest.approx(np.sqrt((prior + 0.02) / (fc.CNY_SHARE_PRIOR_YEARS + 1)))
    # No complete year: the prior alone.
    assert fc.january_share(3, np.full(10, 100.0)).spread == fc.CNY_SHARE_SPREAD


@pytest.mark.parametrize("model", [fc.SEASONAL_NAIVE, fc.ORDER_LEAD])
def test_the_bounds_of_january_and_february_carry_the_error_of_their_split(model: str) -> None:
    values = np.tile(STEADY_SHARE, 4)
    steady = history(values, new_orders=values)  # the orders' lead: no change of orders, no in-sample error
    forecast = fc.forecast(steady, model, 3)
    assert forecast.model == model
    spread = fc.prepare(steady).share.spread
    # The season (January + February) forecast 200 without error; its split into 120 and 80 errs by spread × 200.
    np.testing.assert_allclose(forecast.mean, [120.0, 80.0, 100.0])
    np.testing.assert_allclose(forecast.hi80 - forecast.mean, [fc.Z80 * 200 * spread] * 2 + [0.0], atol=1e-9)
    np.testing.assert_allclose(forecast.mean - forecast.lo95, [fc.Z95 * 200 * spread] * 2 + [0.0], atol=1e-9)


def test_a_january_that_ends_the_history_stands_for_its_season() -> None:
    series, shares = festival_series("2020-01")
    forecast = fc.forecast(series, fc.SEASONAL_NAIVE, 2)
    np.testing.assert_allclose(forecast.mean, [200 * (1 - shares[2020]), 100.0])


def test_the_january_share_is_learned_from_reported_months_only() -> None:
    series, _ = festival_series("2019-12")
    values = series.exports.copy()
    values[12] = np.nan  # January 2015 not reported: interpolated for the model, but not a share
    prepared = fc.prepare(history(values, first="2014-01"))
    assert prepared.share.years == 5
    assert (prepared.share.a, prepared.share.b) == (pytest.approx(0.5), pytest.approx(-0.2))


def test_with_too_few_years_the_january_share_is_the_mean_share() -> None:
    series = history(np.tile(STEADY_SHARE, 2))
    share = fc.january_share(fc.prepare(series).first_month, series.exports)
    assert (share.a, share.b, share.years) == (pytest.approx(0.6), 0.0, 2)
    assert fc.january_share(fc.prepare(series).first_month + 2, series.exports[2:12]).a == pytest.approx(31 / 59)


# --- Backtest and choice -----------------------------------------------------------------------------


def yearly_steps() -> History:
    """Three years of the same pattern, 10 higher each year (January equal to February)."""
    return history(np.r_[FLAT_JAN_FEB, FLAT_JAN_FEB + 10, FLAT_JAN_FEB + 20])


def test_the_backtest_scores_the_seasonal_naive_forecast_against_its_own_scale() -> None:
    records = fc.backtest(yearly_steps(), [fc.SEASONAL_NAIVE], horizons=3, origins=6, min_train=24)
    # Origins: training ends after 30..35 months. Every forecast is 10 short, and so is every in-sample
    # seasonal-naive error: MASE 1. The interval (residual spread 10, z·10 >= 12.8) covers each miss of 10.
    assert [(r.horizon, r.origins) for r in records] == [(1, 6), (2, 5), (3, 4)]
    for record in records:
        assert record.model == fc.SEASONAL_NAIVE
        assert record.mase == pytest.approx(1.0)
        assert (record.coverage80, record.coverage95) == (1.0, 1.0)


def test_the_seasonal_naive_forecast_of_a_pure_seasonal_series_scores_zero() -> None:
    records = fc.backtest(history(np.tile(STEADY_SHARE, 3)), [fc.SEASONAL_NAIVE, fc.ETS], horizons=2, origins=3)
    naive = [r for r in records if r.model == fc.SEASONAL_NAIVE]
    assert [r.mase for r in naive] == [0.0, 0.0]
    ets = [r for r in records if r.model == fc.ETS]
    assert all(r.mase is None for r in ets)  # a scale of 0: any miss is not measurable


def test_the_backtest_skips_months_without_a_figure_and_origins_too_short() -> None:
    values = yearly_steps().exports.copy()
    values[-1] = np.nan
    records = fc.backtest(history(values), [fc.SEASONAL_NAIVE], horizons=1, origins=20, min_train=30)
    # Each miss of 10 against an interval of z·10 on its side: a spread of 1 / z.
    expected = Accuracy(fc.SEASONAL_NAIVE, 1, pytest.approx(1.0), 1.0, 1.0, 5, pytest.approx(1 / fc.Z80))  # type: ignore[arg-type]
    assert records == [expected]


def test_the_backtest_of_a_too_short_history_has_no_record() -> None:
    records = fc.backtest(history(np.tile(FLAT_JAN_FEB, 2)), [fc.ETS], horizons=2)
    assert records == [Accuracy(fc.ETS, 1, None, None, None, 0), Accuracy(fc.ETS, 2, None, None, None, 0)]


def record(model: str, *mases: float | None) -> list[Accuracy]:
    return [Accuracy(model, k, mase, 0.8, 0.95, 10) for k, mase in enumerate(mases, start=1)]


def test_choose_takes_the_lowest_mean_mase_over_the_short_horizons() -> None:
    records = record(fc.SEASONAL_NAIVE, 1.0, 1.0, 1.0, 0.1) + record(fc.ETS, 0.7, 0.8, 0.9, 5.0)
    records += record(fc.THETA, 0.6, 0.9, 1.0)
    assert fc.choose(records) == fc.ETS  # 0.8 against theta's 0.833
    assert fc.choose(records, horizons=(1,)) == fc.THETA
    assert fc.choose(records, horizons=(4,)) == fc.SEASONAL_NAIVE


def test_choose_keeps_the_median_when_it_was_compared_and_nothing_beats_it() -> None:
    assert fc.choose(record(fc.SEASONAL_NAIVE, 0.5, 0.5, 0.5) + record(fc.MEDIAN, 0.5, 0.5, 0.5)) == fc.MEDIAN
    assert fc.choose(record(fc.MEDIAN, None, None, None) + record(fc.ETS, None, None, None)) == fc.MEDIAN
    assert fc.choose(record(fc.MEDIAN, 0.6, 0.6, 0.6) + record(fc.ETS, 0.5, 0.6, 0.6)) == fc.MEDIAN  # not by 30 %
    assert fc.choose(record(fc.MEDIAN, 0.6, 0.6, 0.6) + record(fc.ETS, 0.4, 0.4, 0.45)) == fc.ETS  # beaten
    assert fc.choose(record(fc.SEASONAL_NAIVE, 0.6, 0.6, 0.6) + record(fc.ETS, 0.5, 0.6, 0.6)) == fc.ETS  # no margin
    assert fc.choose(record(fc.MEDIAN, None, 0.1, 0.1) + record(fc.SEASONAL_NAIVE, 0.9, 0.9, 0.9)) == fc.SEASONAL_NAIVE


def test_choose_keeps_the_seasonal_naive_forecast_when_nothing_beats_it_or_there_is_no_record() -> None:
    assert fc.choose([]) == fc.SEASONAL_NAIVE
    assert fc.choose(record(fc.SEASONAL_NAIVE, 0.5, 0.5, 0.5) + record(fc.ETS, 0.5, 0.4, 0.6)) == fc.SEASONAL_NAIVE
    assert fc.choose(record(fc.ETS, 0.9, None, 0.9)) == fc.SEASONAL_NAIVE  # no MASE at horizon 2
    assert fc.choose(record(fc.ETS, 2.0, 2.0, 2.0)) == fc.ETS  # the only record


# --- Many series at once -----------------------------------------------------------------------------


def many() -> dict[str, History]:
    gaps = noisy(11).exports.copy()
    gaps[:3], gaps[20] = np.nan, np.nan
    return {
        "a": noisy(1),
        "b": noisy(2, months=30),
        "short": noisy(3, months=15),  # falls back to the seasonal naive forecast
        "gaps": history(gaps),
        "empty": history([math.nan] * 30),  # left out
        "january": noisy(4, months=37),  # ends in a January
    }


@pytest.mark.parametrize("model", list(fc.MODELS))
def test_forecast_many_equals_forecasting_each_series(model: str) -> None:
    histories = many()
    bulk = fc.forecast_many(histories, model, 6)
    assert list(bulk) == ["a", "b", "short", "gaps", "january"]
    for key, forecast in bulk.items():
        single = fc.forecast(histories[key], model, 6)
        assert (forecast.model, forecast.first_period) == (single.model, single.first_period)
        for attribute in ("mean", "lo80", "hi80", "lo95", "hi95"):
            np.testing.assert_allclose(getattr(forecast, attribute), getattr(single, attribute), rtol=1e-9)
    assert bulk["short"].model == fc.SEASONAL_NAIVE


def assert_same_records(bulk: list[Accuracy], single: list[Accuracy]) -> None:
    """Equal records, the MASE up to float rounding (the bulk path sums in another order)."""
    assert [(r.model, r.horizon, r.coverage80, r.coverage95, r.origins) for r in bulk] == [
        (r.model, r.horizon, r.coverage80, r.coverage95, r.origins) for r in single
    ]
    for b, s in zip(bulk, single, strict=True):
        assert (b.mase is None) == (s.mase is None)
        if b.mase is not None:
            assert b.mase == pytest.approx(s.mase, rel=1e-9, abs=1e-12)
        assert (b.spread is None) == (s.spread is None)
        if b.spread is not None:
            assert b.spread == pytest.approx(s.spread, rel=1e-9)


def test_backtest_many_equals_the_backtest_of_each_series_once_the_intervals_are_scaled() -> None:
    """Twelve origins: from the fifth on, both paths score each origin on intervals scaled by the spread before."""
    histories = {"a": noisy(3, months=48), "b": noisy(4, months=45)}
    models = [fc.SEASONAL_NAIVE, fc.ORDER_BOOK, fc.ORDER_LEAD]
    bulk = fc.backtest_many(histories, models, horizons=3, origins=12)
    for key, series in histories.items():
        assert_same_records(bulk[key], fc.backtest(series, models, horizons=3, origins=12))


def forecast_of(mean: float, lo80: float, hi80: float, lo95: float, hi95: float, h: int = 1) -> fc.Forecast:
    def months(v: float) -> np.ndarray:
        return np.full(h, v, dtype=float)

    return fc.Forecast(
        "seasonal_naive", "2020-01", months(mean), months(lo80), months(hi80), months(lo95), months(hi95)
    )


def test_the_record_scales_the_intervals_by_its_spread() -> None:
    assert fc.record_scale(None) == 1.0
    assert fc.record_scale(fc.SPREAD_NORMAL) == pytest.approx(1.0)
    assert fc.record_scale(2 * fc.SPREAD_NORMAL) == pytest.approx(2.0)
    assert fc.record_scale(0.0) == fc.SCALE_FLOOR  # no error on the record: not certain
    own = forecast_of(100, 80, 130, 60, 150, h=3)
    half = fc.scale_to_record(own, [0.5 * fc.SPREAD_NORMAL, None])
    # Month 1 at half its distances; month 2 without a spread keeps its own; month 3, past the record, the last one's.
    assert half.lo80.tolist() == pytest.approx([90, 80, 90]) and half.hi80.tolist() == pytest.approx([115, 130, 115])
    assert half.lo95.tolist() == pytest.approx([80, 60, 80]) and half.hi95.tolist() == pytest.approx([125, 150, 125])
    assert half.mean.tolist() == [100, 100, 100]
    wide = fc.scale_to_record(forecast_of(10, 5, 20, 0, 30), [2 * fc.SPREAD_NORMAL])
    assert (wide.lo80[0], wide.hi80[0], wide.lo95[0], wide.hi95[0]) == pytest.approx((0, 30, 0, 50))  # floored at 0
    assert fc.scale_to_record(own, []) is own


def test_the_backtest_scores_each_origin_on_the_intervals_scaled_by_the_origins_before() -> None:
    """Four origins whose actual sits a tenth of the way to the 80 % bound, then one halfway: inside the model's own
    interval, outside the one scaled by the four before (0.1 / 0.62 of its width)."""
    from exportwatch.core.forecasting import _Score

    score = _Score()
    own = forecast_of(100, 80, 120, 70, 130)
    for _ in range(fc.SPREAD_MIN_ORIGINS):
        score.add(102.0, own, 0, scale=10.0)
    score.add(90.0, own, 0, scale=10.0)
    record = score.accuracy("seasonal_naive", 1)
    assert record.coverage80 == pytest.approx(4 / 5)
    # 95 %: the same actual is a third of the way to its bound, also beyond 0.1 / 0.62.
    assert record.coverage95 == pytest.approx(4 / 5)
    # The spread weighs the latest origin most: each origin half as much as the one four origins after it.
    weights = [2**-1, 2**-0.75, 2**-0.5, 2**-0.25, 1.0]
    assert record.spread == pytest.approx((0.1 * sum(weights[:4]) + 0.5) / sum(weights))
    assert record.mase == pytest.approx((4 * 0.2 + 1.0) / 5)


def test_the_recent_mean_halves_an_origins_weight_every_four_origins() -> None:
    assert fc.SPREAD_HALF_LIFE == 4
    assert fc.recent_mean([3.0]) == 3.0
    assert fc.recent_mean([0.0, 0.0, 0.0, 0.0, 1.0]) == pytest.approx(1 / (1 + 2**-0.25 + 2**-0.5 + 2**-0.75 + 0.5))
    # Four origins apart, the older weighs half of the newer.
    assert fc.recent_mean([1.0, 0.0, 0.0, 0.0, 0.0]) / fc.recent_mean([0.0, 0.0, 0.0, 0.0, 1.0]) == pytest.approx(0.5)


def test_backtest_many_equals_the_backtest_of_each_series() -> None:
    histories = {"a": noisy(1), "b": noisy(2, months=33), "steps": yearly_steps()}
    models = [fc.SEASONAL_NAIVE, fc.THETA, fc.ORDER_BOOK, fc.COMBINATION]
    bulk = fc.backtest_many(histories, models, horizons=3, origins=4)
    for key, series in histories.items():
        assert_same_records(bulk[key], fc.backtest(series, models, horizons=3, origins=4))


def assorted(count: int = 60) -> dict[int, History]:
    """Random series of every kind the bulk path groups and special-cases: lengths, first months (one starting
    in a February, some ending in a January), leading months without a figure, gaps, book months missing, no
    book, new orders without the part due, a book whose two columns are proportional, a last month without its
    book, zero exports."""
    rng = np.random.default_rng(42)
    result = {}
    for i in range(count):
        months = int(rng.choice([13, 20, 30, 37, 39, 39, 39, 45]))
        first = period_add("2016-01", int(rng.integers(0, 14)))
        base = np.tile(STEADY_SHARE, 5)[:months] * rng.lognormal(3 + 4 * rng.random(), 0.2, months)
        exports = base * (1 + 0.02 * rng.standard_normal() * np.arange(months))
        if i % 9 == 8:
            exports = np.zeros(months)
        new = exports * rng.uniform(0.6, 1.4, months)
        due = exports * rng.uniform(1.5, 3.5, months)
        if i % 5 == 1:
            exports[: rng.integers(1, 8)] = np.nan
        if i % 4 == 2:
            exports[rng.integers(5, months - 1, size=2)] = np.nan
        if i % 6 == 3:
            due[rng.integers(0, months - 1, size=3)] = np.nan
        if i % 10 == 4:
            due = 2.5 * new  # collinear: the one-series least squares
        if i % 23 == 5:
            new[-1] = np.nan  # no book in the last month: seasonal naive
        if i % 8 == 7:
            new[rng.integers(0, months - 1, size=4)] = np.nan
        if i % 7 == 6:
            result[i] = History(first_period=first, exports=exports)
        elif i % 11 == 10:  # a market's: new orders, no part due within three months
            result[i] = History(first_period=first, exports=exports, new_orders=new)
        else:
            result[i] = History(first_period=first, exports=exports, new_orders=new, backlog_due_3m=due)
    return result


def test_backtest_many_in_two_processes_equals_one() -> None:
    # statsforecast forks its workers once per model; the records must not depend on it.
    histories = {"a": noisy(1), "b": noisy(2, months=33), "steps": yearly_steps()}
    models = [fc.ETS, fc.ARIMA, fc.MEDIAN]
    one = fc.backtest_many(histories, models, horizons=3, origins=4)
    threads = threading.active_count()
    two = fc.backtest_many(histories, models, horizons=3, origins=4, n_jobs=2)
    assert threading.active_count() == threads  # no thread left behind (it would stop the next fork)
    naive = fc.backtest_many(histories, [fc.SEASONAL_NAIVE], horizons=3, origins=4)
    for key in histories:
        assert_same_records(two[key], one[key])
        ets = [r.mase for r in two[key] if r.model == fc.ETS]
        assert ets != [r.mase for r in naive[key]]  # fitted in the workers, not fallen back to seasonal naive


def test_backtest_many_equals_the_backtest_of_each_series_with_the_median() -> None:
    histories = {
        "a": noisy(1),
        "b": noisy(2, months=33),
        "no book": history(noisy(5).exports),
        "short": noisy(6, months=26),
    }
    models = [fc.SEASONAL_NAIVE, fc.MEDIAN]
    bulk = fc.backtest_many(histories, models, horizons=3, origins=4)
    for key, series in histories.items():
        assert_same_records(bulk[key], fc.backtest(series, models, horizons=3, origins=4))


def test_backtest_many_equals_the_backtest_of_each_series_of_every_kind() -> None:
    histories = assorted()
    models = [fc.SEASONAL_NAIVE, fc.ORDER_BOOK, fc.ORDER_LEAD]
    bulk = fc.backtest_many(histories, models, horizons=6, origins=12, min_train=20)
    assert list(bulk) == list(histories)
    for key, series in histories.items():
        assert_same_records(bulk[key], fc.backtest(series, models, horizons=6, origins=12, min_train=20))


@pytest.mark.parametrize("model", [fc.SEASONAL_NAIVE, fc.ORDER_BOOK, fc.ORDER_LEAD])
def test_forecast_many_equals_forecasting_each_series_of_every_kind(model: str) -> None:
    histories = assorted()
    bulk = fc.forecast_many(histories, model, 7)
    assert list(bulk) == list(histories)
    assert {f.model for f in bulk.values()} >= {fc.SEASONAL_NAIVE} | {model}
    for key, forecast in bulk.items():
        single = fc.forecast(histories[key], model, 7)
        assert (forecast.model, forecast.first_period) == (single.model, single.first_period)
        for attribute in ("mean", "lo80", "hi80", "lo95", "hi95"):
            np.testing.assert_allclose(getattr(forecast, attribute), getattr(single, attribute), rtol=1e-9, atol=1e-9)


def test_the_closed_form_order_book_fit_equals_the_least_squares_of_each_series() -> None:
    rng = np.random.default_rng(5)
    rows, months = 2_000, 30
    x1 = rng.uniform(0, 100, (rows, months)) * rng.lognormal(0, 2, (rows, 1))
    x2 = rng.uniform(0, 100, (rows, months)) * rng.lognormal(0, 2, (rows, 1))
    x2[::3] += x1[::3] * rng.uniform(0.5, 3, (len(x2[::3]), 1))  # correlated columns
    y = (rng.normal(0.5, 1, (rows, 1)) * x1 + rng.normal(0.5, 1, (rows, 1)) * x2) * rng.lognormal(0, 0.3, x1.shape)
    y[::7] *= -1  # no positive fit at all: both rates 0
    used = rng.random((rows, months)) > 0.2  # months without a pair are zero in all three
    x1, x2, y = np.where(used, x1, 0.0), np.where(used, x2, 0.0), np.where(used, y, 0.0)
    c1, c2, collinear = fc._nonnegative_least_squares_rows(x1, x2, y)
    assert collinear.sum() < rows / 100  # nearly proportional columns: left for the one-series least squares
    cases = set()
    for i in np.flatnonzero(~collinear):
        expected = fc._nonnegative_least_squares(np.column_stack([x1[i][used[i]], x2[i][used[i]]]), y[i][used[i]])
        np.testing.assert_allclose([c1[i], c2[i]], expected, rtol=1e-9, atol=1e-12 * np.abs(expected).max())
        cases.add((expected[0] > 0, expected[1] > 0))
    assert cases == {(True, True), (True, False), (False, True), (False, False)}  # every branch was taken
    _, _, proportional = fc._nonnegative_least_squares_rows(x1[:1], 2 * x1[:1], y[:1])
    assert proportional.all()


def test_order_leads_finds_the_months_between_the_orders_and_the_exports_that_follow_them() -> None:
    rng = np.random.default_rng(8)
    histories = {}
    for lead in fc.ORDER_LEAD_LEADS:
        new = rng.uniform(50, 150, 48)
        # Each month ships the mean of the three months of orders ending ``lead`` months before it.
        exports = np.array([new[max(t - lead - 2, 0) : max(t - lead, 0) + 1].mean() for t in range(48)])
        histories[lead] = History(first_period="2016-03", exports=exports, new_orders=new)
    first = histories[1]
    assert first.new_orders is not None
    histories["no orders"] = History(first_period="2016-03", exports=first.exports)
    histories["short"] = History(first_period="2016-03", exports=first.exports[:20], new_orders=first.new_orders[:20])
    assert fc.order_leads(histories) == {lead: lead for lead in fc.ORDER_LEAD_LEADS}
