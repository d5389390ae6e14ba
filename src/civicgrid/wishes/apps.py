from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class WishesConfig(AppConfig):
    name = "civicgrid.wishes"
    label = "wishes"
    verbose_name = _("微心愿与结对共建")
