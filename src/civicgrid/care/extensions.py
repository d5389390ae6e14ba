"""Care on the shared pages (web.extensions): navigation for the duty
console, reminders and devices, the devices' map layer, and the open
alarms with their ladders on the command screen."""

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from civicgrid.access.roles import CONSOLE_WATCHERS, Role
from civicgrid.access.scoping import CHANGE, VIEW, may
from civicgrid.care import layers, selectors
from civicgrid.care.models import Alarm, Device
from civicgrid.care.reminder_pages import reminder_panel
from civicgrid.web import extensions as ext

ext.nav(
    order=150,
    url="care:console",
    label=_("值班台"),
    shown=lambda user: user.role in CONSOLE_WATCHERS or user.is_superuser,
    tab={Role.DOCTOR, Role.STAFF},
)
ext.nav(
    order=160,
    url="care:reminders",
    label=_("健康提醒"),
    shown=lambda user: user.role == Role.DOCTOR,
    tab={Role.DOCTOR},
)
ext.nav(
    order=170,
    url="care:devices",
    label=pgettext_lazy("navigation", "设备"),
    shown=lambda user: may(user, CHANGE, Device),
)

ext.map_layer(
    order=50,
    name="devices",
    label=_("关爱设备"),
    build=layers.devices_layer,
    shown=lambda user: may(user, VIEW, Device),
    # Devices start hidden (switched on in the layer control) to keep the map calm.
    on_at_start=False,
    style={
        "radius": 5,
        "weight": 2,
        "fillOpacity": 1,
        "color": "#4a148c",
        "className": "device",
        "classBy": "state",
        "fillBy": {
            "property": "state",
            "colours": {
                "alarm": "#d50000",
                "offline": "#757575",
                "low_battery": "#ff9800",
                "ok": "#ab47bc",
            },
            "other": "#9e9e9e",
        },
        "tooltip": ["ident", "label", "state"],
        "stateLabels": {
            "alarm": _("告警中"),
            "offline": _("离线"),
            "low_battery": _("低电量"),
            "ok": _("正常"),
        },
    },
)

ext.panel(
    on="resident",
    order=40,
    template="care/_reminder_panel.html",
    context=reminder_panel,
)


def _doctor_card(request):
    """A doctor's home leads with the open alarms and today's reminders."""
    user = request.user
    if user.role != Role.DOCTOR:
        return None
    from django.utils import timezone

    from civicgrid.care import selectors
    from civicgrid.care.models import ReminderTask

    alarms = selectors.alarm_list(user=user, open_only=True).order_by("-raised_at")
    tasks = selectors.reminder_tasks(user=user, day=timezone.localdate()).filter(
        status=ReminderTask.Status.PENDING
    )
    return {
        "alarms": list(alarms[:5]),
        "alarm_count": alarms.count(),
        "tasks": list(tasks.order_by("due_at")[:5]),
        "task_count": tasks.count(),
    }


ext.home_card(order=5, key="doctor", template="care/_home_doctor.html", context=_doctor_card)


def _screen_alarms(request, place):
    """Open alarms on the command screen (insights), each with its responder
    ladder and the rung it has reached; no names or phones on a wall."""
    user = request.user
    if not may(user, VIEW, Alarm):
        return None
    alarms = selectors.alarm_list(user=user, open_only=True).order_by("-raised_at")
    if place is not None:
        alarms = alarms.filter(place_code__startswith=place.code)
    rows = []
    for alarm in alarms.prefetch_related("device__responders")[:SCREEN_ALARMS]:
        ladder = [
            {
                "order": r.order,
                "kind": r.get_kind_display(),
                "now": r.order == alarm.responder_order,
            }
            for r in alarm.device.responders.all()
        ]
        rows.append({"alarm": alarm, "ladder": ladder})
    return {"alarms": rows}


# The open alarms a command screen lists (the newest); the count is a figure.
SCREEN_ALARMS = 8
ext.panel(
    on="command_screen", order=10, template="care/_screen_alarms.html", context=_screen_alarms
)
