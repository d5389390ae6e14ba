"""Inspections on the shared pages (web.extensions): navigation."""

from django.utils.translation import gettext_lazy as _

from civicgrid.access.scoping import VIEW, may
from civicgrid.inspections.models import Business
from civicgrid.web import extensions as ext

ext.nav(
    order=140,
    url="inspections:businesses",
    label=_("市场监管"),
    shown=lambda user: may(user, VIEW, Business),
)
