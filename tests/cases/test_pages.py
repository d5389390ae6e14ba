"""The case pages: 随手拍, desk intake, the list and its map layer, the case
page and its moves, the department queue, notifications and figures."""

import io
import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from PIL import Image

from civicgrid.access.models import AuditLog
from civicgrid.cases.models import Case, Stage
from civicgrid.cases.services import case_report
from civicgrid.cases.workflow import case_move
from civicgrid.notify.models import Notice
from tests.factories import jpeg_with_gps


def html(response) -> str:
    return response.content.decode()


def report_data(**extra) -> dict:
    data = {
        "category": "fire_lane",
        "attribute[blocked_by]": "car",
        "description": "楼下消防通道停满了车",
        "lat": "29.65",
        "lon": "91.15",
        "client_key": str(uuid.uuid4()),
    }
    return data | extra


# 随手拍 ---------------------------------------------------------------------


def test_mobile_report_creates_one_case_with_a_clean_photo(rider, fire_lane, client_for):
    client = client_for(rider)
    page = html(client.get(reverse("cases:report")))
    assert 'capture="environment"' in page and 'accept="image/*"' in page
    assert "消防通道占用" in page and "vendor/leaflet/leaflet.js" in page
    data = report_data(anonymous="on")
    upload = SimpleUploadedFile("scene.jpg", jpeg_with_gps(), content_type="image/jpeg")
    response = client.post(reverse("cases:report"), data | {"photos": upload})
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("cases:reported", args=[case.pk])
    assert case.channel == "mobile" and case.reporter == rider and case.anonymous
    assert case.place.code == "540102001001001" and case.answers == {"blocked_by": "car"}
    photo = case.photos.get()
    with photo.image.open("rb") as published, Image.open(published) as image:
        assert not image.getexif() and "exif" not in image.info
    with photo.original.open("rb") as original, Image.open(original) as image:
        assert image.getexif().get_ifd(0x8825)  # staff keep the GPS of the upload

    done = html(client.get(response["Location"]))
    assert case.number in done and reverse("cases:mine") in done

    # A double tap or a retry after a network error: same key, same case.
    again = client.post(reverse("cases:report"), data)
    assert again["Location"] == response["Location"] and Case.objects.count() == 1


def test_mobile_report_errors_keep_the_input_and_create_nothing(rider, fire_lane, client_for):
    client = client_for(rider)
    response = client.post(reverse("cases:report"), report_data(description="  "))
    assert response.status_code == 400 and "请描述发现的问题" in html(response)
    bad = SimpleUploadedFile("scene.jpg", b"not a picture", content_type="image/jpeg")
    response = client.post(reverse("cases:report"), report_data() | {"photos": bad})
    page = html(response)
    assert response.status_code == 400 and "不是可识别的照片" in page
    assert "楼下消防通道停满了车" in page  # what was typed stays
    unanswered = report_data()
    del unanswered["attribute[blocked_by]"]
    page = html(client.post(reverse("cases:report"), unanswered))
    assert "请回答：占用物" in page
    page = html(client.post(reverse("cases:report"), report_data(lat="", lon="")))
    assert "请在地图上选择位置" in page
    assert Case.objects.count() == 0


def test_questions_partial_renders_each_category(rider, fire_lane, client_for):
    client = client_for(rider)
    page = html(client.get(reverse("cases:questions"), {"category": "fire_lane"}))
    assert 'name="attribute[blocked_by]"' in page and 'type="radio"' in page and "车辆" in page
    assert html(client.get(reverse("cases:questions"))).strip() == ""


def test_reporter_sees_and_rates_own_case(case_a, rider, personas, client_for):
    staff = personas["staff_a"]
    case_move(case=case_a, action="fix_on_spot", actor=staff, photos=(_prepared(),))
    client = client_for(rider)
    page = html(client.get(reverse("cases:mine")))
    assert case_a.number in page and "提交评价" in page
    response = client.post(
        reverse("cases:move", args=[case_a.pk]),
        {"action": "rate", "rating": "5", "note": "很快", "next": reverse("cases:mine")},
    )
    assert response.status_code == 302 and response["Location"] == reverse("cases:mine")
    case_a.refresh_from_db()
    assert case_a.rating == 5 and case_a.rating_comment == "很快"


def _prepared():
    from civicgrid.lib.photos import prepare

    return prepare(SimpleUploadedFile("fixed.jpg", jpeg_with_gps(), content_type="image/jpeg"))


# Desk intake and duplicates ---------------------------------------------------


def test_staff_intake_warns_of_nearby_duplicates_then_merges(case_a, personas, client_for):
    client = client_for(personas["staff_a"])
    data = report_data(lat="29.6501", lon="91.1501", reporter_name="次仁", priority="high")
    response = client.post(reverse("cases:new"), data)
    page = html(response)
    assert response.status_code == 200 and case_a.number in page and "仍然提交" in page
    assert Case.objects.count() == 1
    response = client.post(reverse("cases:new"), data | {"confirmed": "True"})
    new = Case.objects.exclude(pk=case_a.pk).get()
    assert response["Location"] == reverse("cases:detail", args=[new.pk])
    assert new.channel == "web" and new.priority == "high" and new.reporter_name == "次仁"
    detail = html(client.get(response["Location"]))
    assert f"合并到 {case_a.number}" in detail
    client.post(reverse("cases:move", args=[new.pk]), {"action": "merge", "into": case_a.number})
    new.refresh_from_db()
    assert new.merged_into == case_a and new.stage == Stage.CLOSED


def test_staff_intake_refuses_a_place_outside_scope(personas, fire_lane, places, client_for):
    client = client_for(personas["staff_a"])
    response = client.post(reverse("cases:new"), report_data(lat="29.65", lon="91.25"))
    assert response.status_code == 400 and "不在您的管辖范围内" in html(response)
    assert not Case.objects.exists()


def test_intake_and_list_are_for_case_handlers(personas, rider, client_for):
    assert client_for(rider).get(reverse("cases:new")).status_code == 403
    assert client_for(personas["department"]).get(reverse("cases:list")).status_code == 403


# List, map layer, scope --------------------------------------------------------


def test_list_filters_and_scope(case_a, personas, client_for, fire_lane, rider, places):
    other, _ = case_report(
        channel="mobile",
        category=fire_lane,
        description="鲁固路消防通道堵塞",
        reporter=rider,
        place=places["grid_b"],
        answers={"blocked_by": "goods"},
    )
    staff_a = client_for(personas["staff_a"])
    page = html(staff_a.get(reverse("cases:list")))
    assert case_a.number in page and other.number not in page
    assert reverse("cases:export") in page and "共 1 件" in page
    assert "共 0 件" in html(staff_a.get(reverse("cases:list"), {"stage": "closed"}))
    assert "共 1 件" in html(staff_a.get(reverse("cases:list"), {"stage": "open", "q": "车辆"}))
    partial = staff_a.get(
        reverse("cases:list"), {"overdue": "true"}, headers={"HX-Request": "true"}
    )
    assert "<html" not in html(partial) and "没有符合条件的事件" in html(partial)
    staff_b = client_for(personas["staff_b"])
    assert case_a.number not in html(staff_b.get(reverse("cases:list")))
    assert staff_b.get(reverse("cases:detail", args=[case_a.pk])).status_code == 404
    assert (
        staff_b.post(reverse("cases:move", args=[case_a.pk]), {"action": "accept"}).status_code
        == 404
    )
    Case.objects.filter(pk=case_a.pk).update(overdue=True, escalated_to=places["street"])
    page = html(staff_a.get(reverse("cases:list")))
    assert "超期" in page and "督办：吉崩岗街道" in page


def test_geojson_pins_with_bbox(case_a, personas, client_for):
    client = client_for(personas["staff_a"])
    url = reverse("cases:geojson")
    body = client.get(url, {"bbox": "91.1,29.6,91.2,29.7"}).json()
    assert body["truncated"] is False
    [feature] = body["features"]
    assert feature["geometry"]["coordinates"] == [91.15, 29.65]
    assert feature["properties"]["number"] == case_a.number
    assert feature["properties"]["url"] == reverse("cases:detail", args=[case_a.pk])
    assert client.get(url, {"bbox": "91.2,29.6,91.3,29.7"}).json()["features"] == []
    assert client_for(personas["staff_b"]).get(url).json()["features"] == []
    for bad in ("1,2,3", "a,b,c,d", "91.2,29.6,91.1,29.7", "91.1,29.7,91.2,29.6", "nan,1,2,3"):
        response = client.get(url, {"bbox": bad})
        assert response.status_code == 400 and response.json()["detail"], bad
    assert client.get(url, {"stage": "nope"}).status_code == 400


# The case page and its moves ---------------------------------------------------


def move(client, case, **data):
    return client.post(reverse("cases:move", args=[case.pk]), data)


def test_detail_shows_the_case_and_hides_an_anonymous_reporter(case_a, personas, rider, client_for):
    Case.objects.filter(pk=case_a.pk).update(anonymous=True, reporter_name="骑手小王")
    staff = html(client_for(personas["staff_a"]).get(reverse("cases:detail", args=[case_a.pk])))
    assert "骑手小王" in staff and "占用物" in staff and "车辆" in staff and "立案" in staff
    assert "吉崩岗街道" in staff  # breadcrumbs
    case_move(case=case_a, action="accept", actor=personas["staff_a"])
    case_move(
        case=case_a,
        action="dispatch",
        actor=personas["staff_a"],
        departments=[case_a.category.departments.get()],
    )
    department = html(
        client_for(personas["department"]).get(reverse("cases:detail", args=[case_a.pk]))
    )
    assert "骑手小王" not in department and "匿名" in department and "报到" in department


def test_every_move_through_the_move_view(case_a, personas, client_for, fire):
    staff = client_for(personas["staff_a"])
    dept = client_for(personas["department"])
    detail = reverse("cases:detail", args=[case_a.pk])
    assert move(staff, case_a, action="accept")["Location"] == detail
    refused = move(staff, case_a, action="dispatch")
    assert refused.status_code == 400 and "请至少选择一个承办部门" in html(refused)
    move(staff, case_a, action="dispatch", departments=[fire.pk])
    assert list(case_a.dispatches.values_list("department__code", flat=True)) == ["fire"]
    assert move(staff, case_a, action="check_in").status_code == 403
    move(dept, case_a, action="check_in")
    refused = move(dept, case_a, action="reply")
    assert refused.status_code == 400 and "请填写办理情况" in html(refused)
    move(dept, case_a, action="reply", note="已联系车主")
    move(dept, case_a, action="handle", note="车辆已挪走")
    move(staff, case_a, action="verify_fail", note="仍有车辆")
    case_a.refresh_from_db()
    assert case_a.stage == Stage.HANDLING and case_a.reopen_count == 1
    move(dept, case_a, action="handle")
    move(staff, case_a, action="verify_pass")
    move(staff, case_a, action="close")
    move(staff, case_a, action="comment", note="已回访")
    move(staff, case_a, action="reopen", note="群众反映又被占用")
    case_a.refresh_from_db()
    assert case_a.stage == Stage.HANDLING
    move(dept, case_a, action="hand_back", note="非本部门职责")
    case_a.refresh_from_db()
    assert case_a.stage == Stage.ACCEPTED
    actions = list(case_a.events.values_list("action", flat=True))
    assert actions[:4] == ["report", "accept", "dispatch", "check_in"]
    assert {"check_in", "reply", "handle", "verify_fail", "verify_pass", "close"} <= set(actions)
    assert {"comment", "reopen", "hand_back"} <= set(actions)
    timeline = html(staff.get(detail))
    assert "部门报到" in timeline and "非本部门职责" in timeline


def test_reject_and_fix_on_spot_and_bad_input(case_a, personas, client_for, rider, fire_lane):
    staff = client_for(personas["staff_a"])
    refused = move(staff, case_a, action="reject")
    assert refused.status_code == 400 and "请填写不予立案的理由" in html(refused)
    assert move(staff, case_a, action="fly").status_code == 400
    assert move(staff, case_a, action="merge", into="nope").status_code == 400
    assert move(client_for(rider), case_a, action="accept").status_code == 403
    photo = SimpleUploadedFile("fixed.jpg", jpeg_with_gps(), content_type="image/jpeg")
    move(staff, case_a, action="fix_on_spot", note="已劝离", photos=photo)
    case_a.refresh_from_db()
    assert case_a.stage == Stage.CLOSED and case_a.photos.count() == 1
    other, _ = case_report(
        channel="mobile",
        category=fire_lane,
        description="又堵了",
        reporter=rider,
        lat=29.66,
        lon=91.16,
        answers={"blocked_by": "goods"},
    )
    move(staff, other, action="reject", note="重复上报")
    other.refresh_from_db()
    assert other.stage == Stage.REJECTED and other.reject_reason == "重复上报"


def test_htmx_move_swaps_the_panel_and_refreshes_the_timeline(case_a, personas, client_for):
    staff = client_for(personas["staff_a"])
    url = reverse("cases:move", args=[case_a.pk])
    response = staff.post(url, {"action": "accept"}, headers={"HX-Request": "true"})
    assert response.status_code == 200 and response["HX-Trigger"] == "case-changed"
    assert html(response).startswith('<section id="actions"') and "吹哨" in html(response)
    refused = staff.post(url, {"action": "reject"}, headers={"HX-Request": "true"})
    assert refused.status_code == 400 and "<html" not in html(refused)
    live = staff.get(
        reverse("cases:detail", args=[case_a.pk]), {"part": "live"}, headers={"HX-Request": "true"}
    )
    assert "立案" in html(live) and "<html" not in html(live)


def test_photos_are_served_through_the_case_scope(case_a, personas, client_for, rider):
    staff = client_for(personas["staff_a"])
    move(
        staff,
        case_a,
        action="comment",
        note="现场照片",
        photos=SimpleUploadedFile("a.jpg", jpeg_with_gps(), content_type="image/jpeg"),
    )
    photo = case_a.photos.get()
    args = [case_a.pk, photo.key]
    image = staff.get(reverse("cases:photo", args=args))
    assert image.status_code == 200 and image["Content-Type"] == "image/jpeg"
    assert not Image.open(io.BytesIO(b"".join(image.streaming_content))).getexif()
    assert staff.get(reverse("cases:photo_thumbnail", args=args)).status_code == 200
    assert staff.get(reverse("cases:photo_original", args=args)).status_code == 200
    assert AuditLog.objects.filter(action="reveal", object_id=str(case_a.pk)).count() == 1
    assert client_for(rider).get(reverse("cases:photo", args=args)).status_code == 200
    assert client_for(rider).get(reverse("cases:photo_original", args=args)).status_code == 404
    outsider = client_for(personas["staff_b"])
    assert outsider.get(reverse("cases:photo", args=args)).status_code == 404


# Department queue ------------------------------------------------------------


def test_department_queue_shows_only_whistled_cases(case_a, personas, client_for, rider, fire_lane):
    other, _ = case_report(
        channel="mobile",
        category=fire_lane,
        description="未派遣的事件",
        reporter=rider,
        lat=29.66,
        lon=91.16,
        answers={"blocked_by": "goods"},
    )
    staff = personas["staff_a"]
    case_move(case=case_a, action="accept", actor=staff)
    case_move(
        case=case_a, action="dispatch", actor=staff, departments=[case_a.category.departments.get()]
    )
    client = client_for(personas["department"])
    page = html(client.get(reverse("cases:queue")))
    assert case_a.number in page and other.number not in page and "应报到时间" in page
    queue = reverse("cases:queue")
    response = move(client, case_a, action="check_in", next=queue)
    assert response["Location"] == queue
    assert "这里暂时没有事件" in html(client.get(queue))
    page = html(client.get(queue, {"tab": "working"}))
    assert case_a.number in page and "办结" in page
    # The home page counts the queue; the nav links to it.
    home = html(client.get(reverse("home")))
    assert reverse("cases:queue") in home and reverse("cases:report") not in home
    assert "部门待办只供" in html(client_for(staff).get(queue))


# Notifications, home, figures, login -------------------------------------------


def test_notifications_count_and_mark_read(case_a, personas, client_for):
    staff = personas["staff_a"]
    client = client_for(staff)
    notice = Notice.objects.get(user=staff)
    home = html(client.get(reverse("home")))
    assert '<span class="badge">1</span>' in home and "待立案" in home
    page = html(client.get(reverse("notify:inbox")))
    assert notice.message in page and "未读" in page
    response = client.post(reverse("notify:read", args=[notice.pk]), {"open": "1"})
    assert response["Location"] == reverse("cases:detail", args=[case_a.pk])
    notice.refresh_from_db()
    assert notice.read_at is not None
    assert '<span class="badge">' not in html(client.get(reverse("home")))
    outsider = client_for(personas["staff_b"])
    url = reverse("notify:read", args=[notice.pk])
    assert outsider.post(url).status_code == 404


def test_home_for_a_rider_offers_snap_report_and_own_cases(case_a, rider, client_for):
    page = html(client_for(rider).get(reverse("home")))
    assert reverse("cases:report") in page and case_a.number in page


def test_figures_page(case_a, personas, client_for):
    client = client_for(personas["staff_a"])
    page = html(client.get(reverse("cases:figures")))
    assert "按期结案率" in page and "泽新社区第一网格" in page and "—" in page
    assert "起始日期不能晚于截止日期" in html(
        client.get(reverse("cases:figures"), {"start": "2026-05-01", "end": "2026-01-01"})
    )
    department = html(client_for(personas["department"]).get(reverse("cases:figures")))
    assert "消防救援大队" in department


@pytest.mark.parametrize(
    "name",
    [
        "report",
        "new",
        "list",
        "geojson",
        "queue",
        "figures",
        "figures_export",
        "mine",
    ],
)
def test_anonymous_is_sent_to_login(db, name):
    response = Client().get(reverse(f"cases:{name}"))
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_anonymous_move_is_sent_to_login(case_a):
    response = Client().post(reverse("cases:move", args=[case_a.pk]), {"action": "accept"})
    assert response.status_code == 302 and response["Location"].startswith("/login/")
