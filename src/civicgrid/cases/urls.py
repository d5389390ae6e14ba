from django.urls import path

from civicgrid.cases import exports, views, views_department, views_mobile, views_staff

app_name = "cases"

urlpatterns = [
    path("", views_staff.case_list, name="list"),
    path("map.geojson", views_staff.case_geojson, name="geojson"),
    path("export.xlsx", exports.cases_export, name="export"),
    path("new/", views_staff.case_new, name="new"),
    path("<int:pk>/", views_staff.case_detail, name="detail"),
    path("<int:pk>/move/", views_staff.case_move, name="move"),
    path("<int:pk>/publish/", views_staff.case_publish, name="publish"),
    path("<int:pk>/photos/<uuid:key>/", views.photo_image, name="photo"),
    path(
        "<int:pk>/photos/<uuid:key>/thumbnail/",
        views.photo_image,
        {"size": "thumbnail"},
        name="photo_thumbnail",
    ),
    path("<int:pk>/photos/<uuid:key>/original/", views.photo_original, name="photo_original"),
    path("report/", views_mobile.report, name="report"),
    path("report/questions/", views_mobile.questions, name="questions"),
    path("<int:pk>/reported/", views_mobile.reported, name="reported"),
    path("mine/", views_mobile.mine, name="mine"),
    path("queue/", views_department.queue, name="queue"),
    path("figures/", views.case_figures, name="figures"),
    path("figures/export.xlsx", views.case_figures_export, name="figures_export"),
]
