"""Forms of the volunteers' set-up pages (web.extensions.setup_page): points
rules, exchange counters and their goods. Choices are limited to the user's
scope; the set-up service checks the saved object again."""

from django import forms
from django.urls import reverse_lazy
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from civicgrid.access.models import User
from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE
from civicgrid.lib.search_select import searchable
from civicgrid.registry.models import Household
from civicgrid.volunteers.forms import _places
from civicgrid.volunteers.models import CentralHouseholdKeeper, Counter, Item, PointRule


class PointRuleForm(forms.ModelForm):
    class Meta:
        model = PointRule
        fields = [
            "name",
            "community",
            "points_per_hour",
            "points_per_activity",
            "valid_from",
            "published",
        ]
        widgets = {"valid_from": forms.DateTimeInput(attrs={"type": "datetime-local"})}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = _places(user, "community")
        self.fields["community"].empty_label = _("全区")
        self.fields["valid_from"].input_formats = ["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"]


class CounterForm(forms.ModelForm):
    class Meta:
        model = Counter
        fields = ["name", "place", "address", "operators"]
        widgets = {"operators": forms.CheckboxSelectMultiple}

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = _places(user, "community")
        self.fields["place"].empty_label = _("请选择")
        operators = User.objects.filter(is_active=True, role=Role.OPERATOR)
        if not user.is_superuser:
            operators = operators.filter(scope_place__code__startswith=user.scope_code)
        self.fields["operators"].queryset = operators.order_by("username")


class ItemForm(forms.ModelForm):
    restock = forms.IntegerField(
        label=_("入库数量"),
        min_value=0,
        max_value=100_000,
        required=False,
        help_text=_("本次新到的件数，加到现有库存上。"),
    )

    class Meta:
        model = Item
        fields = ["counter", "name", "price", "active"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["counter"].queryset = Counter.objects.for_user(user, CHANGE)
        self.fields["counter"].empty_label = _("请选择")

    def save(self, commit=True):
        item = super().save(commit=commit)
        item.restock = self.cleaned_data.get("restock") or 0
        return item


class KeeperForm(forms.ModelForm):
    """Links a central household's keeper (an account with the
    central-household role) to the household whose notebook they keep."""

    class Meta:
        model = CentralHouseholdKeeper
        fields = ["household", "user"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        household = self.fields["household"]
        household.queryset = Household.objects.for_user(user, CHANGE).filter(
            is_central_household=True
        )
        household.to_field_name = "number"
        household.label_from_instance = lambda h: f"{h.address} · {h.number}"
        searchable(
            household,
            search_url=format_lazy("{}?central=1", reverse_lazy("registry:household_search")),
        )
        accounts = User.objects.filter(is_active=True, role=Role.CENTRAL_HOUSEHOLD)
        if not user.is_superuser:
            accounts = accounts.filter(scope_place__code__startswith=user.scope_code)
        self.fields["user"].queryset = accounts.order_by("username")
        self.fields["user"].label = _("账号")
