from django.urls import path

from exportwatch.common import views

app_name = "audit"

urlpatterns = [
    path("", views.audit_list, name="list"),
]
