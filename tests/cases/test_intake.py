import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from civicgrid.cases.duplicates import nearby_open
from civicgrid.cases.models import Case
from civicgrid.cases.services import case_report
from civicgrid.lib.photos import prepare


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


def test_a_retry_returns_its_case_even_if_it_would_now_be_refused(fire_lane, rider, places):
    first, _ = report(fire_lane, rider, place=places["grid_a"], client_key="abc-2")
    # The same key, input that no longer passes (or another place): the
    # first case still answers, as a look-up before validation would.
    again, created = report(fire_lane, rider, description=" ", lat=10.0, client_key="abc-2")
    assert not created and again.pk == first.pk
    assert Case.objects.count() == 1
    with pytest.raises(ValidationError):
        report(fire_lane, rider, description=" ", client_key="abc-3")


def test_racing_copies_of_one_submission_make_one_case(fire_lane, rider, places, monkeypatch):
    """The second copy finds the key taken when it writes, not before."""
    from civicgrid.cases import services

    first, _ = report(fire_lane, rider, place=places["grid_a"], client_key="abc-4")
    looked_up = []
    real = services._reported
    monkeypatch.setattr(services, "_reported", lambda key: looked_up.append(key) or real(key))
    again, created = report(fire_lane, rider, place=places["grid_a"], client_key="abc-4")
    assert not created and again.pk == first.pk and looked_up == [first.intake_key]
    assert Case.objects.count() == 1 and first.events.count() == 1


def test_a_first_report_reads_nothing_it_has_in_memory(fire_lane, rider, places):
    """Category, questions, deadline and grid come from memory once warm:
    the report is its writes, the staff to notify and the roll-up."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    report(fire_lane, rider)  # warm: the grid index and the catalogue
    with CaptureQueriesContext(connection) as captured:
        case, created = report(fire_lane, rider, client_key="abc-5")
    assert created
    reads = [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith("SELECT")]
    for table in ("cases_category", "cases_question", "cases_deadline", "registry_place"):
        assert not any(f'FROM "{table}"' in sql for sql in reads), table
    assert not any('"intake_key" =' in sql for sql in reads)


def test_deadline_and_question_changes_apply_at_once(fire_lane, rider, places):
    from datetime import timedelta

    from civicgrid.cases.models import Deadline, Question

    case, _ = report(fire_lane, rider)
    assert case.due_at - case.reported_at == timedelta(hours=48)
    Deadline.objects.filter(category=fire_lane).update(close_hours=10)  # no signal
    Deadline.objects.get(category=fire_lane).save()  # the admin saves: a signal
    quicker, _ = report(fire_lane, rider)
    assert quicker.due_at - quicker.reported_at == timedelta(hours=10)
    Question.objects.filter(category=fire_lane, code="blocked_by").delete()
    with pytest.raises(ValidationError, match="没有这个问题"):
        report(fire_lane, rider)
    assert report(fire_lane, rider, answers={})[1]


def test_an_inactive_category_is_refused_as_before(fire_lane, rider):
    fire_lane.active = False
    fire_lane.save()
    with pytest.raises(ValidationError) as caught:
        report(fire_lane, rider)
    assert "category" in caught.value.message_dict
