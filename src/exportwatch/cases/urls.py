from django.urls import path

from exportwatch.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_home, name="home"),
    path("all/", views.case_list, name="list"),
    path("work/", views.case_work_list, name="work"),
    path("triage/", views.case_triage, name="triage"),
    path("mine/", views.case_mine, name="mine"),
    path("performance/", views.case_performance, name="performance"),
    path("routing/", views.routing_table, name="routing"),
    path("routing/<str:category>/", views.routing_edit, name="routing_edit"),
    path("calendar/", views.work_calendar, name="calendar"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/move/<str:to>/", views.case_move, name="move"),
    path("<int:pk>/assign/", views.case_assign_view, name="assign"),
    path("<int:pk>/merge/", views.case_merge_view, name="merge"),
    path("<int:pk>/note/<str:action>/", views.case_note, name="note"),
    path("<int:pk>/events/<int:event_pk>/attachment/", views.case_attachment, name="attachment"),
]
