"""Campaign summaries and figure tables as .xlsx (through lib.xlsx, audited
by the views), and the public figures of a campaign."""

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.inspections import selectors
from civicgrid.inspections.models import BusinessType, Finding, Inspection, Order
from civicgrid.lib import xlsx

LABELS = {
    "inspected": gettext_lazy("检查经营主体"),
    "special_checked": gettext_lazy("检查特种设备"),
    "measuring_checked": gettext_lazy("检查计量器具"),
    "problems": gettext_lazy("发现问题"),
    "fixed_on_spot": gettext_lazy("当场整改"),
    "problems_ordered": gettext_lazy("责令整改问题"),
    "orders_issued": gettext_lazy("下达整改通知书"),
    "orders_closed": gettext_lazy("复查合格"),
    "orders_escalated": gettext_lazy("转立案"),
    "orders_open": gettext_lazy("整改中"),
    "orders_overdue": gettext_lazy("整改逾期"),
    "major_violations": gettext_lazy("重大违法"),
}


def by_kind(*, user, period) -> list[tuple[str, dict]]:
    return [
        (label, selectors.figures(user=user, period=period, kind=value))
        for value, label in BusinessType.choices
    ]


def public_figures(campaign) -> dict:
    """The campaign's own counts (not scoped to a viewer: only counts leave)."""
    done = Inspection.objects.filter(campaign=campaign, stage=Inspection.Stage.DONE)
    findings = Finding.objects.filter(inspection__in=done)
    orders = Order.objects.filter(inspection__campaign=campaign)
    return {
        "inspected": done.values("business").distinct().count(),
        "problems": findings.count(),
        "fixed_on_spot": findings.filter(outcome=Finding.Outcome.FIXED).count(),
        "problems_ordered": findings.filter(outcome=Finding.Outcome.ORDERED).count(),
        "orders_issued": orders.count(),
        "orders_closed": orders.filter(stage="closed").count(),
        "major_violations": done.filter(major_violation=True).count(),
    }


def campaign_workbook(*, user, campaign) -> bytes:
    book = xlsx.Workbook()
    summary = book.sheet(_("汇总"), widths=[24, 12], header=[_("指标"), _("数值")])
    summary.append([_("专项检查"), campaign.name])
    summary.append([_("检查范围"), campaign.place.name])
    summary.append([_("检查日期"), f"{campaign.starts_on} — {campaign.ends_on}"])
    summary.append([_("随机种子"), str(campaign.seed if campaign.seed is not None else "")])
    for key, value in selectors.figures(user=user, campaign=campaign).items():
        if key in LABELS:
            summary.append([str(LABELS[key]), value])
    rows = book.sheet(
        _("抽取与结果"),
        widths=[6, 30, 22, 12, 12, 12, 10, 10, 22],
        header=[_("序号"), _("经营主体"), _("统一社会信用代码"), _("类型"), _("检查人员"),
                _("同行人员"), _("检查"), _("问题"), _("整改通知书")],
    )  # fmt: skip
    inspections = {
        i.business_id: i for i in Inspection.objects.filter(campaign=campaign, stage="done")
    }
    for draw in campaign.draws.select_related("business", "inspector_a", "inspector_b"):
        inspection = inspections.get(draw.business_id)
        numbers = "、".join(
            Order.objects.filter(inspection=inspection).values_list("number", flat=True)
        ) if inspection else ""  # fmt: skip
        rows.append(
            [
                draw.order,
                draw.business.name,
                draw.business.credit_code,
                draw.business.get_kind_display(),
                str(draw.inspector_a),
                str(draw.inspector_b),
                _("已检查") if inspection else _("未检查"),
                inspection.findings.count() if inspection else 0,
                numbers,
            ]
        )
    return book.to_bytes()


def figures_workbook(context: dict) -> bytes:
    book = xlsx.Workbook()
    keys = list(LABELS)
    sheet = book.sheet(
        _("检查统计"),
        widths=[16] + [12] * len(keys),
        header=[_("类型")] + [str(LABELS[k]) for k in keys],
    )
    sheet.append([_("合计")] + [context["figures"][k] for k in keys])
    for label, figures in context["by_kind"]:
        sheet.append([str(label)] + [figures[k] for k in keys])
    return book.to_bytes()
