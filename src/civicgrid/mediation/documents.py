"""The printable 人民调解协议书 as a .docx: the room and number, the parties,
the facts, the terms, how and when they are performed, and the signature
lines of the parties, the mediator and the room's seal, after the model
document of the People's Mediation Law (art. 29).

Written as WordprocessingML by hand (a .docx is a zip of three XML parts)
rather than with python-docx: python-docx brings lxml, and openpyxl switches
to lxml whenever it is importable, which changes how our spreadsheets are
read and written (civicgrid.lib.xlsx, the imports' defusedxml parsing).
"""

import io
import zipfile
from xml.sax.saxutils import escape

from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.mediation.models import Agreement, Party

FONT = "SimSun"  # 宋体; Noto Serif CJK stands in where it is missing
XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
OOXML = "application/vnd.openxmlformats-"
PACKAGE = "http://schemas.openxmlformats.org/package/2006"
MAIN = f"{OOXML}officedocument.wordprocessingml.document.main+xml"
OFFICE_DOCUMENT = (
    "http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
)
CONTENT_TYPES = (
    f'{XML}<Types xmlns="{PACKAGE}/content-types">'
    f'<Default Extension="rels" ContentType="{OOXML}package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/word/document.xml" ContentType="{MAIN}"/></Types>'
)
RELATIONSHIPS = (
    f'{XML}<Relationships xmlns="{PACKAGE}/relationships">'
    f'<Relationship Id="rId1" Type="{OFFICE_DOCUMENT}" Target="word/document.xml"/>'
    "</Relationships>"
)
W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
# Characters XML 1.0 cannot carry at all (a party's name pasted with a
# control character): dropped rather than making a file Word refuses.
_UNWRITABLE = dict.fromkeys(c for c in range(32) if c not in (9, 10, 13))


def _paragraph(text: str, *, size: int = 12, bold: bool = False, centre: bool = False) -> str:
    """One paragraph; a line break in ``text`` stays a line break."""
    props = f'<w:rFonts w:ascii="{FONT}" w:hAnsi="{FONT}" w:eastAsia="{FONT}"/>'
    props += ("<w:b/>" if bold else "") + f'<w:sz w:val="{size * 2}"/>'
    lines = str(text).translate(_UNWRITABLE).splitlines() or [""]
    runs = "<w:br/>".join(f'<w:t xml:space="preserve">{escape(line)}</w:t>' for line in lines)
    align = '<w:pPr><w:jc w:val="center"/></w:pPr>' if centre else ""
    return f"<w:p>{align}<w:r><w:rPr>{props}</w:rPr>{runs}</w:r></w:p>"


def _document(paragraphs: list[str]) -> str:
    body = "".join(paragraphs)
    page = '<w:sectPr><w:pgSz w:w="11906" w:h="16838"/><w:pgMar w:top="2098" w:right="1474" w:bottom="1984" w:left="1588" w:header="851" w:footer="992" w:gutter="0"/></w:sectPr>'  # noqa: E501 - A4, GB/T 9704 margins
    return f'{XML}<w:document xmlns:w="{W}"><w:body>{body}{page}</w:body></w:document>'


def agreement_paragraphs(agreement: Agreement) -> list[str]:
    """The agreement's text, paragraph by paragraph (what the .docx holds)."""
    dispute = agreement.dispute
    out = [agreement.room.name, _("人民调解协议书"), agreement.number]
    if agreement.version > 1:
        out.append(
            _("本协议为更正版本，更正原因：%(reason)s") % {"reason": agreement.correction_reason}
        )
    parties = list(dispute.parties.order_by("role", "id"))
    for party in parties:
        details = [party.name]
        if party.id_number:
            details.append(_("身份证号 %(id)s") % {"id": party.id_number})
        if party.phone:
            details.append(_("电话 %(phone)s") % {"phone": party.phone})
        if party.address:
            details.append(_("住址 %(address)s") % {"address": party.address})
        out.append(f"{party.get_role_display()}:" + ",".join(details))
    out += [
        _("纠纷主要事实、争议事项："),
        agreement.facts,
        _("经调解，自愿达成如下协议："),
        agreement.terms,
    ]
    if agreement.performance:
        out += [_("履行方式、期限："), agreement.performance]
    out.append(
        _(
            "本协议一式三份,双方当事人和人民调解委员会各持一份。"
            "经人民调解委员会调解达成的调解协议,具有法律约束力,当事人应当按照约定履行。"
        )
    )
    for role in (Party.Role.APPLICANT, Party.Role.RESPONDENT):
        for party in parties:
            if party.role == role:
                out.append(
                    _("%(role)s（签名）：____________  日期：____年__月__日")
                    % {"role": party.get_role_display()}
                )
    out.append(_("调解员（签名）：____________"))
    out.append(_("%(room)s（盖章）") % {"room": agreement.room.name})
    signed = agreement.signed_at or timezone.now()
    out.append(f"{timezone.localtime(signed):%Y-%m-%d}")
    return out


HEADINGS = {0: {"size": 14, "centre": True}, 1: {"size": 22, "bold": True, "centre": True}}


def agreement_docx(agreement: Agreement) -> bytes:
    texts = agreement_paragraphs(agreement)
    paragraphs = [
        _paragraph(text, **HEADINGS.get(i, {"centre": i == 2})) for i, text in enumerate(texts)
    ]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", CONTENT_TYPES)
        archive.writestr("_rels/.rels", RELATIONSHIPS)
        archive.writestr("word/document.xml", _document(paragraphs))
    return out.getvalue()
