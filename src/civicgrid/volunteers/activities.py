"""Activities: creation, sign-up with a waiting list, check-in and check-out
(by the rotating QR code shown at the activity, or by staff), and the points
that check-out earns under the published rule."""

from datetime import datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE, may_act_at
from civicgrid.ledger.models import Transfer
from civicgrid.lib.placecodes import community_code
from civicgrid.registry.models import Organisation, Place
from civicgrid.volunteers import ledger
from civicgrid.volunteers.models import (
    TEAM_KINDS,
    Activity,
    Membership,
    PointRule,
    SignUp,
    Volunteer,
)
from civicgrid.volunteers.selectors import team_choices

# The QR code changes every window; the previous window's code still works,
# so a code scanned just before it rotates is not refused.
CODE_WINDOW_SECONDS = 300
# Volunteers may check in this long before the start.
EARLY_CHECK_IN = timedelta(minutes=30)
# A volunteer's phone offers check-out this long after check-in (or at the
# end, if that comes first): a second tap on the check-in button must not end
# the service at 0 minutes and 0 points.
CHECK_OUT_AFTER = timedelta(minutes=15)


def check_out_opens_at(activity: Activity, signup: SignUp):
    """When the volunteer's own check-out is offered; None before check-in."""
    if signup.checked_in_at is None:
        return None
    return min(signup.checked_in_at + CHECK_OUT_AFTER, activity.ends_at)


def community_of(place: Place) -> Place:
    if place.level == Place.Level.COMMUNITY:
        return place
    return Place.objects.get(code=community_code(place.code))


def may_manage(user, activity: Activity) -> bool:
    """Staff in scope, or the leader of the activity's team."""
    if Activity.objects.for_user(user, CHANGE).filter(pk=activity.pk).exists():
        return True
    return bool(activity.team_id) and _is_leader_of(user, activity.team)


def _is_leader_of(user, team: Organisation) -> bool:
    return Membership.objects.filter(team=team, volunteer__user=user, is_leader=True).exists()


@transaction.atomic
def activity_create(
    *,
    actor,
    title: str,
    place: Place,
    starts_at: datetime,
    ends_at: datetime,
    capacity: int,
    description: str = "",
    address: str = "",
    team: Organisation | None = None,
) -> Activity:
    staff = may_act_at(actor, CHANGE, Activity, place)
    if not staff and not (team is not None and _is_leader_of(actor, team)):
        raise PermissionDenied(_("只有社区工作者或队伍负责人可以发布活动。"))
    errors = {}
    if not title.strip():
        errors["title"] = [_("请填写活动名称。")]
    if place.level not in (Place.Level.COMMUNITY, Place.Level.GRID):
        errors["place"] = [_("活动地点应为社区或网格。")]
    if ends_at <= starts_at:
        errors["ends_at"] = [_("结束时间应晚于开始时间。")]
    if capacity < 1:
        errors["capacity"] = [_("人数上限至少为1。")]
    if team is not None and team.kind not in TEAM_KINDS:
        errors["team"] = [_("组织队伍应为服务队或自治品牌。")]
    elif team is not None and not team_choices(user=actor).filter(pk=team.pk).exists():
        errors["team"] = [_("只能选择您管辖范围内的队伍。")]
    if errors:
        raise ValidationError(errors)
    activity = Activity.objects.create(
        title=title.strip()[:100],
        description=description.strip(),
        place=place,
        address=address.strip()[:200],
        team=team,
        starts_at=starts_at,
        ends_at=ends_at,
        capacity=capacity,
        created_by=actor,
    )
    audit.record(user=actor, action=AuditLog.Action.CREATE, obj=activity)
    return activity


def _may_act_for(user, volunteer: Volunteer) -> bool:
    return volunteer.user_id == user.pk or (
        Volunteer.objects.for_user(user, CHANGE).filter(pk=volunteer.pk).exists()
    )


def _locked(activity: Activity) -> Activity:
    return Activity.objects.select_for_update().get(pk=activity.pk)


@transaction.atomic
def signup_create(*, activity: Activity, volunteer: Volunteer, actor, now=None) -> SignUp:
    """Sign up; past capacity the volunteer joins the waiting list."""
    if not _may_act_for(actor, volunteer):
        raise PermissionDenied(_("只能为本人或本社区的志愿者报名。"))
    now = now or timezone.now()
    activity = _locked(activity)  # counts below must not race another sign-up
    if activity.status != Activity.Status.PUBLISHED or activity.ends_at <= now:
        raise ValidationError(_("该活动已结束或已取消，不能报名。"))
    signup = SignUp.objects.filter(activity=activity, volunteer=volunteer).first()
    if signup is not None and signup.status != SignUp.Status.CANCELLED:
        return signup
    confirmed = activity.signups.filter(status=SignUp.Status.CONFIRMED).count()
    status = SignUp.Status.CONFIRMED if confirmed < activity.capacity else SignUp.Status.WAITING
    if signup is None:
        signup = SignUp(activity=activity, volunteer=volunteer)
    signup.status, signup.signed_up_at = status, now
    signup.save()
    return signup


@transaction.atomic
def signup_cancel(*, signup: SignUp, actor) -> SignUp:
    """Cancel; a freed place goes to the first on the waiting list."""
    if not _may_act_for(actor, signup.volunteer):
        raise PermissionDenied(_("只能取消本人或本社区志愿者的报名。"))
    activity = _locked(signup.activity)
    signup = SignUp.objects.select_for_update().get(pk=signup.pk)
    if signup.checked_in_at is not None:
        raise ValidationError(_("已签到，不能取消报名。"))
    if signup.status == SignUp.Status.CANCELLED:
        return signup
    freed = signup.status == SignUp.Status.CONFIRMED
    signup.status = SignUp.Status.CANCELLED
    signup.save(update_fields=["status"])
    if freed:
        first = (
            activity.signups.filter(status=SignUp.Status.WAITING)
            .order_by("signed_up_at", "id")
            .first()
        )
        if first is not None:
            first.status = SignUp.Status.CONFIRMED
            first.save(update_fields=["status"])
    return signup


# The rotating code -----------------------------------------------------------


def _window(at: datetime) -> int:
    return int(at.timestamp() // CODE_WINDOW_SECONDS)


def _code(activity_id: int, window: int) -> str:
    digest = salted_hmac("civicgrid.volunteers.checkin", f"{activity_id}:{window}").hexdigest()
    return digest[:12]


def checkin_code(activity: Activity, at: datetime | None = None) -> str:
    return _code(activity.pk, _window(at or timezone.now()))


def code_valid(activity: Activity, code: str, at: datetime | None = None) -> bool:
    window = _window(at or timezone.now())
    return any(
        constant_time_compare(code or "", _code(activity.pk, w)) for w in (window, window - 1)
    )


# Check-in and check-out ---------------------------------------------------------


def _authorise(activity: Activity, volunteer: Volunteer, user, code: str | None, now) -> None:
    if code is not None:
        if volunteer.user_id != user.pk:
            raise PermissionDenied(_("扫码签到只能为本人签到。"))
        if not code_valid(activity, code, now):
            raise ValidationError({"code": _("二维码已过期，请重新扫描现场的二维码。")})
    elif not may_manage(user, activity):
        raise PermissionDenied(_("只有活动组织者可以代为签到、签退。"))


def _signup_for(activity: Activity, volunteer: Volunteer) -> SignUp:
    signup = (
        SignUp.objects.select_for_update()
        .filter(activity=activity, volunteer=volunteer, status=SignUp.Status.CONFIRMED)
        .first()
    )
    if signup is None:
        raise ValidationError(_("您没有报名该活动（或仍在候补），不能签到。"))
    return signup


@transaction.atomic
def check_in(*, activity: Activity, volunteer: Volunteer, actor, code: str | None = None, now=None):
    """By the code on the activity's screen (``code``) or by its organiser."""
    now = now or timezone.now()
    _authorise(activity, volunteer, actor, code, now)
    if not (activity.starts_at - EARLY_CHECK_IN <= now < activity.ends_at):
        raise ValidationError(_("不在活动签到时间内。"))
    signup = _signup_for(activity, volunteer)
    if signup.checked_in_at is None:
        signup.checked_in_at = now
        signup.save(update_fields=["checked_in_at"])
    return signup


def rule_for(activity: Activity) -> PointRule | None:
    """The newest published rule in force at the start: the community's own,
    else the district-wide one."""
    community = community_of(activity.place)
    return (
        PointRule.objects.filter(published=True, valid_from__lte=activity.starts_at)
        .filter(Q(community=community) | Q(community__isnull=True))
        .order_by(F("community").asc(nulls_last=True), "-valid_from", "-id")
        .first()
    )


@transaction.atomic
def check_out(
    *, activity: Activity, volunteer: Volunteer, actor, code: str | None = None, now=None
) -> SignUp:
    """Record the time served (capped at the activity's length) and issue its
    points from the community's issuing account, once per activity and volunteer."""
    now = now or timezone.now()
    _authorise(activity, volunteer, actor, code, now)
    signup = _signup_for(activity, volunteer)
    if signup.checked_in_at is None:
        raise ValidationError(_("请先签到再签退。"))
    if signup.checked_out_at is not None:
        return signup
    served = int((now - signup.checked_in_at).total_seconds() // 60)
    signup.checked_out_at = now
    signup.minutes = max(0, min(served, activity.minutes))
    rule = rule_for(activity)
    signup.points = rule.points_for(signup.minutes) if rule and signup.minutes else 0
    if signup.points:
        signup.transfer = ledger.points_transfer(
            from_account=ledger.issuing_account(community_of(activity.place)),
            to_account=ledger.volunteer_account(volunteer),
            amount=signup.points,
            kind=Transfer.Kind.EARN,
            reason=_("参加活动：%(title)s") % {"title": activity.title},
            key=f"earn:activity:{activity.pk}:volunteer:{volunteer.pk}",
            actor=actor,
        )
    signup.save(update_fields=["checked_out_at", "minutes", "points", "transfer"])
    return signup
