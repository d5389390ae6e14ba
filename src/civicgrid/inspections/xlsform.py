"""Checklists authored in Excel as XLSForm (the ODK / KoboToolbox standard),
read with pyxform, the ODK project's own parser, and run on the server.

``parse`` turns an uploaded workbook into a flat list of questions or raises
``FormError`` with what pyxform said, in Chinese terms: which sheet, which
row. ``evaluate`` runs the supported subset of XPath that checklists use in
``relevant`` and ``constraint``: ``${name}`` and ``.``, numbers and quoted
text, ``= != < <= > >=``, ``and``, ``or``, ``not(...)``, ``selected(a, 'x')``,
``count-selected(a)`` and brackets. A form using anything else is refused at
upload, so no form can depend on something the server does not check.

A question whose answer is the choice ``fail`` is a finding (问题); the
shipped checklists answer each item with the list ``result``
(合格 pass / 不合格 fail / 不适用 na).
"""

import io
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from openpyxl import load_workbook
from pyxform.errors import PyXFormError
from pyxform.xls2xform import convert

FAIL = "fail"
TYPES = {
    "text": "text",
    "integer": "integer",
    "decimal": "decimal",
    "date": "date",
    "select one": "select_one",
    "select all that apply": "select_multiple",
    "note": "note",
    "photo": "photo",
    "geopoint": "geopoint",
}


class FormError(ValidationError):
    """A checklist file refused, with its sheet and row when known."""


@dataclass(frozen=True)
class Parsed:
    form_id: str
    title: str
    version: str
    questions: list[dict]


# pyxform's messages that checklist authors meet, in Chinese.
_MESSAGES = [
    (
        re.compile(r"List name not in choices sheet: (.+)"),
        gettext_lazy("选项表（choices）中没有名为“{0}”的选项列表。"),
    ),
    (
        re.compile(r"the 'name' value '(.+?)' is invalid\. Questions, groups, and repeats"),
        gettext_lazy("题目名称“{0}”重复，同一层级内的名称必须唯一。"),
    ),
    (re.compile(r"Question or group with no name"), gettext_lazy("题目缺少名称（name）。")),
    (re.compile(r"Unknown question type '(.+?)'"), gettext_lazy("未知的题型“{0}”。")),
    (re.compile(r"Could not find the name '(.+?)'"), gettext_lazy("引用的题目“{0}”不存在。")),
    (
        re.compile(r"required column headers were not found: '(.+?)'"),
        gettext_lazy("缺少必需的列“{0}”。"),
    ),
]
_ROW = re.compile(r"\[row : (\d+)\]")
_SHEET = re.compile(r"(?:On the|sheet:?) '(\w+)'(?: sheet)?")


def _chinese(message: str) -> str:
    for pattern, text in _MESSAGES:
        match = pattern.search(message)
        if match:
            return str(text).format(*match.groups())
    return _("XLSForm 格式有误：%(message)s") % {"message": message.strip()}


def _where(sheet: str | None, row: int | None) -> str:
    if sheet and row:
        return _("工作表“%(sheet)s”第%(row)d行：") % {"sheet": sheet, "row": row}
    if sheet:
        return _("工作表“%(sheet)s”：") % {"sheet": sheet}
    return ""


def _refuse(message: str, *, sheet: str | None = None, row: int | None = None):
    raise FormError(_where(sheet, row) + message)


def _survey_rows(content: bytes, column_name: str) -> dict[str, int]:
    """Value of ``column_name`` -> its first row on the survey sheet (pyxform
    keeps no row numbers in what it returns)."""
    found: dict[str, int] = {}
    try:
        book = load_workbook(io.BytesIO(content), read_only=True)
        rows = book["survey"].iter_rows(values_only=True)
        header = [str(v or "").strip() for v in next(rows)]
        column = header.index(column_name)
        for line, values in enumerate(rows, start=2):
            if line > 5000:
                break
            if column < len(values) and values[column] is not None:
                found.setdefault(str(values[column]).strip(), line)
        book.close()
    except (KeyError, ValueError, StopIteration, OSError):
        pass
    return found


def _row_of_type(content: bytes, wanted: str) -> int | None:
    """The survey row whose type is ``wanted`` (pyxform names no row for it)."""
    return _survey_rows(content, "type").get(wanted)


def parse(content: bytes) -> Parsed:
    """The questions of an XLSForm workbook, or FormError."""
    try:
        result = convert(content, file_type=".xlsx", warnings=[])
    except PyXFormError as error:
        message = str(error)
        row = _ROW.search(message)
        sheet = _SHEET.search(message)
        line = int(row[1]) if row else None
        unknown = re.search(r"Unknown question type '(.+?)'", message)
        if unknown and line is None:
            line = _row_of_type(content, unknown[1])
        if "not recognized as a supported type" in message or "not a supported" in message:
            _refuse(_("文件不是有效的 Excel（.xlsx）文件，无法读取。"))
        _refuse(
            _chinese(_ROW.sub("", message)),
            sheet=sheet[1] if sheet else ("survey" if line else None),
            row=line,
        )
    except (ValueError, KeyError, OSError, TypeError) as error:
        raise FormError(_("文件不是有效的 Excel（.xlsx）文件，无法读取。")) from error
    form = result._pyxform
    questions: list[dict] = []
    _flatten(form.get("children", []), questions, relevant="", content=content)
    lines = _survey_rows(content, "name")
    for question in questions:
        question["row"] = lines.get(question["name"])
    if not any(q["type"] != "note" for q in questions):
        _refuse(_("检查表中没有可填写的题目。"), sheet="survey")
    for question in questions:
        for key in ("relevant", "constraint"):
            if question[key]:
                try:
                    compile_expression(question[key])
                except ExpressionError as error:
                    _refuse(
                        _("“%(name)s”的 %(key)s 表达式不受支持：%(reason)s")
                        % {"name": question["name"], "key": key, "reason": error},
                        sheet="survey",
                        row=question["row"],
                    )
    return Parsed(
        form_id=str(form.get("id_string") or ""),
        title=str(form.get("title") or ""),
        version=str(form.get("version") or ""),
        questions=questions,
    )


def _label(value) -> str:
    if isinstance(value, dict):  # translated labels: the first language
        return str(next(iter(value.values()), ""))
    return str(value or "")


def _flatten(children, out: list, *, relevant: str, content: bytes) -> None:
    for child in children:
        kind = child.get("type")
        name = child.get("name", "")
        bind = child.get("bind", {})
        if kind == "group":
            if name == "meta":
                continue
            inner = bind.get("relevant", "")
            both = f"({relevant}) and ({inner})" if relevant and inner else relevant or inner
            _flatten(child.get("children", []), out, relevant=both, content=content)
            continue
        if kind == "repeat":
            _refuse(_("检查表不支持重复组（repeat）。"), sheet="survey")
        if kind not in TYPES:
            if kind in {"calculate", "start", "end", "today", "deviceid"}:
                continue
            _refuse(_("检查表不支持题型“%(type)s”。") % {"type": kind}, sheet="survey")
        own = bind.get("relevant", "")
        both = f"({relevant}) and ({own})" if relevant and own else relevant or own
        out.append(
            {
                "name": name,
                "type": TYPES[kind],
                "label": _label(child.get("label")),
                "hint": _label(child.get("hint")),
                "required": str(bind.get("required", "")).lower() in {"yes", "true", "true()"},
                "relevant": both,
                "constraint": bind.get("constraint", ""),
                "constraint_message": _label(bind.get("jr:constraintMsg", "")),
                "choices": [
                    {"name": str(c["name"]), "label": _label(c.get("label"))}
                    for c in child.get("choices", [])
                ],
                "row": None,
            }
        )


# The expression subset ------------------------------------------------------


class ExpressionError(ValueError):
    pass


_TOKEN = re.compile(
    r"\s*(?:(?P<ref>\$\{(?P<refname>\w+)\})|(?P<dot>\.(?![\d]))|(?P<num>-?\d+(?:\.\d+)?)"
    r"|(?P<str>'[^']*'|\"[^\"]*\")|(?P<op><=|>=|!=|=|<|>|\(|\)|,)"
    r"|(?P<word>[a-z][a-z-]*))"
)
_FUNCTIONS = {"not", "selected", "count-selected"}


def _tokens(text: str) -> list[tuple[str, str]]:
    tokens, position = [], 0
    text = text.strip()
    while position < len(text):
        match = _TOKEN.match(text, position)
        if match is None or match.end() == position:
            raise ExpressionError(_("无法识别“%(rest)s”") % {"rest": text[position:][:20]})
        position = match.end()
        kind = match.lastgroup if match.lastgroup != "refname" else "ref"
        if match["ref"]:
            tokens.append(("ref", match["refname"]))
        elif match["dot"]:
            tokens.append(("dot", "."))
        elif match["num"]:
            tokens.append(("num", match["num"]))
        elif match["str"]:
            tokens.append(("str", match["str"][1:-1]))
        elif match["op"]:
            tokens.append(("op", match["op"]))
        else:
            word = match["word"]
            if word in {"and", "or"}:
                tokens.append(("op", word))
            elif word in _FUNCTIONS:
                tokens.append(("fn", word))
            else:
                raise ExpressionError(_("不支持“%(word)s”") % {"word": word})
        del kind
    return tokens


class _Parser:
    """Recursive descent: or > and > comparison > term."""

    def __init__(self, tokens):
        self.tokens = tokens
        self.at = 0

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else ("end", "")

    def take(self, value=None):
        token = self.peek()
        if value is not None and token[1] != value:
            raise ExpressionError(_("此处应为“%(value)s”") % {"value": value})
        if token[0] == "end":
            raise ExpressionError(_("表达式不完整"))
        self.at += 1
        return token

    def parse(self):
        tree = self.disjunction()
        if self.peek()[0] != "end":
            raise ExpressionError(_("多余的“%(token)s”") % {"token": self.peek()[1]})
        return tree

    def disjunction(self):
        tree = self.conjunction()
        while self.peek() == ("op", "or"):
            self.take()
            tree = ("or", tree, self.conjunction())
        return tree

    def conjunction(self):
        tree = self.comparison()
        while self.peek() == ("op", "and"):
            self.take()
            tree = ("and", tree, self.comparison())
        return tree

    def comparison(self):
        tree = self.term()
        if self.peek()[0] == "op" and self.peek()[1] in {"=", "!=", "<", "<=", ">", ">="}:
            op = self.take()[1]
            tree = ("cmp", op, tree, self.term())
        return tree

    def term(self):
        kind, value = self.take()
        if kind in {"ref", "dot", "num", "str"}:
            return (kind, value)
        if kind == "op" and value == "(":
            tree = self.disjunction()
            self.take(")")
            return tree
        if kind == "fn":
            self.take("(")
            args = [self.disjunction()]
            while self.peek() == ("op", ","):
                self.take()
                args.append(self.disjunction())
            self.take(")")
            wanted = {"not": 1, "selected": 2, "count-selected": 1}[value]
            if len(args) != wanted:
                raise ExpressionError(_("%(fn)s 的参数个数不对") % {"fn": value})
            return ("fn", value, args)
        raise ExpressionError(_("此处不能是“%(token)s”") % {"token": value})


def compile_expression(text: str):
    return _Parser(_tokens(text)).parse()


def _number(value):
    if isinstance(value, list):
        return None
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _value(tree, answers: dict, current):
    kind = tree[0]
    if kind == "ref":
        return answers.get(tree[1], "")
    if kind == "dot":
        return current
    if kind == "num":
        return float(tree[1])
    if kind == "str":
        return tree[1]
    if kind == "fn":
        name, args = tree[1], tree[2]
        if name == "not":
            return not _truth(args[0], answers, current)
        if name == "selected":
            chosen = _value(args[0], answers, current)
            wanted = str(_value(args[1], answers, current))
            return wanted in (chosen if isinstance(chosen, list) else str(chosen).split())
        chosen = _value(args[0], answers, current)
        return float(len(chosen if isinstance(chosen, list) else str(chosen).split()))
    return _truth(tree, answers, current)


def _truth(tree, answers: dict, current) -> bool:
    kind = tree[0]
    if kind == "or":
        return _truth(tree[1], answers, current) or _truth(tree[2], answers, current)
    if kind == "and":
        return _truth(tree[1], answers, current) and _truth(tree[2], answers, current)
    if kind == "cmp":
        op, left, right = (
            tree[1],
            _value(tree[2], answers, current),
            _value(tree[3], answers, current),
        )
        a, b = _number(left), _number(right)
        if op in {"=", "!="}:
            same = a == b if a is not None and b is not None else str(left) == str(right)
            return same if op == "=" else not same
        if a is None or b is None:
            return False
        return {"<": a < b, "<=": a <= b, ">": a > b, ">=": a >= b}[op]
    value = _value(tree, answers, current)
    if isinstance(value, bool):
        return value
    if isinstance(value, float):
        return value != 0
    return bool(value)


def evaluate(text: str, answers: dict, current=None) -> bool:
    """Whether ``text`` holds for ``answers`` (``current`` is ``.``)."""
    return _truth(compile_expression(text), answers, current)


def clean_answers(questions: list[dict], raw: dict) -> tuple[dict, dict]:
    """The answers of the questions that are relevant, typed, and the errors
    by question name (required, type, choices, constraint). Irrelevant
    questions keep no answer, as in ODK."""
    answers: dict = {}
    errors: dict[str, str] = {}
    for question in questions:
        name, kind = question["name"], question["type"]
        if kind in {"note", "photo"}:
            continue
        if question["relevant"] and not evaluate(question["relevant"], answers):
            continue
        value = raw.get(name)
        choices = {c["name"] for c in question["choices"]}
        if kind == "select_multiple":
            value = [v for v in (value or []) if v]
            empty = not value
        else:
            value = (value[0] if isinstance(value, list) and value else value) or ""
            value = str(value).strip()
            empty = value == ""
        if empty:
            if question["required"]:
                errors[name] = _("此项必填。")
            continue
        if kind == "integer":
            if not re.fullmatch(r"-?\d+", value):
                errors[name] = _("应填整数。")
                continue
            value = int(value)
        elif kind == "decimal":
            if _number(value) is None:
                errors[name] = _("应填数字。")
                continue
            value = float(value)
        elif (
            kind == "select_one"
            and value not in choices
            or kind == "select_multiple"
            and not set(value) <= choices
        ):
            errors[name] = _("不是可选的答案。")
            continue
        if question["constraint"] and not evaluate(question["constraint"], answers, value):
            errors[name] = question["constraint_message"] or _("答案不符合要求。")
            continue
        answers[name] = value
    return answers, errors


def relevant_photos(questions: list[dict], answers: dict) -> list[dict]:
    """Photo questions that apply to these answers."""
    return [
        q
        for q in questions
        if q["type"] == "photo" and (not q["relevant"] or evaluate(q["relevant"], answers))
    ]


def failed(questions: list[dict], answers: dict) -> list[dict]:
    """Questions answered ``fail``: the findings."""
    return [q for q in questions if q["type"] == "select_one" and answers.get(q["name"]) == FAIL]
