from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ForecastingConfig(AppConfig):
    name = "exportwatch.forecasting"
    label = "forecasting"
    verbose_name = _("Forecasting")

    def ready(self) -> None:
        # Registers the "forecasts" and "forecast_accuracy" exportables before any command or view reads the registry.
        from exportwatch.forecasting import exports  # noqa: F401
        from exportwatch.forecasting.receivers import on_reports_changed
        from exportwatch.reporting.signals import reports_changed

        reports_changed.connect(on_reports_changed, dispatch_uid="forecasting.on_reports_changed")
        from exportwatch.customs.signals import customs_changed
        from exportwatch.forecasting.receivers import on_customs_changed

        customs_changed.connect(on_customs_changed, dispatch_uid="forecasting.on_customs_changed")
        from exportwatch.exchange.jobs import EXTRA_STEPS
        from exportwatch.forecasting.services import handle_one_pending_forecast

        if handle_one_pending_forecast not in EXTRA_STEPS:
            EXTRA_STEPS.append(handle_one_pending_forecast)
