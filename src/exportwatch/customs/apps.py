from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomsConfig(AppConfig):
    name = "exportwatch.customs"
    verbose_name = _("Customs exports")

    def ready(self) -> None:
        # Registers the "customs_exports" and "reconciliation" exportables before any command or view
        # reads the registry (`exportwatch export` takes its table choices from it).
        from exportwatch.customs import exports  # noqa: F401
