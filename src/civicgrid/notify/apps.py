from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    """The outbox of notices and its channels (in-app, log; SMS and robots later)."""

    name = "civicgrid.notify"
    label = "notify"
    # Mounted by civicgrid.urls (its urls.py) and civicgrid.api (its api.router).
    url_prefix = "notices/"
    api_router = True
    verbose_name = _("通知")
