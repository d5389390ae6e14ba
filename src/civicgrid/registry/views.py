"""Registry pages. Thin: parse input, call a selector (reads) or a service
(writes), render. Object lookups go through the selectors, which 404 outside
the user's scope; a role that may not use a page at all gets 403."""

import copy

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.access.decorators import role_may
from civicgrid.access.roles import REVEALABLE
from civicgrid.access.scoping import CHANGE, EXPORT, VIEW, may, may_act_at
from civicgrid.lib import search_select
from civicgrid.lib.forms import add_service_errors
from civicgrid.registry import figures, selectors, services
from civicgrid.registry.filters import HouseholdFilter, ResidentFilter
from civicgrid.registry.forms import (
    HouseholdForm,
    ResidentForm,
    place_options,
    scope_places,
)
from civicgrid.registry.models import Household, Organisation, Place, Resident
from civicgrid.web.pages import full_or_partial, page_of


def _personal_data(user, resident, revealed: dict | None = None) -> list[dict]:
    """The two protected fields of a resident as shown on a page: masked,
    with a reveal button where the role may see it, or clear once revealed."""
    revealed = revealed or {}
    return [
        {
            "field": field,
            "label": label,
            "masked": getattr(resident, f"{field}_masked"),
            "clear": revealed.get(field),
            "may_reveal": services.may_reveal(user, field),
        }
        for field, label in (("id_number", _("身份证号")), ("phone", _("联系电话")))
    ]


# Places -------------------------------------------------------------------


@login_required
def place_tree(request):
    roots = list(selectors.place_roots(user=request.user))
    tree = [
        {
            "place": root,
            "children": list(
                selectors.place_children_counts(
                    places=selectors.place_list(user=request.user, parent=root)
                )
            ),
        }
        for root in roots
    ]
    return render(request, "registry/place_tree.html", {"tree": tree})


@login_required
def place_detail(request, pk: int):
    user = request.user
    place = selectors.place_get(user=user, pk=pk)
    children = list(
        selectors.place_children_counts(places=selectors.place_list(user=user, parent=place))
    )
    registry = may(user, VIEW, Household)
    context = {
        "place": place,
        "ancestors": place.ancestors(),
        "children": children,
        "registry": registry,
        "boundary": _boundary_summary(place.boundary),
    }
    if registry:
        context["households"] = figures.households_under(user=user, place=place)
        counts = figures.household_counts_by_place(user=user, places=children)
        for child in children:
            child.household_count = counts[child.pk]
    return render(request, "registry/place_detail.html", context)


def _boundary_summary(boundary) -> dict | None:
    """Type, ring and vertex counts of a GeoJSON polygon, for a page without a map."""
    if not boundary:
        return None
    kind = boundary.get("type", "")
    coordinates = boundary.get("coordinates") or []
    polygons = coordinates if kind == "MultiPolygon" else [coordinates]
    rings = [ring for polygon in polygons for ring in polygon]
    return {
        "type": kind,
        "polygons": len(polygons),
        "vertices": sum(len(ring) for ring in rings),
    }


# Households ---------------------------------------------------------------


@role_may(VIEW, Household)
def household_list(request):
    user = request.user
    filters = HouseholdFilter(request.GET)
    households = selectors.household_list(user=user, filters=filters)
    context = {
        "filters": filters,
        "page": page_of(request, households),
        "place_options": place_options(user),
        "may_change": may(user, CHANGE, Household),
        "may_export": may(user, EXPORT, Household),
    }
    return full_or_partial(
        request, "registry/household_list.html", "registry/_household_results.html", context
    )


@role_may(VIEW, Household)
def household_detail(request, pk: int):
    user = request.user
    household = selectors.household_get(user=user, pk=pk)
    members = [
        {
            "resident": r,
            "groups": selectors.resident_groups(resident=r),
            "personal": _personal_data(user, r),
        }
        for r in selectors.household_members(household=household)
    ]
    context = {
        "household": household,
        "ancestors": household.grid.ancestors(),
        "members": members,
        "may_change": may_act_at(user, CHANGE, Household, household.grid),
    }
    return render(request, "registry/household_detail.html", context)


@role_may(CHANGE, Household)
def household_new(request):
    user = request.user
    if request.method == "POST":
        form = HouseholdForm(request.POST, instance=Household(), user=user)
        if form.is_valid():
            try:
                household = services.household_create(actor=user, **form.service_fields())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("registry:household", pk=household.pk)
    else:
        form = HouseholdForm(user=user, initial=_only_grid(user))
    return render(request, "registry/household_form.html", {"form": form, "household": None})


def _only_grid(user) -> dict:
    """Preselect the grid when the user has exactly one (a grid worker)."""
    grids = list(scope_places(user, Place.Level.GRID)[:2])
    return {"grid": grids[0]} if len(grids) == 1 else {}


@role_may(CHANGE, Household)
def household_edit(request, pk: int):
    user = request.user
    household = selectors.household_get(user=user, pk=pk, action=CHANGE)
    if request.method == "POST":
        # A ModelForm writes cleaned values into its instance; give it a copy so
        # the service still sees the stored values and audits the difference.
        form = HouseholdForm(request.POST, instance=copy.copy(household), user=user)
        if form.is_valid():
            try:
                services.household_update(actor=user, household=household, **form.service_fields())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("registry:household", pk=household.pk)
    else:
        form = HouseholdForm(instance=household, user=user)
    return render(request, "registry/household_form.html", {"form": form, "household": household})


# Residents ----------------------------------------------------------------


@role_may(VIEW, Resident)
def resident_list(request):
    user = request.user
    filters = ResidentFilter(request.GET)
    residents = selectors.resident_list(user=user, filters=filters)
    context = {
        "filters": filters,
        "page": page_of(request, residents),
        "place_options": place_options(user),
        "may_change": may(user, CHANGE, Resident),
        "may_export": may(user, EXPORT, Resident),
    }
    return full_or_partial(
        request, "registry/resident_list.html", "registry/_resident_results.html", context
    )


def _residentpage_of(request, resident, revealed: dict | None = None):
    user = request.user
    context = {
        "resident": resident,
        "groups": selectors.resident_groups(resident=resident),
        "personal": _personal_data(user, resident, revealed),
        "may_change": may_act_at(user, CHANGE, Resident, resident.household.grid),
    }
    return render(request, "registry/resident_detail.html", context)


@role_may(VIEW, Resident)
def resident_detail(request, pk: int):
    return _residentpage_of(request, selectors.resident_get(user=request.user, pk=pk))


@role_may(CHANGE, Resident)
def resident_new(request, household_id: int):
    user = request.user
    household = selectors.household_get(user=user, pk=household_id, action=CHANGE)
    if request.method == "POST":
        form = ResidentForm(request.POST, instance=Resident(household=household))
        if form.is_valid():
            try:
                resident = services.resident_create(
                    actor=user, household=household, **form.service_fields()
                )
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("registry:resident", pk=resident.pk)
    else:
        form = ResidentForm()
    context = {"form": form, "household": household, "resident": None}
    return render(request, "registry/resident_form.html", context)


@role_may(CHANGE, Resident)
def resident_edit(request, pk: int):
    user = request.user
    resident = selectors.resident_get(user=user, pk=pk, action=CHANGE)
    if request.method == "POST":
        form = ResidentForm(request.POST, instance=copy.copy(resident))
        if form.is_valid():
            try:
                services.resident_update(actor=user, resident=resident, **form.service_fields())
            except ValidationError as error:
                add_service_errors(form, error)
            else:
                return redirect("registry:resident", pk=resident.pk)
    else:
        form = ResidentForm(instance=resident)
    context = {"form": form, "household": resident.household, "resident": resident}
    return render(request, "registry/resident_form.html", context)


@role_may(VIEW, Resident)
@require_POST
def resident_reveal(request, pk: int):
    user = request.user
    resident = selectors.resident_get(user=user, pk=pk)
    field = request.POST.get("field", "")
    if field not in REVEALABLE:
        return HttpResponseBadRequest(_("该字段不能查看。"))
    value = services.resident_reveal(actor=user, resident=resident, field=field)
    if request.htmx:
        item = next(
            p for p in _personal_data(user, resident, {field: value}) if p["field"] == field
        )
        return render(
            request, "registry/_personal_value.html", {"item": item, "resident": resident}
        )
    return _residentpage_of(request, resident, revealed={field: value})


# Organisations ------------------------------------------------------------


@login_required
def organisation_list(request):
    kinds = Organisation.Kind
    kind = request.GET.get("kind", "")
    if kind not in kinds.values:
        kind = ""
    organisations = selectors.organisation_list(user=request.user, kind=kind)
    context = {"page": page_of(request, organisations), "kinds": kinds.choices, "kind": kind}
    return full_or_partial(
        request, "registry/organisation_list.html", "registry/_organisation_results.html", context
    )


@role_may(VIEW, Household)
def household_search(request):
    """Households in scope found by number or address, as ``<option>`` rows
    for a ``SearchSelect`` box; ``?central=1`` for central households only."""
    text = search_select.typed(request)
    households = Household.objects.for_user(request.user, VIEW)
    if request.GET.get("central") == "1":
        households = households.filter(is_central_household=True)
    found = (
        households.filter(Q(number__startswith=text) | Q(address__icontains=text))
        if text
        else households.none()
    )
    return search_select.options_response(
        request,
        found.order_by("number"),
        key=lambda household: household.number,
        label=lambda household: f"{household.address} · {household.number}",
    )
