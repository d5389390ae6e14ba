from django.urls import path

from civicgrid.registry import excel_views

app_name = "excel"

urlpatterns = [
    path("import/", excel_views.register_import, name="import"),
    path("template.xlsx", excel_views.register_template, name="template"),
    path("households.xlsx", excel_views.export_households, name="export_households"),
    path("residents.xlsx", excel_views.export_residents, name="export_residents"),
]
