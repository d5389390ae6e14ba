"""Wish, pairing and party-member pages. Thin: parse, call a selector or a
service, render. Objects come through selectors (404 outside scope); the
wish wall is the one public page and shows public entries only."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.access.decorators import role_may
from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, VIEW, may
from civicgrid.lib.forms import add_service_errors
from civicgrid.lib.period import Period
from civicgrid.lib.photos import copy_response
from civicgrid.registry import selectors as registry
from civicgrid.registry.brands import solved_by_brand
from civicgrid.web.pages import page_of
from civicgrid.wishes import agreements, selectors, services
from civicgrid.wishes.flow import A, claimant_for, wishes
from civicgrid.wishes.forms import CapForm, MoveForm, PairingForm, ReportForm, WishForm
from civicgrid.wishes.models import Pairing, PartyReport, Wish, WishCap, WishStage

# What each move's form asks for on a wish's page.
MOVE_FIELDS = {
    A.PUBLISH: ("summary", "note"),
    A.REJECT: ("note",),
    A.WITHDRAW: ("note",),
    A.CLAIM: ("note",),
    A.RELEASE: ("note",),
    A.DELIVER: ("photos", "note"),
    A.CONFIRM: ("by_resident", "brand", "note"),
    A.THANK: ("note",),
}


# Wishes ---------------------------------------------------------------------------


@role_may(VIEW, Wish)
def wish_list(request):
    stage = request.GET.get("stage", "")
    if stage not in WishStage.values:
        stage = ""
    rows = selectors.wish_list(user=request.user, stage=stage)
    context = {"page": page_of(request, rows), "stage": stage, "stages": WishStage.choices}
    return render(request, "wishes/list.html", context)


@role_may(CHANGE, Wish)
def wish_new(request, resident_id: int):
    resident = registry.resident_get(user=request.user, pk=resident_id, action=CHANGE)
    form = WishForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            wish = services.wish_enter(actor=request.user, resident=resident, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("心愿 %(number)s 已登记，待社区审核。") % {"number": wish.number}
            )
            return redirect("wishes:detail", wish_id=wish.pk)
    grid = resident.household.grid
    cap = services.cap_for(services.community_of(grid))
    return render(request, "wishes/form.html", {"form": form, "resident": resident, "cap": cap})


@login_required
def wish_detail(request, wish_id: int):
    user = request.user
    wish = selectors.wish_get(user=user, pk=wish_id)
    moves = [
        {
            "action": action,
            "label": A(action).label,
            "form": MoveForm(user=user, initial={"summary": wish.summary}),
            "fields": MOVE_FIELDS[action],
        }
        for action in wishes.allowed(wish, user)
    ]
    context = {
        "wish": wish,
        "residents": selectors.sees_residents(user),
        "events": selectors.wish_events(wish=wish),
        "moves": moves,
    }
    return render(request, "wishes/detail.html", context)


@login_required
@require_POST
def wish_move(request, wish_id: int, action: str):
    user = request.user
    wish = selectors.wish_get(user=user, pk=wish_id)
    if action not in MOVE_FIELDS:
        return HttpResponseBadRequest(_("未知的操作。"))
    form = MoveForm(request.POST, request.FILES, user=user)
    if not form.is_valid():
        messages.error(request, "; ".join(m for ms in form.errors.values() for m in ms))
        return redirect("wishes:detail", wish_id=wish.pk)
    data = form.cleaned_data
    try:
        services.wish_move(
            wish=wish,
            action=action,
            actor=user,
            note=data["note"],
            summary=data["summary"],
            by_resident=data["by_resident"],
            brand=data["brand"],
            photos=data["photos"] or (),
        )
    except (ValidationError, PermissionDenied) as error:
        text = error.messages if isinstance(error, ValidationError) else [str(error)]
        messages.error(request, "; ".join(text))
    else:
        messages.success(request, _("已%(action)s。") % {"action": A(action).label})
    return redirect("wishes:detail", wish_id=wish.pk)


@login_required
def wish_photo(request, wish_id: int, photo_key):
    wish = selectors.wish_get(user=request.user, pk=wish_id)
    photo = get_object_or_404(wish.photos, key=photo_key)
    return copy_response(photo.thumbnail if request.GET.get("size") == "thumb" else photo.image)


def wall(request):
    """The wish wall: public by rule, for anyone, signed in or not."""
    community = request.GET.get("community", "")
    claim = None
    if request.user.is_authenticated and request.user.role in (Role.PAIRED_UNIT, Role.VOLUNTEER):
        claim = request.user
    entries = selectors.wall(community=community)
    if claim is not None:
        claimable = {
            w.pk
            for w in Wish.objects.for_user(claim)
            .filter(pk__in=[e["id"] for e in entries], stage=WishStage.PUBLISHED)
            .select_related("community")
            if claimant_for(claim, w.community) is not None
        }
        for entry in entries:
            entry["claimable"] = entry["id"] in claimable
    context = {
        "entries": entries,
        "communities": selectors.wall_communities(),
        "community": community,
    }
    return render(request, "wishes/wall.html", context)


# The community's cap ---------------------------------------------------------------


@role_may(VIEW, WishCap)
def cap_list(request):
    return render(
        request,
        "wishes/caps.html",
        {"rows": selectors.caps(user=request.user), "may_set": may(request.user, CHANGE, WishCap)},
    )


@role_may(CHANGE, WishCap)
def cap_edit(request, community_id: int):
    community = selectors.community_get(user=request.user, pk=community_id)
    form = CapForm(request.POST or None, initial={"cap": services.cap_for(community)})
    if request.method == "POST" and form.is_valid():
        try:
            services.cap_set(actor=request.user, community=community, cap=form.cleaned_data["cap"])
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(
                request, _("已保存%(name)s的心愿估价上限。") % {"name": community.name}
            )
            return redirect("wishes:caps")
    return render(request, "wishes/cap_form.html", {"form": form, "community": community})


# Pairings and units ---------------------------------------------------------------------


@role_may(VIEW, Pairing)
def pairing_list(request):
    rows = selectors.pairing_list(user=request.user, active_only=request.GET.get("active") == "1")
    context = {"page": page_of(request, rows), "may_add": may(request.user, CHANGE, Pairing)}
    return render(request, "wishes/pairings.html", context)


@role_may(CHANGE, Pairing)
def pairing_new(request):
    form = PairingForm(request.POST or None, request.FILES or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            pairing = services.pairing_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已登记结对共建。"))
            return redirect("wishes:pairing", pairing_id=pairing.pk)
    return render(request, "wishes/pairing_form.html", {"form": form})


@login_required
def pairing_detail(request, pairing_id: int):
    pairing = selectors.pairing_get(user=request.user, pk=pairing_id)
    return render(request, "wishes/pairing.html", {"pairing": pairing})


@login_required
def pairing_agreement(request, pairing_id: int):
    pairing = selectors.pairing_get(user=request.user, pk=pairing_id)
    if not pairing.agreement:
        raise Http404
    return agreements.download(pairing.agreement, stem=f"agreement-{pairing.pk}")


@login_required
def unit_list(request):
    """A paired unit's contact sees their own unit's page; staff the units
    paired in their scope."""
    user = request.user
    if user.role == Role.PAIRED_UNIT and user.organisation_id:
        unit = selectors.unit_get(user=user, pk=user.organisation_id)
        return render(request, "wishes/unit.html", selectors.unit_page(user=user, unit=unit))
    if not may(user, VIEW, Pairing):
        raise PermissionDenied(_("您的角色不能使用此页面。"))
    return render(
        request, "wishes/units.html", {"page": page_of(request, selectors.unit_list(user=user))}
    )


@login_required
def unit_detail(request, unit_id: int):
    unit = selectors.unit_get(user=request.user, pk=unit_id)
    return render(request, "wishes/unit.html", selectors.unit_page(user=request.user, unit=unit))


# Party members reporting -----------------------------------------------------------------


@role_may(VIEW, PartyReport)
def report_list(request):
    rows = selectors.report_list(user=request.user)
    context = {
        "page": page_of(request, rows),
        "may_add": may(request.user, CHANGE, PartyReport),
        "by_unit": selectors.reports_by(user=request.user, on=timezone.localdate()),
    }
    return render(request, "wishes/reports.html", context)


@role_may(CHANGE, PartyReport)
def report_new(request):
    form = ReportForm(
        request.POST or None, user=request.user, initial={"reported_on": timezone.localdate()}
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.report_register(
                actor=request.user,
                volunteer=data["volunteer"],
                community=data["community"],
                unit=data["unit"],
                on=data["reported_on"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已登记党员报到。"))
            return redirect("wishes:reports")
    return render(request, "wishes/report_form.html", {"form": form})


# Figures ------------------------------------------------------------------------------------


@role_may(VIEW, Wish)
def figures(request):
    today = timezone.localdate()
    period = (
        Period.year(today) if request.GET.get("span") == "year" else Period.last_days(365, today)
    )
    user = request.user
    context = {
        "period": period,
        "counts": selectors.wish_counts(user=user, start=period.start, end=period.end),
        "pairings": selectors.pairing_counts(user=user, on=period.last),
        "hours": selectors.member_hours(user=user, start=period.start, end=period.end),
        "monthly": selectors.monthly(user=user, start=period.start, end=period.end),
        "units": selectors.per_unit(user=user, start=period.start, end=period.end)[:30],
        "reports": selectors.reports_by(user=user, on=period.last)[:30],
        "brands": solved_by_brand(user=user, period=period),
    }
    return render(request, "wishes/figures.html", context)
