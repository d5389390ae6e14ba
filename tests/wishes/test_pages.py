"""扎西's radio through the pages and the API, and what anonymous visitors
and claimants may (not) see."""

import json
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from civicgrid.wishes.models import Pairing, Wish, WishStage
from tests.wishes.conftest import jpeg_bytes

PERSONAL = ("扎西", "泽新路9号", "13989001234", "1234", "5401020010010010099")


def post_wish(client, resident, **fields):
    data = {
        "title": "一台收音机",
        "reason": "老人独居,想听藏语广播。",
        "value": "120",
        "consent": "on",
    } | fields
    return client.post(reverse("wishes:new", args=[resident.pk]), data)


@pytest.fixture
def published(personas, tashi, client_for):
    client = client_for(personas["grid_a"])
    response = post_wish(client, tashi)
    wish = Wish.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "wishes:detail", args=[wish.pk]
    )
    response = client_for(personas["staff_a"]).post(
        reverse("wishes:move", args=[wish.pk, "publish"]), {"summary": wish.summary}
    )
    assert response.status_code == 302
    wish.refresh_from_db()
    assert wish.stage == WishStage.PUBLISHED
    return wish


def test_over_the_cap_page_names_the_cap(personas, tashi, client_for):
    response = post_wish(client_for(personas["grid_a"]), tashi, value="900")
    assert response.status_code == 200
    assert "超过泽新社区的上限 500 元" in response.content.decode()
    assert not Wish.objects.exists()


def test_anonymous_wall_shows_no_personal_data(published):
    anonymous = Client()
    page = anonymous.get(reverse("wishes:wall")).content.decode()
    assert "一位82岁独居老人希望有一台收音机" in page and "泽新社区" in page
    api = anonymous.get("/api/v1/wishes/wall")
    assert api.status_code == 200
    body = api.content.decode()
    (entry,) = json.loads(body)["items"]
    assert entry["summary"] == "一位82岁独居老人希望有一台收音机" and entry["value"] == 120
    assert set(entry) == {
        "id",
        "number",
        "summary",
        "community",
        "value",
        "published_at",
        "claimed",
    }
    for text in (page, body):
        for private in PERSONAL:
            assert private not in text, private
    # The record itself stays closed to anonymous visitors.
    assert anonymous.get(reverse("wishes:detail", args=[published.pk])).status_code == 302
    assert anonymous.get(f"/api/v1/wishes/{published.pk}").status_code == 401


def test_a_paired_unit_claims_delivers_and_the_grid_worker_confirms(
    personas, units, published, client_for, api_for
):
    bank = client_for(units["bank_user"])
    wall = bank.get(reverse("wishes:wall")).content.decode()
    assert reverse("wishes:move", args=[published.pk, "claim"]) in wall
    assert bank.post(reverse("wishes:move", args=[published.pk, "claim"])).status_code == 302
    published.refresh_from_db()
    assert published.stage == WishStage.CLAIMED and published.unit == units["bank"]

    # The claimant sees the wish, never the resident behind it.
    detail = bank.get(reverse("wishes:detail", args=[published.pk])).content.decode()
    assert "一位82岁独居老人希望有一台收音机" in detail
    for private in PERSONAL:
        assert private not in detail, private
    data = api_for(units["bank_user"]).get(f"/api/v1/wishes/{published.pk}").json()
    assert data["resident_id"] is None and data["reason"] is None
    assert data["allowed_actions"] == ["release", "deliver"]

    photo = SimpleUploadedFile("handover.jpg", jpeg_bytes(), content_type="image/jpeg")
    response = bank.post(
        reverse("wishes:move", args=[published.pk, "deliver"]),
        {"photos": [photo], "note": "已送到"},
    )
    assert response.status_code == 302
    published.refresh_from_db()
    assert published.stage == WishStage.DELIVERED
    key = published.photos.get().key
    assert bank.get(reverse("wishes:photo", args=[published.pk, key])).status_code == 200

    staff_api = api_for(personas["grid_a"])
    refused = staff_api.post(
        f"/api/v1/wishes/{published.pk}/confirm",
        {"by_resident": False, "note": ""},
        content_type="application/json",
    )
    assert refused.status_code == 400
    done = staff_api.post(
        f"/api/v1/wishes/{published.pk}/confirm",
        {"by_resident": True},
        content_type="application/json",
    )
    assert done.status_code == 200, done.content
    assert done.json()["stage"] == "fulfilled" and done.json()["resident_id"] is not None
    unit_page = bank.get(reverse("wishes:units")).content.decode()
    assert units["bank"].name in unit_page and published.number in unit_page


def test_api_enters_and_pages_wishes(personas, tashi, api_for):
    api = api_for(personas["grid_a"])
    for title in ("一台收音机", "一件冬衣", "一副老花镜"):
        response = api.post(
            "/api/v1/wishes",
            {
                "resident_id": tashi.pk,
                "title": title,
                "reason": "需要",
                "value": 80,
                "consent": True,
            },
            content_type="application/json",
        )
        assert response.status_code == 201, response.content
    over = api.post(
        "/api/v1/wishes",
        {
            "resident_id": tashi.pk,
            "title": "电视",
            "reason": "需要",
            "value": 5000,
            "consent": True,
        },
        content_type="application/json",
    )
    assert over.status_code == 400 and "上限 500 元" in over.json()["errors"]["value"][0]
    first = api.get("/api/v1/wishes?limit=2").json()
    assert len(first["items"]) == 2 and first["next_cursor"]
    rest = api.get(f"/api/v1/wishes?limit=2&cursor={first['next_cursor']}").json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert api_for(personas["staff_b"]).get("/api/v1/wishes").json()["items"] == []


def test_cap_page_in_scope_and_audited(personas, places, client_for):
    url = reverse("wishes:cap", args=[places["community_a"].pk])
    assert client_for(personas["staff_b"]).get(url).status_code == 404
    assert client_for(personas["grid_a"]).post(url, {"cap": "100"}).status_code == 403
    staff = client_for(personas["staff_a"])
    assert staff.post(url, {"cap": "0"}).status_code == 200  # refused by the form
    assert staff.post(url, {"cap": "300"}).status_code == 302
    page = staff.get(reverse("wishes:caps")).content.decode()
    assert "300" in page


def test_empty_lists_say_so(personas, client_for):
    staff = client_for(personas["staff_a"])
    assert "还没有微心愿" in staff.get(reverse("wishes:list")).content.decode()
    assert "还没有结对共建记录" in staff.get(reverse("wishes:pairings")).content.decode()
    assert "还没有党员报到记录" in staff.get(reverse("wishes:reports")).content.decode()
    assert "心愿墙上暂时没有心愿" in Client().get(reverse("wishes:wall")).content.decode()
    assert staff.get(reverse("wishes:figures")).status_code == 200


def pdf(name="agreement.pdf", data=b"%PDF-1.4\n% agreement\n"):
    return SimpleUploadedFile(name, data, content_type="application/pdf")


def test_pairing_with_an_agreement_file(personas, places, client_for):
    from tests.wishes.conftest import make_unit

    unit = make_unit("telecom", "西藏电信城关分公司", places["community_a"])
    staff = client_for(personas["staff_a"])
    form = {
        "unit": unit.pk,
        "community": places["community_a"].pk,
        "since": "2025-03-01",
        "contact_name": "格桑",
        "contact_phone": "13908990000",
        "skills": "手机使用培训",
        "venues": "营业厅会议室",
        "funds": "20000",
    }
    bad = staff.post(reverse("wishes:pairing_new"), form | {"agreement": pdf("x.pdf", b"<html>")})
    assert bad.status_code == 200 and "协议文件应为" in bad.content.decode()
    assert not Pairing.objects.exists()
    response = staff.post(reverse("wishes:pairing_new"), form | {"agreement": pdf()})
    pairing = Pairing.objects.get()
    assert response.status_code == 302
    assert pairing.contact_phone_masked.startswith("139") and "*" in pairing.contact_phone_masked
    download = staff.get(reverse("wishes:agreement", args=[pairing.pk]))
    assert download["Content-Type"] == "application/pdf"
    assert download["Content-Disposition"].startswith("attachment")
    assert (
        client_for(personas["staff_b"])
        .get(reverse("wishes:pairing", args=[pairing.pk]))
        .status_code
        == 404
    )
    again = staff.post(reverse("wishes:pairing_new"), form)
    assert "已与该社区结对" in again.content.decode()


def test_a_unit_contact_sees_only_their_unit(units, client_for):
    bank = client_for(units["bank_user"])
    assert bank.get(reverse("wishes:unit", args=[units["bank"].pk])).status_code == 200
    assert bank.get(reverse("wishes:unit", args=[units["power"].pk])).status_code == 404
    assert bank.get(reverse("wishes:list")).status_code == 403
    assert bank.get(reverse("wishes:pairings")).status_code == 403
    own = Pairing.objects.for_user(units["bank_user"])
    assert list(own.values_list("unit_id", flat=True)) == [units["bank"].pk]
    assert date(2025, 1, 1) == own.get().since
