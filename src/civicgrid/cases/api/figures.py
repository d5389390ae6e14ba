"""GET /cases/figures: the case figures for a period, optionally grouped
(the definitions are civicgrid.cases.figures')."""

from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router

from civicgrid.cases import figures
from civicgrid.cases.api.schemas import FiguresReport
from civicgrid.lib.period import Period
from civicgrid.registry.models import Organisation, Place

router = Router()


GROUPINGS = ("", "place", "department", "month")


@router.get("/cases/figures", response=FiguresReport, tags=["figures"])
def case_figures(
    request,
    start: date | None = None,
    end: date | None = None,
    place: str = "",
    department: str = "",
    group_by: str = "",
):
    """Figures for [start, end) (``end`` is the day after the period; by
    default this month). See civicgrid.cases.figures for the definitions."""
    user = request.user
    # [start, end): by default the same period as the figures page.
    start = start or figures.default_period().first
    end = end or Period.month(start).end_date
    errors = {}
    try:
        period = Period.exclusive(start, end)
    except ValidationError as error:
        errors.update(error.message_dict)
    if group_by not in GROUPINGS:
        errors["group_by"] = [_("分组方式应为 place、department 或 month。")]
    parent = Place.objects.filter(code=place).first() if place else user.scope_place
    if place and parent is None:
        errors["place"] = [_("没有编码为 %(code)s 的地点。") % {"code": place}]
    if group_by == "place" and parent is None:
        errors["place"] = [_("请指定按哪个地点的下级统计。")]
    organisation = None
    if department:
        organisation = Organisation.objects.filter(code=department, kind="department").first()
        if organisation is None:
            errors["department"] = [_("没有代码为 %(code)s 的部门。") % {"code": department}]
    if errors:
        raise ValidationError(errors)
    period = {"user": user, "start": period.first, "end": period.end_date}
    scope = {"place_code": place, "department": organisation}
    if group_by == "place":
        rows = figures.case_figures_by_place(**period, parent=parent, department=organisation)
    elif group_by == "department":
        rows = figures.case_figures_by_department(**period, place_code=place)
    elif group_by == "month":
        rows = figures.case_figures_by_month(**period, **scope)
    else:
        rows = []
    return {
        "start": start,
        "end": end,
        "place": place,
        "department": department,
        "group_by": group_by,
        "total": figures.case_figures(**period, **scope),
        "rows": rows,
    }
