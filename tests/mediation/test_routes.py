"""Mediation's pages and API: every route walked for anonymous users,
outsiders and insiders (confidentiality), the case → dispute → agreement →
follow-up journey through the pages, the printed agreement, audited reads,
pagination, and nothing of a dispute on Open311 or on anonymous pages."""

import io
import json
import zipfile

import pytest
from defusedxml.ElementTree import fromstring
from django.urls import reverse

from civicgrid.access.models import AuditLog
from civicgrid.cases.models import CaseEvent
from civicgrid.cases.models import Stage as CaseStage
from civicgrid.mediation import services
from civicgrid.mediation.models import Agreement, Dispute, FollowUp, Party, Stage
from tests.conftest import _user
from tests.mediation import walk
from tests.mediation.conftest import APPLICANT, RESPONDENT
from tests.test_url_walk import concrete, routes


def docx_text(content: bytes) -> str:
    """The paragraphs of a .docx, one a line (our own output: parsed with the
    standard library)."""
    with zipfile.ZipFile(io.BytesIO(content)) as archive:
        assert {"[Content_Types].xml", "_rels/.rels", "word/document.xml"} <= set(
            archive.namelist()
        )
        root = fromstring(archive.read("word/document.xml"))
    w = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
    return "\n".join("".join(t.text or "" for t in p.iter(f"{w}t")) for p in root.iter(f"{w}p"))


def _mine(route: str, name: str) -> bool:
    return name.startswith("mediation:") or (route.startswith("api/") and "mediation" in route)


@pytest.fixture
def walked(registry, places):
    objects = walk.objects("a", registry, places)
    objects["case_id"] = objects["need_id"] = None  # their own tests below
    found = []
    for route, name in routes():
        if _mine(route, name):
            urls, _missing = concrete(route, objects)
            if urls:
                found.append((name, route, urls[0]))
    assert len(found) >= 20, found
    return objects, found


def test_every_route_sends_anonymous_users_to_log_in(walked, client):
    for _name, route, url in walked[1]:
        response = client.get(url)
        if route.startswith("api/"):
            assert response.status_code in {401, 405}, url
        else:
            if response.status_code == 405:
                response = client.post(url, {})
            assert response.status_code == 302 and "/login/" in response["Location"], url


@pytest.mark.parametrize("outsider", ["staff_b", "grid_a", "doctor_a", "resident", "mediator_b"])
def test_outsiders_get_404_on_every_object_route(
    walked, personas, places, client_for, api_for, outsider
):
    user = personas.get(outsider) or walk_mediator_b(places)
    page, api = client_for(user), api_for(user)
    for _name, route, url in walked[1]:
        if "<" not in route and "{" not in route:
            continue
        client = api if route.startswith("api/") else page
        response = client.get(url)
        if response.status_code == 405:
            response = client.post(url, {}, content_type="application/json")
            assert response.status_code in {400, 404, 422}, (url, response.status_code)
        else:
            assert response.status_code == 404, (url, response.status_code)


def walk_mediator_b(places):
    """A mediator of community B's room."""
    from civicgrid.access.roles import Role
    from civicgrid.mediation.models import Mediator, Room

    room = Room.objects.create(
        code="b-room", name="鲁固调解室", short="鲁调", place=places["community_b"]
    )
    user = _user("room_b_mediator", Role.MEDIATOR, scope_place=places["community_b"])
    Mediator.objects.create(room=room, user=user, kind=Mediator.Kind.LAWYER)
    return user


@pytest.mark.parametrize("insider", ["walk_staff_a", "walk_mediator_a", "admin"])
def test_insiders_get_every_page(walked, personas, client_for, api_for, insider):
    from civicgrid.access.models import User

    user = personas.get(insider) or User.objects.get(username=insider)
    page, api = client_for(user), api_for(user)
    for _name, route, url in walked[1]:
        client = api if route.startswith("api/") else page
        response = client.get(url)
        assert response.status_code in {200, 405}, (url, response.status_code)


def test_reading_a_file_is_audited_on_pages_and_api(dispute, personas, client_for, api_for):
    staff = personas["staff_a"]
    assert client_for(staff).get(reverse("mediation:detail", args=[dispute.pk])).status_code == 200
    response = api_for(staff).get(f"/api/v1/mediation/disputes/{dispute.pk}")
    assert response.status_code == 200
    reads = AuditLog.objects.filter(
        action=AuditLog.Action.REVEAL, object_type="mediation.dispute", object_id=str(dispute.pk)
    )
    assert reads.count() == 2 and {log.user for log in reads} == {staff}


def test_the_page_shows_contacts_masked_until_revealed(dispute, mediator, client_for):
    client = client_for(mediator)
    page = client.get(reverse("mediation:detail", args=[dispute.pk])).content.decode()
    assert "139****1111" in page and "13908911111" not in page
    applicant = dispute.parties.get(role=Party.Role.APPLICANT)
    shown = client.post(reverse("mediation:reveal", args=[applicant.pk]), {"field": "phone"})
    assert "13908911111" in shown.content.decode()
    assert AuditLog.objects.filter(action="reveal", object_type="mediation.party").count() == 1


def test_nothing_of_a_dispute_is_public(dispute_case, dispute_category, personas, room, client):
    dispute_category.public = True
    dispute_category.save()
    dispute = services.dispute_from_case(
        actor=personas["staff_a"], case=dispute_case, room=room, parties=[APPLICANT, RESPONDENT]
    )
    for url in ("/open311/v2/requests.json", f"/open311/v2/requests/{dispute_case.number}.json"):
        body = client.get(url).content.decode()
        assert dispute.number not in body and room.name not in body
        assert not any(text in body for text in ("扎西", "13908911111")), url
    # The mediation pages have no anonymous view at all.
    assert client.get(reverse("mediation:detail", args=[dispute.pk])).status_code == 302


def test_the_journey_from_a_case_through_the_pages(
    dispute_case, personas, room, mediator, client_for
):
    staff = client_for(personas["staff_a"])
    case_page = staff.get(reverse("cases:detail", args=[dispute_case.pk])).content.decode()
    assert reverse("mediation:from_case", args=[dispute_case.pk]) in case_page
    response = staff.post(
        reverse("mediation:from_case", args=[dispute_case.pk]),
        {
            "room": room.pk,
            "kind": "neighbours",
            "applicant_name": "扎西",
            "applicant_phone": "13908911111",
            "respondent_name": "次仁",
        },
    )
    dispute = Dispute.objects.get()
    assert response.status_code == 302 and response["Location"] == dispute.get_absolute_url()
    dispute_case.refresh_from_db()
    assert dispute_case.stage == CaseStage.MEDIATING
    assert (
        dispute.number
        in staff.get(reverse("cases:detail", args=[dispute_case.pk])).content.decode()
    )

    client = client_for(mediator)
    applicant = dispute.parties.get(role="applicant")
    client.post(
        reverse("mediation:move_session", args=[dispute.pk]),
        {"note": "双方陈述", "attended": [applicant.pk]},
    )
    client.post(
        reverse("mediation:agreement", args=[dispute.pk]),
        {"facts": "楼上漏水", "terms": "修好水管，赔偿200元", "performance": "七日内"},
    )
    client.post(reverse("mediation:move_sign", args=[dispute.pk]))
    dispute.refresh_from_db()
    assert dispute.stage == Stage.AGREED
    agreement = dispute.agreements.get()
    printed = client.get(reverse("mediation:docx", args=[agreement.pk]))
    assert printed.status_code == 200
    text = docx_text(printed.content)
    assert "人民调解协议书" in text and agreement.number in text
    assert "扎西" in text and "次仁" in text and "修好水管，赔偿200元" in text
    assert "申请人（签名）" in text and "调解员（签名）" in text
    assert AuditLog.objects.filter(action="export", object_type="mediation.agreement").exists()
    client.post(
        reverse("mediation:move_follow-up", args=[dispute.pk]),
        {"performed": "yes", "note": "已赔偿"},
    )
    assert FollowUp.objects.get(dispute=dispute).performed == "yes"
    dispute_case.refresh_from_db()
    assert dispute_case.stage == CaseStage.CLOSED


def test_a_new_dispute_form_puts_service_errors_on_fields(personas, places, room, client_for):
    response = client_for(personas["staff_a"]).post(
        reverse("mediation:new"),
        {
            "room": room.pk,
            "kind": "family",
            "place": places["grid_a"].pk,
            "summary": "家庭矛盾",
            "applicant_name": "扎西",
            "applicant_phone": "12",
            "respondent_name": "次仁",
        },
    )
    assert response.status_code == 200
    assert response.context["form"].errors["applicant_phone"]
    assert not Dispute.objects.exists()


def test_the_rooms_page_counts_in_scope(dispute, personas, client_for):
    page = client_for(personas["staff_a"]).get(reverse("mediation:rooms"))
    assert page.status_code == 200 and page.context["total"]["received"] == 1
    other = client_for(personas["staff_b"]).get(reverse("mediation:rooms"))
    assert other.context["total"]["received"] == 0 and not other.context["by_room"]


def test_a_need_is_handed_over_on_its_page(personas, registry, room, client_for):
    from civicgrid.volunteers.models import Need

    household = registry["household_a"]
    household.is_central_household = True
    household.central_household = household
    household.save()
    need = Need.objects.create(
        central=household, neighbour=household, text="停车纠纷", category="dispute"
    )
    response = client_for(personas["staff_a"]).post(
        reverse("mediation:from_need", args=[need.pk]),
        {"room": room.pk, "kind": "neighbours", "applicant_name": "甲", "respondent_name": "乙"},
    )
    assert response.status_code == 302 and Dispute.objects.get().need == need
    assert (
        client_for(personas["staff_b"])
        .get(reverse("mediation:from_need", args=[need.pk]))
        .status_code
        == 404
    )


# The API ---------------------------------------------------------------------


def test_the_api_opens_moves_and_pages(personas, places, room, mediator, api_for):
    api = api_for(mediator)
    body = {
        "room_id": room.pk,
        "place_id": places["grid_a"].pk,
        "kind": "neighbours",
        "summary": "楼上漏水",
        "parties": [
            {"role": "applicant", "name": "扎西", "phone": "13908911111"},
            {"role": "respondent", "name": "次仁"},
        ],
    }
    made = [
        api.post("/api/v1/mediation/disputes", body, content_type="application/json")
        for _ in range(3)
    ]
    assert [r.status_code for r in made] == [201, 201, 201]
    first = made[0].json()
    assert (
        first["parties"][0]["phone_masked"] == "139****1111" and "phone" not in first["parties"][0]
    )
    assert first["allowed_actions"] == ["session", "fail"]
    page = api.get("/api/v1/mediation/disputes?limit=2").json()
    assert len(page["items"]) == 2 and page["next_cursor"]
    rest = api.get(page["next"]).json()
    assert len(rest["items"]) == 1 and rest["next"] is None
    url = f"/api/v1/mediation/disputes/{first['id']}"
    post = lambda path, data: api.post(url + path, data, content_type="application/json")  # noqa: E731
    assert (
        post("/session", {"note": "陈述", "attended": [first["parties"][0]["id"]]}).status_code
        == 200
    )
    assert post("/agreement", {"facts": "漏水", "terms": "赔偿200元"}).status_code == 200
    signed = post("/sign", {"note": ""})
    assert signed.status_code == 200 and signed.json()["stage"] == "agreed"
    refused = post("/agreement", {"facts": "漏水", "terms": "赔偿300元"})
    assert refused.status_code == 400
    correction = post("/correction", {"facts": "漏水", "terms": "赔偿300元", "reason": "笔误"})
    assert correction.status_code == 201 and correction.json()["version"] == 2
    assert list(Agreement.objects.values_list("terms", flat=True)) == ["赔偿200元", "赔偿300元"]
    bad = post("/follow-up", {"performed": "maybe"})
    assert bad.status_code == 400 and "performed" in bad.json()["errors"]
    assert post("/follow-up", {"performed": "partly"}).status_code == 200
    reveal = api.post(
        f"/api/v1/mediation/parties/{first['parties'][0]['id']}/reveal",
        {"field": "phone"},
        content_type="application/json",
    )
    assert reveal.json() == {"field": "phone", "value": "13908911111"}


def test_the_api_refuses_outsiders_and_bad_input(dispute, personas, places, room, api_for):
    outsider = api_for(personas["staff_b"])
    assert outsider.get(f"/api/v1/mediation/disputes/{dispute.pk}").status_code == 404
    assert outsider.get("/api/v1/mediation/disputes").json()["items"] == []
    assert (
        outsider.post(
            f"/api/v1/mediation/disputes/{dispute.pk}/fail",
            {"note": "x", "referral": "court"},
            content_type="application/json",
        ).status_code
        == 404
    )
    staff = api_for(personas["staff_a"])
    failed = staff.post(
        f"/api/v1/mediation/disputes/{dispute.pk}/fail",
        {"note": "不成", "referral": "nowhere"},
        content_type="application/json",
    )
    assert failed.status_code == 400 and "referral" in failed.json()["errors"]
    opened = staff.post(
        "/api/v1/mediation/disputes",
        {
            "room_id": room.pk,
            "place_id": places["grid_a"].pk,
            "kind": "x",
            "summary": "",
            "parties": [],
        },
        content_type="application/json",
    )
    assert opened.status_code == 400 and {"kind", "summary"} <= set(opened.json()["errors"])
    assert staff.get("/api/v1/mediation/disputes?cursor=nonsense").status_code == 400


def test_the_api_hands_a_case_over(dispute_case, personas, room, mediator, api_for):
    body = {
        "room_id": room.pk,
        "parties": [{"role": "applicant", "name": "甲"}, {"role": "respondent", "name": "乙"}],
    }
    assert (
        api_for(personas["staff_b"])
        .post(f"/api/v1/cases/{dispute_case.pk}/mediation", body, content_type="application/json")
        .status_code
        == 404
    )
    response = api_for(personas["staff_a"]).post(
        f"/api/v1/cases/{dispute_case.pk}/mediation", body, content_type="application/json"
    )
    assert response.status_code == 201 and response.json()["source"] == "case"
    dispute_case.refresh_from_db()
    assert dispute_case.stage == CaseStage.MEDIATING
    # The case's own API offers no bare mediation move.
    moves = api_for(personas["staff_a"]).get(f"/api/v1/cases/{dispute_case.pk}").json()
    assert "mediate" not in json.dumps(moves.get("allowed_actions", []))
    assert (
        api_for(personas["staff_a"])
        .post(f"/api/v1/cases/{dispute_case.pk}/mediation-end", {}, content_type="application/json")
        .status_code
        == 404
    )
    assert CaseEvent.objects.filter(case=dispute_case, action="mediate").count() == 1


def test_pages_in_english_and_the_mediators_home(dispute, mediator, personas, client_for):
    from civicgrid.notify.models import Notice

    client = client_for(mediator)
    home = client.get("/")
    assert home.status_code == 200 and reverse("mediation:list") in home.content.decode()
    english = client.get(
        reverse("mediation:detail", args=[dispute.pk]), HTTP_ACCEPT_LANGUAGE="en"
    ).content.decode()
    assert "Session minutes" in english and "Parties" in english
    # A grid worker sees no mediation entry and hears of no dispute.
    assert reverse("mediation:list") not in client_for(personas["grid_a"]).get("/").content.decode()
    from civicgrid.mediation.flow import A, disputes

    disputes.move(dispute, A.FAIL, actor=mediator, note="不成", referral="court")
    told = set(Notice.objects.values_list("user__username", flat=True))
    assert told == {"staff_a", "mediator_a"}


def test_lists_are_for_mediation_readers_only(dispute, mediator, personas, client_for):
    for name in ("grid_a", "doctor_a", "resident", "department"):
        client = client_for(personas[name])
        for url in (
            reverse("mediation:list"),
            reverse("mediation:rooms"),
            reverse("mediation:new"),
        ):
            assert client.get(url).status_code == 403, (name, url)
    listed = client_for(mediator).get(reverse("mediation:list"))
    assert listed.status_code == 200 and dispute.number in listed.content.decode()
    assert (
        dispute.number
        not in client_for(personas["staff_b"]).get(reverse("mediation:list")).content.decode()
    )


def test_the_printed_agreement_keeps_hostile_text_as_text(personas, places, room, mediator):
    from civicgrid.mediation.documents import agreement_docx
    from civicgrid.mediation.flow import A, disputes

    hostile = services.PartyIn(role="applicant", name="<w：t>&amp；\x07扎西")
    dispute = services.dispute_open(
        actor=mediator,
        room=room,
        place=places["grid_a"],
        kind="debt",
        summary="欠款",
        parties=[hostile, RESPONDENT],
    )
    disputes.move(dispute, A.SESSION, actor=mediator, note="笔录")
    agreement = services.agreement_draft(
        actor=mediator, dispute=dispute, facts="第一行\n第二行", terms="]]><x/> & 还款"
    )
    text = docx_text(agreement_docx(agreement))
    assert "<w：t>&amp；扎西" in text and "]]><x/> & 还款" in text and "第一行" in text


def test_the_home_card_shows_open_disputes_to_their_readers(
    dispute, mediator, personas, client_for
):
    assert "调解中的纠纷" in client_for(mediator).get("/").content.decode()
    assert "调解中的纠纷" not in client_for(personas["staff_b"]).get("/").content.decode()


def test_the_api_hands_a_need_over(personas, registry, room, api_for):
    from civicgrid.volunteers.models import Need

    household = registry["household_a"]
    household.is_central_household = True
    household.central_household = household
    household.save()
    need = Need.objects.create(
        central=household, neighbour=household, text="噪音扰民", category="dispute"
    )
    body = {
        "room_id": room.pk,
        "parties": [{"role": "applicant", "name": "甲"}, {"role": "respondent", "name": "乙"}],
    }
    url = f"/api/v1/notebook/needs/{need.pk}/mediation"
    outsider = api_for(personas["staff_b"]).post(url, body, content_type="application/json")
    assert outsider.status_code == 404
    response = api_for(personas["staff_a"]).post(url, body, content_type="application/json")
    assert response.status_code == 201 and response.json()["source"] == "need"
    need.refresh_from_db()
    assert need.status == Need.Status.RESOLVED
