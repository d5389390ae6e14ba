"""The running state of the platform's processes, in the navigation of admins."""

from django.utils.translation import gettext_lazy as _

from civicgrid.access.roles import Role
from civicgrid.web import extensions as ext

ext.nav(
    order=185,
    url="ops:status",
    label=_("运行状态"),
    shown=lambda user: user.role == Role.ADMIN or user.is_superuser,
)
