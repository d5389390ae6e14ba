"""The work summary (工作总结 / 工作简报), written from the catalogue's
figures for a place and a period: a title, an opening, then one numbered
section a theme, each sentence built from computed figures with the
rounding conventions of ``wording``. Every number written is kept as a
citation (figure key, value, the text written), so a test can recompute
each one. The user edits the text before it is exported (``wordfile``).

Themes name the figures they need; a theme whose figures are not in the
catalogue, or all zero, is left out. Figures of packages with no theme of
their own yet (services, wishes, mediation, inspections as they register)
are listed in a last section, each by its label and value.
"""

import re
from dataclasses import dataclass, field

from django import forms
from django.utils.translation import gettext_lazy as _

from civicgrid.insights import periods, selectors, wording
from civicgrid.lib import figures
from civicgrid.lib.period import Period

NUMERALS = "一二三四五六七八九十"
HEADING_1 = re.compile(r"^[一二三四五六七八九十]+、")
# (一): full-width brackets as GB/T 9704 writes them, or ASCII ones as typed.
HEADING_2 = re.compile(r"^[(\uff08][一二三四五六七八九十]+[)\uff09]")
HEADING_3 = re.compile(r"^\d+\.")
MAX_TEXT = 20_000


@dataclass
class Citation:
    key: str
    value: object
    text: str


@dataclass
class Document:
    title: str
    lines: list[str]  # paragraphs; "一、..." lines are headings
    citations: list[Citation] = field(default_factory=list)

    @property
    def body(self) -> str:
        return "\n".join(self.lines)


class _Writer:
    """Writes numbers and remembers each one as a citation."""

    def __init__(self, values: dict):
        self.values = values
        self.citations: list[Citation] = []

    def has(self, *keys) -> bool:
        return all(self.values.get(key) not in (None, 0) for key in keys)

    def _cite(self, key, text) -> str:
        self.citations.append(Citation(key, self.values[key], text))
        return text

    def count(self, key, unit="") -> str:
        return self._cite(key, wording.approx(self.values[key], unit))

    def exact(self, key, unit="") -> str:
        return self._cite(key, wording.exact(self.values[key], unit))

    def percent(self, key) -> str:
        return self._cite(key, wording.percent(self.values[key]))

    def score(self, key) -> str:
        return self._cite(key, wording.score(self.values[key]))

    def hours(self, key) -> str:
        return self._cite(key, wording.hours(self.values[key]))


def _registry(w: _Writer) -> list[str]:
    if not w.has("registry.households"):
        return []
    text = f"辖区登记{w.count('registry.households', '户')}"
    if w.has("registry.residents"):
        text += f"、居民{w.count('registry.residents', '人')}"
    if w.has("registry.central_households"):
        text += f",党员中心户{w.count('registry.central_households', '户')}"
        if w.has("registry.central_households_new"):
            text += f"(期间新设{w.count('registry.central_households_new', '户')})"
    return [text + "。"]


def _cases(w: _Writer) -> list[str]:
    if not w.has("cases.cases"):
        return []
    text = f"共受理群众诉求及各类事件{w.count('cases.cases', '件')}"
    if w.has("cases.closure_rate"):
        text += f",结案率{w.percent('cases.closure_rate')}"
    if w.has("cases.on_time_rate"):
        text += f",按期结案率{w.percent('cases.on_time_rate')}"
    if w.has("cases.satisfaction"):
        text += f",群众满意度{w.score('cases.satisfaction')}"
    return [text + "。"]


def _risks(w: _Writer) -> list[str]:
    lines = []
    if w.has("risks.found"):
        text = f"累计排查处置各类风险隐患{w.count('risks.found', '个')}"
        if w.has("risks.resolution_rate"):
            text += f",化解率达{w.percent('risks.resolution_rate')}"
        lines.append(text + "。")
    colours = [("risks.red", "红色"), ("risks.yellow", "黄色"), ("risks.green", "绿色")]
    shown = [(key, name) for key, name in colours if w.has(key)]
    if shown:
        parts = "、".join(f"{name}{w.exact(key, '户')}" for key, name in shown)
        lines.append(f"实行红黄绿三色管理,目前{parts}。")
    if w.has("risks.visits_done"):
        lines.append(f"开展入户走访{w.count('risks.visits_done', '次')}。")
    return lines


def _volunteers(w: _Writer) -> list[str]:
    lines = []
    if w.has("volunteers.volunteers"):
        text = f"在册志愿者{w.count('volunteers.volunteers', '名')}"
        if w.has("volunteers.party_members"):
            text += f",其中在职党员{w.count('volunteers.party_members', '名')}"
        if w.has("volunteers.mobile_grid_workers"):
            text += f",骑手等新就业群体流动网格员{w.count('volunteers.mobile_grid_workers', '名')}"
        lines.append(text + "。")
    if w.has("volunteers.activities"):
        text = f"开展志愿服务活动{w.count('volunteers.activities', '场')}"
        if w.has("volunteers.hours"):
            text += f",服务时长{w.hours('volunteers.hours')}"
        if w.has("volunteers.points_issued"):
            text += f",发放积分{w.count('volunteers.points_issued', '分')}"
        lines.append(text + "。")
    if w.has("volunteers.needs"):
        text = f"党员中心户记录民情{w.count('volunteers.needs', '条')}"
        if w.has("volunteers.needs_resolved"):
            text += f",当场解决{w.count('volunteers.needs_resolved', '条')}"
        if w.has("volunteers.needs_to_cases"):
            text += f",转为事件办理{w.count('volunteers.needs_to_cases', '件')}"
        lines.append(text + "。")
    return lines


def _care(w: _Writer) -> list[str]:
    lines = []
    if w.has("care.child_trackers_handed_out"):
        lines.append(f"发放儿童防走失定位设备{w.count('care.child_trackers_handed_out', '台')}。")
    if w.has("care.alarms"):
        text = f"智能设备告警{w.count('care.alarms', '起')}"
        if w.has("care.sos_alarms"):
            text += f",其中一键呼救{w.count('care.sos_alarms', '起')}"
        if w.has("care.alarms_resolved"):
            text += f",已处置{w.count('care.alarms_resolved', '起')}"
        lines.append(text + "。")
    return lines


THEMES = [
    ("registry", "基本情况", _registry),
    ("cases", "接诉即办", _cases),
    ("risks", "风险隐患排查化解", _risks),
    ("volunteers", "志愿服务", _volunteers),
    ("care", "智慧关爱", _care),
]
THEMED = {prefix for prefix, _heading, _write in THEMES}


def _others(w: _Writer) -> list[str]:
    """Figures of packages without a theme: "label:value" each."""
    lines = []
    for figure in figures.catalogue():
        if figure.key.split(".", 1)[0] in THEMED or not w.has(figure.key):
            continue
        if figure.unit == "rate":
            text = w.percent(figure.key)
        elif figure.unit == "score":
            text = w.score(figure.key)
        elif figure.unit == "hours":
            text = w.hours(figure.key)
        else:
            text = w.count(figure.key)
        lines.append(f"{figure.label}{text}。")
    return lines


def write(*, user, period: Period, place) -> Document:
    keys = [figure.key for figure in figures.catalogue()]
    values = figures.values(keys, user=user, period=period, place=place)
    place_name = place.name if place is not None else (user.scope_place or "")
    place_name = str(place_name)
    when = wording.period_text(period)
    kind = "工作总结" if (period.last - period.first).days > 92 else "工作简报"
    w = _Writer(values)
    lines = [
        f"{when},{place_name}依托基层治理服务平台,坚持党建引领,"
        "推进网格化管理、精细化服务,主要工作情况如下。"
    ]
    sections = [(heading, write_theme(w)) for _prefix, heading, write_theme in THEMES]
    sections.append(("其他工作", _others(w)))
    number = 0
    for heading, paragraphs in sections:
        if not paragraphs:
            continue
        lines.append(f"{NUMERALS[number]}、{heading}")
        lines.extend(paragraphs)
        number += 1
    if number == 0:
        lines.append("本期间暂无可统计的工作数据。")
    return Document(f"{place_name}{when}{kind}", lines, w.citations)


# Charts in the .docx: these figures, by month when the period spans months,
# and by lower place.
CHART_FIGURES = ["cases.cases", "risks.found"]


@dataclass
class Chart:
    title: str
    labels: list[str]
    values: list


def charts(*, user, period: Period, place) -> list[Chart]:
    """The summary's charts, from the catalogue like its text."""
    keys = [key for key in CHART_FIGURES if key in figures.FIGURES]
    made = []
    months = periods.months(period)
    if keys and len(months) > 1:
        rows = selectors.by_month(user=user, keys=keys, period=period, place=place)
        for key in keys:
            made.append(
                Chart(
                    f"{figures.FIGURES[key].label}(按月)",
                    [f"{row['month'].first.month}月" for row in rows],
                    [row["values"][key] for row in rows],
                )
            )
    parent = selectors.breakdown_parent(user, place)
    rows = selectors.by_place(user=user, keys=keys, period=period, parent=parent)
    if rows:
        for key in keys:
            made.append(
                Chart(
                    f"{figures.FIGURES[key].label}(按地点)",
                    [row["place"].name for row in rows],
                    [row["values"][key] for row in rows],
                )
            )
    return made


def initial(document: Document) -> dict:
    return {"title": document.title, "body": document.body}


class SummaryForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=100)
    body = forms.CharField(
        label=_("正文"),
        max_length=MAX_TEXT,
        widget=forms.Textarea(attrs={"rows": 24}),
        help_text=_("以“一、”“（一）”“1.”开头的行是各级标题；其余每行一段。"),
    )

    def document(self) -> Document:
        lines = [line.strip() for line in self.cleaned_data["body"].splitlines()]
        return Document(self.cleaned_data["title"].strip(), [line for line in lines if line])
