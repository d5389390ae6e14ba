from django.contrib import admin
from django.urls import include, path, re_path

from civicgrid.api import api
from civicgrid.care.views import osmand_ingest
from civicgrid.lib.api import not_found

urlpatterns = [
    path("", include("civicgrid.web.urls")),
    path("", include("civicgrid.access.urls")),
    path("registry/", include("civicgrid.registry.urls")),
    path("registry/excel/", include("civicgrid.registry.excel_urls")),
    path("risks/", include("civicgrid.risks.urls")),
    path("cases/", include("civicgrid.cases.urls")),
    path("notices/", include("civicgrid.notify.urls")),
    path("volunteers/", include("civicgrid.volunteers.urls")),
    path("care/", include("civicgrid.care.urls")),
    path("inspections/", include("civicgrid.inspections.urls")),
    path("mediation/", include("civicgrid.mediation.urls")),
    path("wishes/", include("civicgrid.wishes.urls")),
    path("services/", include("civicgrid.services.urls")),
    path("insights/", include("civicgrid.insights.urls")),
    path("ops/", include("civicgrid.ops.urls")),
    path("ingest/osmand", osmand_ingest, name="ingest_osmand"),
    path("api/v1/", api.urls),
    # What no operation answers: the API's 404, in JSON.
    re_path(r"^api/", not_found, name="api_not_found"),
    path("open311/v2/", include("civicgrid.cases.open311.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
