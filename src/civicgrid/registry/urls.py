from django.urls import path

from civicgrid.registry import views

app_name = "registry"

urlpatterns = [
    path("places/", views.place_tree, name="places"),
    path("places/<int:pk>/", views.place_detail, name="place"),
    path("households/", views.household_list, name="households"),
    path("households/search/", views.household_search, name="household_search"),
    path("households/new/", views.household_new, name="household_new"),
    path("households/<int:pk>/", views.household_detail, name="household"),
    path("households/<int:pk>/edit/", views.household_edit, name="household_edit"),
    path(
        "households/<int:household_id>/residents/new/",
        views.resident_new,
        name="resident_new",
    ),
    path("residents/", views.resident_list, name="residents"),
    path("residents/<int:pk>/", views.resident_detail, name="resident"),
    path("residents/<int:pk>/edit/", views.resident_edit, name="resident_edit"),
    path("residents/<int:pk>/reveal/", views.resident_reveal, name="resident_reveal"),
    path("organisations/", views.organisation_list, name="organisations"),
]
