"""Case fixtures other packages' tests use too (registered in tests/conftest.py):
a public category with a required question and a deadline, a rider, a case
in grid A, and a photo upload."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from civicgrid.access.roles import Role
from civicgrid.cases.models import Category, Channel, Deadline, Question
from civicgrid.cases.services import case_report
from tests.factories import jpeg_with_gps, make_user


@pytest.fixture
def fire_lane(fire):
    category = Category.objects.create(
        code="fire_lane",
        name="消防通道占用",
        group="安全隐患",
        keywords="消防,通道",
        fixable_on_spot=True,
        public=True,
    )
    category.departments.add(fire)
    Deadline.objects.create(
        category=category, priority="normal", checkin_hours=2, handle_hours=24, close_hours=48
    )
    Question.objects.create(
        category=category,
        code="blocked_by",
        label="占用物",
        datatype="singlevaluelist",
        required=True,
        choices=[{"key": "car", "name": "车辆"}, {"key": "goods", "name": "杂物"}],
    )
    return category


@pytest.fixture
def rider(places):
    return make_user("rider", Role.MOBILE_GRID_WORKER, scope_place=places["district"])


@pytest.fixture
def case_a(personas, fire_lane, places, rider):
    case, _ = case_report(
        channel=Channel.MOBILE,
        category=fire_lane,
        description="消防通道被车辆占用",
        reporter=rider,
        lat=29.65,
        lon=91.15,
        place=places["grid_a"],
        answers={"blocked_by": "car"},
    )
    return case


@pytest.fixture
def photo_upload():
    return SimpleUploadedFile("scene.jpg", jpeg_with_gps(), content_type="image/jpeg")
