import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicgrid.cases.duplicates import nearby_open
from civicgrid.cases.models import Case
from civicgrid.cases.photos import prepare
from civicgrid.cases.services import case_report


def report(fire_lane, rider, **kw):
    fields = {
        "channel": "mobile",
        "category": fire_lane,
        "description": "通道被占",
        "reporter": rider,
        "lat": 29.65,
        "lon": 91.15,
        "answers": {"blocked_by": "car"},
    }
    fields.update(kw)
    return case_report(**fields)


def test_position_finds_the_grid(fire_lane, rider, places):
    case, created = report(fire_lane, rider)
    assert created and case.place == places["grid_a"] and case.place_code == "540102001001001"
    case_b, _ = report(fire_lane, rider, lon=91.25)
    assert case_b.place == places["grid_b"]


def test_idempotent_retry_creates_one_case(fire_lane, rider, places):
    first, created = report(fire_lane, rider, place=places["grid_a"], client_key="abc-1")
    again, created_again = report(fire_lane, rider, place=places["grid_a"], client_key="abc-1")
    assert created and not created_again and first.pk == again.pk
    assert Case.objects.count() == 1


def test_bad_input_reports_every_field_and_writes_nothing(fire_lane, rider):
    with pytest.raises(ValidationError) as caught:
        report(
            fire_lane,
            rider,
            description=" ",
            answers={"blocked_by": "boat", "x": 1},
            lat=95.0,
            reporter_phone="123",
        )
    errors = caught.value.message_dict
    assert {
        "description",
        "attribute[blocked_by]",
        "attribute[x]",
        "location",
        "reporter_phone",
    } <= set(errors)
    assert Case.objects.count() == 0


def test_location_outside_every_grid(fire_lane, rider):
    with pytest.raises(ValidationError, match="不在本平台"):
        report(fire_lane, rider, lat=10.0, lon=10.0)


def test_staff_web_intake_is_bound_to_scope(fire_lane, personas, places):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        report(fire_lane, personas["staff_a"], channel="web", place=places["grid_b"])


def test_photo_loses_exif_in_published_copies(fire_lane, rider, places, photo_upload):
    case, _ = report(fire_lane, rider, place=places["grid_a"], photos=[prepare(photo_upload)])
    photo = case.photos.get()
    for field in (photo.image, photo.thumbnail):
        with Image.open(field.path) as published:
            assert not published.getexif(), field.name
    with Image.open(photo.original.path) as original:
        assert 0x8825 in original.getexif()


def test_photo_checks():
    with pytest.raises(ValidationError, match="照片"):
        prepare(SimpleUploadedFile("x.jpg", b"not an image"))
    gif = io.BytesIO()
    Image.new("RGB", (4, 4)).save(gif, "GIF")
    with pytest.raises(ValidationError, match="GIF"):
        prepare(SimpleUploadedFile("x.gif", gif.getvalue()))


def test_nearby_duplicates(fire_lane, rider, places):
    first, _ = report(fire_lane, rider, place=places["grid_a"])
    near = nearby_open(category=fire_lane, lat=29.6503, lon=91.15)  # about 33 m north
    far = nearby_open(category=fire_lane, lat=29.651, lon=91.15)  # about 110 m
    assert [c.pk for c, _ in near] == [first.pk] and 30 < near[0][1] < 40
    assert far == []
