from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BriefsConfig(AppConfig):
    name = "exportwatch.briefs"
    verbose_name = _("Briefs")
    default_auto_field = "django.db.models.BigAutoField"
