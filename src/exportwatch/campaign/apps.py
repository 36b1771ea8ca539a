from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CampaignConfig(AppConfig):
    name = "exportwatch.campaign"
    label = "campaign"
    verbose_name = _("Reporting campaign")

    def ready(self) -> None:
        from exportwatch.campaign.services import handle_one_reminder
        from exportwatch.exchange.jobs import EXTRA_STEPS

        if handle_one_reminder not in EXTRA_STEPS:
            EXTRA_STEPS.append(handle_one_reminder)
