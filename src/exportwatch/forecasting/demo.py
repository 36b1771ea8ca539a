"""The demo's forecasts: the district's 2020 export target, the forecasts as of the demo date and those made a
quarter earlier (from 2019-12: the forecast before the February halt, shown against what happened since)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model

from exportwatch.common import clock
from exportwatch.core.periods import period_add
from exportwatch.forecasting.models import ExportTarget, ForecastRun, PendingForecast
from exportwatch.forecasting.selectors import district_year_exports, forecast_origin
from exportwatch.forecasting.services import forecasts_compute, target_set

TARGET_GROWTH = Decimal("1.00")  # the demo bureau's aim for the year: hold the year before's exports (稳外贸基本盘)
PAST_RUN_MONTHS = 3  # the earlier run the demo also computes: a quarter before the latest, so three months are known


def demo_forecasts_load() -> ForecastRun | None:
    """Set the current year's target (the year before's actual exports as the forecasts read them, completed for the
    months an enterprise skipped, × ``TARGET_GROWTH``, by the demo analyst)
    unless one is set, then compute the forecasts from ``PAST_RUN_MONTHS`` before the latest month with reports
    (unless that run exists) and from the latest month (unless a run from that month exists and no report changed
    since: loading the demo again does not recompute them). Returns the latest run."""
    year = clock.today().year
    if not ExportTarget.objects.filter(year=year).exists():
        # The year before as the forecasts read it (completed for the months an enterprise skipped), so that the
        # target and the year-to-date it is tracked against count the same enterprises.
        usd = district_year_exports(year - 1)
        if usd:
            analyst: Any = get_user_model().objects.filter(username="analyst").first()
            amount = (Decimal(str(usd)) * TARGET_GROWTH).quantize(Decimal("1"))
            target_set(
                year=year,
                amount_usd=amount,
                # Typed by the bureau's analyst, in Chinese as the rest of the demo's data.
                note=f"{year - 1} 年实际出口（含未报送月份的推算）× {TARGET_GROWTH}（保持 {year - 1} 年水平，稳外贸基本盘）",
                user=analyst,
            )
    origin = forecast_origin()
    if origin is None:
        return None
    past = period_add(origin, -PAST_RUN_MONTHS)
    if not ForecastRun.objects.filter(origin_period=past).exists():
        forecasts_compute(period=past)  # a past origin uses the data up to it only: reports since do not change it
    existing = ForecastRun.objects.filter(origin_period=origin).first()
    if existing is not None and not PendingForecast.objects.exists():
        return existing  # loaded before and nothing changed since
    return forecasts_compute(period=origin)
