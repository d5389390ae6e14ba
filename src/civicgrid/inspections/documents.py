"""The printable rectification order (责令整改通知书) as .docx, laid out after
GB/T 9704: the issuing body, the document number, the addressee, the facts
found, the legal wording, the deadline and the signature lines."""

import io

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
ISSUER = getattr(settings, "INSPECTIONS_ISSUER", "") or "拉萨市城关区市场监督管理局"


def _run(paragraph, text: str, *, size: int = 16, bold: bool = False, font: str = "仿宋_GB2312"):
    run = paragraph.add_run(text)
    run.font.size = Pt(size)
    run.font.bold = bold
    run.font.name = font
    run._element.rPr.rFonts.set(qn("w:eastAsia"), font)
    return run


def order_docx(order) -> bytes:
    """The order as a Word document, ready to print and hand over."""
    business = order.business
    document = Document()
    title = document.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(title, ISSUER, size=22, bold=True, font="方正小标宋简体")
    heading = document.add_paragraph()
    heading.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(heading, _("责令整改通知书"), size=22, bold=True, font="方正小标宋简体")
    number = document.add_paragraph()
    number.alignment = WD_ALIGN_PARAGRAPH.CENTER
    _run(number, _("文书编号：%(number)s") % {"number": order.number})
    addressee = document.add_paragraph()
    _run(addressee, f"{business.name}:")
    found = document.add_paragraph()
    issued = timezone.localtime(order.issued_at)
    _run(
        found,
        _(
            "    经查,你单位(统一社会信用代码:%(code)s,经营地址:%(address)s)"
            "于%(date)s接受检查时存在下列问题:"
        )
        % {
            "code": business.credit_code,
            "address": business.address,
            "date": f"{issued:%Y年%m月%d日}",
        },
    )
    for index, finding in enumerate(order.findings.all(), start=1):
        line = document.add_paragraph()
        text = f"    {index}. {finding.label}"
        if finding.note:
            text += f":{finding.note}"
        _run(line, text)
    law = document.add_paragraph()
    _run(
        law,
        _(
            "    上述行为违反了《中华人民共和国食品安全法》《中华人民共和国药品管理法》"
            "《中华人民共和国特种设备安全法》《中华人民共和国计量法》《中华人民共和国价格法》"
            "等法律法规的相关规定。依据《市场监督管理行政处罚程序规定》,现责令你单位于"
            "%(due)s前改正上述问题,并将整改情况书面报告我局。逾期不改正的,"
            "我局将依法立案查处。"
        )
        % {"due": f"{order.due_on:%Y年%m月%d日}"},
    )
    rights = document.add_paragraph()
    _run(
        rights,
        _("    如不服本通知,可在收到本通知书之日起六十日内依法申请行政复议,"
          "或者在六个月内依法提起行政诉讼。"),
    )  # fmt: skip
    inspection = order.inspection
    inspectors = [inspection.inspector_a, inspection.inspector_b]
    names = "、".join(str(u) for u in inspectors if u is not None)
    signers = document.add_paragraph()
    _run(signers, _("执法人员：%(names)s") % {"names": names})
    receipt = document.add_paragraph()
    _run(receipt, _("当事人签收：                    日期："))
    stamp = document.add_paragraph()
    stamp.alignment = WD_ALIGN_PARAGRAPH.RIGHT
    _run(stamp, f"{ISSUER}(印章)\n{issued:%Y年%m月%d日}")
    buffer = io.BytesIO()
    document.save(buffer)
    return buffer.getvalue()
