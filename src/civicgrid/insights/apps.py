from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InsightsConfig(AppConfig):
    name = "civicgrid.insights"
    label = "insights"
    # Mounted by civicgrid.urls (its urls.py) and civicgrid.api (its api.router).
    url_prefix = "insights/"
    api_router = True
    verbose_name = _("统计分析")
