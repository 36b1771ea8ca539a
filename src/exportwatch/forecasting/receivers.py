"""Forecasts kept up to date by the writes that change reports (``reporting.signals.reports_changed``) and the
customs loads whose figures complete the months an enterprise skipped (``customs.signals.customs_changed``)."""

from __future__ import annotations

from typing import Any


def on_reports_changed(sender: Any, changes: list[tuple[int, str]], **kwargs: Any) -> None:
    """Mark the changed months pending (in the writer's transaction); the background worker recomputes the latest
    origin's forecasts once the reports have settled (a run reads every series: never inside a submission)."""
    from exportwatch.forecasting.services import forecast_pending_mark

    forecast_pending_mark(periods={period for _enterprise_id, period in changes})


def on_customs_changed(sender: Any, periods: list[str], **kwargs: Any) -> None:
    """Customs' figures of ``periods`` changed: the months they complete may change the forecasts; marked as a report
    change is."""
    from exportwatch.forecasting.services import forecast_pending_mark

    forecast_pending_mark(periods=periods)
