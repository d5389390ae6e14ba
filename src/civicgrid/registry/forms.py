"""Forms for the registry pages. They render and clean input; the services
validate the records and save them, so a form never saves a model itself."""

from django import forms
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.registry import selectors
from civicgrid.registry.models import Household, Place, Resident, TargetGroup
from civicgrid.registry.validation import normalise_id_number, normalise_phone


def scope_places(user, level: str = ""):
    """Places inside the user's own scope (not the ancestors shown for
    breadcrumbs), for choices in forms and filters."""
    places = selectors.place_list(user=user, level=level)
    if not user.is_superuser:
        places = places.filter(code__startswith=user.scope_code)
    return places


def place_options(user) -> list[tuple[str, str]]:
    """(code, indented name) for the place filter: street, community, grid."""
    indent = {Place.Level.STREET: 0, Place.Level.COMMUNITY: 1, Place.Level.GRID: 2}
    return [
        (p.code, "\u3000" * indent[p.level] + p.name)
        for p in scope_places(user).filter(level__in=list(indent))
    ]


class HouseholdForm(forms.ModelForm):
    class Meta:
        model = Household
        fields = [
            "number",
            "grid",
            "address",
            "head",
            "is_central_household",
            "central_since",
            "central_household",
            "lat",
            "lon",
            "note",
        ]
        widgets = {
            "note": forms.Textarea(attrs={"rows": 3}),
            "central_since": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        }
        help_texts = {"central_since": _("留空则为今天。")}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["grid"].queryset = scope_places(user, Place.Level.GRID)
        central = selectors.household_list(user=user).filter(is_central_household=True)
        if self.instance.pk:
            self.fields["head"].queryset = selectors.household_members(household=self.instance)
            central = central.exclude(pk=self.instance.pk)
        else:
            # A new household has no members yet; the first head added becomes its head.
            del self.fields["head"]
        self.fields["central_household"].queryset = central

    def service_fields(self) -> dict:
        return {name: self.cleaned_data[name] for name in self.fields}


class ResidentForm(forms.ModelForm):
    """Simple fields come from the model; ID number and phone are typed in
    clear and handed to the service, never pre-filled; tags are checkboxes
    of the assignable target groups, with a level for groups that have one."""

    id_number = forms.CharField(label=_("身份证号"), required=False, max_length=18)
    phone = forms.CharField(label=_("联系电话"), required=False, max_length=20)
    tags = forms.MultipleChoiceField(
        label=_("重点人群"), required=False, widget=forms.CheckboxSelectMultiple
    )

    class Meta:
        model = Resident
        fields = ["name", "gender", "birth_date", "relation_to_head", "note"]
        widgets = {
            "birth_date": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "note": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.assignable = [g for g in selectors.target_groups() if not g.is_derived]
        self.fields["tags"].choices = [(g.code, g.label) for g in self.assignable]
        self.level_groups = [g for g in self.assignable if g.has_level]
        levels = [("", "—")] + [(str(n), gettext("%(n)d级") % {"n": n}) for n in range(1, 5)]
        for group in self.level_groups:
            self.fields[f"level_{group.code}"] = forms.TypedChoiceField(
                label=gettext("%(group)s等级") % {"group": group.label},
                choices=levels,
                coerce=int,
                empty_value=None,
                required=False,
            )
        if self.instance.pk:
            keep = gettext("留空则不修改")
            self.fields["id_number"].help_text = keep
            self.fields["phone"].help_text = keep
            current = {t.group.code: t.level for t in self.instance.tags.select_related("group")}
            self.initial.setdefault("tags", list(current))
            for group in self.level_groups:
                self.initial.setdefault(f"level_{group.code}", current.get(group.code))

    def clean_id_number(self):
        value = self.cleaned_data["id_number"].strip()
        return normalise_id_number(value) if value else ""

    def clean_phone(self):
        value = self.cleaned_data["phone"].strip()
        return normalise_phone(value) if value else ""

    def clean(self):
        cleaned = super().clean()
        chosen = set(cleaned.get("tags") or [])
        for group in self.level_groups:
            name = f"level_{group.code}"
            if cleaned.get(name) is not None and group.code not in chosen:
                self.add_error(name, gettext("请同时勾选“%(group)s”。") % {"group": group.label})
        return cleaned

    def tag_rows(self):
        """Each assignable group's checkbox, with its level field if it has one."""
        boxes = {box.data["value"]: box for box in self["tags"]}
        return [
            {
                "box": boxes[g.code],
                "level": self[f"level_{g.code}"] if g.has_level else None,
            }
            for g in self.assignable
        ]

    def service_fields(self) -> dict:
        """Keyword arguments for resident_create / resident_update. On an
        existing resident an empty ID number or phone means "no change"."""
        data = self.cleaned_data
        fields = {name: data[name] for name in self._meta.fields}
        existing = bool(self.instance.pk)
        for name in ("id_number", "phone"):
            fields[name] = None if existing and not data[name] else data[name]
        fields["tags"] = {
            code: data.get(f"level_{code}") if f"level_{code}" in self.fields else None
            for code in data["tags"]
        }
        return fields


class TargetGroupForm(forms.ModelForm):
    class Meta:
        model = TargetGroup
        fields = ["code", "name", "name_en", "min_age", "has_level", "sort"]
        help_texts = {
            "min_age": _("填写则按出生日期自动归入（如 60 岁以上老人）；留空则由工作人员标记。")
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.pk:
            # Colour rules, services and imports refer to a group by its code.
            self.fields["code"].disabled = True
