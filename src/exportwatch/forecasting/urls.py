from django.urls import path

from exportwatch.forecasting import views

app_name = "forecasting"

urlpatterns = [
    path("", views.overview, name="overview"),
    path("target/", views.target_edit, name="target"),
    path("<str:scope>/", views.level, name="level"),
    path("<str:scope>/<str:key>/", views.series_detail, name="series"),
]
