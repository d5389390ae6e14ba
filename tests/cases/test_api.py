"""The cases API: the whole workflow, refused moves, idempotent intake,
filters, scope, personal data, photos, duplicates, queue and notifications."""

from datetime import UTC, datetime

import pytest
import time_machine

from civicgrid.cases.models import Case, CaseEvent, Photo, Stage
from civicgrid.cases.services import case_report
from civicgrid.cases.workflow import case_move
from civicgrid.notify.models import Notice
from tests.factories import make_user
from tests.flows import put_in_stage

JSON = "application/json"


def post(client, url, body=None, **headers):
    return client.post(url, body or {}, content_type=JSON, headers=headers)


def report(fire_lane, reporter, place, **fields):
    case, _ = case_report(
        channel="mobile",
        category=fire_lane,
        description=fields.pop("description", "通道被占"),
        reporter=reporter,
        place=place,
        answers={"blocked_by": "car"},
        **fields,
    )
    return case


@pytest.fixture
def whistled(case_a, personas, fire):
    """case_a accepted and dispatched to fire."""
    staff = personas["staff_a"]
    case_move(case=case_a, action="accept", actor=staff)
    return case_move(case=case_a, action="dispatch", actor=staff, departments=[fire])


def test_whole_workflow_through_the_api(case_a, personas, rider, api_for, client_for, photo_upload):
    staff, dept, reporter = (
        api_for(personas["staff_a"]),
        api_for(personas["department"]),
        api_for(rider),
    )
    url = f"/api/v1/cases/{case_a.pk}"
    detail = staff.get(url).json()
    assert detail["stage"] == "reported" and {"accept", "reject"} <= set(detail["allowed_actions"])
    steps = [
        (staff, "accept", {}, "accepted"),
        (staff, "dispatch", {"departments": ["fire"]}, "dispatched"),
        (dept, "check-in", {}, "checked_in"),
        (dept, "reply", {"note": "已联系车主"}, "handling"),
        (dept, "handle", {"note": "通道已清理"}, "handled"),
        (staff, "verify", {"passed": True}, "verified"),
        (staff, "close", {}, "closed"),
        (reporter, "rate", {"rating": 5, "comment": "很快"}, "closed"),
    ]
    for client, action, body, stage in steps:
        response = post(client, f"{url}/{action}", body)
        assert response.status_code == 200, (action, response.json())
        assert response.json()["stage"] == stage, action
    body = reporter.get(url).json()
    assert body["rating"] == 5
    assert [e["action"] for e in body["events"]] == [
        "report",
        "accept",
        "dispatch",
        "check_in",
        "reply",
        "handle",
        "verify_pass",
        "close",
        "rate",
    ]
    assert body["dispatches"][0]["department"] == "fire"
    assert body["dispatches"][0]["status"] == "handled"
    assert "comment" in body["allowed_actions"] and "close" not in body["allowed_actions"]

    uploaded = dept.post(f"{url}/photos", {"files": [photo_upload], "note": "处置后"})
    assert uploaded.status_code == 200, uploaded.json()
    photo = uploaded.json()["photos"][0]
    # Scoped URLs that answer (nothing under /media/ is served).
    assert photo["image_url"] == f"/cases/{case_a.pk}/photos/{photo['key']}/"
    assert photo["thumbnail_url"] == f"/cases/{case_a.pk}/photos/{photo['key']}/thumbnail/"
    thumbnail = client_for(personas["department"]).get(photo["thumbnail_url"])
    assert thumbnail.status_code == 200 and thumbnail["Content-Type"] == "image/jpeg"
    assert uploaded.json()["events"][-1]["photos"] == [photo["key"]]
    assert Photo.objects.get(case=case_a).event.action == "comment"


def test_verify_failed_goes_back_to_handling(whistled, personas, api_for):
    staff, dept = api_for(personas["staff_a"]), api_for(personas["department"])
    url = f"/api/v1/cases/{whistled.pk}"
    for action in ("check-in", "handle"):
        assert post(dept, f"{url}/{action}").status_code == 200
    refused = post(staff, f"{url}/verify", {"passed": False})
    assert refused.status_code == 400 and refused.json()["errors"]["note"]
    failed = post(staff, f"{url}/verify", {"passed": False, "note": "仍有车辆"})
    assert failed.status_code == 200 and failed.json()["stage"] == "handling"
    assert failed.json()["reopen_count"] == 1


def test_refused_moves_say_why_and_change_nothing(case_a, whistled, personas, api_for):
    url = f"/api/v1/cases/{case_a.pk}"
    before = CaseEvent.objects.count()
    dept = post(api_for(personas["department"]), f"{url}/accept")
    assert dept.status_code == 403 and dept.json()["detail"]
    outsider = post(api_for(personas["staff_b"]), f"{url}/accept")
    assert outsider.status_code == 404
    early = post(api_for(personas["staff_a"]), f"{url}/close")
    assert early.status_code == 400 and "已吹哨" in early.json()["detail"]
    rate = post(api_for(personas["staff_a"]), f"{url}/rate", {"rating": 5})
    assert rate.status_code == 403
    unknown = post(api_for(personas["staff_a"]), f"{url}/dispatch", {"departments": ["nope"]})
    assert unknown.status_code == 400 and "nope" in unknown.json()["detail"]
    handback = post(api_for(personas["department"]), f"{url}/hand-back")
    assert handback.status_code == 400 and handback.json()["errors"]["note"]
    assert CaseEvent.objects.count() == before
    assert Case.objects.get(pk=case_a.pk).stage == Stage.DISPATCHED


def test_department_cannot_verify_or_close_its_own_work(whistled, personas, api_for):
    dept = api_for(personas["department"])
    url = f"/api/v1/cases/{whistled.pk}"
    for action in ("check-in", "handle"):
        assert post(dept, f"{url}/{action}").status_code == 200
    detail = dept.get(url).json()
    assert detail["allowed_actions"] == ["comment"]
    assert post(dept, f"{url}/verify", {"passed": True}).status_code == 403
    assert post(dept, f"{url}/merge", {"into": whistled.pk}).status_code == 403
    assert Case.objects.get(pk=whistled.pk).stage == Stage.HANDLED


def test_department_sees_nothing_before_the_whistle(case_a, personas, api_for):
    dept = api_for(personas["department"])
    assert post(dept, f"/api/v1/cases/{case_a.pk}/accept").status_code == 404
    assert dept.get("/api/v1/cases").json()["items"] == []


def test_rating_out_of_range_is_refused(case_a, personas, rider, api_for):
    put_in_stage(case_a, Stage.CLOSED)
    response = post(api_for(rider), f"/api/v1/cases/{case_a.pk}/rate", {"rating": 7})
    assert response.status_code == 400 and response.json()["errors"]["rating"]


def test_reject_and_reopen_and_merge(case_a, fire_lane, places, rider, personas, api_for):
    staff = api_for(personas["staff_a"])
    other = report(fire_lane, rider, places["grid_a"], lat=29.65, lon=91.15)
    merged = post(staff, f"/api/v1/cases/{other.pk}/merge", {"into": case_a.pk})
    assert merged.status_code == 200 and merged.json()["merged_into_id"] == case_a.pk
    rejected = post(staff, f"/api/v1/cases/{case_a.pk}/reject", {"note": "非本社区事务"})
    assert rejected.json()["stage"] == "rejected"
    closed = report(fire_lane, rider, places["grid_a"])
    put_in_stage(closed, Stage.CLOSED)
    reopened = post(staff, f"/api/v1/cases/{closed.pk}/reopen", {"note": "群众反映仍未解决"})
    assert reopened.status_code == 200 and reopened.json()["reopen_count"] == 1


def test_create_is_idempotent(fire_lane, places, rider, api_for):
    client = api_for(rider)
    body = {
        "category": "fire_lane",
        "description": "消防通道被占",
        "lat": 29.65,
        "lon": 91.15,
        "answers": {"blocked_by": "goods"},
        "client_key": "phone-42",
    }
    first = post(client, "/api/v1/cases", body)
    assert first.status_code == 201, first.json()
    assert first.json()["channel"] == "api" and first.json()["place_code"] == "540102001001001"
    again = post(client, "/api/v1/cases", body)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    header = {**body, "client_key": ""}
    third = post(client, "/api/v1/cases", header, **{"Idempotency-Key": "phone-43"})
    replay = post(client, "/api/v1/cases", header, **{"Idempotency-Key": "phone-43"})
    assert third.status_code == 201 and replay.status_code == 200
    assert replay.json()["id"] == third.json()["id"]
    assert Case.objects.count() == 2
    clash = post(client, "/api/v1/cases", body, **{"Idempotency-Key": "other"})
    assert clash.status_code == 400 and clash.json()["errors"]["client_key"]


def test_create_reports_bad_input(fire_lane, places, rider, api_for):
    client = api_for(rider)
    missing = post(client, "/api/v1/cases", {"category": "boats", "description": "x"})
    assert missing.status_code == 400 and "boats" in missing.json()["detail"]
    bad = post(
        client,
        "/api/v1/cases",
        {"category": "fire_lane", "description": " ", "place": "540102001001001"},
    )
    assert bad.status_code == 400
    assert {"description", "attribute[blocked_by]"} <= set(bad.json()["errors"])
    nowhere = post(
        client,
        "/api/v1/cases",
        {"category": "fire_lane", "description": "x", "place": "999"},
    )
    assert nowhere.status_code == 400 and nowhere.json()["errors"]["place"]
    assert Case.objects.count() == 0


def test_filters(case_a, fire_lane, places, rider, whistled, personas, api_for):
    report(fire_lane, rider, places["grid_b"], description="鲁固路堵车")
    client = api_for(personas["admin"])

    def count(query):
        response = client.get(f"/api/v1/cases?{query}")
        assert response.status_code == 200, response.json()
        assert response.json()["next"] is None
        return len(response.json()["items"])

    assert count("") == 2
    assert count("place=540102001002") == 1
    assert count("stage=dispatched") == 1
    assert count("stage=open") == 2
    assert count("department=fire") == 1
    assert count("category=fire_lane&channel=mobile&priority=normal") == 2
    assert count("overdue=false") == 2 and count("overdue=true") == 0
    assert count("q=鲁固路") == 1
    assert count(f"q={case_a.number}") == 1
    assert count("date_from=2026-01-01") == 2 and count("date_to=2026-01-01") == 0
    one = client.get("/api/v1/cases?limit=1").json()
    assert len(one["items"]) == 1 and one["next"]
    bad = client.get("/api/v1/cases?stage=flying")
    assert bad.status_code == 400 and bad.json()["errors"]["stage"]
    backwards = client.get("/api/v1/cases?date_from=2026-02-01&date_to=2026-01-01")
    assert backwards.status_code == 400


def test_scope(case_a, fire_lane, places, rider, whistled, personas, api_for):
    case_b = report(fire_lane, rider, places["grid_b"])
    other_rider = make_user("rider2", "mobile_grid_worker", scope_place=places["district"])
    own = report(fire_lane, other_rider, places["grid_a"])

    def ids(user):
        return {c["id"] for c in api_for(user).get("/api/v1/cases").json()["items"]}

    assert ids(personas["staff_b"]) == {case_b.pk}
    assert api_for(personas["staff_b"]).get(f"/api/v1/cases/{case_a.pk}").status_code == 404
    assert ids(personas["staff_a"]) == {case_a.pk, own.pk}
    assert ids(personas["department"]) == {case_a.pk}
    assert ids(other_rider) == {own.pk}
    assert ids(rider) == {case_a.pk, case_b.pk}
    assert ids(personas["resident"]) == set()
    assert ids(personas["admin"]) == {case_a.pk, case_b.pk, own.pk}


def test_anonymous_reporter_is_hidden_outside_staff(fire_lane, fire, places, rider, personas):
    from django.test import Client

    from civicgrid.access.services import token_issue

    case = report(
        fire_lane,
        rider,
        places["grid_a"],
        anonymous=True,
        reporter_name="扎西",
        reporter_phone="13908900001",
    )
    case_move(case=case, action="accept", actor=personas["staff_a"])
    case_move(case=case, action="dispatch", actor=personas["staff_a"], departments=[fire])

    def detail(user):
        _token, key = token_issue(actor=user, name="test")
        client = Client(headers={"Authorization": f"Bearer {key}"})
        return client.get(f"/api/v1/cases/{case.pk}").json()

    staff = detail(personas["staff_a"])
    assert staff["reporter_name"] == "扎西" and staff["reporter_phone_masked"] == "139****0001"
    assert staff["events"][0]["actor_name"] == "rider"
    dept = detail(personas["department"])
    assert dept["reporter_name"] == "" and dept["reporter_phone_masked"] == ""
    assert dept["events"][0]["actor_name"] == ""
    assert "13908900001" not in str(staff) and "reporter_phone" not in staff


def test_duplicates_for_staff_within_scope(case_a, fire_lane, places, rider, personas, api_for):
    near = report(fire_lane, rider, places["grid_a"], lat=29.6501, lon=91.1501)
    # Same spot, filed under community B: staff of A must not see it.
    hidden = report(fire_lane, rider, places["grid_b"], lat=29.6502, lon=91.15)
    url = f"/api/v1/cases/{case_a.pk}/duplicates"
    found = api_for(personas["staff_a"]).get(url).json()
    assert [d["id"] for d in found] == [near.pk]
    assert found[0]["distance_m"] < 50
    everyone = api_for(personas["admin"]).get(url).json()
    assert {d["id"] for d in everyone} == {near.pk, hidden.pk}
    assert api_for(rider).get(url).status_code == 403


def test_categories_for_any_user(fire_lane, personas, api_for):
    body = api_for(personas["resident"]).get("/api/v1/categories").json()
    assert [c["code"] for c in body] == ["fire_lane"]
    question = body[0]["questions"][0]
    assert question["code"] == "blocked_by" and question["required"] is True


def test_department_queue(whistled, personas, api_for):
    queue = api_for(personas["department"]).get("/api/v1/departments/queue").json()
    assert queue["count"] == 1
    item = queue["items"][0]
    assert item["status"] == "pending" and item["case"]["id"] == whistled.pk
    assert (
        api_for(personas["department"])
        .get("/api/v1/departments/queue?status=handled")
        .json()["count"]
        == 0
    )
    assert api_for(personas["staff_a"]).get("/api/v1/departments/queue").json()["count"] == 0
    bad = api_for(personas["department"]).get("/api/v1/departments/queue?status=lost")
    assert bad.status_code == 400


def test_notifications(case_a, personas, api_for):
    staff = api_for(personas["staff_a"])
    unread = staff.get("/api/v1/notifications").json()
    assert unread["count"] == 1 and unread["items"][0]["case_number"] == case_a.number
    notice_id = unread["items"][0]["id"]
    read = post(staff, f"/api/v1/notifications/{notice_id}/read")
    assert read.status_code == 200 and read.json()["read_at"]
    first_read = Notice.objects.get(pk=notice_id).read_at
    assert post(staff, f"/api/v1/notifications/{notice_id}/read").status_code == 200
    assert Notice.objects.get(pk=notice_id).read_at == first_read
    assert staff.get("/api/v1/notifications").json()["count"] == 0
    other = post(api_for(personas["staff_b"]), f"/api/v1/notifications/{notice_id}/read")
    assert other.status_code == 404


@pytest.fixture
def late_in_march():
    """The figures default to the current month: pin a day whose case falls
    due next month, so "due to close" is empty whatever today's date is."""
    with time_machine.travel(datetime(2026, 3, 30, 4, tzinfo=UTC), tick=False):
        yield


def test_figures_endpoint(late_in_march, case_a, personas, api_for):
    client = api_for(personas["admin"])
    body = client.get("/api/v1/cases/figures").json()
    assert body["total"]["cases"] == 1 and body["rows"] == []
    by_place = client.get("/api/v1/cases/figures?group_by=place&place=540102001").json()
    assert [row["key"] for row in by_place["rows"]] == ["540102001001", "540102001002"]
    assert [row["cases"] for row in by_place["rows"]] == [1, 0]
    assert by_place["rows"][0]["closure_rate"] is None
    assert client.get("/api/v1/cases/figures?group_by=month").json()["rows"][0]["cases"] == 1
    assert client.get("/api/v1/cases/figures?group_by=department").json()["rows"] == []
    bad = client.get("/api/v1/cases/figures?group_by=colour&department=nope")
    assert bad.status_code == 400 and {"group_by", "department"} <= set(bad.json()["errors"])
    assert client.get("/api/v1/cases/figures?start=2026-02-01&end=2026-01-01").status_code == 400
    dept = api_for(personas["department"]).get("/api/v1/cases/figures?group_by=place")
    assert dept.status_code == 400 and dept.json()["errors"]["place"]


def test_anonymous_caller_gets_401(case_a, client):
    assert client.get("/api/v1/cases").status_code == 401
    assert client.post(f"/api/v1/cases/{case_a.pk}/accept").status_code == 401


# The list's keyset pagination --------------------------------------------


def pages(client, url):
    """Every page of a list, following ``next``; the items in order."""
    items, seen = [], 0
    while url:
        response = client.get(url)
        assert response.status_code == 200, response.json()
        body = response.json()
        items += body["items"]
        url = body["next"]
        seen += 1
        assert seen < 50, "the cursor never ends"
    return items


@pytest.fixture
def many(fire_lane, places, rider):
    """Seven cases, three of them reported at the very same moment (ties
    that only the id orders)."""
    from datetime import timedelta

    from django.utils import timezone

    made = [report(fire_lane, rider, places["grid_a" if n % 2 else "grid_b"]) for n in range(7)]
    moment = timezone.now() - timedelta(hours=1)
    for n, case in enumerate(made):
        at = moment if n in (2, 3, 4) else moment - timedelta(minutes=n)
        Case.objects.filter(pk=case.pk).update(reported_at=at)
    return list(Case.objects.order_by("-reported_at", "-id").values_list("pk", flat=True))


def test_pages_follow_the_cursor_without_gaps_or_repeats(
    many, fire_lane, places, rider, personas, api_for
):
    client = api_for(personas["admin"])
    assert [c["id"] for c in pages(client, "/api/v1/cases?limit=2")] == many
    # Cases reported between two pages come before the first: none is
    # skipped or shown twice.
    first = client.get("/api/v1/cases?limit=3").json()
    assert [c["id"] for c in first["items"]] == many[:3]
    newer = [report(fire_lane, rider, places["grid_a"]).pk for _ in range(2)]
    rest = pages(client, first["next"])
    assert [c["id"] for c in rest] == many[3:]
    assert not set(newer) & {c["id"] for c in rest}


def test_the_next_page_keeps_the_filters(many, personas, api_for):
    client = api_for(personas["admin"])
    expected = list(
        Case.objects.filter(place_code__startswith="540102001002")
        .order_by("-reported_at", "-id")
        .values_list("pk", flat=True)
    )
    first = client.get("/api/v1/cases?place=540102001002&limit=1").json()
    assert "place=540102001002" in first["next"] and first["next_cursor"] in first["next"]
    found = pages(client, "/api/v1/cases?place=540102001002&limit=1")
    assert [c["id"] for c in found] == expected and len(expected) == 4
    # The cursor alone carries the position; the caller's filters still apply.
    cursor = first["next_cursor"]
    also = client.get(f"/api/v1/cases?place=540102001002&limit=10&cursor={cursor}").json()
    assert [c["id"] for c in also["items"]] == expected[1:] and also["next"] is None


def test_a_bad_cursor_is_400(many, personas, api_for):
    client = api_for(personas["admin"])
    for cursor in ("nonsense", "MjAyNnwx", "", "%%%"):
        response = client.get(f"/api/v1/cases?cursor={cursor}")
        if cursor == "":
            assert response.status_code == 200  # empty: the first page
            continue
        assert response.status_code == 400 and response.json()["errors"]["cursor"]
    assert client.get("/api/v1/cases?limit=0").status_code == 422


def test_a_page_costs_the_same_queries_whatever_its_size_and_never_counts(many, personas, api_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api_for(personas["admin"])
    client.get("/api/v1/cases")  # the token's first use is written once

    def queries(url):
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return [q["sql"] for q in captured]

    small, large = queries("/api/v1/cases?limit=1"), queries("/api/v1/cases?limit=7")
    assert len(small) == len(large)
    assert not any("COUNT(" in sql.upper() or "OFFSET" in sql.upper() for sql in small + large)


def test_the_date_filters_are_local_days(fire_lane, places, rider, personas, api_for):
    from datetime import datetime

    from django.utils import timezone

    case = report(fire_lane, rider, places["grid_a"])
    late = timezone.make_aware(datetime(2026, 3, 1, 23, 30))  # 15:30 UTC
    Case.objects.filter(pk=case.pk).update(reported_at=late)
    client = api_for(personas["admin"])

    def ids(query):
        return [c["id"] for c in client.get(f"/api/v1/cases?{query}").json()["items"]]

    assert ids("date_from=2026-03-01&date_to=2026-03-01") == [case.pk]
    assert ids("date_to=2026-02-28") == [] and ids("date_from=2026-03-02") == []


def test_the_schema_documents_the_cursor(db, client):
    schema = client.get("/api/v1/openapi.json").json()
    operation = schema["paths"]["/api/v1/cases"]["get"]
    names = {p["name"] for p in operation["parameters"]}
    assert {"cursor", "limit", "place", "stage"} <= names and "offset" not in names
    page = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
    fields = schema["components"]["schemas"][page.rsplit("/", 1)[1]]["properties"]
    assert {"items", "next", "next_cursor"} <= set(fields) and "count" not in fields


def test_list_items_are_the_detail_s_fields(fire_lane, places, rider, personas, api_for):
    """The list builds its items from plain values (list_rows); they must
    equal what the CaseOut schema makes of the same case, for a caller who
    sees an anonymous reporter and for one who does not."""
    from civicgrid.cases.api.schemas import CaseOut

    report(fire_lane, rider, places["grid_a"], anonymous=True, reporter_phone="13908912345")
    report(fire_lane, rider, places["grid_a"], reporter_name="扎西")
    for user in (personas["staff_a"], rider, personas["root"]):
        client = api_for(user)
        items = client.get("/api/v1/cases").json()["items"]
        assert len(items) == 2
        for item in items:
            assert list(item) == list(CaseOut.model_fields)
            detail = client.get(f"/api/v1/cases/{item['id']}").json()
            assert item == {name: detail[name] for name in item}, user
    hidden = api_for(rider).get("/api/v1/cases").json()["items"]
    shown = api_for(personas["staff_a"]).get("/api/v1/cases").json()["items"]
    assert {i["reporter_phone_masked"] for i in hidden if i["anonymous"]} == {""}
    assert {i["reporter_phone_masked"] for i in shown if i["anonymous"]} == {"139****2345"}
