"""Open311 GeoReport v2: discovery, services, service definitions and posting
requests, each in both formats."""

import json
from xml.etree import ElementTree as ET

import pytest
from django.test import Client

from civicgrid.access.client_keys import client_key_issue, client_key_revoke
from civicgrid.cases.models import Case, Category, Question

BASE = "/open311/v2"
FORMATS = ["json", "xml"]
CONTENT_TYPES = {"json": "application/json; charset=utf-8", "xml": "text/xml; charset=utf-8"}


def parse(response, fmt):
    """JSON as Python; XML as its root element, after checking the content type."""
    assert response["Content-Type"] == CONTENT_TYPES[fmt]
    if fmt == "json":
        return json.loads(response.content)
    assert response.content.startswith(b"<?xml")
    return ET.fromstring(response.content)  # noqa: S314 (our own server's output)


def fields(element) -> dict:
    """An XML item's children as {tag: text}, with empty elements as ""."""
    return {child.tag: child.text or "" for child in element}


def rows(response, fmt) -> list[dict]:
    """The items of a list answer (services, service_requests), as plain dicts."""
    body = parse(response, fmt)
    if fmt == "json":
        return body
    return [fields(item) for item in body]


def errors(response, fmt, status) -> list[str]:
    """The descriptions of a spec-format error answer with ``status``."""
    assert response.status_code == status, response.content
    body = parse(response, fmt)
    if fmt == "json":
        assert all(error["code"] == status for error in body)
        return [error["description"] for error in body]
    assert body.tag == "errors"
    assert [item.tag for item in body] == ["error"] * len(body)
    assert all(item.findtext("code") == str(status) for item in body)
    return [item.findtext("description") for item in body]


@pytest.fixture
def api_key(db):
    _, key = client_key_issue(name="街道随手拍应用")
    return key


@pytest.fixture
def post(api_key):
    def send(fmt="json", **data):
        payload = {
            "api_key": api_key,
            "service_code": "fire_lane",
            "lat": "29.65",
            "long": "91.15",
            "description": "消防通道被车辆占用",
            "attribute[blocked_by]": "car",
        }
        payload.update(data)
        payload = {k: v for k, v in payload.items() if v is not None}
        return Client().post(f"{BASE}/requests.{fmt}", payload)

    return send


# Discovery and services ------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_discovery(db, fmt):
    response = Client().get(f"{BASE}/discovery.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "json":
        endpoint = body["endpoints"][0]
        formats = endpoint["formats"]
        assert body["changeset"] and body["contact"] and body["key_service"]
    else:
        assert body.tag == "discovery"
        assert [child.tag for child in body] == ["changeset", "contact", "key_service", "endpoints"]
        endpoint = fields(body.find("endpoints/endpoint"))
        formats = [f.text for f in body.findall("endpoints/endpoint/formats/format")]
    assert endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2"
    assert endpoint["url"] == "http://testserver/open311/v2/"
    assert endpoint["type"] in {"production", "test"}
    assert formats == ["application/json", "text/xml"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_services_are_active_categories(fire_lane, fmt):
    Category.objects.create(code="noise", name="噪声扰民", group="环境", keywords="噪声、夜间")
    Category.objects.create(code="old", name="停用类别", group="其他", active=False)
    response = Client().get(f"{BASE}/services.{fmt}")
    assert response.status_code == 200
    if fmt == "xml":
        body = parse(response, fmt)
        assert body.tag == "services" and {item.tag for item in body} == {"service"}
    services = {row["service_code"]: row for row in rows(response, fmt)}
    assert set(services) == {"fire_lane", "noise"}
    fire = services["fire_lane"]
    assert fire["service_name"] == "消防通道占用"
    assert fire["group"] == "安全隐患"
    assert fire["keywords"] == "消防,通道"
    assert fire["type"] == "realtime"
    assert services["noise"]["keywords"] == "噪声,夜间"
    true, false = (True, False) if fmt == "json" else ("true", "false")
    assert fire["metadata"] == true and services["noise"]["metadata"] == false


@pytest.mark.parametrize("fmt", FORMATS)
def test_service_definition_lists_attributes(fire_lane, fmt):
    Question.objects.create(
        category=fire_lane, code="since", label="占用开始时间", datatype="datetime", order=5
    )
    response = Client().get(f"{BASE}/services/fire_lane.{fmt}")
    assert response.status_code == 200
    body = parse(response, fmt)
    if fmt == "json":
        assert body["service_code"] == "fire_lane"
        blocked, since = body["attributes"]
        values = blocked["values"]
        assert blocked["variable"] is True and blocked["required"] is True
        assert blocked["order"] == 1 and since["order"] == 2
    else:
        assert body.tag == "service_definition"
        assert body.findtext("service_code") == "fire_lane"
        items = body.findall("attributes/attribute")
        blocked, since = fields(items[0]), fields(items[1])
        values = [fields(v) for v in items[0].findall("values/value")]
        assert blocked["variable"] == "true" and blocked["required"] == "true"
        assert blocked["order"] == "1" and since["order"] == "2"
    assert blocked["code"] == "blocked_by" and blocked["datatype"] == "singlevaluelist"
    assert blocked["description"] == "占用物"
    assert values == [{"key": "car", "name": "车辆"}, {"key": "goods", "name": "杂物"}]
    assert since["datatype"] == "datetime" and "2026-01-31T09:00" in since["datatype_description"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_service_definition_is_404(fire_lane, fmt):
    response = Client().get(f"{BASE}/services/boat.{fmt}")
    assert errors(response, fmt, 404) == ["service_code boat not found."]


def test_unknown_format_is_404_in_the_spec_format(db):
    response = Client().get(f"{BASE}/services.yaml")
    assert "format" in errors(response, "json", 404)[0]


def test_wrong_method_is_refused(db):
    assert errors(Client().post(f"{BASE}/services.xml"), "xml", 405)


@pytest.mark.parametrize("fmt", FORMATS)
def test_jurisdiction_is_the_district_code(fire_lane, fmt):
    assert Client().get(f"{BASE}/services.{fmt}", {"jurisdiction_id": "540102"}).status_code == 200
    assert Client().get(f"{BASE}/services.{fmt}", {"jurisdiction_id": ""}).status_code == 200
    for code in ("999999", "540102001"):  # unknown, and a street rather than a district
        response = Client().get(f"{BASE}/services.{fmt}", {"jurisdiction_id": code})
        assert errors(response, fmt, 404) == [f"jurisdiction_id {code} not found."]


# Posting requests ----------------------------------------------------------------


@pytest.mark.parametrize("fmt", FORMATS)
def test_post_creates_one_case(fire_lane, places, post, fmt):
    response = post(
        fmt,
        first_name="顿珠",
        last_name="扎西",
        phone="13908912345",
        email="dz@example.com",
        device_id="phone-1",
        account_id="",
        address_string="泽新路1号",
        media_url="https://photos.example.com/lane.jpg",
    )
    assert response.status_code == 201, response.content
    (row,) = rows(response, fmt)
    if fmt == "xml":
        assert parse(response, fmt).tag == "service_requests"
        assert list(row) == ["service_request_id", "service_notice", "account_id"]
    case = Case.objects.get()
    assert row["service_request_id"] == case.number and row["service_notice"]
    assert case.channel == "open311" and case.client.name == "街道随手拍应用"
    assert case.place == places["grid_a"] and case.address == "泽新路1号"
    assert case.answers == {"blocked_by": "car"}
    assert case.reporter_name == "扎西顿珠" and case.reporter_phone == "13908912345"
    assert case.media_url == "https://photos.example.com/lane.jpg"


def test_western_names_keep_their_order(fire_lane, post):
    assert post(first_name="Anna", last_name="Berg").status_code == 201
    assert Case.objects.get().reporter_name == "Anna Berg"


def test_multi_value_attribute(fire_lane, places, api_key):
    Question.objects.create(
        category=fire_lane,
        code="seen",
        label="发现的情况",
        datatype="multivaluelist",
        choices=[{"key": "smoke", "name": "冒烟"}, {"key": "wires", "name": "乱拉电线"}],
    )
    payload = {
        "api_key": api_key,
        "service_code": "fire_lane",
        "lat": "29.65",
        "long": "91.15",
        "description": "通道堵塞",
        "attribute[blocked_by]": "goods",
        "attribute[seen][]": ["wires", "smoke", ""],
    }
    response = Client().post(f"{BASE}/requests.json", payload)
    assert response.status_code == 201, response.content
    assert Case.objects.get().answers == {"blocked_by": "goods", "seen": ["smoke", "wires"]}


@pytest.mark.parametrize("fmt", FORMATS)
def test_api_key_missing_unknown_or_revoked_is_403(fire_lane, post, fmt):
    assert errors(post(fmt, api_key=None), fmt, 403) == [
        "api_key is required to post a service request."
    ]
    assert errors(post(fmt, api_key=""), fmt, 403)
    assert errors(post(fmt, api_key="o311_made-up"), fmt, 403) == ["api_key is invalid or revoked."]
    client, key = client_key_issue(name="old app")
    client_key_revoke(client=client)
    assert errors(post(fmt, api_key=key), fmt, 403)
    assert not Case.objects.exists()


@pytest.mark.parametrize("fmt", FORMATS)
def test_unknown_or_missing_service_code_is_400(fire_lane, post, fmt):
    assert errors(post(fmt, service_code="boat"), fmt, 400) == ["service_code boat not found."]
    assert errors(post(fmt, service_code=""), fmt, 400) == ["service_code was not provided."]
    fire_lane.active = False
    fire_lane.save()
    assert errors(post(fmt), fmt, 400) == ["service_code fire_lane not found."]


@pytest.mark.parametrize("fmt", FORMATS)
def test_bad_attributes_are_listed(fire_lane, post, fmt):
    response = post(fmt, **{"attribute[blocked_by]": "boat", "attribute[colour]": "red"})
    described = errors(response, fmt, 400)
    assert any(d.startswith("attribute[blocked_by]: ") for d in described)
    assert any(d.startswith("attribute[colour]: ") for d in described)
    assert not Case.objects.exists()


def test_required_attribute_missing(fire_lane, post):
    described = errors(post(**{"attribute[blocked_by]": ""}), "json", 400)
    assert described == ["attribute[blocked_by]: 请回答：占用物"]


@pytest.mark.parametrize("fmt", FORMATS)
def test_position_outside_every_grid_is_400(fire_lane, post, fmt):
    (described,) = errors(post(fmt, lat="10", long="10"), fmt, 400)
    assert described.startswith("location: ")
    assert not Case.objects.exists()


def test_bad_coordinates_are_400(fire_lane, post):
    assert errors(post(lat="north"), "json", 400) == ["lat must be a number."]
    assert errors(post(long=""), "json", 400)  # lat alone is no position
    assert errors(post(lat="", long=""), "json", 400) == [
        "lat and long, or address_string, must be provided."
    ]


def test_bad_media_url_is_400(fire_lane, post):
    assert errors(post(media_url="javascript:alert(1)"), "json", 400) == [
        "media_url: 图片链接应为 http(s) 网址。"
    ]
    assert not Case.objects.exists()


def test_address_string_alone_must_name_a_community_or_grid(fire_lane, places, post):
    here = {"lat": "", "long": ""}
    response = post(address_string="城关区泽新社区第一网格 3号楼前", **here)
    assert response.status_code == 201
    assert Case.objects.get().place == places["grid_a"]
    response = post(address_string="鲁固社区菜市场门口", **here)
    assert response.status_code == 201
    assert Case.objects.latest("id").place == places["community_b"]
    described = errors(post(address_string="布达拉宫广场", **here), "json", 400)
    assert described[0].startswith("location not found")
    assert Case.objects.count() == 2


def test_jurisdiction_on_post(fire_lane, places, post):
    assert post(jurisdiction_id="540102").status_code == 201
    assert errors(post(jurisdiction_id="540103"), "json", 404)
    outside = Case.objects.count()
    from tests.factories import make_place

    other = make_place("540103", "林周县", "district", places["city"])
    assert errors(post(jurisdiction_id=other.code), "json", 400) == [
        "lat/long lie outside jurisdiction_id 540103."
    ]
    assert Case.objects.count() == outside


def test_retry_with_a_client_request_id_returns_the_same_case(fire_lane, post, api_key):
    first = post(client_request_id="req-7")
    again = post(client_request_id="req-7")
    assert (first.status_code, again.status_code) == (201, 200)
    assert rows(first, "json") == rows(again, "json")
    payload = {
        "api_key": api_key,
        "service_code": "fire_lane",
        "lat": "29.65",
        "long": "91.15",
        "description": "再报一次",
        "attribute[blocked_by]": "car",
    }
    by_header = Client(headers={"Idempotency-Key": "hdr-1"})
    assert by_header.post(f"{BASE}/requests.json", payload).status_code == 201
    assert by_header.post(f"{BASE}/requests.json", payload).status_code == 200
    assert Case.objects.count() == 2


def test_service_errors_pass_through(fire_lane, post):
    described = errors(post(description=""), "json", 400)
    assert described == ["description: 请描述发现的问题。"]


def test_category_changes_apply_to_posts_at_once(fire_lane, post, places):
    assert post().status_code == 201  # the catalogue is now in memory
    fire_lane.active = False
    fire_lane.save()
    assert errors(post(), "json", 400) == ["service_code fire_lane not found."]
    Category.objects.create(code="noise", name="噪声扰民", group="环境")
    assert post(service_code="noise", **{"attribute[blocked_by]": ""}).status_code == 201


def test_a_post_reads_only_its_client_key_and_the_staff_to_notify(fire_lane, post, places):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    assert post(client_request_id="warm").status_code == 201
    with CaptureQueriesContext(connection) as captured:
        assert post(client_request_id="measured").status_code == 201
    reads = [q["sql"] for q in captured if q["sql"].lstrip().upper().startswith("SELECT")]
    tables = {sql.split(" FROM ")[1].split()[0].strip('"') for sql in reads}
    assert tables <= {"access_clientkey", "access_user", "cases_casetally"}, reads
