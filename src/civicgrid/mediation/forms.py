from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from civicgrid.access.scoping import CHANGE
from civicgrid.mediation.models import FollowUp, Kind, Mediator, Referral, Room
from civicgrid.mediation.services import PartyIn
from civicgrid.registry.models import Place


def rooms_to_open_in(user):
    """Rooms whose disputes the user may receive: staff in scope, a mediator's own."""
    seats = Mediator.objects.filter(user=user, active=True).values("room")
    own = Room.objects.for_user(user, CHANGE).values("pk")
    return Room.objects.filter(Q(pk__in=own) | Q(pk__in=seats), active=True).order_by("name")


def _places(user):
    """Communities and grids inside the user's scope, or the street of the
    rooms a mediator sits in."""
    rows = Place.objects.filter(level__in=("community", "grid"))
    if user.is_superuser:
        return rows
    codes = [user.scope_code] if user.scope_code else []
    codes += [code[:9] for code in rooms_to_open_in(user).values_list("place__code", flat=True)]
    condition = Q(pk__in=[])
    for code in set(codes):
        condition |= Q(code__startswith=code)
    return rows.filter(condition)


class PartiesForm(forms.Form):
    applicant_name = forms.CharField(label=_("申请人姓名"), max_length=64)
    applicant_phone = forms.CharField(label=_("申请人电话"), max_length=32, required=False)
    applicant_id_number = forms.CharField(label=_("申请人身份证号"), max_length=18, required=False)
    applicant_address = forms.CharField(label=_("申请人住址"), max_length=200, required=False)
    respondent_name = forms.CharField(label=_("被申请人姓名"), max_length=64)
    respondent_phone = forms.CharField(label=_("被申请人电话"), max_length=32, required=False)
    respondent_id_number = forms.CharField(
        label=_("被申请人身份证号"), max_length=18, required=False
    )
    respondent_address = forms.CharField(label=_("被申请人住址"), max_length=200, required=False)

    def parties(self) -> list[PartyIn]:
        data = self.cleaned_data
        return [
            PartyIn(
                role=role,
                name=data[f"{role}_name"],
                phone=data[f"{role}_phone"],
                id_number=data[f"{role}_id_number"],
                address=data[f"{role}_address"],
            )
            for role in ("applicant", "respondent")
        ]

    def elsewhere(self, key: str, messages) -> bool:
        """The service names a party's field as parties.<n>.<field>."""
        if key.startswith("parties."):
            _prefix, index, field = key.split(".")
            role = ("applicant", "respondent")[int(index)] if index in "01" else None
            name = f"{role}_{field}"
            if role and name in self.fields:
                self.add_error(name, messages)
                return True
        return False


class DisputeForm(PartiesForm):
    room = forms.ModelChoiceField(label=_("调解室"), queryset=Room.objects.none())
    kind = forms.ChoiceField(label=_("纠纷类型"), choices=Kind.choices)
    place = forms.ModelChoiceField(label=_("发生地（社区或网格）"), queryset=Place.objects.none())
    summary = forms.CharField(label=_("纠纷简要情况"), widget=forms.Textarea, max_length=2000)
    field_order = ["room", "kind", "place", "summary"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms_to_open_in(user)
        self.fields["place"].queryset = _places(user)


class HandOverForm(PartiesForm):
    room = forms.ModelChoiceField(label=_("调解室"), queryset=Room.objects.none())
    kind = forms.ChoiceField(label=_("纠纷类型"), choices=Kind.choices)
    field_order = ["room", "kind"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["room"].queryset = rooms_to_open_in(user)


class AgreementForm(forms.Form):
    facts = forms.CharField(label=_("纠纷主要事实、争议事项"), widget=forms.Textarea)
    terms = forms.CharField(label=_("协议内容"), widget=forms.Textarea)
    performance = forms.CharField(label=_("履行方式、期限"), max_length=500, required=False)


class CorrectionForm(AgreementForm):
    reason = forms.CharField(label=_("更正原因"), max_length=200)


class FailForm(forms.Form):
    referral = forms.ChoiceField(label=_("移送单位"), choices=Referral.choices)
    note = forms.CharField(label=_("调解不成的原因"), widget=forms.Textarea)


class FollowUpForm(forms.Form):
    performed = forms.ChoiceField(label=_("履行情况"), choices=FollowUp.Performed.choices)
    note = forms.CharField(label=_("回访情况"), widget=forms.Textarea, required=False)
