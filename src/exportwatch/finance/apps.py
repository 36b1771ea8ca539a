from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class FinanceConfig(AppConfig):
    name = "exportwatch.finance"
    label = "finance"
    verbose_name = _("Financing white list")

    def ready(self) -> None:
        # Registers the "whitelist" exportable before any command or view reads the registry.
        from exportwatch.exchange.jobs import EXTRA_STEPS
        from exportwatch.finance import exports  # noqa: F401
        from exportwatch.finance.services import handle_one_refresh

        # The background worker refreshes the list once the registry, needs, cases or warnings changed.
        if handle_one_refresh not in EXTRA_STEPS:
            EXTRA_STEPS.append(handle_one_refresh)
