"""Visits: the schedule that follows the colour, the day's walking route and
the visit log.

A household of colour c with interval d days, last visited on day v (local
date), is next due on v + d: due when that is today or earlier, overdue when
it is before today. A household never visited is due (not overdue).
"""

import math
from datetime import datetime, time, timedelta

import numpy
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import CHANGE, may_act_at
from civicgrid.cases.models import Category, Channel
from civicgrid.cases.services import case_report
from civicgrid.lib.photos import PreparedPhoto, store
from civicgrid.registry.models import Household
from civicgrid.risks import hazards
from civicgrid.risks.models import Colour, HouseholdColour, Visit, VisitInterval
from civicgrid.risks.services import household_recolour

DEFAULT_DAYS = {Colour.RED: 1, Colour.YELLOW: 7, Colour.GREEN: 30}


def intervals() -> dict[str, int]:
    days = dict(DEFAULT_DAYS)
    days.update(VisitInterval.objects.values_list("colour", "days"))
    return days


def _start_of(day) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def due_q(today=None, *, overdue_only: bool = False, prefix: str = "risk__") -> Q:
    """Households (through ``prefix`` to their HouseholdColour) due for a visit
    today, or only those overdue."""
    today = today or timezone.localdate()
    q = Q(pk__in=[])
    for colour, days in intervals().items():
        # overdue: v + d < today, i.e. v < today - d; due: v <= today - d
        cutoff = today - timedelta(days=days) + timedelta(days=0 if overdue_only else 1)
        last = Q(**{f"{prefix}last_visit_at__lt": _start_of(cutoff)})
        if not overdue_only:
            last |= Q(**{f"{prefix}last_visit_at__isnull": True})
        q |= Q(**{f"{prefix}colour": colour}) & last
    return q


def next_due(state: HouseholdColour | None, days: dict[str, int]):
    if state is None or state.last_visit_at is None:
        return None
    return timezone.localdate(state.last_visit_at) + timedelta(days=days[state.colour])


def walking_route(start: tuple[float, float] | None, households: list) -> list:
    """Nearest neighbour from ``start`` (lat, lon) through the households'
    positions; households without a position come last, by number."""
    placed = sorted(
        (h for h in households if h.lat is not None and h.lon is not None), key=lambda h: h.number
    )
    rest = sorted((h for h in households if h.lat is None or h.lon is None), key=lambda h: h.number)
    if not placed:
        return rest
    here = start or (placed[0].lat, placed[0].lon)
    # Equirectangular distances are enough to order a walk within a district.
    scale = math.cos(math.radians(here[0]))
    points = numpy.array([(h.lat, h.lon * scale) for h in placed])
    left = numpy.ones(len(placed), dtype=bool)
    position = numpy.array([here[0], here[1] * scale])
    route = []
    while left.any():
        distances = ((points - position) ** 2).sum(axis=1)
        distances[~left] = numpy.inf
        # argmin takes the first of equal distances: the lowest number, as sorted.
        nearest = int(distances.argmin())
        left[nearest] = False
        route.append(placed[nearest])
        position = points[nearest]
    return route + rest


def visit_log(
    *,
    actor,
    household: Household,
    at: datetime | None = None,
    lat: float | None = None,
    lon: float | None = None,
    notes: str = "",
    needs: str = "",
    photo: PreparedPhoto | None = None,
    hazard: dict | None = None,
    case_category: Category | None = None,
) -> Visit:
    """Log a visit; ``hazard`` (kind, severity, description) registers the
    hazard found there and ``case_category`` reports the needs as a case,
    in the same transaction."""
    if not may_act_at(actor, CHANGE, Visit, household.grid):
        raise PermissionDenied(_("该户不在您的管辖范围内。"))
    now = timezone.now()
    at = at or now
    _check_visit(
        now=now,
        at=at,
        lat=lat,
        lon=lon,
        notes=notes,
        needs=needs,
        hazard=hazard,
        case_category=case_category,
    )
    with transaction.atomic():
        visit = Visit(
            household=household,
            place_code=household.grid.code,
            worker=actor,
            at=at,
            lat=lat,
            lon=lon,
            notes=notes.strip(),
            needs=needs.strip(),
        )
        if photo is not None:
            store(photo, stem=f"{visit.at:%Y%m%d%H%M%S}", image=visit.photo)
        if hazard:
            visit.hazard = _hazard_found(visit, hazard, actor=actor)
        if case_category is not None:
            visit.case = _needs_reported(visit, case_category, actor=actor)
        visit.save()
        _note_last_visit(household, at, actor=actor)
        audit.record(user=actor, action=AuditLog.Action.CREATE, obj=visit)
    return visit


def _check_visit(*, now, at, lat, lon, notes, needs, hazard, case_category) -> None:
    errors = {}
    if at > now + timedelta(minutes=5):
        errors["at"] = [_("走访时间不能晚于现在。")]
    if (lat is None) != (lon is None) or (
        lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180)
    ):
        errors["location"] = [_("位置坐标无效。")]
    if not (notes or "").strip() and not (needs or "").strip() and not hazard:
        errors["notes"] = [_("请填写走访情况。")]
    if case_category is not None and not (needs or "").strip():
        errors["needs"] = [_("上报事件需要填写发现的需求。")]
    if errors:
        raise ValidationError(errors)


def _hazard_found(visit: Visit, hazard: dict, *, actor):
    """Register the hazard found on the visit (kind, severity, description)."""
    return hazards.hazard_register(
        actor=actor,
        household=visit.household,
        lat=visit.lat,
        lon=visit.lon,
        kind=hazard.get("kind", ""),
        severity=hazard.get("severity", ""),
        description=hazard.get("description", ""),
    )


def _needs_reported(visit: Visit, category: Category, *, actor):
    """Report the needs found on the visit as a case."""
    household = visit.household
    case, _created = case_report(
        channel=Channel.VISIT,
        category=category,
        description=visit.needs,
        reporter=actor,
        place=household.grid,
        lat=visit.lat,
        lon=visit.lon,
        household=household,
        address=household.address,
        source="visit",
    )
    return case


def _note_last_visit(household: Household, at: datetime, *, actor) -> None:
    """The household's colour state remembers its latest visit."""
    state = HouseholdColour.objects.filter(household=household).first()
    if state is None:
        state = household_recolour(household=household, reason_source="visit", actor=actor)
    if state.last_visit_at is None or state.last_visit_at < at:
        HouseholdColour.objects.filter(pk=state.pk).update(last_visit_at=at)
