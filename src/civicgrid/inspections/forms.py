from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.inspections.models import BusinessType, Equipment, Licence
from civicgrid.registry.models import Place


def _grids(user):
    rows = Place.objects.filter(level=Place.Level.GRID).order_by("code")
    if not user.is_superuser:
        rows = rows.filter(code__startswith=user.scope_code or "-")
    return rows


def _areas(user):
    rows = Place.objects.exclude(level=Place.Level.CITY).order_by("code")
    if not user.is_superuser:
        rows = rows.filter(code__startswith=user.scope_code or "-")
    return rows


class BusinessForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    credit_code = forms.CharField(label=_("统一社会信用代码"), max_length=30)
    kind = forms.ChoiceField(label=_("类型"), choices=BusinessType.choices)
    address = forms.CharField(label=_("经营地址"), max_length=200)
    place = forms.ModelChoiceField(label=_("所在网格"), queryset=Place.objects.none())
    contact_name = forms.CharField(label=_("负责人"), max_length=64, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=20, required=False)
    lat = forms.FloatField(label=_("纬度"), required=False, widget=forms.HiddenInput)
    lon = forms.FloatField(label=_("经度"), required=False, widget=forms.HiddenInput)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = _grids(user)


class EquipmentForm(forms.Form):
    kind = forms.ChoiceField(label=_("种类"), choices=Equipment.Kind.choices)
    serial = forms.CharField(label=_("出厂编号"), max_length=40)
    next_verification_on = forms.DateField(
        label=_("下次检定日期"), widget=forms.DateInput(attrs={"type": "date"})
    )


class LicenceForm(forms.Form):
    kind = forms.ChoiceField(label=_("许可证类型"), choices=Licence.Kind.choices)
    number = forms.CharField(label=_("许可证编号"), max_length=40)
    expires_on = forms.DateField(
        label=_("有效期至"), widget=forms.DateInput(attrs={"type": "date"})
    )


class ConflictForm(forms.Form):
    reason = forms.CharField(label=_("回避事由"), max_length=200)


class UploadForm(forms.Form):
    file = forms.FileField(label=_("文件（.xlsx）"))


class CampaignForm(forms.Form):
    name = forms.CharField(label=_("名称"), max_length=100)
    place = forms.ModelChoiceField(label=_("检查范围"), queryset=Place.objects.none())
    business_kinds = forms.MultipleChoiceField(
        label=_("检查对象类型"),
        choices=BusinessType.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}))
    sample_size = forms.IntegerField(label=_("抽取户数"), min_value=1, max_value=500)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["place"].queryset = _areas(user)


class DrawForm(forms.Form):
    seed = forms.IntegerField(
        label=_("随机种子（留空自动生成）"), required=False, min_value=0, max_value=2**31 - 1
    )


class RecheckForm(forms.Form):
    passed = forms.TypedChoiceField(
        label=_("复查结论"),
        choices=[("1", _("整改到位，复查合格")), ("0", _("未整改到位，转立案查处"))],
        coerce=lambda value: value == "1",
    )
    note = forms.CharField(
        label=_("复查情况"), required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
