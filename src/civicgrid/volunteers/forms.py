from django import forms
from django.urls import reverse_lazy
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Category
from civicgrid.lib.search_select import searchable
from civicgrid.registry.models import Organisation, Place
from civicgrid.volunteers.models import Need, Volunteer
from civicgrid.volunteers.selectors import team_choices


def _places(user, *levels):
    """Places inside the user's own scope (not the ancestors they may see)."""
    rows = Place.objects.filter(level__in=levels)
    if user.is_superuser:
        return rows
    return rows.filter(code__startswith=user.scope_code) if user.scope_code else rows.none()


class VolunteerForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=64)
    kind = forms.ChoiceField(label=_("类型"), choices=Volunteer.Kind.choices)
    community = forms.ModelChoiceField(label=_("报到社区"), queryset=Place.objects.none())
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=32)
    work_unit = forms.CharField(label=_("工作单位"), required=False, max_length=100)
    skills = forms.CharField(label=_("技能特长"), required=False, max_length=200)
    availability = forms.CharField(label=_("服务时间"), required=False, max_length=200)
    teams = forms.ModelMultipleChoiceField(
        label=_("所属队伍/自治品牌"), queryset=Organisation.objects.none(), required=False
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = _places(user, Place.Level.COMMUNITY)
        self.fields["teams"].queryset = team_choices(user=user)


class ActivityForm(forms.Form):
    title = forms.CharField(label=_("活动名称"), max_length=100)
    description = forms.CharField(label=_("活动内容"), widget=forms.Textarea, required=False)
    place = forms.ModelChoiceField(label=_("地点"), queryset=Place.objects.none())
    address = forms.CharField(label=_("集合地点"), max_length=200, required=False)
    team = forms.ModelChoiceField(
        label=_("组织队伍"), queryset=Organisation.objects.none(), required=False
    )
    starts_at = forms.DateTimeField(
        label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    capacity = forms.IntegerField(label=_("人数上限"), min_value=1, max_value=10_000)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = _places(user, Place.Level.COMMUNITY, Place.Level.GRID)
        self.fields["team"].queryset = team_choices(user=user)


class NeedForm(forms.Form):
    # Chosen by the household's number: typed and found when there are many.
    neighbour = forms.ModelChoiceField(label=_("联系户"), queryset=None, to_field_name="number")
    category = forms.ChoiceField(label=_("类别"), choices=Need.Category.choices)
    text = forms.CharField(label=_("民情诉求"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, neighbours, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["neighbour"].queryset = neighbours
        self.fields["neighbour"].label_from_instance = neighbour_label
        searchable(self.fields["neighbour"], search_url=reverse_lazy("volunteers:neighbours"))


def neighbour_label(household) -> str:
    return f"{household.address} · {household.number}"


def case_categories():
    """Categories a need can become in one action: none that asks a required question."""
    return Category.objects.filter(active=True).exclude(questions__required=True)
