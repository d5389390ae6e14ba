from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LedgerConfig(AppConfig):
    """One double-entry ledger for every unit: points, meal-card money, stock."""

    name = "civicgrid.ledger"
    label = "ledger"
    verbose_name = _("账本")
