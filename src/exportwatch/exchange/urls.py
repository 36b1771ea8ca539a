from django.urls import path

from exportwatch.exchange import views, views_import, views_templates

app_name = "exchange"

urlpatterns = [
    path("export/<str:table>.csv", views.export_csv, name="export"),
    path("export/<str:table>.xlsx", views.export_xlsx, name="export_xlsx"),
    path("exchange/template/", views_templates.template_page, name="templates"),
    path("exchange/template/download/", views_templates.template_download, name="template_download"),
    path("exchange/import/", views_import.import_page, name="import"),
    path("exchange/import/<int:job_id>/", views_import.import_job, name="import_job"),
    path("exchange/import/<int:job_id>/progress/", views_import.import_progress, name="import_progress"),
    path("exchange/import/<int:job_id>/annotated.xlsx", views_import.import_annotated, name="import_annotated"),
]
