from django.urls import path

from civicgrid.insights import views

app_name = "insights"
urlpatterns = [
    path("", views.dashboard, name="dashboard"),
    path("catalogue/", views.catalogue, name="catalogue"),
    path("export.xlsx", views.export, name="export"),
    path("summary/", views.work_summary, name="summary"),
    path("briefs/<int:brief_id>.docx", views.brief_file, name="brief"),
    path("screen/", views.command_screen, name="screen"),
    path("screen/parts/", views.command_screen_parts, name="screen_parts"),
    path("screen/stream/", views.command_screen_stream, name="screen_stream"),
]
