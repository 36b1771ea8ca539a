from django.urls import path

from exportwatch.stress import views

app_name = "stress"

urlpatterns = [
    path("", views.stress_page, name="page"),
    path("scenarios/", views.scenario_save, name="save"),
    path("scenarios/<int:pk>/delete/", views.scenario_remove, name="delete"),
]
