"""Open311 GeoReport v2: reading requests (the public list, one request, tokens)."""

import io
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from PIL import Image

from civicgrid.cases.models import Case
from civicgrid.cases.open311 import views as open311
from civicgrid.cases.services import case_publish, case_report
from civicgrid.cases.workflow import case_move
from civicgrid.lib.photos import prepare
from tests.cases.test_open311 import BASE, FORMATS, errors, parse, rows
from tests.factories import SQUARE, jpeg_with_gps, make_place

SPEC_FIELDS = [
    "service_request_id",
    "status",
    "status_notes",
    "service_name",
    "service_code",
    "description",
    "agency_responsible",
    "service_notice",
    "requested_datetime",
    "updated_datetime",
    "expected_datetime",
    "address",
    "address_id",
    "zipcode",
    "lat",
    "long",
    "media_url",
]


def report(fire_lane, **kw):
    fields = {
        "channel": "open311",
        "category": fire_lane,
        "description": "楼道堆放杂物",
        "lat": 29.65,
        "lon": 91.15,
        "answers": {"blocked_by": "goods"},
    }
    fields.update(kw)
    return case_report(**fields)[0]


def numbers(response, fmt="json") -> list[str]:
    assert response.status_code == 200, response.content
    return [row["service_request_id"] for row in rows(response, fmt)]


def get(path="requests", fmt="json", **params):
    return Client().get(f"{BASE}/{path}.{fmt}", params)


@pytest.mark.parametrize("fmt", FORMATS)
def test_list_fields_in_both_formats(case_a, personas, fire, fmt):
    # A rider's description is published once staff approve it as the public text.
    case_publish(case=case_a, actor=personas["staff_a"], text=case_a.description)
    case_move(case=case_a, action="accept", actor=personas["staff_a"])
    case_move(case=case_a, action="dispatch", actor=personas["staff_a"], departments=[fire])
    case_a.refresh_from_db()
    response = get(fmt=fmt)
    if fmt == "xml":
        body = parse(response, fmt)
        assert body.tag == "service_requests" and [i.tag for i in body] == ["request"]
    (row,) = rows(response, fmt)
    assert list(row) == SPEC_FIELDS
    due = timezone.localtime(case_a.due_at).isoformat(timespec="seconds")
    assert due.endswith("+08:00")
    expected = {
        "service_request_id": case_a.number,
        "status": "open",
        "status_notes": "已吹哨",
        "service_name": "消防通道占用",
        "service_code": "fire_lane",
        "description": "消防通道被车辆占用",
        "agency_responsible": "消防救援大队",
        "service_notice": "",
        "requested_datetime": timezone.localtime(case_a.reported_at).isoformat(timespec="seconds"),
        "expected_datetime": due,
        "address": "",
    }
    assert {k: row[k] for k in expected} == expected
    assert row["updated_datetime"] >= row["requested_datetime"]
    if fmt == "json":
        assert (row["lat"], row["long"]) == (29.65, 91.15)
        assert row["address_id"] is None and row["media_url"] is None
    else:
        assert (row["lat"], row["long"]) == ("29.65", "91.15")
        assert row["address_id"] == "" and row["media_url"] == ""


def test_no_personal_data_is_published(fire_lane, places, api_key_post):
    api_key_post(first_name="顿珠", last_name="扎西", phone="13908912345", email="dz@example.com")
    case = Case.objects.get()
    assert case.reporter_phone_masked
    for fmt in FORMATS:
        for response in (get(fmt=fmt), get(f"requests/{case.number}", fmt=fmt)):
            assert response.status_code == 200
            text = response.content.decode()
            for secret in ("顿珠", "扎西", "13908912345", case.reporter_phone_masked, "dz@example"):
                assert secret not in text


@pytest.fixture
def api_key_post(db):
    from civicgrid.access.client_keys import client_key_issue

    _, key = client_key_issue(name="app")

    def send(**data):
        payload = {
            "api_key": key,
            "service_code": "fire_lane",
            "lat": "29.65",
            "long": "91.15",
            "description": "消防通道被车辆占用",
            "attribute[blocked_by]": "car",
            **data,
        }
        response = Client().post(f"{BASE}/requests.json", payload)
        assert response.status_code == 201, response.content
        return response

    return send


def test_status_filter_and_notes(fire_lane, case_a, personas, places, photo_upload):
    rejected = report(fire_lane)
    case_move(case=rejected, action="reject", actor=personas["staff_a"], note="重复上报")
    fixed = report(fire_lane)
    case_move(
        case=fixed,
        action="fix_on_spot",
        actor=personas["staff_a"],
        note="已联系车主挪车",
        photos=[prepare(photo_upload)],
    )
    assert numbers(get(status="open")) == [case_a.number]
    assert numbers(get(status="closed")) == [fixed.number, rejected.number]
    assert len(numbers(get(status="open,closed"))) == 3
    assert len(numbers(get(status=""))) == 3  # empty is absent
    assert errors(get(status="pending"), "json", 400)
    notes = {row["service_request_id"]: row for row in rows(get(), "json")}
    # Staff's reasons and closing notes are theirs, not the public's: the stage shows.
    assert notes[rejected.number]["status_notes"] == "不予立案"
    assert notes[fixed.number]["status_notes"] == "已结案"
    assert notes[case_a.number]["status_notes"] == "已上报"
    assert notes[rejected.number]["status"] == notes[fixed.number]["status"] == "closed"


def test_photo_is_published_without_exif(fire_lane, places, photo_upload):
    case = report(fire_lane, photos=[prepare(photo_upload)])
    (row,) = rows(get(), "json")
    key = case.photos.get().key
    assert row["media_url"] == f"http://testserver/open311/v2/media/{key}.jpg"
    response = Client().get(f"/open311/v2/media/{key}.jpg")
    assert response.status_code == 200 and response["Content-Type"] == "image/jpeg"
    with Image.open(io.BytesIO(b"".join(response.streaming_content))) as picture:
        assert not picture.getexif()
    assert (
        Client().get("/open311/v2/media/00000000-0000-0000-0000-000000000000.jpg").status_code
        == 404
    )


def test_a_given_media_url_wins(fire_lane, api_key_post):
    api_key_post(media_url="https://photos.example.com/a.jpg")
    assert rows(get(), "json")[0]["media_url"] == "https://photos.example.com/a.jpg"


def test_service_code_filter(fire_lane, places):
    from civicgrid.cases.models import Category

    noise = Category.objects.create(code="noise", name="噪声扰民", group="环境", public=True)
    lane = report(fire_lane)
    loud = report(noise, answers={})
    assert numbers(get(service_code="noise")) == [loud.number]
    assert numbers(get(service_code="fire_lane,noise")) == [loud.number, lane.number]
    assert errors(get(service_code="boat,noise"), "json", 400) == ["service_code boat not found."]


def test_date_range(fire_lane, places):
    now = timezone.now()
    old, recent = report(fire_lane), report(fire_lane)
    Case.objects.filter(pk=old.pk).update(reported_at=now - timedelta(days=100))
    Case.objects.filter(pk=recent.pk).update(reported_at=now - timedelta(days=1))

    def w3(delta):
        return timezone.localtime(now - delta).isoformat(timespec="seconds")

    assert numbers(get()) == [recent.number]  # the default: the last 90 days
    window = {"start_date": w3(timedelta(days=101)), "end_date": w3(timedelta(days=95))}
    assert numbers(get(**window)) == [old.number]
    assert numbers(get(start_date=w3(timedelta(days=101)))) == [old.number]
    assert numbers(get(end_date=w3(timedelta(days=95)))) == [old.number]
    assert numbers(get(start_date=w3(timedelta(days=2)), end_date="")) == [recent.number]
    too_long = {"start_date": w3(timedelta(days=120)), "end_date": w3(timedelta(0))}
    assert errors(get(**too_long), "json", 400) == [
        "start_date and end_date may span at most 90 days."
    ]
    backwards = {"start_date": w3(timedelta(0)), "end_date": w3(timedelta(days=2))}
    assert errors(get(**backwards), "json", 400)
    assert errors(get(start_date="yesterday"), "json", 400)
    # An offset's "+" sent unescaped arrives as a space and is still understood.
    start = w3(timedelta(days=2))
    assert "+08:00" in start
    assert numbers(Client().get(f"{BASE}/requests.json?start_date={start}")) == [recent.number]
    assert numbers(get(start_date=(now - timedelta(days=2)).date().isoformat())) == [recent.number]


def test_service_request_ids_override_other_filters(fire_lane, places):
    first, _, third = report(fire_lane), report(fire_lane), report(fire_lane)
    Case.objects.filter(pk=first.pk).update(reported_at=timezone.now() - timedelta(days=200))
    found = numbers(get(service_request_id=f"{first.number}, {third.number},nope", status="closed"))
    assert found == [third.number, first.number]


def test_at_most_max_results_newest_first(fire_lane, places, monkeypatch):
    monkeypatch.setattr(open311, "MAX_RESULTS", 3)
    made = [report(fire_lane).number for _ in range(5)]
    assert numbers(get()) == made[::-1][:3]
    assert numbers(get(service_request_id=",".join(made))) == made[::-1][:3]


def test_jurisdiction_filter(fire_lane, places):
    inside = report(fire_lane)
    other = make_place("540103", "林周县", "district", places["city"], SQUARE)
    town = make_place("540103001", "甘丹曲果镇", "street", other)
    village = make_place("540103001001", "维巴村", "community", town)
    outside = report(fire_lane, place=village, lat=None, lon=None)
    assert numbers(get()) == [outside.number, inside.number]
    assert numbers(get(jurisdiction_id="540102")) == [inside.number]
    assert numbers(get(jurisdiction_id="540103")) == [outside.number]
    assert errors(get(jurisdiction_id="540199"), "json", 404)
    assert errors(get(f"requests/{outside.number}", jurisdiction_id="540102"), "json", 404)


def test_an_invalid_api_key_on_a_read_is_403(fire_lane, places):
    report(fire_lane)
    assert errors(get(api_key="o311_nope"), "json", 403)
    assert len(numbers(get(api_key=""))) == 1


def test_one_query_for_the_cases_plus_prefetches(fire_lane, personas, fire):
    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert get().status_code == 200
        return len(captured)

    def busy_case():
        upload = SimpleUploadedFile("scene.jpg", jpeg_with_gps(), content_type="image/jpeg")
        case = report(fire_lane, photos=[prepare(upload)])
        case_move(case=case, action="accept", actor=personas["staff_a"])
        case_move(case=case, action="dispatch", actor=personas["staff_a"], departments=[fire])

    busy_case()
    one = queries()
    for _ in range(3):
        busy_case()
    assert queries() == one == 4


@pytest.mark.parametrize("fmt", FORMATS)
def test_one_request(case_a, fmt):
    response = get(f"requests/{case_a.number}", fmt=fmt)
    (row,) = rows(response, fmt)
    assert row["service_request_id"] == case_a.number and list(row) == SPEC_FIELDS
    if fmt == "xml":
        assert parse(response, fmt).tag == "service_requests"
    missing = get("requests/20260101999999", fmt=fmt)
    assert errors(missing, fmt, 404) == ["service_request_id 20260101999999 not found."]


@pytest.mark.parametrize("fmt", FORMATS)
def test_token_of_an_open311_case(fire_lane, case_a, api_key_post, fmt):
    number = api_key_post().json()[0]["service_request_id"]
    response = get(f"tokens/{number}", fmt=fmt)
    assert response.status_code == 200
    assert rows(response, fmt) == [{"service_request_id": number, "token": number}]
    if fmt == "xml":
        assert parse(response, fmt).tag == "service_requests"
    # Only Open311 posts have tokens; a rider's case is not one.
    assert errors(get(f"tokens/{case_a.number}", fmt=fmt), fmt, 404)


def test_filtered_reads_cost_the_same_four_queries_and_no_personal_column(
    fire_lane, personas, fire, api_key_post
):
    for n in range(3):
        api_key_post(first_name="顿珠", phone="13908912345", client_request_id=f"q-{n}")
    case_move(case=Case.objects.first(), action="accept", actor=personas["staff_a"])

    def captured(**params):
        get(**params)  # warm: the category codes are read once per process
        with CaptureQueriesContext(connection) as queries:
            response = get(**params)
        assert len(numbers(response)) == 3
        return [q["sql"] for q in queries]

    for params in ({}, {"service_code": "fire_lane", "status": "open"}):
        sql = captured(**params)
        assert len(sql) == 4, sql
        for column in ("reporter_name", "reporter_phone", "reporter_id", "answers", "household"):
            assert not any(column in statement for statement in sql), column


def test_status_notes_follow_the_callers_language(case_a):
    chinese = rows(get(), "json")[0]["status_notes"]
    english = Client().get(f"{BASE}/requests.json", HTTP_ACCEPT_LANGUAGE="en")
    assert chinese == "已上报"
    assert rows(english, "json")[0]["status_notes"] in ("Reported", "已上报")
