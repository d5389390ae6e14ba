"""The work summary as a .docx laid out per GB/T 9704-2012 (党政机关公文格式):
A4, margins 37 mm top, 35 mm bottom, 28 mm left, 26 mm right; the title in
2号 (22 pt) 小标宋, centred; body in 3号 (16 pt) 仿宋 with a first-line
indent of two characters and a fixed line pitch of 28 pt (22 lines a page);
headings numbered 一、 (黑体), (一) (楷体), 1. (仿宋, bold); charts as
pictures (附图) after the text; page numbers
"— 1 —" in 4号 (14 pt) 宋体 at the foot. Fonts are named for East Asian
text (w:eastAsia) with the usual Windows fallbacks, so Word and WPS pick
the office's installed fonts. Every export is audited."""

import io
import tempfile

from django.utils import timezone
from docx import Document as WordDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH, WD_LINE_SPACING
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.insights import chartimage
from civicgrid.insights.summary import HEADING_1, HEADING_2, HEADING_3, Document

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
TITLE_FONT, BODY_FONT = "方正小标宋简体", "仿宋_GB2312"
HEADING_FONTS = {1: "黑体", 2: "楷体_GB2312", 3: "仿宋_GB2312"}
TITLE_SIZE, BODY_SIZE, PAGE_NUMBER_SIZE = Pt(22), Pt(16), Pt(14)
LINE_PITCH = Pt(28)


def _font(run, name: str, size, bold: bool = False) -> None:
    run.font.name = name
    run.font.size = size
    run.font.bold = bold
    fonts = run._element.get_or_add_rPr().get_or_add_rFonts()
    fonts.set(qn("w:eastAsia"), name)
    fonts.set(qn("w:ascii"), "Times New Roman")
    fonts.set(qn("w:hAnsi"), "Times New Roman")


def _pitch(paragraph) -> None:
    layout = paragraph.paragraph_format
    layout.line_spacing_rule = WD_LINE_SPACING.EXACTLY
    layout.line_spacing = LINE_PITCH
    layout.space_before = layout.space_after = Pt(0)


def level(line: str) -> int:
    """0 for a body paragraph, else the heading level 1-3."""
    for number, pattern in ((1, HEADING_1), (2, HEADING_2), (3, HEADING_3)):
        if pattern.match(line):
            return number
    return 0


def _page_number(section) -> None:
    paragraph = section.footer.paragraphs[0]
    paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _font(paragraph.add_run("— "), "宋体", PAGE_NUMBER_SIZE)
    run = paragraph.add_run()
    _font(run, "宋体", PAGE_NUMBER_SIZE)
    for kind, text in (("begin", None), (None, "PAGE"), ("end", None)):
        if kind:
            element = OxmlElement("w:fldChar")
            element.set(qn("w:fldCharType"), kind)
        else:
            element = OxmlElement("w:instrText")
            element.set(qn("xml:space"), "preserve")
            element.text = text
        run._element.append(element)
    _font(paragraph.add_run(" —"), "宋体", PAGE_NUMBER_SIZE)


def _charts(word, charts) -> None:
    """附图 at the end: each chart as a picture 15 cm wide, its caption below."""
    for number, chart in enumerate(charts, start=1):
        picture = word.add_paragraph()
        picture.alignment = WD_ALIGN_PARAGRAPH.CENTER
        png = chartimage.bar_chart(chart.title, chart.labels, chart.values)
        picture.add_run().add_picture(io.BytesIO(png), width=Cm(15))
        caption = word.add_paragraph()
        caption.alignment = WD_ALIGN_PARAGRAPH.CENTER
        _pitch(caption)
        _font(caption.add_run(f"附图{number}  {chart.title}"), HEADING_FONTS[2], BODY_SIZE)


def build(document: Document, charts=()) -> WordDocument:
    word = WordDocument()
    section = word.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(37), Mm(35)
    section.left_margin, section.right_margin = Mm(28), Mm(26)
    _page_number(section)
    title = word.paragraphs[0] if word.paragraphs else word.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _pitch(title)
    title.paragraph_format.space_after = LINE_PITCH
    _font(title.add_run(document.title), TITLE_FONT, TITLE_SIZE)
    for line in document.lines:
        paragraph = word.add_paragraph()
        _pitch(paragraph)
        paragraph.paragraph_format.first_line_indent = BODY_SIZE * 2
        heading = level(line)
        if heading:
            _font(paragraph.add_run(line), HEADING_FONTS[heading], BODY_SIZE, bold=heading == 3)
        else:
            _font(paragraph.add_run(line), BODY_FONT, BODY_SIZE)
    _charts(word, charts)
    date_line = word.add_paragraph()
    _pitch(date_line)
    date_line.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    today = timezone.localdate()
    _font(date_line.add_run(f"{today.year}年{today.month}月{today.day}日"), BODY_FONT, BODY_SIZE)
    return word


def export(*, user, document: Document, asked, charts=()):
    """The .docx in an open temporary file, at its start; audited."""
    file = tempfile.TemporaryFile()  # noqa: SIM115 - closed by the response that streams it
    build(document, charts).save(file)
    file.seek(0)
    audit.record(
        user=user,
        action=AuditLog.Action.EXPORT,
        object_type="insights.summary",
        object_repr=document.title[:200],
        changes={"place": asked.place_code, "period": str(asked.period)},
        note=f"summary place={asked.place_code} period={asked.period}",
    )
    return file


def filename(document: Document) -> str:
    safe = "".join(c for c in document.title if c not in '\\/:*?"<>|')[:80] or "summary"
    return f"{safe}.docx"
