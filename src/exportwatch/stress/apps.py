from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class StressConfig(AppConfig):
    name = "exportwatch.stress"
    label = "stress"
    verbose_name = _("Stress tests")

    def ready(self) -> None:
        from exportwatch.exchange.jobs import EXTRA_STEPS
        from exportwatch.stress.services import handle_one_book_warm

        if handle_one_book_warm not in EXTRA_STEPS:
            EXTRA_STEPS.append(handle_one_book_warm)
