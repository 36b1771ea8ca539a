"""The export contracts: ``exportwatch export forecasts [--period] [--horizon]`` and ``forecast_accuracy``."""

from __future__ import annotations

import csv
import io

import pytest
from django.core.management import CommandError, call_command

from exportwatch.forecasting.exports import ACCURACY_COLUMNS, FORECAST_COLUMNS
from tests.conftest import World
from tests.forecasting.conftest import CHEAP_MODELS, ORIGIN


def export(*args: str) -> list[dict[str, str]]:
    out = io.StringIO()
    call_command("export_data", *args, stdout=out)
    return list(csv.DictReader(io.StringIO(out.getvalue())))


def test_forecasts_have_the_contract_columns_one_row_per_series_and_month(computed: World) -> None:
    out = io.StringIO()
    call_command("export_data", "forecasts", stdout=out)
    assert out.getvalue().splitlines()[0] == ",".join(FORECAST_COLUMNS)
    rows = export("forecasts")
    district = [r for r in rows if r["scope"] == "district"]
    assert [r["target_period"] for r in district] == ["2020-04", "2020-05", "2020-06", "2020-07", "2020-08", "2020-09"]
    assert {r["origin_period"] for r in rows} == {ORIGIN}
    assert district[0]["key"] == "" and district[0]["model"] in CHEAP_MODELS
    first = district[0]
    assert (
        float(first["lo95"])
        <= float(first["lo80"])
        <= float(first["mean"])
        <= float(first["hi80"])
        <= float(first["hi95"])
    )
    assert {"market", "hs", "industry", "town", "enterprise", "market_group"} <= {r["scope"] for r in rows}


def test_the_horizon_and_the_origin_narrow_the_forecasts(computed: World) -> None:
    rows = export("forecasts", "--horizon", "2", "--period", ORIGIN)
    assert {r["target_period"] for r in rows} == {"2020-04", "2020-05"}
    assert len([r for r in rows if r["scope"] == "district"]) == 2
    assert export("forecasts", "--period", "2019-01") == []  # no run from that origin
    with pytest.raises(CommandError):
        call_command("export_data", "warnings", "--horizon", "2", stdout=io.StringIO())
    with pytest.raises(CommandError):
        call_command("export_data", "forecasts", "--horizon", "0", stdout=io.StringIO())


def test_the_accuracy_export_gives_every_model_s_record(computed: World) -> None:
    out = io.StringIO()
    call_command("export_data", "forecast_accuracy", stdout=out)
    assert out.getvalue().splitlines()[0] == ",".join(ACCURACY_COLUMNS)
    rows = export("forecast_accuracy")
    district = [r for r in rows if r["scope"] == "district"]
    assert sorted({r["model"] for r in district}) == sorted(CHEAP_MODELS)
    assert [r["horizon"] for r in district if r["model"] == "seasonal_naive"] == ["1", "2", "3", "4", "5", "6"]
    # 30 months: the last 12 training ends, 6 of them at least 24 long; 6 months ahead, only the first had an actual
    by_horizon = {r["horizon"]: r["origins"] for r in district if r["model"] == "seasonal_naive"}
    assert (by_horizon["1"], by_horizon["6"]) == ("6", "1")
