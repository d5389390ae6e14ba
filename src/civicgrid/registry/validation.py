"""Checks of identity numbers and phone numbers, shared by forms, API and imports."""

import re
from datetime import date

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_ID_SHAPE = re.compile(r"^\d{17}[\dX]$")
_MOBILE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE = re.compile(r"^0\d{2,3}-?\d{7,8}$")


def id_check_digit(first17: str) -> str:
    """ISO 7064 MOD 11-2, as GB 11643 prescribes for resident ID numbers."""
    total = sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS, strict=True))
    return _ID_CHECK[total % 11]


def normalise_id_number(value: str) -> str:
    value = (value or "").strip().upper()
    if not _ID_SHAPE.match(value):
        raise ValidationError(_("身份证号应为18位，最后一位可为数字或X。"), code="id_shape")
    if id_check_digit(value[:17]) != value[17]:
        raise ValidationError(_("身份证号校验位不正确，请核对。"), code="id_check")
    try:
        date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("身份证号中的出生日期无效。"), code="id_birth") from None
    return value


def id_birth_date(value: str) -> date:
    return date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def normalise_phone(value: str) -> str:
    value = re.sub(r"[\s()]", "", value or "")
    if value.startswith("+86"):
        value = value[3:]
    if not (_MOBILE.match(value) or _LANDLINE.match(value)):
        raise ValidationError(
            _("电话号码格式不正确：手机号为11位，座机如 0891-6321234。"), code="phone"
        )
    return value
