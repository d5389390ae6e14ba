from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CareConfig(AppConfig):
    name = "civicgrid.care"
    label = "care"
    # Mounted by civicgrid.urls (its urls.py) and civicgrid.api (its api.router).
    url_prefix = "care/"
    api_router = True
    verbose_name = _("关爱设备与告警")
