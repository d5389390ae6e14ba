"""Validation of a category's extra questions, the same on every channel."""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from civicgrid.cases.models import Category, Question


def clean_answers(category: Category, raw: dict) -> dict:
    """Typed answers keyed by question code, or a ValidationError naming each
    bad answer. Unknown keys are refused: a typo must not vanish silently."""
    raw = {k: v for k, v in (raw or {}).items() if v not in (None, "", [])}
    questions = {q.code: q for q in category.questions.all()}
    errors: dict[str, list[str]] = {}
    for code in sorted(set(raw) - set(questions)):
        errors.setdefault(code, []).append(
            _("“%(category)s”没有这个问题。") % {"category": category.name}
        )
    cleaned = {}
    for code, question in questions.items():
        if code not in raw:
            if question.required:
                errors.setdefault(code, []).append(
                    _("请回答：%(label)s") % {"label": question.label}
                )
            continue
        try:
            cleaned[code] = _clean_one(question, raw[code])
        except ValidationError as exc:
            errors.setdefault(code, []).extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    return cleaned


def _clean_one(question: Question, value):
    kind = Question.Datatype
    label = question.label
    if question.datatype in (kind.STRING, kind.TEXT):
        text = str(value).strip()
        limit = 200 if question.datatype == kind.STRING else 2000
        if len(text) > limit:
            raise ValidationError(_("%(label)s：最多%(n)d个字。") % {"label": label, "n": limit})
        return text
    if question.datatype == kind.NUMBER:
        try:
            number = float(value)
        except (TypeError, ValueError):
            raise ValidationError(_("%(label)s：请填写数字。") % {"label": label}) from None
        return int(number) if number.is_integer() else number
    if question.datatype == kind.DATETIME:
        parsed = value if isinstance(value, datetime) else parse_datetime(str(value))
        if parsed is None:
            try:
                parsed = datetime.fromisoformat(str(value))
            except ValueError:
                raise ValidationError(
                    _("%(label)s：日期格式应为 2026-01-31 或 2026-01-31T09:00。") % {"label": label}
                ) from None
        return parsed.isoformat()
    keys = {c["key"] for c in question.choices}
    if question.datatype == kind.SINGLE:
        if isinstance(value, list | tuple):
            if len(value) != 1:
                raise ValidationError(_("%(label)s：只能选一项。") % {"label": label})
            value = value[0]
        if str(value) not in keys:
            raise ValidationError(_("%(label)s：不是可选的选项。") % {"label": label})
        return str(value)
    values = value if isinstance(value, list | tuple) else [value]
    values = [str(v) for v in values]
    if not set(values) <= keys:
        raise ValidationError(_("%(label)s：包含不可选的选项。") % {"label": label})
    return sorted(set(values))
