from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class VolunteersConfig(AppConfig):
    name = "civicgrid.volunteers"
    label = "volunteers"
    # Mounted by civicgrid.urls (its urls.py) and civicgrid.api (its api.router).
    url_prefix = "volunteers/"
    api_router = True
    verbose_name = _("志愿服务")
