from django.urls import path

from exportwatch.briefs import views

app_name = "briefs"

urlpatterns = [
    path("", views.brief_list, name="list"),
    path("preview/", views.brief_preview, name="preview"),
    path("generate/", views.brief_create, name="generate"),
    path("<int:pk>/<str:fmt>/", views.brief_download, name="download"),
]
