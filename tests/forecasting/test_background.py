"""Forecasts kept current: a report marks its month pending; the worker's step recomputes once it settles."""

from __future__ import annotations

import datetime as dt

import pytest
import time_machine
from django.test import override_settings

from exportwatch.forecasting.models import ForecastRun, PendingForecast
from exportwatch.forecasting.services import handle_one_pending_forecast
from tests.conftest import World
from tests.monitoring.conftest import submit

NOW = dt.datetime(2020, 4, 15, 10, 0, tzinfo=dt.UTC)


def test_a_submitted_report_marks_its_month_pending(history: World) -> None:
    assert PendingForecast.objects.filter(period="2020-03").exists()


def test_a_customs_load_marks_the_months_it_changed_pending_and_a_repeated_load_marks_none(world: World) -> None:
    """Customs' figures complete the months an enterprise skipped, so a load that writes changes the forecasts."""
    from decimal import Decimal

    from exportwatch.core.records import CustomsExportIn
    from exportwatch.customs.services import customs_upsert_many

    rows = [
        CustomsExportIn(world.ent_a.uscc, "2019-06", "US", "8401", Decimal(700)),
        CustomsExportIn(world.ent_a.uscc, "2019-07", "DE", "85", Decimal(50)),
    ]
    assert customs_upsert_many(rows=rows, user=world.admin, source_file="c.xlsx") == (2, 0)
    assert sorted(PendingForecast.objects.values_list("period", flat=True)) == ["2019-06", "2019-07"]
    PendingForecast.objects.all().delete()
    assert customs_upsert_many(rows=rows, user=world.admin, source_file="c.xlsx") == (0, 2)
    assert not PendingForecast.objects.exists()
    changed = [CustomsExportIn(world.ent_a.uscc, "2019-07", "DE", "85", Decimal(60))]
    assert customs_upsert_many(rows=changed, user=world.admin, source_file="d.xlsx") == (1, 0)
    assert list(PendingForecast.objects.values_list("period", flat=True)) == ["2019-07"]


def test_marking_again_moves_the_marks_time_on_without_a_second_mark(db: None) -> None:
    from exportwatch.forecasting.services import forecast_pending_mark
    from exportwatch.warnings.models import PendingMonth
    from exportwatch.warnings.services import pending_mark

    for model, mark in ((PendingForecast, forecast_pending_mark), (PendingMonth, pending_mark)):
        with time_machine.travel(NOW, tick=False):
            mark(periods=["2020-03", "2020-02"])
        with time_machine.travel(NOW + dt.timedelta(minutes=5), tick=False):
            mark(periods={"2020-03", "2020-04"})
        assert sorted(model.objects.values_list("period", "since")) == [
            ("2020-02", NOW),
            ("2020-03", NOW + dt.timedelta(minutes=5)),
            ("2020-04", NOW + dt.timedelta(minutes=5)),
        ]


@override_settings(EXPORTWATCH_WARNINGS_SETTLE_SECONDS=60)
def test_the_worker_recomputes_the_latest_origin_once_the_reports_settle(
    history: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from exportwatch.forecasting import services

    monkeypatch.setattr(services, "models_available", lambda: ["seasonal_naive"])
    # The fixture's submissions marked the month at the demo day's wall-clock time, which may be later than NOW.
    PendingForecast.objects.all().delete()
    with time_machine.travel(NOW, tick=False):
        submit(history.ent_c, "2020-03", 1, 1, 1, 1)  # changed just now
        assert handle_one_pending_forecast() is False  # not settled
        assert not ForecastRun.objects.exists()
    with time_machine.travel(NOW + dt.timedelta(minutes=2), tick=False):
        assert handle_one_pending_forecast() is True
        assert ForecastRun.objects.get().origin_period == "2020-03"
        assert not PendingForecast.objects.exists()
        assert handle_one_pending_forecast() is False  # nothing left


def test_a_failed_run_puts_the_marks_back(history: World, monkeypatch: pytest.MonkeyPatch) -> None:
    from exportwatch.forecasting import services

    def fail(**kwargs: object) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(services, "forecasts_compute", fail)
    with override_settings(EXPORTWATCH_WARNINGS_SETTLE_SECONDS=0), pytest.raises(RuntimeError):
        handle_one_pending_forecast()
    assert PendingForecast.objects.exists()


def test_the_step_is_registered_with_the_worker() -> None:
    from exportwatch.exchange.jobs import EXTRA_STEPS

    assert handle_one_pending_forecast in EXTRA_STEPS


@override_settings(EXPORTWATCH_WARNINGS_SETTLE_SECONDS=60)
def test_the_worker_moves_the_origin_when_a_months_deadline_passes_without_a_report(
    history: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """One enterprise of three reported April before its deadline (2020-05-05): the forecasts stay on March. Once
    the deadline has passed April stands as reported, and the worker recomputes though no report came since."""
    from exportwatch.forecasting import services

    monkeypatch.setattr(services, "models_available", lambda: ["seasonal_naive"])
    early = dt.datetime(2020, 5, 3, 10, 0, tzinfo=dt.UTC)
    with time_machine.travel(early, tick=False), override_settings(EXPORTWATCH_TODAY=None):
        submit(history.ent_c, "2020-04", 1, 1, 1, 1)
    with time_machine.travel(early + dt.timedelta(minutes=2), tick=False), override_settings(EXPORTWATCH_TODAY=None):
        assert handle_one_pending_forecast() is True
        assert ForecastRun.objects.get().origin_period == "2020-03"  # 1 of 3: April is still coming in
        assert handle_one_pending_forecast() is False  # nothing pending, April not due yet
    after = dt.datetime(2020, 5, 6, 9, 0, tzinfo=dt.UTC)
    with time_machine.travel(after, tick=False), override_settings(EXPORTWATCH_TODAY=None):
        assert handle_one_pending_forecast() is True  # April's deadline passed since the run: April marked
        assert handle_one_pending_forecast() is False  # the mark settles first
    with time_machine.travel(after + dt.timedelta(minutes=2), tick=False), override_settings(EXPORTWATCH_TODAY=None):
        assert handle_one_pending_forecast() is True
        assert ForecastRun.objects.order_by("-origin_period").first().origin_period == "2020-04"
        assert handle_one_pending_forecast() is False  # computed after the deadline: nothing more to do
