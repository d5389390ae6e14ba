from django.apps import apps
from django.contrib import admin
from django.urls import include, path, re_path

from civicgrid.api import api
from civicgrid.care.views import osmand_ingest
from civicgrid.lib.api import not_found

urlpatterns = [
    path("", include("civicgrid.web.urls")),
    path("", include("civicgrid.access.urls")),
    path("registry/excel/", include("civicgrid.registry.excel_urls")),
    # Every package whose AppConfig names a url_prefix: a new one edits nothing here.
    *(
        path(config.url_prefix, include(f"{config.name}.urls"))
        for config in apps.get_app_configs()
        if getattr(config, "url_prefix", None)
    ),
    path("ingest/osmand", osmand_ingest, name="ingest_osmand"),
    path("api/v1/", api.urls),
    # What no operation answers: the API's 404, in JSON.
    re_path(r"^api/", not_found, name="api_not_found"),
    path("open311/v2/", include("civicgrid.cases.open311.urls")),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]
