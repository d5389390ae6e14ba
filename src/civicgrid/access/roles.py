"""Roles (SPEC section 1) and which of them may do what.

Scope says *where* a user acts; these sets say *what* a role may do there.
Every model's ``Scope`` policy draws from them, so a change of policy happens here.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    ADMIN = "admin", _("区、街道管理员")
    STAFF = "staff", _("社区工作者")
    GRID_WORKER = "grid_worker", _("网格员")
    MOBILE_GRID_WORKER = "mobile_grid_worker", _("流动网格员")
    CENTRAL_HOUSEHOLD = "central_household", _("党员中心户")
    DEPARTMENT = "department", _("职能部门")
    DOCTOR = "doctor", _("社区医生")
    VOLUNTEER = "volunteer", _("志愿者")
    PAIRED_UNIT = "paired_unit", _("驻地单位")
    OPERATOR = "operator", _("服务点运营")
    INSPECTOR = "inspector", _("执法人员")
    MEDIATOR = "mediator", _("调解员")
    RESIDENT = "resident", _("居民")


ALL_ROLES = frozenset(Role)
# Who works with the household register.
REGISTRY_READERS = frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER, Role.DOCTOR})
REGISTRY_EDITORS = frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER})
# Who may see personal data in clear, field by field.
ID_NUMBER_REVEALERS = frozenset({Role.ADMIN, Role.STAFF})
PHONE_REVEALERS = frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER, Role.DOCTOR})
REVEALABLE = {"id_number": ID_NUMBER_REVEALERS, "phone": PHONE_REVEALERS}
# Who configures places and organisations.
PLACE_EDITORS = frozenset({Role.ADMIN})
# Who handles cases inside their scope (accepts, dispatches, verifies, closes).
CASE_HANDLERS = frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER})
# Who finds, rectifies and re-checks hazards and visits households.
RISK_WORKERS = frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER})
# Who may override a household's computed colour.
COLOUR_OVERRIDERS = frozenset({Role.ADMIN, Role.STAFF})
# Who works with care devices and alarms inside their place scope.
CARE_VIEWERS = frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER, Role.DOCTOR})
CARE_RESPONDERS = CARE_VIEWERS
DEVICE_EDITORS = frozenset({Role.ADMIN, Role.STAFF})
# Who may read a device's live positions (a child's above all).
POSITION_READERS = frozenset({Role.ADMIN, Role.STAFF})
# Who watches the care duty console.
CONSOLE_WATCHERS = frozenset({Role.STAFF, Role.DOCTOR, Role.ADMIN})
# Community staff and admins run volunteering; grid workers may look.
VOLUNTEER_MANAGERS = frozenset({Role.ADMIN, Role.STAFF})
VOLUNTEER_READERS = frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER})
COUNTER_STAFF = frozenset({Role.ADMIN, Role.STAFF, Role.OPERATOR})
# Everyone but department staff (who see only what is whistled to them).
ALL_BUT_DEPARTMENTS = ALL_ROLES - {Role.DEPARTMENT}
# Market-supervision inspections: community staff keep the business register
# of their place and may look; inspectors (and admins) run campaigns, inspect
# and issue rectification orders.
INSPECTION_READERS = frozenset({Role.ADMIN, Role.STAFF, Role.GRID_WORKER, Role.INSPECTOR})
BUSINESS_EDITORS = frozenset({Role.ADMIN, Role.STAFF, Role.INSPECTOR})
INSPECTORS = frozenset({Role.ADMIN, Role.INSPECTOR})
# Mediation records are confidential: community and street leadership in
# scope read and act; a room's mediators see their own room's disputes
# through the room (civicgrid.mediation), whatever their role.
MEDIATION_STAFF = frozenset({Role.ADMIN, Role.STAFF})
