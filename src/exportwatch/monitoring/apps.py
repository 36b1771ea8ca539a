from django.apps import AppConfig


class MonitoringConfig(AppConfig):
    name = "exportwatch.monitoring"
    verbose_name = "Monitoring"

    def ready(self) -> None:
        from django.db.models.signals import post_save, pre_save

        from exportwatch.directory.models import Enterprise
        from exportwatch.monitoring.cells import enterprise_moved, enterprise_moving

        # Every save of an enterprise (services, admin) keeps the aggregates filed under its town, industry and
        # tier. Bulk updates bypass signals: run `exportwatch analytics rebuild` after one.
        pre_save.connect(enterprise_moving, sender=Enterprise, dispatch_uid="monitoring-enterprise-moving")
        post_save.connect(enterprise_moved, sender=Enterprise, dispatch_uid="monitoring-enterprise-moved")
