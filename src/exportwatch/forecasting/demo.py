"""The demo's forecasts: the district's 2020 export target and the forecasts as of the demo date."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from exportwatch.common import clock
from exportwatch.forecasting.models import ExportTarget, ForecastRun, PendingForecast
from exportwatch.forecasting.selectors import forecast_origin
from exportwatch.forecasting.services import forecasts_compute, target_set
from exportwatch.monitoring.models import ROLLUP, TotalCell

TARGET_GROWTH = Decimal("1.00")  # the demo bureau's aim for the year: hold the year before's exports (稳外贸基本盘)


def demo_forecasts_load() -> ForecastRun | None:
    """Set the current year's target (the year before's actual exports × ``TARGET_GROWTH``, by the demo analyst)
    unless one is set, then compute the forecasts from the latest month with reports (unless a run from that month
    exists and no report changed since: loading the demo again does not recompute them)."""
    year = clock.today().year
    if not ExportTarget.objects.filter(year=year).exists():
        cents = sum(
            TotalCell.objects.filter(
                town=ROLLUP, industry=ROLLUP, tier=ROLLUP, period__startswith=f"{year - 1:04d}-"
            ).values_list("exports", flat=True)
        )
        if cents:
            analyst: Any = get_user_model().objects.filter(username="analyst").first()
            amount = (Decimal(cents).scaleb(-2) * TARGET_GROWTH).quantize(Decimal("1"))
            target_set(
                year=year,
                amount_usd=amount,
                note=f"{year - 1} actual exports × {TARGET_GROWTH} (hold the {year - 1} level)",
                user=analyst,
            )
    origin = forecast_origin()
    existing = ForecastRun.objects.filter(origin_period=origin).first() if origin is not None else None
    if existing is not None and not PendingForecast.objects.exists():
        return existing  # loaded before and nothing changed since
    return forecasts_compute(period=origin)
