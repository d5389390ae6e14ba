from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InspectionsConfig(AppConfig):
    name = "civicgrid.inspections"
    label = "inspections"
    verbose_name = _("市场监管检查")
