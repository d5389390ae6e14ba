"""The printable 人民调解协议书 (.docx, python-docx): the room and number,
the parties, the facts, the terms, how and when they are performed, and the
signature lines of the parties, the mediator and the room's seal, after the
model document of the People's Mediation Law (art. 29)."""

import io

from django.utils import timezone
from django.utils.translation import gettext as _
from docx import Document
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml.ns import qn
from docx.shared import Pt

from civicgrid.mediation.models import Agreement, Party

FONT = "SimSun"  # 宋体; Noto Serif CJK stands in where it is missing


def _text(document, text: str, *, size: int = 12, bold=False, centre=False):
    paragraph = document.add_paragraph()
    run = paragraph.add_run(text)
    run.font.size, run.bold = Pt(size), bold
    run.font.name = FONT
    run._element.rPr.rFonts.set(qn("w:eastAsia"), FONT)
    if centre:
        paragraph.alignment = WD_ALIGN_PARAGRAPH.CENTER
    return paragraph


def agreement_docx(agreement: Agreement) -> bytes:
    dispute = agreement.dispute
    document = Document()
    _text(document, agreement.room.name, size=14, centre=True)
    _text(document, _("人民调解协议书"), size=22, bold=True, centre=True)
    _text(document, agreement.number, size=12, centre=True)
    if agreement.version > 1:
        _text(
            document,
            _("本协议为更正版本,更正原因:%(reason)s") % {"reason": agreement.correction_reason},
        )
    for party in dispute.parties.order_by("role", "id"):
        label = party.get_role_display()
        details = [party.name]
        if party.id_number:
            details.append(_("身份证号 %(id)s") % {"id": party.id_number})
        if party.phone:
            details.append(_("电话 %(phone)s") % {"phone": party.phone})
        if party.address:
            details.append(_("住址 %(address)s") % {"address": party.address})
        _text(document, f"{label}:" + ",".join(details))
    _text(document, _("纠纷主要事实、争议事项:"), bold=True)
    _text(document, agreement.facts)
    _text(document, _("经调解,自愿达成如下协议:"), bold=True)
    _text(document, agreement.terms)
    if agreement.performance:
        _text(document, _("履行方式、期限:"), bold=True)
        _text(document, agreement.performance)
    _text(
        document,
        _(
            "本协议一式三份,双方当事人和人民调解委员会各持一份。"
            "经人民调解委员会调解达成的调解协议,具有法律约束力,当事人应当按照约定履行。"
        ),
    )
    for role in (Party.Role.APPLICANT, Party.Role.RESPONDENT):
        for party in dispute.parties.filter(role=role).order_by("id"):
            _text(
                document,
                _("%(role)s(签名):____________  日期:____年__月__日")
                % {"role": party.get_role_display()},
            )
    _text(document, _("调解员(签名):____________"))
    _text(document, _("%(room)s(盖章)") % {"room": agreement.room.name})
    signed = agreement.signed_at or timezone.now()
    _text(document, f"{timezone.localtime(signed):%Y-%m-%d}")
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()
