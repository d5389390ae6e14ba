"""Every photo upload goes through here: its type is read from its content
(never from its name or the browser's word), only JPEG, PNG and WebP are
taken, published copies are re-encoded without EXIF (no GPS position leaks),
and files are served with the type they really have, never as HTML, SVG or XML.

A file named ``evidence.html`` that is a real PNG is stored and served as
``.png`` / ``image/png``; one that is not an image is refused.

A form refused for another field keeps the photos it was given: a browser
cannot refill a file input, so the page carries a signed token of the held
files instead (``hold`` / ``held``) and the worker need not pick them again."""

import io
import re
import time
import uuid
from dataclasses import dataclass
from pathlib import Path

from django import forms
from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import FileResponse
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

# Pillow's format name: (content type, file extension).
FORMATS = {
    "JPEG": ("image/jpeg", "jpg"),
    "PNG": ("image/png", "png"),
    "WEBP": ("image/webp", "webp"),
}
# What a file picker offers: a phone's camera with "image/*"; the server
# decides from the content whatever the browser says.
ACCEPT = "image/*"
MAX_SIDE = 2048
THUMB_SIDE = 320
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding
_UNKNOWN = ("application/octet-stream", "bin")


@dataclass
class PreparedPhoto:
    kind: str  # Pillow's format name, one of FORMATS
    original: bytes
    image: bytes
    thumbnail: bytes

    @property
    def extension(self) -> str:
        return FORMATS[self.kind][1]


def prepare(upload) -> PreparedPhoto:
    """Check and convert one uploaded file; nothing is written yet."""
    if upload.size > settings.PHOTO_MAX_BYTES:
        raise ValidationError(
            _("照片不能超过 %(mb)d MB。") % {"mb": settings.PHOTO_MAX_BYTES // (1024 * 1024)}
        )
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as probe:
            kind = probe.format
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("照片尺寸过大。"))
            probe.verify()
        with Image.open(io.BytesIO(data), formats=list(FORMATS)) as picture:
            picture = ImageOps.exif_transpose(picture).convert("RGB")
            image = _jpeg(picture, MAX_SIDE)
            thumbnail = _jpeg(picture, THUMB_SIDE)
    except UnidentifiedImageError:
        raise ValidationError(_refusal(data)) from None
    except (OSError, Image.DecompressionBombError, SyntaxError):
        raise ValidationError(_("文件不是可识别的照片（支持 JPEG、PNG、WebP）。")) from None
    return PreparedPhoto(kind=kind, original=data, image=image, thumbnail=thumbnail)


def _refusal(data: bytes) -> str:
    """Why a file that is none of FORMATS is refused: name another image
    format (reading its header only), else say it is no photo."""
    try:
        with Image.open(io.BytesIO(data)) as other:
            return _("不支持的照片格式：%(kind)s。") % {"kind": other.format}
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        return _("文件不是可识别的照片（支持 JPEG、PNG、WebP）。")


def _jpeg(picture: Image.Image, side: int) -> bytes:
    copy = picture.copy()
    copy.thumbnail((side, side))
    out = io.BytesIO()
    # A fresh encode writes no EXIF block unless asked to.
    copy.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def store(prepared: PreparedPhoto, *, stem: str, image, thumbnail=None, original=None) -> None:
    """Write the prepared files into a model's file fields (not saved yet):
    the copies as ``stem.jpg``, the original under its detected extension."""
    image.save(f"{stem}.jpg", ContentFile(prepared.image), save=False)
    if thumbnail is not None:
        thumbnail.save(f"{stem}.jpg", ContentFile(prepared.thumbnail), save=False)
    if original is not None:
        original.save(f"{stem}.{prepared.extension}", ContentFile(prepared.original), save=False)


def copy_response(file) -> FileResponse:
    """A published copy (always a JPEG we encoded), shown in the page."""
    return _sealed(FileResponse(file.open("rb"), content_type="image/jpeg"))


def original_response(file, *, stem: str) -> FileResponse:
    """An original as uploaded: typed by its content (files stored before
    uploads were checked keep whatever name they came with), and always a
    download, never rendered in the browser."""
    handle = file.open("rb")
    content_type, extension = _detected(handle)
    response = FileResponse(
        handle, content_type=content_type, as_attachment=True, filename=f"{stem}.{extension}"
    )
    return _sealed(response)


def _detected(handle) -> tuple[str, str]:
    try:
        with Image.open(handle, formats=list(FORMATS)) as probe:
            found = FORMATS.get(probe.format, _UNKNOWN)
    except (UnidentifiedImageError, OSError):
        found = _UNKNOWN
    handle.seek(0)
    return found


def _sealed(response: FileResponse) -> FileResponse:
    response["X-Content-Type-Options"] = "nosniff"
    # Even if a browser were to render it, nothing in it may run or load.
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


# Held photos: the checked upload, kept a day under a random name.
HELD_SALT = "civicgrid.lib.photos.held"
HELD_MAX_AGE = 24 * 3600
_HELD_NAME = re.compile(r"[0-9a-f]{32}")


def _held_dir() -> Path:
    folder = Path(settings.DATA_DIR) / "held-photos"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def hold(prepared: list[PreparedPhoto]) -> str:
    """Keep checked photos of a refused form; the signed token names them."""
    folder = _held_dir()
    expired = time.time() - HELD_MAX_AGE
    for old in folder.iterdir():
        if old.stat().st_mtime < expired:
            old.unlink(missing_ok=True)
    names = []
    for item in prepared:
        name = uuid.uuid4().hex
        (folder / name).write_bytes(item.original)
        names.append(name)
    return signing.dumps(names, salt=HELD_SALT)


def held(token: str) -> list[PreparedPhoto]:
    """The photos a token names, checked again as at upload."""
    gone = ValidationError(_("保留的照片已失效，请重新选择。"))
    try:
        names = signing.loads(token, salt=HELD_SALT, max_age=HELD_MAX_AGE)
    except signing.BadSignature:
        raise gone from None
    folder = _held_dir()
    photos = []
    for name in names if isinstance(names, list) else []:
        path = folder / str(name)
        if not _HELD_NAME.fullmatch(str(name)) or not path.is_file():
            raise gone
        photos.append(prepare(SimpleUploadedFile(name, path.read_bytes())))
    return photos


class Held(str):
    """The token of held photos, as a photo widget's value."""


def _held_token(value) -> tuple[str, int]:
    """(token, count) for what a photo widget shows again: photos it
    checked in this request are held now; a held token is passed on."""
    if isinstance(value, Held):
        try:
            names = signing.loads(value, salt=HELD_SALT, max_age=HELD_MAX_AGE)
        except signing.BadSignature:
            return "", 0
        return str(value), len(names)
    uploads = value if isinstance(value, list | tuple) else [value]
    prepared = [getattr(upload, "civicgrid_prepared", None) for upload in uploads if upload]
    if not prepared or None in prepared:
        return "", 0
    return hold(prepared), len(prepared)


class _HoldingInput:
    """A file input that shows photos held from the last try and sends their
    token back (``<name>__held``) when no new file is chosen."""

    template_name = "web/widgets/photo_input.html"

    def value_from_datadict(self, data, files, name):
        value = super().value_from_datadict(data, files, name)
        token = data.get(f"{name}__held")
        if not value and token:
            return Held(token)
        return value

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)
        context["widget"]["held"], context["widget"]["held_count"] = _held_token(value)
        return context


class PhotoInput(_HoldingInput, forms.FileInput):
    pass


class MultipleFileInput(forms.FileInput):
    allow_multiple_selected = True


class MultiplePhotoInput(_HoldingInput, MultipleFileInput):
    pass


class _HoldingField(forms.FileField):
    # Django shows a file field its initial value only; these show what came
    # in, so the widget can hold it.
    def bound_data(self, data, initial):
        return data or initial


def _prepared(upload) -> PreparedPhoto:
    photo = prepare(upload)
    upload.civicgrid_prepared = photo  # held if the form is refused for another field
    return photo


class PhotoField(_HoldingField):
    """One optional photo, checked and prepared when the form is cleaned:
    cleaned_data holds a PreparedPhoto or None."""

    widget = PhotoInput(attrs={"accept": ACCEPT, "capture": "environment"})

    def clean(self, data, initial=None):
        if isinstance(data, Held):
            photos = held(data)
            return photos[0] if photos else None
        upload = super().clean(data, initial)
        return _prepared(upload) if upload else None


class PhotosField(_HoldingField):
    """Up to ``max_count`` photos, each checked and prepared when the form is
    cleaned, so a bad file is refused before anything is saved."""

    widget = MultiplePhotoInput(
        attrs={"accept": ACCEPT, "capture": "environment", "multiple": True}
    )

    def __init__(self, *args, max_count: int, **kwargs):
        self.max_count = max_count
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if isinstance(data, Held):
            return held(data)[: self.max_count]
        files = [f for f in (data or []) if f]
        if len(files) > self.max_count:
            raise ValidationError(_("最多上传%(n)d张照片。") % {"n": self.max_count})
        prepared, errors = [], []
        for upload in files:
            try:
                prepared.append(_prepared(upload))
            except ValidationError as exc:
                errors += [f"{upload.name}:{message}" for message in exc.messages]
        if errors:
            raise ValidationError(errors)
        return prepared
