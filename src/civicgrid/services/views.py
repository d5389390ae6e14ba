"""Service pages. Thin: parse input, call a selector or a service, render.
Every object is looked up through a selector (404 outside the user's scope)."""

from datetime import date, datetime

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.access.scoping import CHANGE, VIEW, may
from civicgrid.lib import xlsx
from civicgrid.registry.models import Resident, TargetGroup
from civicgrid.services import (
    canteens,
    childcare,
    distributions,
    doorstep,
    programmes,
    selectors,
)
from civicgrid.services.models import (
    DoorstepVisit,
    Guardian,
    HandOver,
    MealCard,
    MealPeriod,
    Programme,
    ServicePoint,
    Settlement,
)
from civicgrid.volunteers.models import Volunteer
from civicgrid.web.pages import full_or_partial, page_of


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _xlsx(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type=xlsx.CONTENT_TYPE)
    response["Content-Disposition"] = f"attachment; filename*=UTF-8''{_quote(filename)}"
    return response


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name)


def period_now(now=None) -> str:
    hour = timezone.localtime(now).hour
    return "breakfast" if hour < 10 else "lunch" if hour < 16 else "dinner"


# Overview and programmes ----------------------------------------------------------


@login_required
def index(request):
    kind = request.GET.get("kind", "")
    context = {
        "page": page_of(request, selectors.programme_list(user=request.user, kind=kind)),
        "points": selectors.point_list(user=request.user)[:50],
        "kinds": Programme.Kind.choices,
        "kind": kind,
    }
    return full_or_partial(request, "services/index.html", "services/_programmes.html", context)


@login_required
def programme_detail(request, programme_id: int):
    programme = selectors.programme_get(user=request.user, programme_id=programme_id)
    rows = programmes.eligible(programme=programme, user=request.user)
    context = {
        "programme": programme,
        "tiers": programme.tiers.all(),
        # A computed list: Django's own paginator over it.
        "page": Paginator(rows, settings.PAGE_SIZE).get_page(request.GET.get("page")),
        "total": len(rows),
        "waivers": programme.waivers.select_related("resident", "tier")[:100],
    }
    if programme.kind == Programme.Kind.DISTRIBUTION:
        handed = selectors.handover_list(user=request.user).filter(programme=programme)
        context["leftovers"] = distributions.leftovers(programme)
        context["handovers"] = handed[:50]
        context["sign_offs"] = HandOver.SignOff.choices
        done = set(handed.values_list("resident_id", flat=True))
        context["waiting"] = [r for r, _v in rows if r.pk not in done][:200]
    if programme.kind == Programme.Kind.CHILDCARE:
        context["enrolments"] = selectors.enrolment_list(user=request.user).filter(
            programme=programme
        )[:200]
        context["sessions"] = programme.sessions.select_related("site")[:50]
    return render(request, "services/programme.html", context)


@login_required
def programme_export(request, programme_id: int):
    programme = selectors.programme_get(user=request.user, programme_id=programme_id)
    content, _rows = programmes.eligible_export(programme=programme, user=request.user)
    return _xlsx(content, f"{programme.name}-{_('享受名单')}.xlsx")


@login_required
@require_POST
def programme_waiver(request, programme_id: int):
    programme = selectors.programme_get(user=request.user, programme_id=programme_id)
    resident = get_object_or_404(
        Resident.objects.for_user(request.user), pk=request.POST.get("resident") or 0
    )
    tier = programme.tiers.filter(pk=request.POST.get("tier") or 0).first()
    try:
        programmes.waiver_grant(
            programme=programme,
            resident=resident,
            tier=tier,
            reason=request.POST.get("reason", ""),
            actor=request.user,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已为 %(name)s 设置例外。") % {"name": resident.name})
    return redirect("services:programme", programme.pk)


# Canteens ---------------------------------------------------------------------------


def _canteen(request, canteen_id: int) -> ServicePoint:
    return selectors.point_get(user=request.user, point_id=canteen_id, kind="canteen")


@login_required
def counter(request, canteen_id: int):
    """The counter on a phone: scan or type, see the hints and tier, one tap."""
    canteen = _canteen(request, canteen_id)
    if not canteens.works_at(request.user, canteen):
        raise PermissionDenied(_("您不是该食堂的工作人员。"))
    period = request.GET.get("period") or period_now()
    if period not in MealPeriod.values:
        period = period_now()
    q = request.GET.get("q", "").strip()[:32]
    today = timezone.localdate()
    try:
        found = canteens.hints(canteens.find_cards(canteen=canteen, q=q), period=period, on=today)
        problem = ""
    except ValidationError as exc:
        found, problem = [], " ".join(exc.messages)
    context = {
        "canteen": canteen,
        "period": period,
        "periods": MealPeriod.choices,
        "q": q,
        "found": found,
        "problem": problem,
        "counts": canteens.daily_counts(canteen=canteen, on=today),
        "dishes": canteen.menus.filter(weekday=today.weekday(), period=period).first(),
    }
    return full_or_partial(
        request, "services/counter.html", "services/_counter_results.html", context
    )


@login_required
@require_POST
def meal_record(request, canteen_id: int):
    canteen = _canteen(request, canteen_id)
    card = get_object_or_404(MealCard, pk=request.POST.get("card") or 0)
    period = request.POST.get("period", "")
    try:
        meal = canteens.meal_record(
            canteen=canteen,
            card=card,
            period=period,
            actor=request.user,
            full_price=request.POST.get("full_price") == "1",
            pay_by_card=request.POST.get("pay") == "card",
            delivered=request.POST.get("delivered") == "1",
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            _("已登记：%(name)s %(period)s %(tier)s，个人支付 %(price).2f 元。")
            % {
                "name": card.name,
                "period": meal.get_period_display(),
                "tier": meal.tier.name,
                "price": meal.price_fen / 100,
            },
        )
    query = urlencode({"period": period, "q": request.POST.get("q", "")})
    return redirect(f"{reverse('services:counter', args=[canteen.pk])}?{query}")


def _month(text: str) -> date | None:
    try:
        return datetime.strptime(text, "%Y-%m").date()
    except ValueError:
        return None


@login_required
def canteen_detail(request, canteen_id: int):
    canteen = _canteen(request, canteen_id)
    today = timezone.localdate()
    day = _day(request.GET.get("day", "")) or today
    period = request.GET.get("period") or period_now()
    if period not in MealPeriod.values:
        period = "lunch"
    meals = selectors.meal_list(user=request.user).filter(canteen=canteen)
    try:
        deliveries = canteens.delivery_list(canteen=canteen, on=day, period=period)
    except ValidationError:
        deliveries = []
    context = {
        "canteen": canteen,
        "day": day,
        "period": period,
        "periods": MealPeriod.choices,
        "counts": canteens.daily_counts(canteen=canteen, on=day),
        "page": page_of(request, meals.filter(served_on=day).order_by("-recorded_at", "-id")),
        "deliveries": deliveries,
        "anomalies": canteens.anomalies(
            meals=selectors.meal_list(user=request.user).filter(served_on__gte=today.replace(day=1))
        ),
        "settlements": Settlement.objects.for_user(request.user).filter(canteen=canteen)[:24],
        "last_month": (today.replace(day=1) - timezone.timedelta(days=1)).strftime("%Y-%m"),
        "works_here": canteens.works_at(request.user, canteen),
        "week": canteens.week_menu(canteen),
        "weekdays": list(enumerate(canteens.WEEKDAYS)),
    }
    return render(request, "services/canteen.html", context)


def _day(text: str) -> date | None:
    try:
        return date.fromisoformat(text)
    except ValueError:
        return None


@login_required
@require_POST
def settlement_close(request, canteen_id: int):
    canteen = _canteen(request, canteen_id)
    month = _month(request.POST.get("month", ""))
    if month is None:
        messages.error(request, _("请选择月份。"))
    else:
        try:
            settlement = canteens.settlement_close(canteen=canteen, month=month, actor=request.user)
        except ValidationError as exc:
            _errors(request, exc)
        else:
            messages.success(
                request,
                _("%(month)s 已结算，共 %(n)d 餐。")
                % {"month": f"{settlement.month:%Y-%m}", "n": settlement.meals},
            )
    return redirect("services:canteen", canteen.pk)


@login_required
def settlement_export(request, canteen_id: int):
    canteen = _canteen(request, canteen_id)
    month = _month(request.GET.get("month", "")) or timezone.localdate().replace(day=1)
    content, _rows = canteens.settlement_export(canteen=canteen, month=month, user=request.user)
    return _xlsx(content, f"{canteen.name}-{month:%Y-%m}-{_('助餐结算')}.xlsx")


# Distributions --------------------------------------------------------------------------


@login_required
@require_POST
def handover(request, programme_id: int):
    programme = selectors.programme_get(user=request.user, programme_id=programme_id)
    resident = get_object_or_404(
        Resident.objects.for_user(request.user), pk=request.POST.get("resident") or 0
    )
    try:
        distributions.handover_record(
            programme=programme,
            resident=resident,
            sign_off=request.POST.get("sign_off", ""),
            evidence=request.FILES.get("evidence"),
            proxy_name=request.POST.get("proxy_name", ""),
            proxy_reason=request.POST.get("proxy_reason", ""),
            actor=request.user,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已发放给 %(name)s。") % {"name": resident.name})
    return redirect("services:programme", programme.pk)


@login_required
@require_POST
def donation(request, programme_id: int):
    programme = selectors.programme_get(user=request.user, programme_id=programme_id)
    good = get_object_or_404(programme.goods, pk=request.POST.get("good") or 0)
    quantity = request.POST.get("quantity", "")
    try:
        distributions.donation_receive(
            good=good,
            donor=request.POST.get("donor", ""),
            quantity=int(quantity) if quantity.isdigit() else 0,
            actor=request.user,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已入库。"))
    return redirect("services:programme", programme.pk)


# Doorstep services ----------------------------------------------------------------------


@login_required
def visits(request):
    if not may(request.user, VIEW, DoorstepVisit):
        raise PermissionDenied(_("您的角色不能查看上门服务。"))
    rows = selectors.visit_list(user=request.user)
    labels = {g.code: g.label for g in TargetGroup.objects.all()}
    counts = doorstep.person_times_by_group(rows)
    context = {
        "page": page_of(request, rows),
        "kinds": DoorstepVisit.Kind.choices,
        "by_group": sorted(((labels.get(c, c), n) for c, n in counts.items()), key=lambda x: -x[1]),
        "may_record": may(request.user, CHANGE, DoorstepVisit),
        "now": timezone.localtime().strftime("%Y-%m-%dT%H:%M"),
    }
    return full_or_partial(request, "services/visits.html", "services/_visits.html", context)


@login_required
@require_POST
def visit_record(request):
    resident = get_object_or_404(
        Resident.objects.for_user(request.user), pk=request.POST.get("resident") or 0
    )
    number = request.POST.get("volunteer", "").strip().upper()
    volunteer = None
    if number:
        pk = number[1:] if number.startswith("V") else number
        volunteer = Volunteer.objects.filter(pk=int(pk) if pk.isdigit() else 0).first()
        if volunteer is None:
            messages.error(request, _("没有这个志愿者编号。"))
            return redirect("services:visits")
    minutes = request.POST.get("minutes", "")
    try:
        started = timezone.make_aware(datetime.fromisoformat(request.POST.get("started_at", "")))
    except ValueError:
        messages.error(request, _("服务时间格式不对。"))
        return redirect("services:visits")
    try:
        doorstep.visit_record(
            resident=resident,
            kind=request.POST.get("kind", ""),
            what=request.POST.get("what", ""),
            started_at=started,
            minutes=int(minutes) if minutes.isdigit() else 0,
            volunteer=volunteer,
            actor=request.user,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已记录上门服务。"))
    return redirect("services:visits")


# Childcare -------------------------------------------------------------------------------


@login_required
def childcare_today(request, site_id: int):
    """A teacher's phone: today's sessions, children, check-in and check-out."""
    site = selectors.point_get(user=request.user, point_id=site_id, kind="childcare")
    context = {"site": site, "sessions": childcare.today_sessions(site=site, user=request.user)}
    return render(request, "services/today.html", context)


def _session_and_enrolment(request, session_id: int):
    session = selectors.session_get(user=request.user, session_id=session_id)
    enrolment = get_object_or_404(
        session.programme.enrolments, pk=request.POST.get("enrolment") or 0
    )
    return session, enrolment


@login_required
@require_POST
def attendance_check_in(request, session_id: int):
    session, enrolment = _session_and_enrolment(request, session_id)
    try:
        childcare.check_in(session=session, enrolment=enrolment, actor=request.user)
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("%(name)s 已签到。") % {"name": enrolment.child.name})
    return redirect("services:today", session.site_id)


@login_required
@require_POST
def attendance_check_out(request, session_id: int):
    session, enrolment = _session_and_enrolment(request, session_id)
    guardian = get_object_or_404(Guardian, pk=request.POST.get("guardian") or 0)
    try:
        childcare.check_out(
            session=session, enrolment=enrolment, guardian=guardian, actor=request.user
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            _("%(name)s 已由 %(adult)s 接走。")
            % {"name": enrolment.child.name, "adult": guardian.name},
        )
    return redirect("services:today", session.site_id)


@login_required
@require_POST
def enrolment_new(request, programme_id: int):
    programme = selectors.programme_get(user=request.user, programme_id=programme_id)
    child = get_object_or_404(
        Resident.objects.for_user(request.user), pk=request.POST.get("child") or 0
    )
    guardian = {
        "name": request.POST.get("guardian_name", ""),
        "relation": request.POST.get("guardian_relation", ""),
        "phone": request.POST.get("guardian_phone", ""),
        "may_pick_up": True,
        "emergency": True,
    }
    try:
        enrolment = childcare.enrol(
            programme=programme,
            child=child,
            actor=request.user,
            guardians=[guardian],
            health_note=request.POST.get("health_note", ""),
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(
            request,
            _("%(name)s:%(status)s")
            % {"name": child.name, "status": enrolment.get_status_display()},
        )
    return redirect("services:programme", programme.pk)


@login_required
@require_POST
def enrolment_withdraw(request, enrolment_id: int):
    enrolment = get_object_or_404(selectors.enrolment_list(user=request.user), pk=enrolment_id)
    try:
        promoted = childcare.withdraw(
            enrolment=enrolment, actor=request.user, reason=request.POST.get("reason", "")
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("已退出；候补转录取 %(n)d 人。") % {"n": len(promoted)})
    return redirect("services:programme", enrolment.programme_id)


@login_required
@require_POST
def menu_set(request, canteen_id: int):
    canteen = _canteen(request, canteen_id)
    weekday = request.POST.get("weekday", "")
    try:
        canteens.menu_set(
            canteen=canteen,
            weekday=int(weekday) if weekday.isdigit() else -1,
            period=request.POST.get("period", ""),
            dishes=request.POST.get("dishes", ""),
            actor=request.user,
        )
    except ValidationError as exc:
        _errors(request, exc)
    else:
        messages.success(request, _("菜单已保存。"))
    return redirect("services:canteen", canteen.pk)
