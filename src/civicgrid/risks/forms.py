"""Forms of the risk pages; the services check everything again."""

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.access.models import User
from civicgrid.access.roles import RISK_WORKERS
from civicgrid.cases.models import Category
from civicgrid.lib.photos import PhotoField
from civicgrid.lib.placecodes import ancestor_codes
from civicgrid.risks.models import Colour, ColourRule, HazardKind, Severity, VisitInterval


def assignees(place_code: str):
    """Who may be charged with rectifying a hazard here: workers of the grid
    and of every place above it."""
    return User.objects.filter(
        is_active=True, role__in=RISK_WORKERS, scope_place__code__in=ancestor_codes(place_code)
    ).order_by("role", "username")


class HazardForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=HazardKind.choices)
    severity = forms.ChoiceField(label=_("等级"), choices=Severity.choices)
    description = forms.CharField(label=_("描述"), widget=forms.Textarea(attrs={"rows": 3}))
    lat = forms.FloatField(label=_("纬度"), required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(label=_("经度"), required=False, widget=forms.HiddenInput)
    photo = PhotoField(label=_("照片"), required=False)


class MoveForm(forms.Form):
    note = forms.CharField(
        label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    assignee = forms.ModelChoiceField(
        label=_("整改责任人"), queryset=User.objects.none(), required=False
    )
    due_on = forms.DateField(
        label=_("整改期限"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    photo = PhotoField(label=_("整改照片"), required=False)

    def __init__(self, *args, place_code: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = assignees(place_code)


# What an <input type="datetime-local"> takes and gives: 2026-12-02T05:51.
# Any other format (the locale's 2026/12/02 05:51) leaves the field blank.
LOCAL_INPUT = "%Y-%m-%dT%H:%M"
# Also taken: the seconds a browser may add, and the spaced form scripts send.
INPUT_FORMATS = [LOCAL_INPUT, "%Y-%m-%dT%H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"]


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format=LOCAL_INPUT)


class VisitForm(forms.Form):
    at = forms.DateTimeField(
        label=_("走访时间"), widget=LocalDateTimeInput, input_formats=INPUT_FORMATS
    )
    lat = forms.FloatField(label=_("纬度"), required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(label=_("经度"), required=False, widget=forms.HiddenInput)
    notes = forms.CharField(
        label=_("走访情况"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    needs = forms.CharField(
        label=_("发现的需求"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    photo = PhotoField(label=_("照片"), required=False)
    case_category = forms.ModelChoiceField(
        label=_("将需求上报为事件"),
        queryset=Category.objects.filter(active=True),
        required=False,
        empty_label=_("不上报"),
    )
    found_hazard = forms.BooleanField(label=_("发现隐患"), required=False)
    hazard_kind = forms.ChoiceField(label=_("隐患类型"), choices=HazardKind.choices, required=False)
    hazard_severity = forms.ChoiceField(
        label=_("隐患等级"), choices=Severity.choices, required=False
    )
    hazard_description = forms.CharField(
        label=_("隐患描述"), required=False, widget=forms.Textarea(attrs={"rows": 2})
    )

    def hazard(self) -> dict | None:
        data = self.cleaned_data
        if not data["found_hazard"]:
            return None
        return {
            "kind": data["hazard_kind"],
            "severity": data["hazard_severity"],
            "description": data["hazard_description"],
        }


class OverrideForm(forms.Form):
    colour = forms.ChoiceField(label=_("颜色"), choices=Colour.choices)
    reason = forms.CharField(label=_("调整原因"), max_length=200)
    until = forms.DateTimeField(
        label=_("有效期至"), required=False, widget=LocalDateTimeInput, input_formats=INPUT_FORMATS
    )


class ColourRuleForm(forms.ModelForm):
    class Meta:
        model = ColourRule
        fields = ["condition", "colour", "priority", "group_code", "max_level", "active"]
        help_texts = {
            "group_code": _("仅“有需日常照护的成员”使用：人群代码，如 elderly_care。"),
            "max_level": _("仅“有需日常照护的成员”使用：计入的最高等级（1 最严重）。"),
        }

    def clean(self):
        data = super().clean()
        needs_group = data.get("condition") == ColourRule.Condition.NEEDS_DAILY_CARE
        if needs_group and not data.get("group_code"):
            self.add_error("group_code", _("这一条件需要填写人群代码。"))
        return data


class VisitIntervalForm(forms.ModelForm):
    days = forms.IntegerField(label=_("走访间隔(天)"), min_value=1, max_value=366)

    class Meta:
        model = VisitInterval
        fields = ["colour", "days"]
