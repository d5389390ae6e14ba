"""Open311 publishes only what may be public: cases from every channel, in a
public and a private category, with personal data planted in every text
field, read anonymously on every public route (list, single, token, media;
JSON and XML). Nothing personal may come out, private cases not at all, and
the XML must parse whatever was stored."""

import json
from xml.etree import ElementTree as ET

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from civicgrid.access.models import AuditLog
from civicgrid.cases import publication
from civicgrid.cases.models import Case, Category, Channel, Question
from civicgrid.cases.services import case_publish, case_report
from civicgrid.cases.workflow import case_move
from civicgrid.lib.photos import prepare
from civicgrid.lib.public_text import blank_personal_numbers, public_address, public_point
from tests.cases.test_open311 import BASE, FORMATS
from tests.factories import ID_A, jpeg_with_gps

NAME = "扎西顿珠"
PHONE = "13908912345"
HEAD = "顿珠"  # the household head's name (tests.conftest)
ROOM = "8817"
PLATE = "藏A7K3Q9"
NOTE_PHONE = "13908954321"
SECRETS = [NAME, HEAD, PHONE, "139****2345", ID_A, "5401**********1231", ROOM, PLATE, NOTE_PHONE]
SECRETS += ["卓玛", "5401020010010010001", "\x07"]
DESCRIPTION = f"{NAME}家漏水\x07,电话{PHONE},身份证{ID_A},住3单元{ROOM}室"
ADDRESS = f"泽新路1号3单元{ROOM}室{NAME}家"


@pytest.fixture
def private_category(db):
    return Category.objects.create(code="elderly_help", name="养老帮扶", group="民生服务")


@pytest.fixture
def plate_question(fire_lane):
    Question.objects.create(category=fire_lane, code="plate", label="车牌", datatype="string")


def _make(channel, category, reporter, household, photo, **extra) -> Case:
    case, _ = case_report(
        channel=channel,
        category=category,
        description=DESCRIPTION,
        reporter=reporter,
        lat=29.651234,
        lon=91.151234,
        address=ADDRESS,
        answers={"blocked_by": "car", "plate": PLATE} if category.code == "fire_lane" else {},
        reporter_name=NAME,
        reporter_phone=PHONE,
        household=household,
        photos=[photo],
        **extra,
    )
    return case


@pytest.fixture
def every_channel(fire_lane, plate_question, private_category, registry, personas):
    """One case per channel in the public category and one in a private one;
    the public-channel ones each reach a stage where staff wrote something."""
    staff = personas["staff_a"]
    upload = SimpleUploadedFile("scene.jpg", jpeg_with_gps(), content_type="image/jpeg")
    photo = prepare(upload)
    made = {"public": [], "private": []}
    for channel in Channel.values:
        for category in (fire_lane, private_category):
            case = _make(
                channel,
                category,
                staff,
                registry["household_a"],
                photo,
                description_public=True,  # even a reporter's consent...
            )
            case_move(case=case, action="comment", actor=staff, note=f"联系卓玛 {NOTE_PHONE}")
            publishable = channel in publication.PUBLIC_CHANNELS and category.public
            made["public" if publishable else "private"].append(case)
    rejected = made["public"][0]
    case_move(case=rejected, action="reject", actor=staff, note=f"{NAME}已搬走 {NOTE_PHONE}")
    return made


def _text(response) -> str:
    return response.content.decode()


def _parsed(response, fmt):
    if fmt == "json":
        return json.loads(response.content)
    return ET.fromstring(response.content)  # noqa: S314 (our own server's output)


def _numbers(response, fmt) -> list[str]:
    body = _parsed(response, fmt)
    if fmt == "json":
        return [row["service_request_id"] for row in body]
    return [item.findtext("service_request_id") for item in body]


def _assert_nothing_personal(response):
    text = _text(response)
    leaked = [secret for secret in SECRETS if secret in text]
    assert not leaked, (leaked, text[:2000])


@pytest.mark.parametrize("fmt", FORMATS)
def test_every_public_route_publishes_only_public_summaries(every_channel, fmt):
    public, private = every_channel["public"], every_channel["private"]
    assert {c.channel for c in public} == publication.PUBLIC_CHANNELS
    client = Client()
    for params in ({}, {"status": "open,closed"}, {"service_code": "fire_lane,elderly_help"}):
        listed = client.get(f"{BASE}/requests.{fmt}", params)
        assert listed.status_code == 200
        _assert_nothing_personal(listed)
        assert sorted(_numbers(listed, fmt)) == sorted(c.number for c in public)
    for case in public + private:
        ids = {"service_request_id": case.number}
        routes = [f"requests/{case.number}.{fmt}", f"tokens/{case.number}.{fmt}"]
        answers = [client.get(f"{BASE}/requests.{fmt}", ids)]
        answers += [client.get(f"{BASE}/{route}") for route in routes]
        for response in answers:
            _assert_nothing_personal(response)
            _parsed(response, fmt)  # JSON and XML alike parse, errors included
        single, token = answers[1], answers[2]
        if case in private:
            assert _numbers(answers[0], fmt) == []
            assert single.status_code == token.status_code == 404
        else:
            assert single.status_code == 200
            assert token.status_code == (200 if case.channel == Channel.OPEN311 else 404)
        for photo in case.photos.all():
            media = client.get(f"/open311/v2/media/{photo.key}.jpg")
            # The reporter consented: a public case's report photo is published.
            assert media.status_code == (200 if case in public else 404)


def test_the_summary_is_rounded_cut_and_blanked(every_channel):
    rows = Client().get(f"{BASE}/requests.json").json()
    for row in rows:
        assert (row["lat"], row["long"]) == (29.651, 91.151)
        assert row["address"] == "泽新路1号"
        assert row["status_notes"] in {"已上报", "不予立案"}
    described = [row["description"] for row in rows if row["description"]]
    # The reporters wrote for the public (each ticked it; Open311 always
    # does): their text without their name, numbers or room.
    assert len(described) == len(rows) == len(publication.PUBLIC_CHANNELS)
    assert {text.replace("\x07", "") for text in described} == {
        "***家漏水,电话***,身份证***,住3单元***"
    }


def test_staff_approve_a_public_text(fire_lane, places, personas):
    case, _ = case_report(
        channel=Channel.MOBILE,
        category=fire_lane,
        description=f"{NAME}说车堵了通道 {PHONE}",
        reporter=personas["grid_a"],
        lat=29.65,
        lon=91.15,
        answers={"blocked_by": "car"},
    )

    def published():
        return Client().get(f"{BASE}/requests/{case.number}.json").json()[0]["description"]

    assert published() == ""  # the reporter did not write for the public
    with pytest.raises(ValidationError):
        case_publish(case=case, actor=personas["staff_a"], text=f"请联系 {PHONE}")
    with pytest.raises(ValidationError):
        case_publish(case=case, actor=personas["staff_a"], text="3单元502室门口")
    with pytest.raises(PermissionDenied):
        case_publish(case=case, actor=personas["staff_b"], text="消防通道被占用")
    case_publish(case=case, actor=personas["staff_a"], text="消防通道被占用")
    assert published() == "消防通道被占用"
    entry = AuditLog.objects.filter(object_id=str(case.pk), action="update").get()
    assert entry.changes == {"public_description": ["", "消防通道被占用"]}
    case_publish(case=case, actor=personas["staff_a"], text="")
    assert published() == ""


def test_private_cases_take_no_public_text(private_category, places, personas):
    case, _ = case_report(
        channel=Channel.WEB,
        category=private_category,
        description="独居老人需要助餐",
        reporter=personas["staff_a"],
        place=places["grid_a"],
    )
    with pytest.raises(ValidationError):
        case_publish(case=case, actor=personas["staff_a"], text="需要助餐")


def test_public_text_on_the_case_page_and_api(fire_lane, case_a, personas, client_for, api_for):
    page = client_for(personas["staff_a"])
    assert "公开说明" in page.get(f"/cases/{case_a.pk}/").content.decode()
    refused = page.post(f"/cases/{case_a.pk}/publish/", {"public_description": PHONE})
    assert refused.status_code == 400 and "电话号码" in refused.content.decode()
    done = page.post(f"/cases/{case_a.pk}/publish/", {"public_description": "通道已堵"})
    assert done.status_code == 302
    case_a.refresh_from_db()
    assert case_a.public_description == "通道已堵"
    api = api_for(personas["staff_a"])
    url = f"/api/v1/cases/{case_a.pk}/public-description"
    answer = api.post(url, {"text": "通道畅通"}, content_type="application/json")
    assert answer.status_code == 200, answer.content
    assert answer.json()["public_description"] == "通道畅通" and answer.json()["publishable"]
    outsider = api_for(personas["staff_b"]).post(
        url, {"text": "x"}, content_type="application/json"
    )
    assert outsider.status_code == 404


@pytest.mark.parametrize(
    ("address", "public"),
    [
        ("泽新路1号3单元502室", "泽新路1号"),
        ("泽新社区3号楼2单元301室", "泽新社区3号楼"),
        ("城关区泽新社区第一网格 3号楼前", "城关区泽新社区第一网格 3号楼前"),
        ("江苏路12号5楼", "江苏路12号"),
        ("北京中路8号 3-2-301", "北京中路8号"),
        ("Jiangsu Rd 12, Room 501", "Jiangsu Rd 12"),
        ("鲁固路1号院#302", "鲁固路1号院"),
        ("金珠路6号 13908912345", "金珠路6号"),
        ("", ""),
    ],
)
def test_public_address_stops_at_the_building(address, public):
    assert public_address(address) == public


def test_blanking_keeps_dates_and_counts():
    text = "2026-11-28 张家 13908912345 0891-6321234 540102195103021231 5单元602室 涉及3户"
    assert blank_personal_numbers(text) == "2026-11-28 张家 *** 5单元*** 涉及3户"
    assert blank_personal_numbers("电话 139 0891 2345,3号楼") == "电话 ***,3号楼"
    assert public_point(29.651234, 91.158765) == (29.651, 91.159)
    assert public_point(None, 91.1) == (None, None)
