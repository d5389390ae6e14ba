"""Inspection figures in the catalogue (civicgrid.lib.figures)."""

from django.utils.translation import gettext_lazy as _

from civicgrid.inspections import selectors
from civicgrid.lib.figures import EVENTS, STATE, Figure, register


def _counts(user, period, place) -> dict:
    code = place.code if place is not None else ""
    return selectors.figures(user=user, period=period, place_code=code)


register(
    _counts,
    Figure("inspections.inspected", _("检查经营主体"), "count",
           _("期间内完成检查的经营主体数。"), EVENTS),
    Figure("inspections.special_checked", _("检查特种设备"), "count",
           _("期间内完成的检查中查验的特种设备台数。"), EVENTS),
    Figure("inspections.measuring_checked", _("检查计量器具"), "count",
           _("期间内完成的检查中查验的计量器具台数。"), EVENTS),
    Figure("inspections.problems", _("发现问题"), "count", _("期间内完成的检查发现的问题数。"),
           EVENTS),
    Figure("inspections.fixed_on_spot", _("当场整改"), "count", _("其中当场整改的问题数。"),
           EVENTS),
    Figure("inspections.problems_ordered", _("责令整改问题"), "count",
           _("其中列入责令整改通知书的问题数。"), EVENTS),
    Figure("inspections.orders_issued", _("下达整改通知书"), "count",
           _("期间内下达的责令整改通知书数。"), EVENTS),
    Figure("inspections.orders_closed", _("复查合格"), "count",
           _("期间内下达且经回头看复查合格的通知书数。"), EVENTS),
    Figure("inspections.orders_overdue", _("整改逾期"), "count",
           _("期间内下达、已过期限仍未复查的通知书数（截至今天）。"), STATE),
)  # fmt: skip
