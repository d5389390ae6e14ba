"""Case handling pages: the list and its map layer, desk intake, the case
page with its action panel, and the one view every workflow move posts to."""

import math

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.access.decorators import role_may
from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, EXPORT, VIEW, may, may_act_at
from civicgrid.cases import duplicates, publication, selectors, services, workflow
from civicgrid.cases.filters import CaseFilter
from civicgrid.cases.forms import RATINGS, IntakeForm, MoveForm
from civicgrid.cases.models import Case, CaseEvent, Channel, Dispatch, Question
from civicgrid.cases.views import map_context
from civicgrid.registry import selectors as registry_selectors
from civicgrid.registry.brands import brands_for
from civicgrid.registry.forms import place_options
from civicgrid.web.pages import full_or_partial, page_of, safe_next

MAX_FEATURES = 2000
A = CaseEvent.Action


# The list and its map layer -------------------------------------------------


@role_may(VIEW, Case)
def case_list(request):
    user = request.user
    filters = CaseFilter(request.GET)
    cases = selectors.case_list(user=user, filters=filters).select_related("escalated_to")
    context = {
        "filters": filters,
        "page": page_of(request, cases),
        "place_options": place_options(user),
        "may_export": may(user, EXPORT, Case),
        "may_report": may(user, CHANGE, Case),
        **map_context(user),
    }
    return full_or_partial(request, "cases/list.html", "cases/_results.html", context)


def _bbox(raw: str) -> tuple[float, float, float, float]:
    parts = raw.split(",")
    if len(parts) != 4:
        raise ValueError(_("bbox 应为 西，南，东，北 四个数。"))
    try:
        west, south, east, north = (float(p) for p in parts)
    except ValueError:
        raise ValueError(_("bbox 应为 西，南，东，北 四个数。")) from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise ValueError(_("bbox 应为 西，南，东，北 四个数。"))
    if not (west < east and south < north):
        raise ValueError(_("bbox 的西边界应小于东边界，南边界应小于北边界。"))
    return west, south, east, north


@role_may(VIEW, Case)
def case_geojson(request):
    """Pins of the filtered cases in the user's scope, within ``bbox``."""
    filters = CaseFilter(request.GET)
    if not filters.is_valid():
        problems = [str(m) for errors in filters.errors.values() for m in errors]
        return JsonResponse({"detail": "; ".join(problems)}, status=400)
    cases = selectors.case_list(user=request.user, filters=filters).filter(
        lat__isnull=False, lon__isnull=False
    )
    if request.GET.get("bbox"):
        try:
            west, south, east, north = _bbox(request.GET["bbox"])
        except ValueError as error:
            return JsonResponse({"detail": str(error)}, status=400)
        cases = cases.filter(lat__range=(south, north), lon__range=(west, east))
    found = list(cases[: MAX_FEATURES + 1])
    features = [
        {
            "type": "Feature",
            "geometry": {"type": "Point", "coordinates": [case.lon, case.lat]},
            "properties": {
                "id": case.pk,
                "number": case.number,
                "category": case.category.label,
                "stage": case.get_stage_display(),
                "overdue": case.overdue,
                "url": reverse("cases:detail", args=[case.pk]),
            },
        }
        for case in found[:MAX_FEATURES]
    ]
    return JsonResponse(
        {
            "type": "FeatureCollection",
            "features": features,
            "truncated": len(found) > MAX_FEATURES,
        }
    )


# Desk intake ----------------------------------------------------------------


def _visible_duplicates(user, found) -> list[dict]:
    """Nearby open cases the user may see, with their distance."""
    visible = set(
        selectors.case_list(user=user)
        .filter(pk__in=[c.pk for c, _distance in found])
        .values_list("pk", flat=True)
    )
    return [{"case": c, "distance": round(d)} for c, d in found if c.pk in visible]


@role_may(CHANGE, Case)
def case_new(request):
    user = request.user
    nearby = []
    if request.method != "POST":
        form = IntakeForm(user=user)
    else:
        form = IntakeForm(request.POST, request.FILES, user=user)
        if form.is_valid():
            data = form.cleaned_data
            if not data["confirmed"] and form.is_location_given():
                found = duplicates.nearby_open(
                    category=data["category"], lat=data["lat"], lon=data["lon"]
                )
                nearby = _visible_duplicates(user, found)
            if not nearby:
                try:
                    case, _created = services.case_report(
                        channel=Channel.WEB, reporter=user, **form.service_fields()
                    )
                except ValidationError as error:
                    form.add_service_errors(error)
                except PermissionDenied as denied:
                    form.location_errors.append(str(denied))
                else:
                    return redirect("cases:detail", pk=case.pk)
    context = {"form": form, "nearby": nearby, **map_context(user)}
    status = 400 if form.is_bound and not nearby else 200
    return render(request, "cases/intake.html", context, status=status)


# The case page ---------------------------------------------------------------


def _answers(case: Case) -> list[tuple[str, str]]:
    """(question label, answer as shown) in the category's order."""
    shown = []
    for question in case.category.questions.all():
        if question.code not in case.answers:
            continue
        value = case.answers[question.code]
        if question.datatype in (Question.Datatype.SINGLE, Question.Datatype.MULTI):
            names = {c["key"]: c.get("name", c["key"]) for c in question.choices}
            keys = value if isinstance(value, list) else [value]
            value = "、".join(names.get(k, k) for k in keys)
        shown.append((question.label, str(value)))
    return shown


def _is_handler_in_scope(user, case: Case) -> bool:
    return may_act_at(user, CHANGE, Case, case.place)


def _live_context(user, case: Case) -> dict:
    """The regions a move changes: facts, dispatches and the timeline."""
    return {
        "case": case,
        "dispatches": list(selectors.case_dispatches(case=case)),
        "timeline": list(selectors.case_timeline(case=case)),
    }


def _actions_context(request, case: Case, form=None, error=None, done: str = "") -> dict:
    user = request.user
    actions = set(workflow.allowed_actions(case, user))
    context = {
        "case": case,
        "actions": actions,
        "A": A,
        "ratings": RATINGS,
        "move_errors": error.messages if error is not None else [],
        # A refused move keeps what was typed, in the form it came from.
        "failed": form.data.get("action", "") if error is not None else "",
        "failed_note": form.data.get("note", "") if error is not None else "",
        "fixable": case.category.fixable_on_spot,
        # What the last move did, said inside the panel (htmx keeps the page).
        "done": done,
    }
    if A.DISPATCH in actions:
        routed = {d.pk for d in case.category.departments.all()}
        # A department already working on the case is shown, not offered
        # again: a second 吹哨 to it would be refused anyway.
        working = set(
            case.dispatches.exclude(status=Dispatch.Status.HANDED_BACK).values_list(
                "department_id", flat=True
            )
        )
        context["departments"] = [
            {"department": d, "ticked": d.pk in routed and not working, "working": d.pk in working}
            for d in registry_selectors.organisation_list(user=user, kind="department")
        ]
    if A.CLOSE in actions:
        context["brands"] = brands_for(user)
    if A.MERGE in actions:
        found = duplicates.nearby_open(
            category=case.category, lat=case.lat, lon=case.lon, exclude_pk=case.pk
        )
        context["nearby"] = _visible_duplicates(user, found)
    return context


def _detail_page(request, case: Case, form=None, error=None, status: int = 200, publish_error=None):
    user = request.user
    handler = _is_handler_in_scope(user, case)
    context = {
        "publishable": publication.may_be_published(case),
        "publish_errors": publish_error.messages if publish_error is not None else [],
        "public_text": request.POST.get("public_description", case.public_description)
        if publish_error is not None
        else case.public_description,
        **_live_context(user, case),
        **_actions_context(request, case, form, error),
        "answers": _answers(case),
        "ancestors": case.place.ancestors(),
        "photos": list(case.photos.all()),
        "show_reporter": handler or not case.anonymous,
        "may_see_original": handler,
        "is_department": user.role == Role.DEPARTMENT,
        **map_context(user),
    }
    return render(request, "cases/detail.html", context, status=status)


@login_required
def case_detail(request, pk: int):
    case = selectors.case_get(user=request.user, pk=pk)
    if request.htmx and request.GET.get("part") == "live":
        return render(request, "cases/_live.html", _live_context(request.user, case))
    return _detail_page(request, case)


@login_required
@require_POST
def case_publish(request, pk: int):
    """Staff approve (or withdraw) the text Open311 publishes for the case."""
    case = selectors.case_get(user=request.user, pk=pk)
    try:
        services.case_publish(
            case=case, actor=request.user, text=request.POST.get("public_description", "")
        )
    except ValidationError as error:
        return _detail_page(request, case, publish_error=error, status=400)
    if case.public_description:
        messages.success(request, _("公开说明已发布。"))
    else:
        messages.success(request, _("公开说明已撤下。"))
    return redirect("cases:detail", pk=case.pk)


@login_required
@require_POST
def case_move(request, pk: int):
    """Every workflow move: parse, call ``workflow.case_move`` once. A refused
    move re-renders the case (or its action panel for htmx) at 400 with the
    message; a move the user may not make is 403."""
    user = request.user
    case = selectors.case_get(user=user, pk=pk)
    form = MoveForm(request.POST, request.FILES, user=user)
    try:
        if not form.is_valid():
            raise ValidationError([m for errors in form.errors.values() for m in errors])
        case = workflow.case_move(case=case, actor=user, **form.move_fields())
    except ValidationError as error:
        if request.htmx:
            context = _actions_context(request, case, form, error)
            return render(request, "cases/_actions.html", context, status=400)
        return _detail_page(request, case, form, error, status=400)
    label = A(form.cleaned_data["action"]).label
    if request.htmx:
        case = selectors.case_get(user=user, pk=pk)
        done = _("%(action)s成功。") % {"action": label}
        if form.cleaned_data["action"] == A.DISPATCH:
            names = "、".join(d.name for d in form.cleaned_data["departments"])
            done = _("已吹哨，派遣给%(names)s。") % {"names": names}
        context = _actions_context(request, case, done=done)
        response = render(request, "cases/_actions.html", context)
        response["HX-Trigger"] = "case-changed"
        return response
    messages.success(
        request, _("已%(action)s：%(number)s") % {"action": label, "number": case.number}
    )
    return redirect(safe_next(request, reverse("cases:detail", args=[case.pk])))
