"""Care endpoints: devices, their positions (audited), alarms and the
responder moves, geofences. Thin: a selector or the alarm state machine.

Scope: every object is fetched through ``selectors`` (``for_user``), so one
outside the caller's scope or assignment is a 404; a move the caller may not
make is a 403 from ``alarms.alarm_move``.
"""

from datetime import datetime

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext as _
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from civicgrid.access.models import User
from civicgrid.access.scoping import CHANGE, may
from civicgrid.care import selectors, services
from civicgrid.care.alarms import alarms, allowed_actions
from civicgrid.care.models import AlarmEvent, Device, Geofence
from civicgrid.lib.flow_api import ApiMove, move_endpoints
from civicgrid.registry.selectors import resident_get

router = Router()
A = AlarmEvent.Action


class DeviceOut(Schema):
    id: int
    ident: str
    kind: str
    model: str
    protocol: str
    resident_id: int | None
    resident_name: str
    place_code: str
    active: bool
    last_seen_at: datetime | None
    battery: int | None
    low_battery: bool
    offline: bool
    credential_hint: str
    credential_issued_at: datetime | None

    @staticmethod
    def resolve_resident_name(obj):
        return obj.resident.name if obj.resident_id else ""


class CredentialOut(Schema):
    """A device's new secret, shown this once: the OsmAnd identifier, and
    the MQTT password for user ``mqtt_username`` publishing to ``topic``."""

    device_id: int
    secret: str
    mqtt_username: str
    topic: str
    issued_at: datetime


class DeviceWithCredential(DeviceOut):
    credential: CredentialOut


class PositionOut(Schema):
    at: datetime
    lat: float
    lon: float
    accuracy: float | None
    type: str


class TimelineOut(Schema):
    at: datetime
    action: str
    from_stage: str
    to_stage: str
    responder_order: int
    actor: str

    @staticmethod
    def resolve_actor(obj):
        return obj.actor.username if obj.actor_id else ""


class AlarmOut(Schema):
    id: int
    kind: str
    stage: str
    device: str
    resident_name: str
    raised_at: datetime
    responder_order: int
    acknowledged_at: datetime | None
    resolved_at: datetime | None
    resolution: str
    note: str
    lat: float | None
    lon: float | None
    place_code: str
    case_id: int | None

    @staticmethod
    def resolve_device(obj):
        return obj.device.ident

    @staticmethod
    def resolve_resident_name(obj):
        return obj.device.resident.name if obj.device.resident_id else ""


class AlarmDetail(AlarmOut):
    timeline: list[TimelineOut]
    allowed_actions: list[str]

    @staticmethod
    def resolve_timeline(obj):
        return list(selectors.alarm_timeline(alarm=obj))

    @staticmethod
    def resolve_allowed_actions(obj, context):
        return allowed_actions(obj, context["request"].user)


class GeofenceOut(Schema):
    id: int
    name: str
    kind: str
    device_id: int | None
    resident_id: int | None
    geometry: dict | None
    center_lat: float | None
    center_lon: float | None
    radius_m: float | None
    windows: list
    active: bool


class ResponderOut(Schema):
    id: int
    order: int
    kind: str
    user_id: int | None
    name: str
    phone_masked: str


class DeviceIn(Schema):
    ident: str
    kind: str
    model: str = ""
    protocol: str = "mqtt"
    resident_id: int


class UnbindIn(Schema):
    reason: str = ""


class ReplaceIn(Schema):
    ident: str
    model: str = ""
    reason: str = ""


class ResponderIn(Schema):
    kind: str
    user_id: int | None = None
    name: str = ""
    phone: str = ""


class GeofenceIn(Schema):
    device_id: int
    name: str
    kind: str
    geometry: dict | None = None
    center_lat: float | None = None
    center_lon: float | None = None
    radius_m: float | None = None
    windows: list = []


class ResolveIn(Schema):
    resolution: str
    note: str = ""


@router.get("/devices", response=list[DeviceOut], tags=["care"])
@paginate
def list_devices(request, kind: str = ""):
    return selectors.device_list(user=request.user, kind=kind).order_by("ident")


def _editable(request, device_id: int) -> Device:
    """A device the caller may change: 403 for a role that may not change
    devices at all, 404 outside the caller's scope."""
    if not may(request.user, CHANGE, Device):
        raise PermissionDenied(_("您的角色不能修改设备。"))
    return selectors.device_get(user=request.user, pk=device_id, action=CHANGE)


def _with_credential(request, device: Device) -> Device:
    """The device as the caller sees it, with a new secret (audited)."""
    secret = services.device_credential_issue(device=device, actor=request.user)
    device = selectors.device_get(user=request.user, pk=device.pk)
    device.credential = {
        "device_id": device.pk,
        "secret": secret,
        "mqtt_username": device.ident,
        "topic": f"{settings.MQTT_TOPIC_PREFIX}/{device.ident}/up",
        "issued_at": device.credential_issued_at,
    }
    return device


@router.post("/devices", response={201: DeviceWithCredential}, tags=["care"])
def create_device(request, payload: DeviceIn):
    """Register a device and bind it to a resident in the caller's scope.
    The answer holds the device's secret credential, shown this once."""
    if not may(request.user, CHANGE, Device):
        raise PermissionDenied(_("您的角色不能修改设备。"))
    resident = resident_get(user=request.user, pk=payload.resident_id)
    device = services.device_create(
        ident=payload.ident,
        kind=payload.kind,
        model=payload.model,
        protocol=payload.protocol,
        resident=resident,
        actor=request.user,
    )
    return Status(201, _with_credential(request, device))


@router.post("/devices/{device_id}/unbind", response=DeviceOut, tags=["care"])
def unbind_device(request, device_id: int, payload: UnbindIn):
    device = _editable(request, device_id)
    return services.device_unbind(device=device, actor=request.user, reason=payload.reason)


@router.post("/devices/{device_id}/credential", response={201: DeviceWithCredential}, tags=["care"])
def issue_device_credential(request, device_id: int):
    """A new secret credential for the device, shown this once; the one
    before stops working at once."""
    device = _editable(request, device_id)
    if not device.active:
        raise ValidationError(_("设备已停用，不能签发凭据。"))
    return Status(201, _with_credential(request, device))


@router.post("/devices/{device_id}/replace", response={201: DeviceWithCredential}, tags=["care"])
def replace_device(request, device_id: int, payload: ReplaceIn):
    """A new device takes over the resident, responders and fences; the
    answer holds its secret credential, shown this once."""
    device = _editable(request, device_id)
    new = services.device_replace(
        old=device,
        ident=payload.ident,
        model=payload.model,
        reason=payload.reason,
        actor=request.user,
    )
    return Status(201, _with_credential(request, new))


@router.post("/devices/{device_id}/responders", response={201: list[ResponderOut]}, tags=["care"])
def add_responder(request, device_id: int, payload: ResponderIn):
    """Append a responder to the ladder; the whole ladder comes back in order."""
    device = _editable(request, device_id)
    user = None
    if payload.user_id is not None:
        user = get_object_or_404(User, pk=payload.user_id, is_active=True)
    services.responder_add(
        device=device,
        actor=request.user,
        kind=payload.kind,
        user=user,
        name=payload.name,
        phone=payload.phone,
    )
    return Status(201, list(device.responders.order_by("order")))


@router.get("/devices/{device_id}", response=DeviceOut, tags=["care"])
def get_device(request, device_id: int):
    return selectors.device_get(user=request.user, pk=device_id)


@router.get("/devices/{device_id}/positions", response=list[PositionOut], tags=["care"])
def device_positions(request, device_id: int, start: datetime, end: datetime):
    if end <= start:
        raise ValidationError({"end": _("结束时间应晚于开始时间。")})
    device = selectors.device_get(user=request.user, pk=device_id)
    return list(selectors.device_positions(user=request.user, device=device, start=start, end=end))


@router.get("/alarms", response=list[AlarmOut], tags=["care"])
@paginate
def list_alarms(request, open: bool = False):
    return selectors.alarm_list(user=request.user, open_only=open)


@router.get("/alarms/{alarm_id}", response=AlarmDetail, tags=["care"])
def get_alarm(request, alarm_id: int):
    return selectors.alarm_get(user=request.user, pk=alarm_id)


move_endpoints(
    router,
    flow=alarms,
    path="/alarms/{alarm_id}",
    fetch=lambda request, pk: selectors.alarm_get(user=request.user, pk=pk),
    respond=lambda request, alarm: selectors.alarm_get(user=request.user, pk=alarm.pk),
    response=AlarmDetail,
    tags=["care"],
    name="alarm",
    module=__name__,
    special=[
        ApiMove(
            "resolve",
            ResolveIn,
            lambda request, alarm, payload: (
                A.RESOLVE,
                {"note": payload.note, "resolution": payload.resolution},
            ),
            (A.RESOLVE,),
            "处置完毕, with the resolution and, for “other”, a note.",
        )
    ],
)


@router.get("/geofences", response=list[GeofenceOut], tags=["care"])
@paginate
def list_geofences(request):
    return selectors.geofence_list(user=request.user)


@router.post("/geofences", response={201: GeofenceOut}, tags=["care"])
def create_geofence(request, payload: GeofenceIn):
    """A safe zone on a device the caller may change."""
    device = _editable(request, payload.device_id)
    if payload.kind not in Geofence.Kind.values:
        raise ValidationError({"kind": _("围栏形状无效。")})
    fence = services.geofence_save(
        actor=request.user,
        device=device,
        name=payload.name,
        kind=payload.kind,
        geometry=payload.geometry,
        center_lat=payload.center_lat,
        center_lon=payload.center_lon,
        radius_m=payload.radius_m,
        windows=payload.windows,
    )
    return Status(201, fence)
