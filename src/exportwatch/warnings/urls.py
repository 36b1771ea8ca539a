from django.urls import path

from exportwatch.warnings import views

app_name = "warnings"

urlpatterns = [
    path("", views.warning_list, name="list"),
    path("<int:pk>/", views.warning_detail, name="detail"),
    path("rules/", views.rule_list, name="rules"),
    path("rules/<str:key>/", views.rule_edit, name="rule_edit"),
    path("evaluate/", views.evaluate, name="evaluate"),
]
