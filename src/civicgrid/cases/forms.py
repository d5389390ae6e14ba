"""Forms for the case pages. They parse and check input and prepare photos;
``services.case_report`` and ``workflow.case_move`` validate the case and
make every change, so a form never saves a model itself."""

from itertools import groupby

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from civicgrid.cases import selectors
from civicgrid.cases.models import CaseEvent, Category, Priority, Question
from civicgrid.cases.services import MAX_PHOTOS
from civicgrid.lib.forms import add_service_errors
from civicgrid.lib.photos import MultiplePhotoInput, PhotosField
from civicgrid.registry.brands import brands_for
from civicgrid.registry.forms import scope_places
from civicgrid.registry.models import Organisation, Place


def answer_name(code: str) -> str:
    """The field name of an extra question: Open311's ``attribute[code]``."""
    return f"attribute[{code}]"


def category_groups(categories) -> list[tuple[str, list[Category]]]:
    """Categories by ``group``, groups in the order their first member sorts."""
    order: dict[str, int] = {}
    for category in categories:
        order.setdefault(category.group, len(order))
    ranked = sorted(categories, key=lambda c: order[c.group])
    return [(group, list(members)) for group, members in groupby(ranked, key=lambda c: c.group)]


def question_rows(category: Category | None, data=None, errors: dict | None = None) -> list[dict]:
    """A category's extra questions as the templates render them, with what
    was entered and the errors for each."""
    if category is None:
        return []
    data, errors = data or {}, errors or {}
    rows = []
    for question in category.questions.all():
        name = answer_name(question.code)
        multi = question.datatype == Question.Datatype.MULTI
        values = data.getlist(name) if multi and hasattr(data, "getlist") else []
        rows.append(
            {
                "question": question,
                "name": name,
                "value": "" if multi else data.get(name, ""),
                "values": values,
                "errors": errors.get(question.code, []),
            }
        )
    return rows


class ReportForm(forms.Form):
    """随手拍 from a phone: category, description, photos, a point on the map."""

    category = forms.ModelChoiceField(
        label=_("类别"),
        queryset=Category.objects.none(),
        to_field_name="code",
        widget=forms.RadioSelect,
        empty_label=None,
        error_messages={
            "required": _("请选择事件类别。"),
            "invalid_choice": _("请选择事件类别。"),
        },
    )
    description = forms.CharField(
        label=_("问题描述"),
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": _("请描述发现的问题。")},
    )
    photos = PhotosField(label=_("照片"), required=False, max_count=MAX_PHOTOS)
    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    address = forms.CharField(label=_("位置说明"), required=False, max_length=200)
    anonymous = forms.BooleanField(label=_("匿名上报"), required=False)
    description_public = forms.BooleanField(label=_("描述可以公开"), required=False)
    client_key = forms.CharField(required=False, max_length=100, widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].queryset = selectors.categories()
        self.answer_errors: dict[str, list[str]] = {}
        self.location_errors: list[str] = []

    def chosen_category(self) -> Category | None:
        code = self["category"].value()
        if not code:
            return None
        return next((c for c in self.fields["category"].queryset if c.code == code), None)

    def category_groups(self):
        return category_groups(list(self.fields["category"].queryset))

    def question_rows(self) -> list[dict]:
        return question_rows(self.chosen_category(), self.data, self.answer_errors)

    def answers(self) -> dict:
        """The raw answers to the chosen category's questions; the service cleans them."""
        category = self.cleaned_data["category"]
        raw = {}
        for question in category.questions.all():
            name = answer_name(question.code)
            if question.datatype == Question.Datatype.MULTI:
                raw[question.code] = self.data.getlist(name)
            else:
                raw[question.code] = self.data.get(name, "")
        return raw

    def is_location_given(self) -> bool:
        return self.cleaned_data.get("lat") is not None and self.cleaned_data.get("lon") is not None

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "category": data["category"],
            "description": data["description"],
            "photos": data["photos"],
            "lat": data["lat"],
            "lon": data["lon"],
            "address": data["address"],
            "anonymous": data["anonymous"],
            "description_public": data["description_public"],
            "client_key": data["client_key"],
            "answers": self.answers(),
        }

    def add_service_errors(self, error: ValidationError) -> None:
        """Show a service's errors where they belong: at a field, at a
        question (``attribute[code]``), at the map (``location``) or on top."""
        add_service_errors(self, error, elsewhere=self._is_error_elsewhere)

    def _is_error_elsewhere(self, key: str, messages: list[str]) -> bool:
        if key.startswith("attribute[") and key.endswith("]"):
            self.answer_errors[key[len("attribute[") : -1]] = messages
            return True
        if key == "location":
            self.location_errors += messages
            return True
        return False


class IntakeForm(ReportForm):
    """A case taken at a desk (phone call, visit) by community staff."""

    priority = forms.ChoiceField(
        label=_("紧急程度"), choices=[("", _("按类别默认")), *Priority.choices], required=False
    )
    place = forms.ModelChoiceField(
        label=_("所在网格"),
        queryset=Place.objects.none(),
        required=False,
        empty_label=_("按地图位置确定"),
    )
    address = forms.CharField(label=_("地址"), required=False, max_length=200)
    reporter_name = forms.CharField(label=_("上报人姓名"), required=False, max_length=64)
    reporter_phone = forms.CharField(label=_("上报人电话"), required=False, max_length=20)
    anonymous = forms.BooleanField(label=_("上报人要求匿名"), required=False)
    description_public = forms.BooleanField(label=_("上报人同意公开描述"), required=False)
    # Set by the "仍然提交" button after the nearby open cases were shown.
    confirmed = forms.BooleanField(required=False, widget=forms.HiddenInput)

    field_order = ["category", "priority", "description", "place", "address"]

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].widget = forms.Select()
        self.fields["category"].empty_label = _("请选择")
        self.fields["place"].queryset = scope_places(user, Place.Level.GRID)
        self.fields["photos"].widget = MultiplePhotoInput(
            attrs={"accept": "image/*", "multiple": True}
        )

    def service_fields(self) -> dict:
        data = self.cleaned_data
        return {
            **super().service_fields(),
            "priority": data["priority"] or None,
            "place": data["place"],
            "reporter_name": data["reporter_name"],
            "reporter_phone": data["reporter_phone"],
        }


RATINGS = [(n, "★" * n) for n in range(1, 6)]


class MoveForm(forms.Form):
    """One workflow move from the action panel, the department queue or
    "我的上报"; ``workflow.case_move`` decides whether it is allowed."""

    action = forms.ChoiceField(choices=CaseEvent.Action.choices)
    note = forms.CharField(required=False, max_length=2000)
    departments = forms.ModelMultipleChoiceField(
        queryset=Organisation.objects.filter(kind=Organisation.Kind.DEPARTMENT), required=False
    )
    rating = forms.TypedChoiceField(choices=RATINGS, coerce=int, required=False, empty_value=None)
    into = forms.CharField(required=False, max_length=20)
    photos = PhotosField(required=False, max_count=MAX_PHOTOS)
    # On closing: the self-governance brand that solved the case, if one did.
    brand = forms.ModelChoiceField(queryset=Organisation.objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["brand"].queryset = brands_for(user)

    def clean_into(self):
        number = self.cleaned_data["into"].strip()
        if not number:
            return None
        target = selectors.case_list(user=self.user).filter(number=number).first()
        if target is None:
            raise ValidationError(gettext("没有案卷号为 %(number)s 的事件。") % {"number": number})
        return target

    def move_fields(self) -> dict:
        data = self.cleaned_data
        return {
            "action": data["action"],
            "note": data["note"],
            "departments": tuple(data["departments"]),
            "rating": data["rating"],
            "into": data["into"],
            "photos": tuple(data["photos"]),
            "brand": data["brand"],
        }
