"""Case photos: checked, re-encoded without EXIF (no GPS position leaks from a
published copy), thumbnailed. The upload itself is kept for staff."""

import io
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.utils.translation import gettext as _
from PIL import Image, ImageOps, UnidentifiedImageError

from civicgrid.cases.models import Photo

ACCEPTED_FORMATS = {"JPEG", "PNG", "WEBP"}
MAX_SIDE = 2048
THUMB_SIDE = 320
MAX_PIXELS = 40_000_000  # refuse decompression bombs before decoding


@dataclass
class PreparedPhoto:
    name: str
    original: bytes
    image: bytes
    thumbnail: bytes


def prepare(upload) -> PreparedPhoto:
    """Check and convert one uploaded file; nothing is written yet."""
    if upload.size > settings.PHOTO_MAX_BYTES:
        raise ValidationError(
            _("照片不能超过 %(mb)d MB。") % {"mb": settings.PHOTO_MAX_BYTES // (1024 * 1024)}
        )
    data = upload.read()
    try:
        with Image.open(io.BytesIO(data)) as probe:
            kind = probe.format
            if probe.width * probe.height > MAX_PIXELS:
                raise ValidationError(_("照片尺寸过大。"))
            probe.verify()
        with Image.open(io.BytesIO(data)) as picture:
            picture = ImageOps.exif_transpose(picture).convert("RGB")
            image = _jpeg(picture, MAX_SIDE)
            thumbnail = _jpeg(picture, THUMB_SIDE)
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError, SyntaxError):
        raise ValidationError(_("文件不是可识别的照片(支持 JPEG、PNG、WebP)。")) from None
    if kind not in ACCEPTED_FORMATS:
        raise ValidationError(_("不支持的照片格式:%(kind)s。") % {"kind": kind})
    return PreparedPhoto(
        name=getattr(upload, "name", "photo") or "photo",
        original=data,
        image=image,
        thumbnail=thumbnail,
    )


def _jpeg(picture: Image.Image, side: int) -> bytes:
    copy = picture.copy()
    copy.thumbnail((side, side))
    out = io.BytesIO()
    # A fresh encode writes no EXIF block unless asked to.
    copy.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


def attach(*, case, event, prepared: list[PreparedPhoto], user) -> list[Photo]:
    photos = []
    for item in prepared:
        photo = Photo(case=case, event=event, uploaded_by=user if user and user.pk else None)
        stem = photo.key.hex
        suffix = item.name.rsplit(".", 1)[-1].lower()[:5] if "." in item.name else "bin"
        photo.original.save(f"{stem}.{suffix}", ContentFile(item.original), save=False)
        photo.image.save(f"{stem}.jpg", ContentFile(item.image), save=False)
        photo.thumbnail.save(f"{stem}.jpg", ContentFile(item.thumbnail), save=False)
        photo.save()
        photos.append(photo)
    return photos
