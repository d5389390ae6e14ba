"""The JSON API under /api/v1/: one NinjaAPI, one router per domain package
(each package whose AppConfig says ``api_router = True`` adds its
``api.router``, so a new package edits nothing here); its error shape, text
checks and pager are ``civicgrid.lib.api``'s."""

from importlib import import_module

from django.apps import apps

from civicgrid.access.api import BearerToken
from civicgrid.access.api import router as auth_router
from civicgrid.lib.api import CivicgridAPI

api = CivicgridAPI(
    title="civicgrid API",
    version="1",
    description="基层治理服务平台 JSON API. Authenticate with POST /api/v1/auth/token, "
    "then send `Authorization: Bearer <token>`. Every 4xx answer is an `Error`: "
    "`detail` (in the request's language), `code`, and `errors` per field when "
    "fields are at fault.",
    auth=BearerToken(),
    urls_namespace="api",
)
api.add_router("/auth", auth_router)
for config in apps.get_app_configs():
    if getattr(config, "api_router", False):
        api.add_router("/", import_module(f"{config.name}.api").router)
