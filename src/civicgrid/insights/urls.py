from django.urls import path

from civicgrid.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("export.xlsx", views.export, name="export"),
    path("summary/", views.work_summary, name="summary"),
]
