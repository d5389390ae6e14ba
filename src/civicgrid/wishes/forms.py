from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.access.scoping import CHANGE
from civicgrid.lib.photos import PhotosField
from civicgrid.registry.brands import brands_for
from civicgrid.registry.models import Organisation, Place
from civicgrid.volunteers.models import Volunteer
from civicgrid.wishes.flow import MAX_PHOTOS


def communities(user):
    """Communities inside the user's own scope."""
    rows = Place.objects.filter(level=Place.Level.COMMUNITY).order_by("code")
    if user.is_superuser:
        return rows
    return rows.filter(code__startswith=user.scope_code) if user.scope_code else rows.none()


class WishForm(forms.Form):
    title = forms.CharField(
        label=_("心愿内容"), max_length=60, help_text=_("例如：一台收音机、一件冬衣")
    )
    reason = forms.CharField(label=_("心愿缘由"), widget=forms.Textarea(attrs={"rows": 3}))
    value = forms.IntegerField(label=_("估价(元)"), min_value=1, max_value=100_000)
    consent = forms.BooleanField(
        label=_("居民本人或监护人已同意登记并在心愿墙匿名展示"), required=False
    )
    consent_by = forms.CharField(
        label=_("同意人"), max_length=64, required=False, help_text=_("留空为居民本人")
    )
    summary = forms.CharField(
        label=_("心愿墙展示文字"),
        max_length=120,
        required=False,
        help_text=_("留空则自动生成，如“一位80岁独居老人希望有一台收音机”；不得含姓名、地址、电话"),
    )


class MoveForm(forms.Form):
    note = forms.CharField(
        label=_("说明"), widget=forms.Textarea(attrs={"rows": 2}), required=False
    )
    summary = forms.CharField(label=_("心愿墙展示文字"), max_length=120, required=False)
    by_resident = forms.TypedChoiceField(
        label=_("确认方式"),
        choices=[("1", _("居民本人确认")), ("0", _("网格员代为确认（请写明原因）"))],
        coerce=lambda value: value == "1",
        required=False,
        empty_value=None,
    )
    brand = forms.ModelChoiceField(
        label=_("自治品牌（如由品牌解决）"), queryset=Organisation.objects.none(), required=False
    )
    photos = PhotosField(label=_("送达照片"), max_count=MAX_PHOTOS, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["brand"].queryset = brands_for(user)


class CapForm(forms.Form):
    cap = forms.IntegerField(label=_("心愿估价上限(元)"), min_value=1, max_value=100_000)


class PairingForm(forms.Form):
    unit = forms.ModelChoiceField(label=_("驻地单位"), queryset=Organisation.objects.none())
    community = forms.ModelChoiceField(label=_("结对社区"), queryset=Place.objects.none())
    since = forms.DateField(label=_("结对日期"), widget=forms.DateInput(attrs={"type": "date"}))
    contact_name = forms.CharField(label=_("联系人"), max_length=64)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    skills = forms.CharField(label=_("可提供技能"), max_length=200, required=False)
    venues = forms.CharField(label=_("可提供场地"), max_length=200, required=False)
    funds = forms.IntegerField(label=_("年度共建资金(元)"), min_value=0, initial=0)
    agreement = forms.FileField(
        label=_("共建协议"), required=False, help_text=_("PDF、Word（docx）或扫描件")
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = Organisation.objects.for_user(user).filter(
            kind=Organisation.Kind.PAIRED_UNIT
        )
        self.fields["community"].queryset = communities(user)


class ReportForm(forms.Form):
    volunteer = forms.ModelChoiceField(label=_("党员志愿者"), queryset=Volunteer.objects.none())
    unit = forms.ModelChoiceField(
        label=_("所在单位"), queryset=Organisation.objects.none(), required=False
    )
    community = forms.ModelChoiceField(label=_("报到社区"), queryset=Place.objects.none())
    reported_on = forms.DateField(
        label=_("报到日期"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["volunteer"].queryset = Volunteer.objects.for_user(user, CHANGE).filter(
            active=True
        )
        self.fields["unit"].queryset = Organisation.objects.for_user(user).exclude(
            kind=Organisation.Kind.BRAND
        )
        self.fields["community"].queryset = communities(user)
