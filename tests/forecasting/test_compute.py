"""A run: every level's series read from the aggregates, each model chosen by its record, the forecast stored."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

import pytest

from exportwatch.core.periods import ComingIn, period_range
from exportwatch.forecasting import services
from exportwatch.forecasting.models import ForecastRun, SeriesForecast
from exportwatch.forecasting.selectors import forecast_origin, series_data
from exportwatch.forecasting.services import forecasts_compute, models_for
from exportwatch.monitoring.selectors import periods_coming_in
from tests.conftest import World
from tests.forecasting.conftest import CHEAP_MODELS, ORIGIN, exports_of
from tests.monitoring.conftest import submit


def test_every_level_has_its_series_from_the_aggregates(history: World) -> None:
    data = {(d.scope, d.key): d for d in series_data(period=ORIGIN)}
    district = data[("district", "")]
    assert district.first_period == "2017-10"
    assert district.exports[-1] == exports_of(1000, ORIGIN) + exports_of(400, ORIGIN) + exports_of(100, ORIGIN)
    assert district.due_3m is not None
    assert {k for s, k in data if s == "market"} == {"US", "DE", "JP"}
    assert data[("market", "JP")].first_period == "2019-01"  # a series starts at its first export
    assert {k for s, k in data if s == "town"} == {"330213001", "330213100"}
    assert data[("market", "US")].due_3m is None  # lines do not split their backlog by due date
    heads = [k for s, k in data if s == "enterprise"]
    assert heads == [history.ent_a.uscc]  # the head enterprises only
    assert ("industry", "34") in data and ("hs", "84") in data


def test_a_month_without_any_report_is_unknown_in_every_series(history: World) -> None:
    from exportwatch.reporting.models import Report

    Report.objects.filter(period="2019-06").delete()
    from exportwatch.monitoring.cells import cells_rebuild

    cells_rebuild()
    data = {(d.scope, d.key): d for d in series_data(period=ORIGIN)}
    district = data[("district", "")].exports
    assert math.isnan(district[20])  # 2017-10 + 20 months: nobody reported 2019-06
    assert data[("market", "JP")].exports[:2] == [exports_of(100, "2019-01"), exports_of(100, "2019-02")]
    assert math.isnan(data[("market", "JP")].exports[5])  # 2019-01 + 5 months: 2019-06 again


def test_the_origin_is_the_latest_month_with_reports_up_to_today(history: World) -> None:
    submit(history.ent_c, "2020-04", 1, 1, 1, 1)
    submit(history.ent_b, "2020-04", 1, 1, 1, 1)
    submit(history.ent_a, "2020-04", 1, 1, 1, 1)
    assert forecast_origin(today=dt.date(2020, 3, 31)) == ORIGIN  # April is not a month of today's
    assert forecast_origin(today=dt.date(2020, 5, 2)) == "2020-04"  # every enterprise has reported it


def test_a_month_whose_first_reports_are_coming_in_is_not_yet_the_origin(history: World) -> None:
    """The deadline is the 5th of the next month. One of the three enterprises that reported March has reported
    April: April's totals would read as a collapse of two thirds, so the forecasts stay on March until 90 % of
    March's reporters have reported April or its deadline has passed."""
    from exportwatch.forecasting.services import forecasts_compute

    submit(history.ent_c, "2020-04", 1, 1, 1, 1)
    # The background worker's recompute takes the clock's today (2020-04-15 in the tests).
    run = forecasts_compute(models=CHEAP_MODELS)
    assert run is not None and run.origin_period == ORIGIN
    early = dt.date(2020, 5, 3)
    assert forecast_origin(today=early) == ORIGIN
    assert periods_coming_in(today=early) == [
        ComingIn(period="2020-04", reported=1, before=3, deadline=dt.date(2020, 5, 5))
    ]
    submit(history.ent_b, "2020-04", 1, 1, 1, 1)
    assert forecast_origin(today=early) == ORIGIN  # 2 of 3: below 90 %
    assert forecast_origin(today=dt.date(2020, 5, 6)) == "2020-04"  # the deadline passed: the month as it stands
    assert periods_coming_in(today=dt.date(2020, 5, 6)) == []
    submit(history.ent_a, "2020-04", 1, 1, 1, 1)
    assert forecast_origin(today=early) == "2020-04"  # all three in before the deadline


def test_a_run_stores_every_series_with_the_model_its_record_chose(computed: World) -> None:
    run = ForecastRun.objects.get(origin_period=ORIGIN)
    assert run.series == SeriesForecast.objects.filter(run=run).count() > 8
    district = SeriesForecast.objects.get(run=run, scope="district")
    assert district.first_period == "2020-04"
    assert len(district.mean) == 9  # to December, for the annual target
    us = SeriesForecast.objects.get(run=run, scope="market", key="US")
    assert len(us.mean) == 6
    for f in SeriesForecast.objects.filter(run=run):
        assert f.model in CHEAP_MODELS
        assert set(f.record) == set(CHEAP_MODELS)
        assert all(lo <= m <= hi for lo, m, hi in zip(f.lo80, f.mean, f.hi80, strict=True))
        assert all(lo <= m <= hi for lo, m, hi in zip(f.lo95, f.lo80, f.hi95, strict=True))
    # The pattern repeats exactly every year: the seasonal naive forecast is the same months a year before.
    assert district.mean[:3] == pytest.approx([1500 * 1.0, 1500 * 1.0, 1500 * 1.0])
    # ent_a's market repeats exactly every year: the seasonal naive forecast never missed, and won.
    record = {r["horizon"]: r for r in us.record["seasonal_naive"]}
    assert record[1]["mase"] == pytest.approx(0.0)
    assert record[1]["origins"] == 30 - 24  # 30 months, at least 24 to train on
    assert us.model == "seasonal_naive"


def test_a_forecast_from_a_past_origin_uses_the_data_up_to_it_only(computed: World) -> None:
    before = SeriesForecast.objects.get(run__origin_period=ORIGIN, scope="district").mean
    submit(computed.ent_c, "2020-04", 9_999, 9_999, 9_999, 9_999)
    forecasts_compute(period=ORIGIN, models=CHEAP_MODELS)  # recomputed: the run of the origin replaced
    assert ForecastRun.objects.filter(origin_period=ORIGIN).count() == 1
    assert SeriesForecast.objects.get(run__origin_period=ORIGIN, scope="district").mean == before


def test_the_many_small_series_compare_only_the_cheap_models() -> None:
    every = ["seasonal_naive", "ets", "theta", "arima", "order_book", "combination", "median"]
    assert models_for("market", every) == every
    assert models_for("enterprise", every) == ["seasonal_naive", "order_book"]
    assert models_for("town", ["ets"]) == ["ets"]  # nothing cheap asked for: what was asked


def test_there_is_nothing_to_compute_without_reports(world: World) -> None:
    assert forecasts_compute() is None


def test_the_demo_sets_the_year_s_target_from_the_year_before_and_computes_once_with_a_quarter_before(
    history: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    import datetime as dt

    import time_machine

    from exportwatch.forecasting import services
    from exportwatch.forecasting.demo import demo_forecasts_load
    from exportwatch.forecasting.models import ExportTarget, ForecastRun, PendingForecast

    monkeypatch.setattr(services, "models_available", lambda: list(CHEAP_MODELS))
    _skip(history.ent_c, "2019-06")  # the target counts its June as estimated (400, as it would have reported)
    with time_machine.travel(dt.datetime(2020, 4, 15, 10, tzinfo=dt.UTC), tick=False):
        run = demo_forecasts_load()
        assert run is not None and run.origin_period == ORIGIN
        year_before = sum(exports_of(1000 + 400 + 100, f"2019-{m:02d}") for m in range(1, 13))
        assert ExportTarget.objects.get(year=2020).amount_usd == year_before
        past = ForecastRun.objects.get(origin_period="2019-12")  # a quarter before: shown against what happened
        PendingForecast.objects.all().delete()
        assert demo_forecasts_load().pk == run.pk  # loaded again, nothing changed: not recomputed
        assert ForecastRun.objects.get(origin_period="2019-12").pk == past.pk


def test_the_models_run_in_the_configured_processes_only_from_a_lone_main_thread(
    settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    import threading

    settings.EXPORTWATCH_FORECAST_JOBS = 3
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert services.forecast_jobs() == 3  # e.g. `exportwatch worker` on a server
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert services.forecast_jobs() == 1  # another thread alive: no fork
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    seen: list[int] = []
    thread = threading.Thread(target=lambda: seen.append(services.forecast_jobs()))
    thread.start()
    thread.join()
    assert seen == [1]  # the worker thread of `exportwatch serve`
    settings.EXPORTWATCH_FORECAST_JOBS = 1
    assert services.forecast_jobs() == 1


def test_two_processes_give_the_same_forecasts_as_one(
    history: World, settings: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The statistical models fork their workers with the database connection open (SQLite and PostgreSQL).
    import threading

    def build() -> list[tuple[Any, ...]]:
        rows = services.forecasts_build(origin=ORIGIN, models=["seasonal_naive", "ets"])
        return [(r.scope, r.key, r.model, r.mean, r.record) for r in rows]

    one = build()
    settings.EXPORTWATCH_FORECAST_JOBS = 2
    monkeypatch.setattr(threading, "active_count", lambda: 1)
    assert services.forecast_jobs() == 2
    two = build()
    assert two == one
    # ETS was fitted somewhere (a series it fell back on would score exactly as seasonal naive does)
    assert any(r[4]["ets"] != r[4]["seasonal_naive"] for r in one)
    assert series_data(period=ORIGIN)  # the connection still serves the test


def test_a_run_computed_in_english_keeps_a_chapter_name_longer_than_the_column_and_shows_it_whole(
    history: World,
) -> None:
    from django.test import Client
    from django.urls import reverse
    from django.utils import translation

    from exportwatch.directory.models import HSCode

    long_name = HSCode.objects.get(code="94").name_en
    assert len(long_name) > services.NAME_LENGTH  # chapter 94's English name: the case that broke PostgreSQL
    with translation.override("en"):
        forecasts_compute(period=ORIGIN, models=CHEAP_MODELS)
    stored = SeriesForecast.objects.get(scope="hs", key="94")
    assert stored.name == long_name[: services.NAME_LENGTH]
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    client.force_login(history.analyst)
    assert long_name in client.get(reverse("forecasting:series", args=["hs", "94"])).content.decode()


def _skip(ent: Any, *periods: str) -> None:
    """Take an enterprise's reports of ``periods`` out, as if it had never reported them."""
    from exportwatch.monitoring.cells import cells_rebuild
    from exportwatch.reporting.models import Report

    Report.objects.filter(enterprise=ent, period__in=periods).delete()
    cells_rebuild()


def test_a_month_an_enterprise_skipped_is_carried_with_the_rest_of_its_series(history: World) -> None:
    """ent_c (town B, DE, 400 a month before the season) skips 2019-06: every series it is in counts it at its May
    figure moved with the others (May and June have the same season, so the others did not move); town B and DE,
    where it is alone, take the district's growth."""
    _skip(history.ent_c, "2019-06")
    data = {(d.scope, d.key): d for d in series_data(period=ORIGIN)}
    june = 20  # 2017-10 + 20 months
    district = data[("district", "")]
    assert district.exports[june] == 1000 + 100 + 400
    assert district.filled is not None and district.filled[june] == 400
    assert district.filled[june - 1] == 0 and district.filled[june + 1] == 0
    assert district.new_orders[june] == 1000 + 100 + 400  # every figure: new orders, backlog, the part due
    assert district.backlog[june] == 3000 + 100 + 800
    assert district.due_3m is not None and district.due_3m[june] == 2000 + 100 + 400
    town_b = data[("town", history.ent_c.town_id)]
    assert town_b.exports[june] == 400
    de = data[("market", "DE")]
    assert de.exports[june] == 400 and de.backlog[june] == 800
    assert data[("market", "US")].filled is not None and not any(data[("market", "US")].filled)
    head = data[("enterprise", history.ent_a.uscc)]
    assert head.filled is None  # an enterprise's own series is never filled


def test_a_month_customs_knows_takes_the_customs_exports_and_carries_the_rest(history: World) -> None:
    """ent_c skips 2019-06 and customs recorded it exporting 250 to DE (HS 9401) and 50 to the US (HS 8544) that
    month: every series takes customs' exports (by market, chapter, town, in all), its orders are carried as before;
    customs' record of a month it reported changes nothing."""
    from decimal import Decimal

    from exportwatch.customs.models import CustomsExport

    _skip(history.ent_c, "2019-06")
    at = dt.datetime(2019, 7, 20, tzinfo=dt.UTC)
    records = (("2019-06", "DE", "9401", 250), ("2019-06", "US", "8544", 50), ("2019-05", "DE", "9401", 1))
    for period, market, hs, usd in records:
        CustomsExport.objects.create(
            enterprise=history.ent_c, period=period, market_id=market, hs=hs, exports_usd=Decimal(usd), loaded_at=at
        )
    data = {(d.scope, d.key): d for d in series_data(period=ORIGIN)}
    june = 20
    district = data[("district", "")]
    assert district.exports[june] == 1000 + 100 + 250 + 50
    assert district.filled is not None and district.filled[june] == 300
    assert district.exports[june - 1] == exports_of(1000 + 100 + 400, "2019-05")  # reported: customs not read
    assert district.new_orders[june] == 1000 + 100 + 400  # customs knows no orders: carried
    assert district.backlog[june] == 3000 + 100 + 800
    assert data[("town", history.ent_c.town_id)].exports[june] == 300
    assert data[("market", "DE")].exports[june] == 250 and data[("market", "DE")].backlog[june] == 800
    assert data[("market", "US")].exports[june] == 1000 + 50
    assert data[("hs", "94")].exports[june] == 250


def test_the_origin_counts_the_enterprises_still_to_report_it(history: World) -> None:
    """ent_c has not reported the origin: its February figure moved by the others' February-to-March growth (0.6 to
    0.8 of the season) is exactly its March."""
    _skip(history.ent_c, ORIGIN)
    district = next(d for d in series_data(period=ORIGIN) if d.scope == "district")
    assert district.exports[-1] == pytest.approx(exports_of(1000, ORIGIN) + exports_of(100, ORIGIN) + 320)
    assert district.filled is not None and district.filled[-1] == pytest.approx(320)


def test_a_longer_silence_at_the_end_is_not_filled_beyond_three_months(history: World) -> None:
    _skip(history.ent_c, "2019-10", "2019-11", "2019-12", "2020-01", "2020-02", ORIGIN)
    district = next(d for d in series_data(period=ORIGIN) if d.scope == "district")
    assert district.filled is not None
    assert [round(v) for v in district.filled[-6:]] == [exports_of(400, "2019-10"), 440, 480, 0, 0, 0]


def test_the_run_keeps_the_estimated_part_of_its_actuals(history: World) -> None:
    _skip(history.ent_c, "2019-06")
    run = forecasts_compute(period=ORIGIN, models=CHEAP_MODELS)
    assert run is not None
    district = SeriesForecast.objects.get(run=run, scope="district")
    june = period_range(district.actual_first_period, ORIGIN).index("2019-06")
    assert district.actuals[june] == 1500
    assert len(district.filled) == len(district.actuals) and district.filled[june] == 400
    assert SeriesForecast.objects.get(run=run, scope="enterprise").filled == []


def test_the_stored_intervals_are_the_model_s_own_scaled_to_its_record(computed: World) -> None:
    from exportwatch.core.forecasting import forecast, record_scale, scale_to_record

    district = SeriesForecast.objects.get(run__origin_period=ORIGIN, scope="district")
    data = next(d for d in series_data(period=ORIGIN) if d.scope == "district")
    own = forecast(services._history(data), district.model, len(district.mean))
    spreads = [r["spread"] for r in district.record[district.model]]
    assert any(s is not None and abs(record_scale(s) - 1) > 0.05 for s in spreads)  # the record moves them here
    expected = scale_to_record(own, spreads)
    for bound in ("lo80", "hi80", "lo95", "hi95"):
        assert getattr(district, bound) == pytest.approx(getattr(expected, bound).tolist(), rel=1e-9)
    assert district.hi80 != pytest.approx(own.hi80.tolist(), rel=1e-3)
    assert district.mean == pytest.approx(own.mean.tolist(), rel=1e-9)
