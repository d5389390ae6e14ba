from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServicesConfig(AppConfig):
    name = "civicgrid.services"
    label = "services"
    # Mounted by civicgrid.urls (its urls.py) and civicgrid.api (its api.router).
    url_prefix = "services/"
    api_router = True
    verbose_name = _("社区服务")
