from django.urls import path

from civicgrid.web import setup, views

urlpatterns = [
    path("", views.home, name="home"),
    path("setup/", setup.hub, name="setup"),
    path("setup/<slug:key>/", setup.setup_list, name="setup_list"),
    path("setup/<slug:key>/new/", setup.setup_edit, name="setup_new"),
    path("setup/<slug:key>/<int:row_id>/", setup.setup_edit, name="setup_edit"),
    path("workbench/", views.workbench, name="workbench"),
]
