"""Forms of the cases' set-up pages: categories (with their departments and
whether they may be published) and the time allowed per category and
priority. Only the district sets these up (web.extensions.setup_page)."""

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.cases.models import Category, Deadline
from civicgrid.registry.models import Organisation


class CategoryForm(forms.ModelForm):
    class Meta:
        model = Category
        fields = [
            "code",
            "name",
            "name_en",
            "group",
            "keywords",
            "description",
            "default_priority",
            "departments",
            "fixable_on_spot",
            "public",
            "active",
            "sort",
        ]
        widgets = {
            "departments": forms.CheckboxSelectMultiple,
            "description": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departments"].queryset = Organisation.objects.filter(
            kind=Organisation.Kind.DEPARTMENT
        ).order_by("name")
        if self.instance.pk:
            # Cases, Open311 clients and rules refer to a category by its code.
            self.fields["code"].disabled = True
            self.fields["code"].help_text = _("代码设定后不能修改。")


class DeadlineForm(forms.ModelForm):
    class Meta:
        model = Deadline
        fields = [
            "category",
            "priority",
            "checkin_hours",
            "handle_hours",
            "close_hours",
            "working_hours",
        ]

    def clean(self):
        data = super().clean()
        hours = [data.get(name) for name in ("checkin_hours", "handle_hours", "close_hours")]
        if all(h is not None for h in hours):
            if any(h <= 0 for h in hours):
                raise forms.ValidationError(_("时限应大于 0 小时。"))
            if not hours[0] <= hours[1] <= hours[2]:
                raise forms.ValidationError(_("时限应依次不短于前一环节：报到 ≤ 办理 ≤ 结案。"))
        return data
