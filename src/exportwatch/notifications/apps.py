from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotificationsConfig(AppConfig):
    name = "exportwatch.notifications"
    label = "notifications"
    verbose_name = _("Notifications")

    def ready(self) -> None:
        # The background worker sends the pending e-mails when it has nothing more urgent to do.
        from exportwatch.exchange.jobs import EXTRA_STEPS
        from exportwatch.notifications.delivery import email_one_batch

        if email_one_batch not in EXTRA_STEPS:
            EXTRA_STEPS.append(email_one_batch)
