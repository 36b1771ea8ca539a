from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "exportwatch.monitoring"
    verbose_name = "Monitoring"
