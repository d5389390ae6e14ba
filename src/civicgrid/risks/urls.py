from django.urls import path

from civicgrid.risks import views, views_figures

app_name = "risks"
urlpatterns = [
    path("map/", views.map_page, name="map"),
    path("layers/<slug:name>.geojson", views.layer_geojson, name="layer"),
    path("households/<int:household_id>/card/", views.household_card, name="household_card"),
    path("households/<int:household_id>/colour/", views.colour_override, name="override"),
    path("households/<int:household_id>/visit/", views.visit_new, name="visit_new"),
    path("hazards/", views.hazard_list, name="hazards"),
    path("hazards/new/", views.hazard_new, name="hazard_new"),
    path("hazards/<int:pk>/", views.hazard_detail, name="hazard"),
    path("hazards/<int:pk>/photos/<uuid:key>/", views.hazard_photo, name="hazard_photo"),
    path(
        "hazards/<int:pk>/photos/<uuid:key>/thumbnail/",
        views.hazard_photo,
        {"size": "thumbnail"},
        name="hazard_photo_thumbnail",
    ),
    path("hazards/<int:pk>/<slug:action>/", views.hazard_move, name="hazard_move"),
    path("today/", views.today, name="today"),
    path("figures/", views_figures.figures_page, name="figures"),
    path("figures/export.xlsx", views_figures.figures_export, name="figures_export"),
    path("visits/<int:visit_id>/photo/", views.visit_photo, name="visit_photo"),
    path("places/<int:place_id>/print.png", views.print_map, name="print"),
]
