from django.urls import path

from civicgrid.wishes import views

app_name = "wishes"

urlpatterns = [
    path("", views.wish_list, name="list"),
    path("wall/", views.wall, name="wall"),
    path("residents/<int:resident_id>/new/", views.wish_new, name="new"),
    path("<int:wish_id>/", views.wish_detail, name="detail"),
    path("<int:wish_id>/photos/<uuid:photo_key>/", views.wish_photo, name="photo"),
    path("<int:wish_id>/<slug:action>/", views.wish_move, name="move"),
    path("caps/", views.cap_list, name="caps"),
    path("caps/<int:community_id>/", views.cap_edit, name="cap"),
    path("pairings/", views.pairing_list, name="pairings"),
    path("pairings/new/", views.pairing_new, name="pairing_new"),
    path("pairings/<int:pairing_id>/", views.pairing_detail, name="pairing"),
    path("pairings/<int:pairing_id>/agreement/", views.pairing_agreement, name="agreement"),
    path("units/", views.unit_list, name="units"),
    path("units/<int:unit_id>/", views.unit_detail, name="unit"),
    path("reports/", views.report_list, name="reports"),
    path("reports/new/", views.report_new, name="report_new"),
    path("figures/", views.figures, name="figures"),
]
