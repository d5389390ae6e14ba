"""Volunteer pages. Thin: parse input, call a selector or a service, render.
Every object is looked up through a selector (404 outside the user's scope)."""

import io
from datetime import datetime

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.access.scoping import CHANGE, may
from civicgrid.lib import search_select
from civicgrid.lib.forms import add_service_errors
from civicgrid.lib.period import MAX_DAYS, Period
from civicgrid.registry.models import Household, Organisation
from civicgrid.volunteers import activities, exchange, ledger, notebook, selectors, services
from civicgrid.volunteers.forms import (
    ActivityForm,
    NeedForm,
    VolunteerForm,
    case_categories,
    neighbour_label,
)
from civicgrid.volunteers.models import TEAM_KINDS, Item, Need, SignUp, Volunteer
from civicgrid.web.pages import full_or_partial, page_of, safe_next


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def qr_svg(data: str, scale: int = 6) -> str:
    """An inline SVG QR code (rendered here: no outside service sees the data)."""
    out = io.BytesIO()
    segno.make(data, error="m").save(out, kind="svg", scale=scale, xmldecl=False, svgns=True)
    return mark_safe(out.getvalue().decode())  # noqa: S308 - segno's own markup


# Volunteers ------------------------------------------------------------------


@login_required
def volunteer_list(request):
    q, kind = request.GET.get("q", "").strip(), request.GET.get("kind", "")
    team = request.GET.get("team", "")
    rows = selectors.volunteer_list(
        user=request.user, q=q, kind=kind, team=int(team) if team.isdigit() else None
    )
    context = {
        "page": page_of(request, rows),
        "kinds": Volunteer.Kind.choices,
        "teams": Organisation.objects.filter(kind__in=TEAM_KINDS).order_by("name"),
        "data": {"q": q, "kind": kind, "team": team},
        "may_register": may(request.user, CHANGE, Volunteer),
    }
    return full_or_partial(request, "volunteers/list.html", "volunteers/_results.html", context)


@login_required
def volunteer_new(request):
    if not may(request.user, CHANGE, Volunteer):
        raise PermissionDenied(_("您的角色不能登记志愿者。"))
    form = VolunteerForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            volunteer = services.volunteer_register(
                actor=request.user,
                name=data["name"],
                kind=data["kind"],
                community=data["community"],
                phone=data["phone"],
                work_unit=data["work_unit"],
                skills=data["skills"],
                availability=data["availability"],
                teams=tuple(data["teams"]),
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            messages.success(request, _("已登记志愿者 %(name)s。") % {"name": volunteer.name})
            return redirect("volunteers:detail", volunteer.pk)
    return render(request, "volunteers/form.html", {"form": form, "title": _("登记志愿者")})


def _volunteer_context(volunteer: Volunteer) -> dict:
    return {
        "volunteer": volunteer,
        "balance": ledger.volunteer_balance(volunteer),
        "statement": list(ledger.volunteer_statement(volunteer))[::-1][:50],
        "signups": volunteer.signups.select_related("activity").order_by("-signed_up_at")[:20],
        "memberships": volunteer.memberships.select_related("team"),
        "code_svg": qr_svg(volunteer.number, scale=5),
    }


@login_required
def volunteer_detail(request, pk: int):
    volunteer = selectors.volunteer_get(user=request.user, pk=pk)
    context = _volunteer_context(volunteer)
    context["may_adjust"] = (
        may(request.user, CHANGE, Volunteer) and volunteer.user_id != request.user.pk
    )
    return render(request, "volunteers/detail.html", context)


@login_required
def me(request):
    """My card and points; a POST makes a new redemption code, shown once,
    which I give the counter to consent to spending my points."""
    volunteer = selectors.my_volunteer(request.user)
    if volunteer is None:
        return render(request, "volunteers/me.html", {"volunteer": None})
    context = _volunteer_context(volunteer)
    if request.method == "POST":
        context["new_code"], live = exchange.redemption_code_issue(
            volunteer=volunteer, actor=request.user
        )
    else:
        live = exchange.redemption_code_live(volunteer)
    context["code_expires_at"] = live.expires_at if live else None
    return render(request, "volunteers/me.html", context)


@login_required
@require_POST
def volunteer_adjust(request, pk: int):
    volunteer = selectors.volunteer_get(user=request.user, pk=pk, action=CHANGE)
    try:
        amount = int(request.POST.get("amount", ""))
        ledger.points_adjust(
            volunteer=volunteer,
            amount=amount,
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )
    except ValueError:
        messages.error(request, _("调整积分应为整数。"))
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("积分已调整。"))
    return redirect("volunteers:detail", volunteer.pk)


# Activities ------------------------------------------------------------------


@login_required
def activity_list(request):
    show = request.GET.get("show", "upcoming")
    start = timezone.now() if show == "upcoming" else None
    rows = selectors.activity_list(user=request.user, upcoming_from=start)
    if show == "upcoming":
        rows = rows.order_by("starts_at", "id")
    context = {
        "page": page_of(request, rows),
        "show": show,
        "may_create": may(request.user, CHANGE, Volunteer),
        "me": selectors.my_volunteer(request.user),
    }
    return full_or_partial(
        request, "volunteers/activities.html", "volunteers/_activities.html", context
    )


@login_required
def activity_new(request):
    form = ActivityForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            activity = activities.activity_create(actor=request.user, **data)
        except ValidationError as exc:
            add_service_errors(form, exc)
        else:
            return redirect("volunteers:activity", activity.pk)
    return render(request, "volunteers/form.html", {"form": form, "title": _("发布活动")})


@login_required
def activity_detail(request, pk: int):
    activity = selectors.activity_get(user=request.user, pk=pk)
    me = selectors.my_volunteer(request.user)
    context = {
        "activity": activity,
        "me": me,
        "mine": SignUp.objects.filter(activity=activity, volunteer=me).first() if me else None,
        "manage": activities.may_manage(request.user, activity),
        "ended": activity.ends_at <= timezone.now(),
    }
    if context["manage"]:
        context["signups"] = selectors.activity_signups(activity=activity)
    return render(request, "volunteers/activity.html", context)


@login_required
@require_POST
def activity_signup(request, pk: int):
    activity = selectors.activity_get(user=request.user, pk=pk)
    me = selectors.my_volunteer(request.user)
    if me is None:
        raise Http404
    try:
        signup = activities.signup_create(activity=activity, volunteer=me, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        if signup.status == SignUp.Status.WAITING:
            messages.success(request, _("名额已满，您已进入候补名单。"))
        else:
            messages.success(request, _("报名成功。"))
    return redirect("volunteers:activity", activity.pk)


@login_required
@require_POST
def activity_cancel(request, pk: int):
    activity = selectors.activity_get(user=request.user, pk=pk)
    volunteer = selectors.my_volunteer(request.user)
    if request.POST.get("volunteer"):
        volunteer = selectors.volunteer_get(user=request.user, pk=int(request.POST["volunteer"]))
    signup = get_object_or_404(SignUp, activity=activity, volunteer=volunteer)
    try:
        activities.signup_cancel(signup=signup, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已取消报名。"))
    return redirect("volunteers:activity", activity.pk)


def _scan_url(request, activity, code: str) -> str:
    return request.build_absolute_uri(reverse("volunteers:scan", args=[activity.pk])) + f"?c={code}"


@login_required
def activity_qr(request, pk: int):
    """The rotating code to show on a screen at the activity; htmx refreshes it."""
    activity = selectors.activity_get(user=request.user, pk=pk)
    if not activities.may_manage(request.user, activity):
        raise PermissionDenied(_("只有活动组织者可以出示签到码。"))
    url = _scan_url(request, activity, activities.checkin_code(activity))
    context = {"activity": activity, "qr": qr_svg(url, scale=8), "scan_url": url}
    template = "volunteers/_qr.html" if request.htmx else "volunteers/qr.html"
    return render(request, template, context)


@login_required
def activity_scan(request, pk: int):
    """What the QR code opens on a volunteer's phone: check in, later check out."""
    activity = selectors.activity_get(user=request.user, pk=pk)
    code = request.POST.get("c") or request.GET.get("c", "")
    me = selectors.my_volunteer(request.user)
    mine = SignUp.objects.filter(activity=activity, volunteer=me).first() if me else None
    now = timezone.now()
    opens_at = activities.check_out_opens_at(activity, mine) if mine else None
    if request.method == "POST" and me is not None:
        # The form says which step it is: a repeated check-in tap stays a
        # check-in, and a check-out must be confirmed and due.
        out = request.POST.get("step") == "out"
        step = activities.check_out if out else activities.check_in
        try:
            if out and not request.POST.get("confirm"):
                raise ValidationError(_("请确认服务已结束后再签退。"))
            if out and (opens_at is None or now < opens_at):
                raise ValidationError(_("刚刚签到，暂时不能签退。"))
            mine = step(activity=activity, volunteer=me, actor=request.user, code=code)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            if mine.checked_out_at:
                messages.success(
                    request,
                    _("签退成功：服务 %(minutes)d 分钟，获得 %(points)d 积分。")
                    % {"minutes": mine.minutes, "points": mine.points},
                )
            else:
                messages.success(request, _("签到成功。"))
        return redirect(f"{reverse('volunteers:scan', args=[activity.pk])}?c={code}")
    context = {
        "activity": activity,
        "me": me,
        "mine": mine,
        "code": code,
        "valid": activities.code_valid(activity, code),
        "opens_at": opens_at,
        "may_check_out": opens_at is not None and now >= opens_at,
        "served": int((now - mine.checked_in_at).total_seconds() // 60)
        if mine and mine.checked_in_at
        else 0,
    }
    return render(request, "volunteers/scan.html", context)


@login_required
@require_POST
def activity_attendance(request, pk: int):
    """Staff check a volunteer in or out by hand."""
    activity = selectors.activity_get(user=request.user, pk=pk)
    signup = get_object_or_404(SignUp, activity=activity, pk=request.POST.get("signup"))
    step = activities.check_out if request.POST.get("step") == "out" else activities.check_in
    try:
        step(activity=activity, volunteer=signup.volunteer, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    return redirect("volunteers:activity", activity.pk)


# The exchange counter ---------------------------------------------------------


@login_required
def counter_list(request):
    counters = selectors.counter_list(user=request.user)
    return render(request, "volunteers/counters.html", {"counters": counters})


def _lookup(request, counter, number: str, code: str):
    """The volunteer typed at the counter, with a message when none is found."""
    if not number:
        return None
    try:
        volunteer = exchange.volunteer_at_counter(counter=counter, number=number, code=code)
    except ValidationError as exc:
        _errors(request, exc)
        return None
    if volunteer is None:
        messages.error(
            request,
            _("本兑换点找不到编号为 %(code)s 的志愿者；其他社区的志愿者请出示兑换码。")
            % {"code": number},
        )
    return volunteer


@login_required
def counter_detail(request, pk: int):
    counter = selectors.counter_get(user=request.user, pk=pk)
    if not exchange.may_operate(request.user, counter):
        raise PermissionDenied(_("您不是该兑换点的值守人员。"))
    number = request.GET.get("volunteer", "").strip()
    code = request.GET.get("code", "").strip()
    volunteer = _lookup(request, counter, number, code)
    context = {
        "counter": counter,
        "items": selectors.item_list(user=request.user, counter=counter),
        "number": number,
        # Only a code that was checked goes on to the redeem buttons.
        "code": code if volunteer is not None else "",
        "volunteer": volunteer,
        "balance": ledger.volunteer_balance(volunteer) if volunteer else None,
        "recent": counter.redemptions.select_related("volunteer", "item")[:10],
    }
    return render(request, "volunteers/counter.html", context)


@login_required
@require_POST
def counter_redeem(request, pk: int):
    counter = selectors.counter_get(user=request.user, pk=pk)
    number = request.POST.get("volunteer", "").strip()
    code = request.POST.get("code", "").strip()
    item = get_object_or_404(Item, counter=counter, pk=request.POST.get("item") or 0)
    back = (
        reverse("volunteers:counter", args=[counter.pk])
        + "?"
        + urlencode({"volunteer": number, "code": code})
    )
    if not number:
        messages.error(request, _("请先扫描或输入志愿者编号。"))
        return redirect(back)
    if not code:
        messages.error(request, _("请输入志愿者出示的兑换码。"))
        return redirect(back)
    volunteer = _lookup(request, counter, number, code)
    if volunteer is None:
        return redirect(back)
    try:
        quantity = int(request.POST.get("quantity", "1"))
        redemption, _created = exchange.redemption_create(
            counter=counter,
            volunteer=volunteer,
            item=item,
            quantity=quantity,
            actor=request.user,
            code=code,
            key=request.POST.get("key", ""),
        )
    except ValueError:
        messages.error(request, _("数量应为整数。"))
        return redirect(back)
    except ValidationError as exc:
        _errors(request, exc)
        return redirect(back)
    return redirect("volunteers:receipt", redemption.pk)


@login_required
def receipt(request, pk: int):
    redemption = selectors.redemption_get(user=request.user, pk=pk)
    context = {
        "redemption": redemption,
        "balance": ledger.volunteer_balance(redemption.volunteer),
        "may_cancel": exchange.may_operate(request.user, redemption.counter),
    }
    return render(request, "volunteers/receipt.html", context)


@login_required
@require_POST
def receipt_cancel(request, pk: int):
    redemption = selectors.redemption_get(user=request.user, pk=pk)
    try:
        exchange.redemption_cancel(
            redemption=redemption, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已撤销兑换，积分和库存已退回。"))
    return redirect("volunteers:receipt", redemption.pk)


# The notebook (民情笔记) ------------------------------------------------------------


def _neighbours(user):
    central = notebook.kept_household(user)
    if central is not None:
        return central, central.cared_households.order_by("number")
    return None, Household.objects.for_user(user, CHANGE).filter(central_household__isnull=False)


@login_required
def notebook_page(request):
    central, neighbours = _neighbours(request.user)
    status = request.GET.get("status", "")
    needs = selectors.need_list(user=request.user, status=status)
    context = {
        "central": central,
        "form": NeedForm(neighbours=neighbours),
        "page": page_of(request, needs),
        "status": status,
        "statuses": Need.Status.choices,
        "categories": case_categories(),
        "per_household": selectors.central_household_figures(user=request.user)[:20],
    }
    return render(request, "volunteers/notebook.html", context)


@login_required
def neighbour_search(request):
    """The notebook's household box: households the user may note a need
    for, found by number or address."""
    _central, neighbours = _neighbours(request.user)
    text = search_select.typed(request)
    found = (
        neighbours.filter(Q(number__startswith=text) | Q(address__icontains=text))
        if text
        else neighbours.none()
    )
    return search_select.options_response(
        request, found.order_by("number"), key=lambda h: h.number, label=neighbour_label
    )


@login_required
@require_POST
def need_record(request):
    _central, neighbours = _neighbours(request.user)
    form = NeedForm(request.POST, neighbours=neighbours)
    if form.is_valid():
        try:
            notebook.need_record(actor=request.user, **form.cleaned_data)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(request, _("已记入民情笔记。"))
    else:
        messages.error(request, _("请选择联系户、类别并写下诉求。"))
    return redirect("volunteers:notebook")


def _need(request, pk: int) -> Need:
    return get_object_or_404(selectors.need_list(user=request.user), pk=pk)


@login_required
@require_POST
def need_resolve(request, pk: int):
    need = _need(request, pk)
    try:
        notebook.need_resolve(
            need=need, actor=request.user, resolution=request.POST.get("resolution", "")
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已记为当场解决。"))
    return redirect(safe_next(request, reverse("volunteers:notebook")))


@login_required
@require_POST
def need_to_case(request, pk: int):
    need = _need(request, pk)
    category = case_categories().filter(pk=request.POST.get("category") or 0).first()
    if category is None:
        messages.error(request, _("请选择事件类别。"))
        return redirect("volunteers:notebook")
    try:
        need = notebook.need_to_case(need=need, actor=request.user, category=category)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request, _("已转为事件，案卷号 %(number)s。") % {"number": need.case.number}
        )
    return redirect(safe_next(request, reverse("volunteers:notebook")))


# Figures -----------------------------------------------------------------------


def _period(request) -> tuple[datetime, datetime, str]:
    """The last ``days`` days (30 unless asked), today included."""
    days = request.GET.get("days", "30")
    days = int(days) if days.isdigit() and 0 < int(days) <= MAX_DAYS else 30
    period = Period.last_days(days)
    return period.start, period.end, str(days)


@login_required
def figures(request):
    start, end, days = _period(request)
    team = request.GET.get("team", "")
    team_id = int(team) if team.isdigit() else None
    context = {
        "days": days,
        "team": team,
        "figures": selectors.figures(user=request.user, start=start, end=end),
        "board": selectors.leaderboard(user=request.user, start=start, end=end, team=team_id),
        "teams": Organisation.objects.filter(kind__in=TEAM_KINDS)
        .filter(Q(memberships__isnull=False))
        .distinct()
        .order_by("name"),
    }
    return render(request, "volunteers/figures.html", context)
