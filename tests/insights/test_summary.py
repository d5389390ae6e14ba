"""The work summary: every number in the text is recomputed from the
records; the edited text is exported as a GB/T 9704 .docx, audited."""

import io
from datetime import date

from docx import Document
from docx.shared import Pt

from civicgrid.access.models import AuditLog
from civicgrid.care.models import DeviceBinding
from civicgrid.cases.models import Case
from civicgrid.insights import summary, wordfile, wording
from civicgrid.lib.period import Period
from civicgrid.registry.models import Household, Resident
from civicgrid.risks.models import Hazard
from civicgrid.volunteers.models import Volunteer

YEAR = Period.year(date(2026, 1, 1))


def _from_records(period: Period) -> dict:
    """The summary's figures counted straight from the tables (the district
    admin sees everything in the scene)."""
    found = Hazard.objects.filter(**period.lookup("found_at"))
    resolved = found.filter(resolved_at__isnull=False).count()
    active = Volunteer.objects.filter(active=True)
    return {
        "registry.households": Household.objects.count(),
        "registry.residents": Resident.objects.count(),
        "cases.cases": Case.objects.filter(**period.lookup("reported_at")).count(),
        "risks.found": found.count(),
        "risks.resolution_rate": round(resolved / found.count(), 4),
        "volunteers.volunteers": active.count(),
        "volunteers.mobile_grid_workers": active.filter(kind="rider").count(),
        "care.child_trackers_handed_out": DeviceBinding.objects.filter(
            device__kind="child_tracker", **period.lookup("at")
        ).count(),
    }


def test_every_figure_in_the_text_matches_the_records(scene, personas):
    document = summary.write(user=personas["admin"], period=YEAR, place=None)
    text = document.title + "\n" + document.body
    expected = _from_records(YEAR)
    cited = {citation.key: citation for citation in document.citations}
    assert set(expected) <= set(cited), set(expected) - set(cited)
    for citation in document.citations:
        assert citation.text in text
        if citation.key in expected:
            assert citation.value == expected[citation.key], citation.key
    assert "累计排查处置各类风险隐患4个,化解率达50%" in text
    assert "骑手等新就业群体流动网格员2名" in text
    assert document.title == "城关区2026年工作总结"
    assert document.lines[1].startswith("一、")


def test_nothing_to_report_is_said_plainly(personas, clock):
    document = summary.write(user=personas["staff_b"], period=YEAR, place=None)
    assert "本期间暂无可统计的工作数据。" in document.body


def test_docx_follows_gb_t_9704(scene, personas):
    document = summary.Document(
        "城关区2026年工作总结", ["开头。", "一、事件", "\uff08一\uff09办理", "1.细节", "正文。"]
    )
    word = wordfile.build(document)
    section = word.sections[0]
    margins = [section.top_margin, section.bottom_margin, section.left_margin, section.right_margin]
    assert [round(margin.mm) for margin in margins] == [37, 35, 28, 26]
    assert (round(section.page_width.mm), round(section.page_height.mm)) == (210, 297)
    title, opening, heading_1, heading_2, heading_3 = word.paragraphs[:5]
    assert title.runs[0].font.size == Pt(22) and title.alignment == 1  # centred
    assert opening.runs[0].font.size == Pt(16) and opening.paragraph_format.line_spacing == Pt(28)
    fonts = [p.runs[0]._element.rPr.rFonts.get(
        "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia"
    ) for p in (title, opening, heading_1, heading_2, heading_3)]  # fmt: skip
    assert fonts == ["方正小标宋简体", "仿宋_GB2312", "黑体", "楷体_GB2312", "仿宋_GB2312"]
    assert heading_3.runs[0].font.bold
    assert "PAGE" in section.footer.paragraphs[0]._element.xml


def test_summary_page_is_editable_and_exports_audited(scene, personas, client_for):
    client = client_for(personas["staff_a"])
    page = client.get("/insights/summary/", {"kind": "year"})
    assert page.status_code == 200
    form = page.context["form"]
    assert form.initial["title"] == "泽新社区2026年工作总结"
    edited = form.initial["body"] + "\n二、下一步打算\n继续做好网格化服务。"
    response = client.post(
        "/insights/summary/",
        {"kind": "range", "start": "2026-01-01", "end": "2026-12-31", "place": "",
         "title": "泽新社区2026年工作总结(修改稿)", "body": edited},
    )  # fmt: skip
    assert response.status_code == 200
    assert response["Content-Type"] == wordfile.CONTENT_TYPE
    word = Document(io.BytesIO(b"".join(response.streaming_content)))
    texts = [p.text for p in word.paragraphs]
    assert texts[0] == "泽新社区2026年工作总结(修改稿)" and "继续做好网格化服务。" in texts
    assert "累计排查处置各类风险隐患3个,化解率达67%。" in texts
    log = AuditLog.objects.get(object_type="insights.summary")
    assert log.user == personas["staff_a"] and log.changes["period"] == "2026-01-01/2026-12-31"


def test_summary_export_refuses_empty_or_outside_input(scene, personas, client_for, places):
    client = client_for(personas["staff_b"])
    empty = client.post("/insights/summary/", {"kind": "year", "title": "", "body": ""})
    assert empty.status_code == 400
    outside = client.post(
        "/insights/summary/",
        {"kind": "year", "place": places["community_a"].code, "title": "t", "body": "b"},
    )
    assert outside.status_code == 400 and "请选择您管辖范围内的地点。" in outside.content.decode()
    assert not AuditLog.objects.filter(object_type="insights.summary").exists()
    assert client_for(personas["resident"]).get("/insights/summary/").status_code == 403


def test_rates_in_the_text_use_the_percent_convention():
    assert wording.percent(round(2 / 3, 4)) == "67%"


def test_charts_are_the_figures_and_embedded_in_the_docx(scene, personas, places):
    admin = personas["admin"]
    charts = summary.charts(user=admin, period=YEAR, place=places["street"])
    by_title = {chart.title: chart for chart in charts}
    monthly = by_title["排查隐患(按月)"]
    assert monthly.labels[:5] == ["1月", "2月", "3月", "4月", "5月"] and monthly.values[4] == 4
    by_place = by_title["排查隐患(按地点)"]
    assert dict(zip(by_place.labels, by_place.values, strict=True)) == {
        "泽新社区": 3,
        "鲁固社区": 1,
    }
    assert by_title["上报事件(按地点)"].values == [2, 0]
    word = wordfile.build(summary.Document("标题", ["正文。"]), charts)
    assert len(word.inline_shapes) == len(charts) == 4
    captions = [p.text for p in word.paragraphs if p.text.startswith("附图")]
    assert captions[0] == "附图1  上报事件(按月)"
