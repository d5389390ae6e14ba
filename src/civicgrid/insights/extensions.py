"""Insights in the navigation (web.extensions)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.insights.selectors import may_read
from civicgrid.web import extensions as ext

ext.nav(order=155, url="insights:dashboard", label=_("统计分析"), shown=may_read)
