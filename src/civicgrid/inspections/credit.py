"""The unified social credit code (统一社会信用代码), GB 32100-2015: 18
characters from a 31-character alphabet (no I, O, S, V, Z); the 3rd to 8th
are the registering authority's administrative division code; the 18th is a
check character computed from the first 17 with weights 3^i mod 31."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_VALUE = {char: index for index, char in enumerate(ALPHABET)}


def check_character(first17: str) -> str:
    total = sum(_VALUE[char] * weight for char, weight in zip(first17, WEIGHTS, strict=True))
    return ALPHABET[(31 - total % 31) % 31]


def normalise_credit_code(value: str) -> str:
    """The code in capitals, or a ValidationError saying what is wrong."""
    code = (value or "").strip().upper().replace(" ", "")
    if len(code) != 18:
        raise ValidationError(
            _("统一社会信用代码应为18位，这里是%(n)d位。") % {"n": len(code)}, code="length"
        )
    wrong = sorted({char for char in code if char not in _VALUE})
    if wrong:
        raise ValidationError(
            _("统一社会信用代码含有不允许的字符：%(chars)s（不使用 I、O、S、V、Z）。")
            % {"chars": "、".join(wrong)},
            code="alphabet",
        )
    if not code[2:8].isdigit():
        raise ValidationError(
            _("统一社会信用代码第3至8位应为登记管理机关行政区划码（数字）。"), code="division"
        )
    expected = check_character(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _("统一社会信用代码校验位不符：第18位应为“%(expected)s”，而不是“%(given)s”。")
            % {"expected": expected, "given": code[17]},
            code="check",
        )
    return code


def make_credit_code(body: str) -> str:
    """A valid code from its first 17 characters (demo data, tests)."""
    return body + check_character(body)
