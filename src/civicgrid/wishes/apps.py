from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WishesConfig(AppConfig):
    name = "civicgrid.wishes"
    label = "wishes"
    # Mounted by civicgrid.urls (its urls.py) and civicgrid.api (its api.router).
    url_prefix = "wishes/"
    api_router = True
    verbose_name = _("微心愿与结对共建")
