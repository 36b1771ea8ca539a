from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "exportwatch.cases"
    label = "cases"
    verbose_name = _("Problem list cases")

    def ready(self) -> None:
        from django.db.models.signals import post_save

        # Registers the "cases" exportable before any command or view reads the registry.
        from exportwatch.cases import exports  # noqa: F401
        from exportwatch.cases.receivers import on_need_saved
        from exportwatch.cases.services import clocks_refresh
        from exportwatch.exchange.jobs import EXTRA_STEPS
        from exportwatch.reporting.models import Need

        post_save.connect(on_need_saved, sender=Need, dispatch_uid="cases.on_need_saved")
        # The background worker warns and escalates when a case's clock falls due.
        if clocks_refresh not in EXTRA_STEPS:
            EXTRA_STEPS.append(clocks_refresh)
