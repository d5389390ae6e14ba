"""Open311 GeoReport v2 routes; every resource ends in .json or .xml."""

from django.urls import path, register_converter

from civicgrid.cases.open311 import views as open311


class FormatConverter:
    # Any word, so that an unknown format gets the spec's 404 rather than Django's.
    regex = "[A-Za-z0-9]+"

    def to_python(self, value: str) -> str:
        return value.lower()

    def to_url(self, value: str) -> str:
        return value


register_converter(FormatConverter, "open311_format")

app_name = "open311"
urlpatterns = [
    path("discovery.<open311_format:fmt>", open311.discovery, name="discovery"),
    path("services.<open311_format:fmt>", open311.service_list, name="services"),
    path(
        "services/<slug:code>.<open311_format:fmt>",
        open311.service_definition,
        name="service_definition",
    ),
    path("requests.<open311_format:fmt>", open311.service_requests, name="requests"),
    path(
        "requests/<slug:number>.<open311_format:fmt>",
        open311.request_detail,
        name="request",
    ),
    path("tokens/<slug:token>.<open311_format:fmt>", open311.token, name="token"),
    path("media/<uuid:key>.jpg", open311.media, name="media"),
]
