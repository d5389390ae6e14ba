"""Risk pages: the map and its layers, a household's card, hazards, the day's
visits and the printable grid map. Thin: parse, call a selector or a
service, render. Objects come through selectors, which 404 outside scope."""

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse, HttpResponseBadRequest, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.access.decorators import role_may
from civicgrid.access.scoping import CHANGE, VIEW, may
from civicgrid.lib.forms import add_service_errors
from civicgrid.lib.period import Period
from civicgrid.lib.photos import copy_response
from civicgrid.registry import selectors as registry
from civicgrid.registry.models import Household
from civicgrid.risks import figures, hazards, layers, printmap, selectors, services, visits
from civicgrid.risks.forms import HazardForm, MoveForm, OverrideForm, VisitForm
from civicgrid.risks.models import Colour, Hazard, HazardEvent, HazardKind, HazardStage, Severity
from civicgrid.web.extensions import MAP_LAYERS, layers_for
from civicgrid.web.pages import page_of

# Move buttons on a hazard's page, and what each asks for.
MOVE_FIELDS = {
    HazardEvent.Action.ASSIGN: ("assignee", "due_on", "note"),
    HazardEvent.Action.START: ("note",),
    HazardEvent.Action.RECTIFY: ("note", "photo"),
    HazardEvent.Action.RECHECK_PASS: ("note",),
    HazardEvent.Action.RECHECK_FAIL: ("note",),
    HazardEvent.Action.CLOSE: ("note",),
    HazardEvent.Action.PROMOTE: ("note",),
}


def _photos(prepared) -> list:
    return [prepared] if prepared else []


# The map ------------------------------------------------------------------


@role_may(VIEW, Household)
def map_page(request):
    user = request.user
    place = user.scope_place if user.scope_place_id else None
    centre = (
        [place.centroid_lat, place.centroid_lon]
        if place is not None and place.centroid_lat is not None
        else [29.65, 91.13]
    )
    shown = layers_for(user)
    # Handed to map.js as JSON data blocks (json_script), never as script.
    config = {
        "centre": centre,
        "zoom": {"grid": 16, "community": 15, "street": 14}.get(place.level, 12) if place else 12,
        "tiles": settings.MAP_TILE_URL,
        "cardUrl": reverse("risks:household_card", args=[0]),
        "householdsIn": _("户"),
    }
    context = {
        "config": config,
        "layer_urls": {layer.name: reverse("risks:layer", args=[layer.name]) for layer in shown},
        "layers": [
            {
                "name": layer.name,
                "label": str(layer.label),
                "on": layer.on_at_start,
                "style": _plain(layer.style),
            }
            for layer in shown
        ],
    }
    return render(request, "risks/map.html", context)


def _plain(value):
    """Lazy labels in a layer's style, made plain strings for json_script."""
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    return value if isinstance(value, str | int | float | bool) or value is None else str(value)


@role_may(VIEW, Household)
def layer_geojson(request, name: str):
    if name not in MAP_LAYERS:
        raise Http404
    try:
        bbox = layers.parse_bbox(request.GET.get("bbox", ""))
        data = layers.layer(name, user=request.user, bbox=bbox, query=request.GET)
    except ValidationError as error:
        return JsonResponse({"detail": "; ".join(error.messages)}, status=400)
    return JsonResponse(data, content_type="application/geo+json")


def household_risk_context(user, household: Household) -> dict:
    """What the household card and the household page show about risk."""
    return {
        "household": household,
        "state": selectors.household_colour(household=household),
        "hazards": selectors.household_hazards(user=user, household=household)[:10],
        "visits": selectors.household_visits(user=user, household=household),
        "cases": selectors.household_open_cases(user=user, household=household)[:10],
        "history": selectors.household_colour_history(user=user, household=household),
        "may_override": services.may_override(user, household),
        "may_visit": may(user, CHANGE, Hazard),
        "override_form": OverrideForm(),
    }


@role_may(VIEW, Household)
def household_card(request, household_id: int):
    user = request.user
    household = registry.household_get(user=user, pk=household_id)
    context = household_risk_context(user, household)
    context["members"] = [
        {"resident": r, "groups": registry.resident_groups(resident=r)}
        for r in selectors.household_card_members(household=household)
    ]
    return render(request, "risks/_household_card.html", context)


@role_may(VIEW, Household)
@require_POST
def colour_override(request, household_id: int):
    user = request.user
    household = registry.household_get(user=user, pk=household_id)
    back = reverse("registry:household", args=[household.pk])
    if request.POST.get("clear"):
        services.colour_override_clear(actor=user, household=household)
        messages.success(request, _("已恢复按规则计算的颜色。"))
        return redirect(back)
    form = OverrideForm(request.POST)
    if not form.is_valid():
        messages.error(request, "; ".join(m for ms in form.errors.values() for m in ms))
        return redirect(back)
    try:
        services.colour_override(actor=user, household=household, **form.cleaned_data)
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    else:
        messages.success(request, _("已调整该户的颜色。"))
    return redirect(back)


# Hazards ------------------------------------------------------------------


@role_may(VIEW, Hazard)
def hazard_list(request):
    user = request.user
    found = selectors.hazard_list(
        user=user,
        stage=request.GET.get("stage", ""),
        severity=request.GET.get("severity", ""),
        kind=request.GET.get("kind", ""),
    )
    year = Period.year(timezone.localdate())
    start, end = year.first, year.end_date
    context = {
        "page": page_of(request, found),
        "stages": [("open", _("未化解")), *HazardStage.choices],
        "severities": Severity.choices,
        "kinds": HazardKind.choices,
        "chosen": request.GET,
        "figures": figures.hazard_figures(user=user, start=start, end=end),
        "households": figures.household_figures(user=user, start=start, end=end),
        "colours": Colour.choices,
        "year": start.year,
        "may_register": may(user, CHANGE, Hazard),
    }
    return render(request, "risks/hazard_list.html", context)


def _own_grid(user):
    """A grid worker's hazards away from a household belong to their grid;
    anyone else's are placed by the phone's position."""
    place = user.scope_place if user.scope_place_id else None
    return place if place is not None and place.level == place.Level.GRID else None


@role_may(CHANGE, Hazard)
def hazard_new(request):
    user = request.user
    household_id = request.GET.get("household") or request.POST.get("household")
    household = (
        registry.household_get(user=user, pk=int(household_id))
        if household_id and household_id.isdigit()
        else None
    )
    form = HazardForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            hazard = hazards.hazard_register(
                actor=user,
                household=household,
                place=_own_grid(user) if household is None else None,
                kind=data["kind"],
                severity=data["severity"],
                description=data["description"],
                lat=data["lat"],
                lon=data["lon"],
                photos=_photos(data["photo"]),
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("risks:hazard", pk=hazard.pk)
    context = {"form": form, "household": household}
    return render(request, "risks/hazard_form.html", context, status=400 if form.errors else 200)


@role_may(VIEW, Hazard)
def hazard_detail(request, pk: int):
    user = request.user
    hazard = selectors.hazard_get(user=user, pk=pk)
    actions = hazards.allowed_actions(hazard, user)
    moves = [
        {
            "action": action,
            "label": HazardEvent.Action(action).label,
            "form": MoveForm(place_code=hazard.place_code),
            "fields": MOVE_FIELDS[action],
        }
        for action in actions
    ]
    context = {
        "hazard": hazard,
        "events": selectors.hazard_events(hazard=hazard),
        "moves": moves,
    }
    return render(request, "risks/hazard_detail.html", context)


@role_may(VIEW, Hazard)
def hazard_photo(request, pk: int, key, size: str = "image"):
    """A hazard's photo (re-encoded, without EXIF), through the hazard's scope."""
    hazard = selectors.hazard_get(user=request.user, pk=pk)
    photo = get_object_or_404(hazard.photos, key=key)
    return copy_response(photo.thumbnail if size == "thumbnail" else photo.image)


@role_may(VIEW, Hazard)
@require_POST
def hazard_move(request, pk: int, action: str):
    user = request.user
    hazard = selectors.hazard_get(user=user, pk=pk)
    if action not in MOVE_FIELDS:
        return HttpResponseBadRequest(_("未知的操作。"))
    form = MoveForm(request.POST, request.FILES, place_code=hazard.place_code)
    if not form.is_valid():
        messages.error(request, "; ".join(m for ms in form.errors.values() for m in ms))
        return redirect("risks:hazard", pk=hazard.pk)
    data = form.cleaned_data
    try:
        hazards.hazard_move(
            hazard=hazard,
            action=action,
            actor=user,
            note=data["note"],
            assignee=data["assignee"],
            due_on=data["due_on"],
            photos=_photos(data["photo"]),
        )
    except ValidationError as error:
        messages.error(request, "; ".join(error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error))
    else:
        messages.success(request, HazardEvent.Action(action).label)
    return redirect("risks:hazard", pk=hazard.pk)


# Visits -------------------------------------------------------------------


@role_may(VIEW, Household)
def visit_photo(request, visit_id: int):
    """A visit's photo (re-encoded without EXIF when it was taken), through
    the visit's scope: uploads are never served from /media/."""
    visit = selectors.visit_get(user=request.user, pk=visit_id)
    if not visit.photo:
        raise Http404
    return copy_response(visit.photo)


@role_may(CHANGE, Hazard)
def today(request):
    rows = selectors.today_list(user=request.user)
    context = {
        "rows": rows,
        "overdue": sum(1 for row in rows if row["overdue"]),
        "limit": selectors.TODAY_LIMIT,
    }
    return render(request, "risks/today.html", context)


@role_may(CHANGE, Hazard)
def visit_new(request, household_id: int):
    user = request.user
    household = registry.household_get(user=user, pk=household_id)
    # Now, in the local time the input shows, to the minute.
    now = timezone.localtime().replace(second=0, microsecond=0)
    form = VisitForm(request.POST or None, request.FILES or None, initial={"at": now})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visits.visit_log(
                actor=user,
                household=household,
                at=data["at"],
                lat=data["lat"],
                lon=data["lon"],
                notes=data["notes"],
                needs=data["needs"],
                photo=data["photo"],
                hazard=form.hazard(),
                case_category=data["case_category"],
            )
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("走访已记录。"))
            return redirect("risks:today")
    context = {"form": form, "household": household}
    return render(request, "risks/visit_form.html", context, status=400 if form.errors else 200)


# Printing -----------------------------------------------------------------


PRINT_LIMIT = 2_000


@role_may(VIEW, Household)
def print_map(request, place_id: int):
    user = request.user
    place = registry.place_get(user=user, pk=place_id)
    households = list(
        registry.household_list(user=user)
        .filter(grid__code__startswith=place.code)
        .select_related("risk")
        .order_by("number")[:PRINT_LIMIT]
    )
    for household in households:
        state = getattr(household, "risk", None)
        household.colour = state.colour if state else ""
    png = printmap.render_grid_map(place=place, households=households)
    response = HttpResponse(png, content_type="image/png")
    response["Content-Disposition"] = f'inline; filename="grid-{place.code}.png"'
    return response
