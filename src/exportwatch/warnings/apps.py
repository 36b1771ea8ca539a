from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WarningsConfig(AppConfig):
    name = "exportwatch.warnings"
    label = "warnings"
    verbose_name = _("Early warning")

    def ready(self) -> None:
        # Registers the "warnings" exportable before any command or view reads the registry.
        from exportwatch.reporting.signals import reports_changed
        from exportwatch.warnings import exports  # noqa: F401
        from exportwatch.warnings.receivers import on_reports_changed

        reports_changed.connect(on_reports_changed, dispatch_uid="warnings.on_reports_changed")
        from exportwatch.exchange.jobs import EXTRA_STEPS
        from exportwatch.warnings.services import handle_one_pending

        if handle_one_pending not in EXTRA_STEPS:
            EXTRA_STEPS.append(handle_one_pending)
