"""One filter definition for the case list page, the API and the export."""

from datetime import date, datetime, time, timedelta

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Category, Channel, Dispatch, Priority, Stage
from civicgrid.registry.models import Organisation, Place


class CaseFilter(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    place = forms.CharField(label=_("地点编码"), required=False, max_length=15)
    category = forms.ModelChoiceField(
        label=_("类别"),
        queryset=Category.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("全部类别"),
    )
    stage = forms.ChoiceField(
        label=_("环节"),
        choices=[("", _("全部环节")), ("open", _("未结案")), *Stage.choices],
        required=False,
    )
    department = forms.ModelChoiceField(
        label=_("承办部门"),
        queryset=Organisation.objects.filter(kind="department"),
        to_field_name="code",
        required=False,
        empty_label=_("全部部门"),
    )
    channel = forms.ChoiceField(
        label=_("来源"), choices=[("", _("全部来源")), *Channel.choices], required=False
    )
    priority = forms.ChoiceField(
        label=_("紧急程度"), choices=[("", _("全部")), *Priority.choices], required=False
    )
    overdue = forms.NullBooleanField(label=_("超期"), required=False)
    date_from = forms.DateField(label=_("上报起始日期"), required=False)
    date_to = forms.DateField(label=_("上报截止日期"), required=False)

    def clean_place(self):
        code = self.cleaned_data["place"].strip()
        if code and not Place.objects.filter(code=code).exists():
            raise forms.ValidationError(_("没有编码为 %(code)s 的地点。"), params={"code": code})
        return code

    def clean(self):
        data = super().clean()
        start, end = data.get("date_from"), data.get("date_to")
        if start and end and start > end:
            raise forms.ValidationError(_("起始日期不能晚于截止日期。"))
        return data

    def filter(self, cases):
        if not self.is_valid():
            return cases
        data = self.cleaned_data
        if data["place"]:
            cases = cases.filter(place_code__startswith=data["place"])
        if data["category"]:
            cases = cases.filter(category=data["category"])
        if data["stage"] == "open":
            cases = cases.exclude(stage__in=[Stage.CLOSED, Stage.REJECTED])
        elif data["stage"]:
            cases = cases.filter(stage=data["stage"])
        if data["department"]:
            whistled = Dispatch.objects.filter(department=data["department"]).values("case")
            cases = cases.filter(pk__in=whistled)
        if data["channel"]:
            cases = cases.filter(channel=data["channel"])
        if data["priority"]:
            cases = cases.filter(priority=data["priority"])
        if data["overdue"] is not None:
            cases = cases.filter(overdue=data["overdue"])
        # Local days as ranges of the column itself, which its index serves
        # (``reported_at__date`` would compute a date for every row).
        if data["date_from"]:
            cases = cases.filter(reported_at__gte=_day_start(data["date_from"]))
        if data["date_to"]:
            cases = cases.filter(reported_at__lt=_day_start(data["date_to"] + timedelta(days=1)))
        if data["q"]:
            text = data["q"].strip()
            cases = cases.filter(
                Q(number=text) | Q(description__icontains=text) | Q(address__icontains=text)
            )
        return cases


def _day_start(day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time.min))


def as_filter(cls, data: dict):
    """A bound filter from plain values (API query parameters), dropping Nones."""
    return cls({k: v for k, v in data.items() if v is not None and v != ""})
