from django.urls import path

from exportwatch.customs import views

app_name = "customs"

urlpatterns = [
    path("", views.index, name="index"),
    path("reconciliation/", views.reconciliation, name="reconciliation"),
]
