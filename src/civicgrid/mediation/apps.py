from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MediationConfig(AppConfig):
    name = "civicgrid.mediation"
    label = "mediation"
    # Mounted by civicgrid.urls (its urls.py) and civicgrid.api (its api.router).
    url_prefix = "mediation/"
    api_router = True
    verbose_name = _("人民调解")
