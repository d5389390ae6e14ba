from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class RisksConfig(AppConfig):
    name = "civicgrid.risks"
    label = "risks"
    # Mounted by civicgrid.urls (its urls.py) and civicgrid.api (its api.router).
    url_prefix = "risks/"
    api_router = True
    verbose_name = _("民情地图与风险管理")
    default_auto_field = "django.db.models.BigAutoField"
