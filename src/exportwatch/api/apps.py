from django.apps import AppConfig


class ApiConfig(AppConfig):
    name = "exportwatch.api"
    verbose_name = "API"
