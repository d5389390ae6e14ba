"""Care's figures in the catalogue (civicgrid.lib.figures, SPEC C4, C11).

- child_trackers_handed_out (发放防走失定位): child trackers bound to a child
  (a binding row "bind" or "replace") in the period, where the device is now;
  a replacement counts, as the office hands a device over again.
- child_trackers_in_use: child trackers switched on and bound to a resident at
  the period's end (today: devices keep no history of being switched off).
- alarms, sos_alarms, alarms_resolved: alarms raised in the period, those of
  kind SOS, and of those raised, the ones resolved (whenever).
- open_alarms: alarms not yet resolved, now (the command screen's count).

Every count goes through ``for_user`` (devices and alarms by place code).
"""

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from civicgrid.care.models import OPEN_ALARM_STAGES, Alarm, Device, DeviceBinding
from civicgrid.lib.figures import EVENTS, STATE, Figure, register

HANDED_OUT = [DeviceBinding.Action.BIND, DeviceBinding.Action.REPLACE]


def care_figures(*, user, period, place_code: str = "") -> dict:
    devices = Device.objects.for_user(user).filter(kind=Device.Kind.CHILD_TRACKER)
    every_alarm = Alarm.objects.for_user(user)
    if place_code:
        devices = devices.filter(place_code__startswith=place_code)
        every_alarm = every_alarm.filter(place_code__startswith=place_code)
    alarms = every_alarm.filter(**period.lookup("raised_at"))
    result = devices.aggregate(
        child_trackers_in_use=Count("pk", filter=Q(active=True, resident__isnull=False))
    )
    result["child_trackers_handed_out"] = DeviceBinding.objects.filter(
        device__in=devices.values("pk"), action__in=HANDED_OUT, **period.lookup("at")
    ).count()
    result |= alarms.aggregate(
        alarms=Count("pk"),
        sos_alarms=Count("pk", filter=Q(kind=Alarm.Kind.SOS)),
        alarms_resolved=Count("pk", filter=Q(resolved_at__isnull=False)),
    )
    result["open_alarms"] = every_alarm.filter(stage__in=OPEN_ALARM_STAGES).count()
    return result


def _for_catalogue(user, period, place) -> dict:
    return care_figures(user=user, period=period, place_code=place.code if place else "")


register(
    _for_catalogue,
    Figure(
        "care.child_trackers_handed_out",
        _("发放防走失定位"),
        "count",
        _("期间内绑定给儿童（含更换）的防走失定位设备数，按设备现在所属网格计。"),
        EVENTS,
    ),
    Figure(
        "care.child_trackers_in_use",
        _("在用防走失定位"),
        "count",
        _("当前启用并绑定居民的防走失定位设备数。"),
        STATE,
    ),
    Figure("care.alarms", _("告警"), "count", _("期间内产生的告警数。"), EVENTS),
    Figure("care.sos_alarms", _("一键呼救"), "count", _("期间内的一键呼救告警数。"), EVENTS),
    Figure(
        "care.alarms_resolved", _("已处置告警"), "count", _("期间内产生且已处置的告警数。"), EVENTS
    ),
    Figure("care.open_alarms", _("待处置告警"), "count", _("当前尚未处置完毕的告警数。"), STATE),
)
