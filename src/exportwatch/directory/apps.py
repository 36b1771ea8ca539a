from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DirectoryConfig(AppConfig):
    name = "exportwatch.directory"
    verbose_name = _("Registry and reference data")
