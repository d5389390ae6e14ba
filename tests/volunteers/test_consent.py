"""An exchange counter spends a volunteer's points only with their consent:
a short-lived code from the volunteer's own page. Without one a counter finds
only the volunteers of its own community. Team pickers offer only teams in
the user's scope."""

from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civicgrid.access.roles import Role
from civicgrid.registry.models import Organisation
from civicgrid.volunteers import activities, exchange, ledger, services
from civicgrid.volunteers.forms import ActivityForm, VolunteerForm
from civicgrid.volunteers.models import Redemption
from tests.factories import consent, give, make_user

COUNTER = "/volunteers/exchange/{}/"


def _redeem(volunteer, schoolbag, operator, code):
    return exchange.redemption_create(
        counter=schoolbag.counter,
        volunteer=volunteer,
        item=schoolbag,
        quantity=1,
        actor=operator,
        code=code,
    )


def test_no_redemption_without_the_volunteers_code(volunteer, schoolbag, operator, client_for):
    give(volunteer, 100)
    for code in ("", "000000", "abc"):
        with pytest.raises(ValidationError, match="兑换码"):
            _redeem(volunteer, schoolbag, operator, code)
    counter = client_for(operator)
    response = counter.post(
        f"{COUNTER.format(schoolbag.counter_id)}redeem/",
        {"volunteer": volunteer.number, "item": schoolbag.pk, "quantity": 1},
        follow=True,
    )
    assert "兑换码" in response.text
    # Looking the volunteer up by number alone shows no redeem buttons.
    page = counter.get(COUNTER.format(schoolbag.counter_id), {"volunteer": volunteer.number})
    assert volunteer.name in page.text and "redeem/" not in page.text
    assert not Redemption.objects.exists() and ledger.volunteer_balance(volunteer) == 100


def test_the_code_from_my_page_lets_the_counter_redeem(
    volunteer, volunteer_user, schoolbag, operator, client_for
):
    give(volunteer, 100)
    me = client_for(volunteer_user)
    page = me.post("/volunteers/me/")
    code = page.text.split('class="redemption-code"', 1)[1].split(">", 1)[1].split("<", 1)[0]
    assert len(code) == 6 and code.isdigit()
    assert 'class="redemption-code"' not in me.get("/volunteers/me/").text  # shown once
    counter = client_for(operator)
    url = COUNTER.format(schoolbag.counter_id)
    page = counter.get(url, {"volunteer": volunteer.number, "code": code})
    assert "redeem/" in page.text
    response = counter.post(
        f"{url}redeem/",
        {"volunteer": volunteer.number, "code": code, "item": schoolbag.pk, "quantity": 1},
    )
    assert response.status_code == 302 and Redemption.objects.get().volunteer == volunteer


def test_a_code_expires_and_guessing_ends_it(volunteer, schoolbag, operator, settings):
    give(volunteer, 500)
    settings.REDEMPTION_CODE_MINUTES = 10
    with time_machine.travel(timezone.now(), tick=False) as clock:
        code = consent(volunteer)
        clock.shift(timedelta(minutes=11))
        with pytest.raises(ValidationError):
            _redeem(volunteer, schoolbag, operator, code)
        code = consent(volunteer)
        wrong = f"{(int(code) + 1) % 1_000_000:06d}"
        for _try in range(exchange.MAX_CODE_FAILURES):
            with pytest.raises(ValidationError):
                _redeem(volunteer, schoolbag, operator, wrong)
        with pytest.raises(ValidationError):
            _redeem(volunteer, schoolbag, operator, code)
        assert not Redemption.objects.exists()
        _redeem(volunteer, schoolbag, operator, consent(volunteer))
    assert Redemption.objects.count() == 1


def test_only_the_volunteer_makes_their_code(volunteer, personas, operator, api_for):
    for someone in (personas["staff_a"], operator):
        with pytest.raises(PermissionDenied):
            exchange.redemption_code_issue(volunteer=volunteer, actor=someone)
    made = api_for(volunteer.user).post("/api/v1/volunteers/me/redemption-code")
    assert made.status_code == 201 and len(made.json()["code"]) == 6
    assert api_for(operator).post("/api/v1/volunteers/me/redemption-code").status_code == 409


def test_the_api_needs_the_code(api_for, operator, volunteer, schoolbag):
    give(volunteer, 60)
    api = api_for(operator)
    body = {"volunteer_id": volunteer.pk, "item_id": schoolbag.pk, "quantity": 1, "code": "1"}
    refused = api.post("/api/v1/redemptions", body, content_type="application/json")
    assert refused.status_code == 400 and "兑换码" in refused.json()["detail"]
    body["code"] = consent(volunteer)
    assert api.post("/api/v1/redemptions", body, content_type="application/json").status_code == 201


def test_a_counter_finds_other_communities_volunteers_only_with_consent(
    places, schoolbag, operator, client_for
):
    from civicgrid.volunteers.models import Volunteer

    elsewhere = Volunteer.objects.create(
        name="次仁",
        community=places["community_b"],
        user=make_user("cering", Role.VOLUNTEER, scope_place=places["community_b"]),
    )
    give(elsewhere, 80)
    counter = client_for(operator)
    url = COUNTER.format(schoolbag.counter_id)
    page = counter.get(url, {"volunteer": elsewhere.number})
    assert "次仁" not in page.text and "80" not in page.text and "兑换码" in page.text
    page = counter.get(url, {"volunteer": elsewhere.number, "code": consent(elsewhere)})
    assert "次仁" in page.text and "redeem/" in page.text


@pytest.fixture
def teams(places):
    def team(code, place):
        return Organisation.objects.create(code=code, name=code, kind="team", place=place)

    return {
        "a": team("team-a", places["community_a"]),
        "b": team("team-b", places["community_b"]),
        "district": team("team-district", places["district"]),
    }


def test_team_pickers_list_teams_in_scope(personas, teams):
    staff = personas["staff_a"]
    for form, field in ((VolunteerForm, "teams"), (ActivityForm, "team")):
        offered = set(form(user=staff).fields[field].queryset.values_list("code", flat=True))
        assert offered == {"team-a", "team-district"}, form
    with pytest.raises(ValidationError, match="管辖范围"):
        services.volunteer_register(
            actor=staff, name="新人", community=teams["a"].place, teams=(teams["b"],)
        )
    start = timezone.now() + timedelta(days=1)
    with pytest.raises(ValidationError, match="管辖范围"):
        activities.activity_create(
            actor=staff,
            title="打扫",
            place=teams["a"].place,
            starts_at=start,
            ends_at=start + timedelta(hours=1),
            capacity=3,
            team=teams["b"],
        )
