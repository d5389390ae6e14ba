"""Objects for tests of any package, made the way the application makes them.

Public helpers only: a test of one package builds what it needs from here
(or from its own conftest), never from another package's private helpers."""

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from civicgrid.access.models import User
from civicgrid.lib import photos
from civicgrid.registry.models import Place


def square(west, south, east, north) -> dict:
    ring = [[west, south], [east, south], [east, north], [west, north], [west, south]]
    return {"type": "Polygon", "coordinates": [ring]}


# Upper levels share one large square; grid A holds (29.65 N, 91.15 E), grid B lies east.
SQUARE = square(91.0, 29.5, 91.4, 29.8)
SQUARE_A = square(91.1, 29.6, 91.2, 29.7)
SQUARE_B = square(91.2, 29.6, 91.3, 29.7)
ID_A = "540102195103021231"
ID_B = "540102198807150027"
# A safe zone: a small square in grid A (29.64–29.66 N, 91.14–91.16 E).
ZONE = square(91.14, 29.64, 91.16, 29.66)
SCHOOL_DAYS = [{"days": [0, 1, 2, 3, 4], "from": "08:00", "to": "16:30"}]
# A point inside each side's grid.
POINT = {"a": (29.65, 91.15), "b": (29.65, 91.25)}


def make_place(code, name, level, parent=None, boundary=SQUARE) -> Place:
    return Place.objects.create(
        code=code,
        name=name,
        level=level,
        parent=parent,
        boundary=boundary,
        centroid_lat=29.65,
        centroid_lon=91.15,
    )


def make_user(username, role, **fields) -> User:
    """An account with the password "pw" (the suite's hasher is fast)."""
    account = User(username=username, role=role, display_name=username, **fields)
    account.set_password("pw")
    account.save()
    return account


def jpeg_with_gps() -> bytes:
    """A JPEG carrying an EXIF GPS block, as phones write them."""
    image = Image.new("RGB", (64, 48), "red")
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (29.0, 39.0, 0.0), 3: "E", 4: (91.0, 8.0, 0.0)}
    exif[0x010F] = "PhoneMaker"
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif)
    return out.getvalue()


def photo_upload(name: str = "scene.jpg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, jpeg_with_gps(), content_type="image/jpeg")


def prepared_photo() -> photos.PreparedPhoto:
    """A photo as a service takes it (checked and re-encoded by lib.photos)."""
    return photos.prepare(photo_upload())


def device_message(msg_id, kind="position", at=None, **fields) -> dict:
    """A device's message as it arrives over MQTT (DESIGN.md, Devices)."""
    at = at or timezone.now()
    return {"msg_id": msg_id, "ts": at.isoformat(), "type": kind, **fields}


def give(volunteer, amount, *, key=None):
    """Issue points to a volunteer from the community's issuing account."""
    from civicgrid.ledger.models import Transfer
    from civicgrid.volunteers import ledger

    return ledger.points_transfer(
        from_account=ledger.issuing_account(volunteer.community),
        to_account=ledger.volunteer_account(volunteer),
        amount=amount,
        kind=Transfer.Kind.EARN,
        reason="测试发放",
        key=key or f"test:{volunteer.pk}:{Transfer.objects.count()}",
    )


def consent(volunteer) -> str:
    """The code the volunteer shows at the counter (from their own page)."""
    from civicgrid.volunteers.exchange import redemption_code_issue

    code, _record = redemption_code_issue(volunteer=volunteer, actor=volunteer.user)
    return code
