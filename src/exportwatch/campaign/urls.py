from django.urls import path

from exportwatch.campaign import views

app_name = "campaign"

urlpatterns = [
    path("", views.campaign_page, name="page"),
    path("quota/<str:code>/", views.quota_edit, name="quota_edit"),
    path("reminders/", views.schedule_page, name="schedule"),
    path("reminders/<int:pk>/active/", views.schedule_point_active, name="schedule_active"),
    path("email-failures/", views.failures_page, name="failures"),
    path("email-failures/retry/", views.failures_retry, name="failures_retry"),
]
