from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CasesConfig(AppConfig):
    name = "civicgrid.cases"
    label = "cases"
    # Mounted by civicgrid.urls (its urls.py) and civicgrid.api (its api.router).
    url_prefix = "cases/"
    api_router = True
    verbose_name = _("事件办理")
