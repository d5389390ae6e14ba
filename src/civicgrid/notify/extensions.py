"""The inbox in the navigation, with the count of unread notices."""

from django.utils.html import format_html
from django.utils.translation import pgettext

from civicgrid.access.roles import ALL_ROLES
from civicgrid.notify import selectors
from civicgrid.web import extensions as ext


def _label(user):
    label = pgettext("navigation", "通知")
    unread = selectors.unread(user=user).count()
    return format_html('{} <span class="badge">{}</span>', label, unread) if unread else label


ext.nav(order=180, url="notify:inbox", label=_label, tab=ALL_ROLES)
