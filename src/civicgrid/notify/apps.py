from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class NotifyConfig(AppConfig):
    """The outbox of notices and its channels (in-app, log; SMS and robots later)."""

    name = "civicgrid.notify"
    label = "notify"
    verbose_name = _("通知")
