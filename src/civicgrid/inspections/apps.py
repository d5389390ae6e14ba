from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "civicgrid.inspections"
    label = "inspections"
    # Mounted by civicgrid.urls (its urls.py) and civicgrid.api (its api.router).
    url_prefix = "inspections/"
    api_router = True
    verbose_name = _("市场监管检查")
