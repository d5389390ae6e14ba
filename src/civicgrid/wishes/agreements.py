"""A pairing's agreement file (共建协议): a PDF, a Word document or a scan,
its type read from its content (never from its name), kept under a name we
choose, and served only as a download with that type."""

import io
import zipfile

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import FileResponse
from django.utils.translation import gettext as _

MAX_BYTES = 10 * 1024 * 1024
TYPES = {
    "pdf": "application/pdf",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "jpg": "image/jpeg",
    "png": "image/png",
}


def kind_of(data: bytes) -> str | None:
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(io.BytesIO(data)) as archive:
                if "word/document.xml" in archive.namelist():
                    return "docx"
        except zipfile.BadZipFile:
            return None
    return None


def check(upload) -> tuple[bytes, str]:
    if upload.size > MAX_BYTES:
        raise ValidationError({"agreement": _("协议文件不能超过 10 MB。")})
    data = upload.read()
    kind = kind_of(data)
    if kind is None:
        raise ValidationError(
            {"agreement": _("协议文件应为 PDF、Word（docx）或 JPEG/PNG 扫描件。")}
        )
    return data, kind


def store(upload, field, *, stem: str) -> None:
    """Check ``upload`` and put it in ``field`` (not saved yet)."""
    data, kind = check(upload)
    field.save(f"{stem}.{kind}", ContentFile(data), save=False)


def download(field, *, stem: str) -> FileResponse:
    handle = field.open("rb")
    head = handle.read(1 << 16)
    handle.seek(0)
    kind = kind_of(head) if not head.startswith(b"PK") else "docx"
    kind = kind or "bin"
    response = FileResponse(
        handle,
        content_type=TYPES.get(kind, "application/octet-stream"),
        as_attachment=True,
        filename=f"{stem}.{kind}",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
