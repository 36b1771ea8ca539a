from django.urls import path

from exportwatch.finance import views

app_name = "finance"

urlpatterns = [
    path("", views.entry_list, name="list"),
    path("refresh/", views.refresh, name="refresh"),
    path("progress/", views.progress, name="progress"),
    path("referrals/", views.referral_list, name="referrals"),
    path("referrals/<int:pk>/", views.referral_detail, name="referral"),
    path("<str:uscc>/", views.entry_detail, name="entry"),
    path("<str:uscc>/decide/", views.entry_decide, name="decide"),
    path("<str:uscc>/refer/", views.referral_new, name="refer"),
]
