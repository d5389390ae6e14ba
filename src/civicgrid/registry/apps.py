from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RegistryConfig(AppConfig):
    name = "civicgrid.registry"
    label = "registry"
    # Mounted by civicgrid.urls (its urls.py) and civicgrid.api (its api.router).
    url_prefix = "registry/"
    api_router = True
    verbose_name = _("基础台账")
