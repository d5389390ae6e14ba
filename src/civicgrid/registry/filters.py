"""Filters for households and residents. One definition serves the list page,
the API and the export, so the three always agree."""

from datetime import date

from django import forms
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from civicgrid.access.crypto import blind_index
from civicgrid.registry.models import Place, Resident, TargetGroup


def born_on_or_before_age(age: int, today: date | None = None) -> date:
    """The latest birth date of someone who is at least ``age`` today."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - age)
    except ValueError:  # 29 February
        return today.replace(year=today.year - age, day=28)


def group_q(group: TargetGroup, prefix: str = "") -> Q:
    """Residents (or, with a prefix such as ``members__``, households) in ``group``."""
    if group.is_derived:
        return Q(**{f"{prefix}birth_date__lte": born_on_or_before_age(group.min_age)})
    return Q(**{f"{prefix}tags__group": group})


class _PlaceAndGroupFilter(forms.Form):
    q = forms.CharField(label=_("搜索"), required=False, max_length=100)
    place = forms.CharField(label=_("地点编码"), required=False, max_length=15)
    group = forms.ModelChoiceField(
        label=_("重点人群"),
        queryset=TargetGroup.objects.all(),
        to_field_name="code",
        required=False,
        empty_label=_("全部人群"),
    )

    # Subclasses name the path to a place code and define search_q(text) -> Q.
    place_path = ""
    member_prefix = ""

    def clean_place(self):
        code = self.cleaned_data["place"].strip()
        if code and not Place.objects.filter(code=code).exists():
            raise forms.ValidationError(_("没有编码为 %(code)s 的地点。"), params={"code": code})
        return code

    def filter(self, queryset):
        """Apply the valid filters; an invalid form filters nothing further
        (the page shows its errors)."""
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["place"]:
            queryset = queryset.filter(**{f"{self.place_path}__startswith": data["place"]})
        if data["group"]:
            queryset = queryset.filter(group_q(data["group"], self.member_prefix)).distinct()
        if data["q"]:
            queryset = queryset.filter(self.search_q(data["q"].strip()))
        return queryset


# The three colours the risk rules give a household (risks.HouseholdColour,
# reached as ``risk``): named here so the register imports no feature.
COLOURS = [("", _("全部颜色")), ("red", _("红")), ("yellow", _("黄")), ("green", _("绿"))]


class HouseholdFilter(_PlaceAndGroupFilter):
    central = forms.NullBooleanField(label=_("党员中心户"), required=False)
    colour = forms.ChoiceField(label=_("颜色"), choices=COLOURS, required=False)

    place_path = "grid__code"
    member_prefix = "members__"

    def filter(self, queryset):
        queryset = super().filter(queryset)
        if self.is_valid() and self.cleaned_data["central"] is not None:
            queryset = queryset.filter(is_central_household=self.cleaned_data["central"])
        if self.is_valid() and self.cleaned_data["colour"]:
            queryset = queryset.filter(risk__colour=self.cleaned_data["colour"])
        return queryset

    def search_q(self, text: str) -> Q:
        return (
            Q(number__startswith=text)
            | Q(address__icontains=text)
            | Q(head__name__icontains=text)
            | Q(members__id_number_hash=blind_index(text))
        )


class ResidentFilter(_PlaceAndGroupFilter):
    gender = forms.ChoiceField(
        label=_("性别"), choices=[("", _("全部"))] + Resident.Gender.choices, required=False
    )
    min_age = forms.IntegerField(label=_("最小年龄"), required=False, min_value=0, max_value=130)
    max_age = forms.IntegerField(label=_("最大年龄"), required=False, min_value=0, max_value=130)

    place_path = "household__grid__code"

    def filter(self, queryset):
        queryset = super().filter(queryset)
        if not self.is_valid():
            return queryset
        data = self.cleaned_data
        if data["gender"]:
            queryset = queryset.filter(gender=data["gender"])
        if data["min_age"] is not None:
            queryset = queryset.filter(birth_date__lte=born_on_or_before_age(data["min_age"]))
        if data["max_age"] is not None:
            oldest = born_on_or_before_age(data["max_age"] + 1)
            queryset = queryset.filter(birth_date__gt=oldest)
        return queryset

    def search_q(self, text: str) -> Q:
        # An exact ID number is found through its blind index, never by decrypting.
        return Q(name__icontains=text) | Q(id_number_hash=blind_index(text))
