"""A wish from entry to thanks, on the flow engine: 扎西's radio."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError

from civicgrid.access.models import AuditLog
from civicgrid.lib.figures import discover, values
from civicgrid.lib.period import Period
from civicgrid.notify.models import Notice
from civicgrid.registry.models import Organisation
from civicgrid.wishes import selectors, services
from civicgrid.wishes.flow import A, wishes
from civicgrid.wishes.models import Wish, WishEvent, WishStage
from civicgrid.wishes.tasks import expire_claims
from tests.wishes.conftest import photo

LHASA = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 3, 10, 10, 0, tzinfo=LHASA)


def enter(personas, tashi, **fields):
    values = {
        "title": "一台收音机",
        "reason": "老人独居,想听藏语广播。",
        "value": 120,
        "consent": True,
    } | fields
    return services.wish_enter(actor=personas["grid_a"], resident=tashi, now=NOW, **values)


@pytest.fixture
def radio(personas, tashi):
    return enter(personas, tashi)


@time_machine.travel(NOW, tick=False)
def test_radio_from_entry_to_thanks(personas, tashi, units, radio):
    assert radio.number.startswith("XY20260310")
    assert radio.stage == WishStage.ENTERED
    assert radio.summary == "一位82岁独居老人希望有一台收音机"
    assert radio.consent_by == "扎西"
    assert AuditLog.objects.filter(object_type="wishes.wish", action="create").exists()

    wishes.move(radio, A.PUBLISH, actor=personas["staff_a"])
    wishes.move(radio, A.CLAIM, actor=units["bank_user"], note="我行员工周末送去")
    radio.refresh_from_db()
    assert radio.unit == units["bank"] and radio.claim_due == NOW + timedelta(days=14)
    assert Notice.objects.filter(user=personas["staff_a"]).exists()

    with pytest.raises(ValidationError) as refused:
        wishes.move(radio, A.DELIVER, actor=units["bank_user"])
    assert "请上传送达照片" in str(refused.value)
    wishes.move(radio, A.DELIVER, actor=units["bank_user"], photos=[photo()])
    assert radio.photos.count() == 1

    # The bank may not confirm for the old man: the grid worker records it.
    with pytest.raises(PermissionDenied):
        wishes.move(radio, A.CONFIRM, actor=units["bank_user"], by_resident=True)
    with pytest.raises(ValidationError):
        wishes.move(radio, A.CONFIRM, actor=personas["grid_a"], by_resident=False)
    wishes.move(radio, A.CONFIRM, actor=personas["grid_a"], by_resident=True)
    wishes.move(radio, A.THANK, actor=personas["grid_a"], note="扎西说谢谢,每天都听广播。")
    radio.refresh_from_db()
    assert radio.stage == WishStage.FULFILLED and radio.confirmed_by_resident is True
    assert radio.thanks.startswith("扎西说谢谢")
    actions = list(radio.events.values_list("action", flat=True))
    assert actions == ["enter", "publish", "claim", "deliver", "confirm", "thank"]
    claim = radio.events.get(action=A.CLAIM)
    assert claim.unit == units["bank"]
    assert Notice.objects.filter(user=units["bank_user"]).exists()

    march = Period.month(NOW.date())
    (row,) = selectors.monthly(user=personas["staff_a"], start=march.start, end=march.end)
    assert row["community"] == "泽新社区" and row["month"] == date(2026, 3, 1)
    assert (row["collected"], row["claimed"], row["fulfilled"], row["value"]) == (1, 1, 1, 120)
    assert selectors.per_unit(user=personas["staff_a"], start=march.start, end=march.end) == [
        {"unit": "农业银行城关支行", "unit_id": units["bank"].pk, "claimed": 1, "fulfilled": 1}
    ]
    assert selectors.monthly(user=personas["staff_b"], start=march.start, end=march.end) == []
    discover()
    keys = ["wishes.collected", "wishes.claimed", "wishes.fulfilled", "wishes.fulfilment_rate"]
    assert values(keys, user=personas["admin"], period=march) == dict(
        zip(keys, [1, 1, 1, 1.0], strict=True)
    )
    april = Period.month(date(2026, 4, 1))
    assert values(keys, user=personas["admin"], period=april) == dict(
        zip(keys, [0, 0, 0, None], strict=True)
    )


def test_over_the_cap_is_refused_naming_the_cap(personas, tashi, places):
    services.cap_set(actor=personas["staff_a"], community=places["community_a"], cap=300)
    with pytest.raises(ValidationError) as refused:
        enter(personas, tashi, value=301)
    message = refused.value.message_dict["value"][0]
    assert "上限 300 元" in message and "泽新社区" in message
    assert not Wish.objects.exists()
    assert enter(personas, tashi, value=300).value == 300


def test_the_default_cap_applies_without_a_setting(personas, tashi):
    with pytest.raises(ValidationError) as refused:
        enter(personas, tashi, value=services.DEFAULT_CAP + 1)
    assert f"上限 {services.DEFAULT_CAP} 元" in refused.value.message_dict["value"][0]


def test_no_consent_no_wish(personas, tashi):
    with pytest.raises(ValidationError) as refused:
        enter(personas, tashi, consent=False)
    assert "consent" in refused.value.message_dict
    assert not Wish.objects.exists()


def test_outsiders_cannot_enter_set_caps_or_publish(personas, tashi, places, radio):
    with pytest.raises(PermissionDenied):
        enter({"grid_a": personas["staff_b"]}, tashi)
    with pytest.raises(PermissionDenied):
        services.cap_set(actor=personas["staff_b"], community=places["community_a"], cap=100)
    with pytest.raises(PermissionDenied):
        services.cap_set(actor=personas["grid_a"], community=places["community_a"], cap=100)
    with pytest.raises(PermissionDenied):
        wishes.move(radio, A.PUBLISH, actor=personas["staff_b"])
    with pytest.raises(PermissionDenied):
        wishes.move(radio, A.PUBLISH, actor=personas["grid_a"])  # reviewing is the community's


def test_cap_changes_are_audited(personas, places):
    services.cap_set(actor=personas["staff_a"], community=places["community_a"], cap=300)
    services.cap_set(actor=personas["staff_a"], community=places["community_a"], cap=400)
    update = AuditLog.objects.get(object_type="wishes.wishcap", action="update")
    assert update.changes["cap"] == [300, 400]
    assert services.cap_for(places["community_a"]) == 400


def test_publishing_refuses_a_summary_that_names_the_resident(personas, radio):
    for leaking in ("扎西希望有一台收音机", "泽新路9号2单元的老人", "电话13989001234"):
        with pytest.raises(ValidationError):
            wishes.move(radio, A.PUBLISH, actor=personas["staff_a"], summary=leaking)
    radio.refresh_from_db()
    assert radio.stage == WishStage.ENTERED


def test_a_unit_of_another_community_may_not_claim(personas, units, radio):
    wishes.move(radio, A.PUBLISH, actor=personas["staff_a"])
    with pytest.raises(PermissionDenied):
        wishes.move(radio, A.CLAIM, actor=units["school_user"])
    with pytest.raises(PermissionDenied):
        wishes.move(radio, A.CLAIM, actor=personas["resident"])


def test_a_second_claim_is_told_the_wish_is_taken(personas, units, radio):
    wishes.move(radio, A.PUBLISH, actor=personas["staff_a"])
    wishes.move(radio, A.CLAIM, actor=units["bank_user"])
    with pytest.raises(ValidationError) as refused:
        wishes.move(radio, A.CLAIM, actor=units["power_user"])
    assert "已认领" in refused.value.messages[0]


def test_a_lapsed_claim_returns_to_the_wall(personas, units, radio):
    with time_machine.travel(NOW, tick=False):
        wishes.move(radio, A.PUBLISH, actor=personas["staff_a"])
        wishes.move(radio, A.CLAIM, actor=units["bank_user"])
    with time_machine.travel(NOW + timedelta(days=13), tick=False):
        assert services.expire_claims() == 0
    with time_machine.travel(NOW + timedelta(days=14, minutes=1), tick=False):
        assert expire_claims.call() == 1
    radio.refresh_from_db()
    assert radio.stage == WishStage.PUBLISHED and radio.unit is None and radio.claim_due is None
    expired = radio.events.get(action=WishEvent.Action.EXPIRE)
    assert expired.unit == units["bank"] and expired.actor is None
    assert Notice.objects.filter(user=units["bank_user"]).exists()
    # Back on the wall, another unit may claim it.
    wishes.move(radio, A.CLAIM, actor=units["power_user"])


def test_a_volunteer_of_the_community_may_claim(personas, places, radio):
    from civicgrid.access.roles import Role
    from civicgrid.volunteers.models import Volunteer
    from tests.conftest import _user

    user = _user("nima", Role.VOLUNTEER, scope_place=places["community_a"])
    volunteer = Volunteer.objects.create(name="尼玛", community=places["community_a"], user=user)
    radio = wishes.move(radio, A.PUBLISH, actor=personas["staff_a"])
    assert A.CLAIM in wishes.allowed(radio, user)
    wishes.move(radio, A.CLAIM, actor=user)
    radio.refresh_from_db()
    assert radio.volunteer == volunteer and radio.unit is None
    assert Wish.objects.for_user(user).filter(pk=radio.pk).exists()


def test_confirming_can_credit_a_brand(personas, places, units, radio):
    from civicgrid.registry.brands import credit_of

    brand = Organisation.objects.create(
        code="b1", name="泽新社区“格桑花”志愿服务队", kind="brand", place=places["community_a"]
    )
    wishes.move(radio, A.PUBLISH, actor=personas["staff_a"])
    wishes.move(radio, A.CLAIM, actor=units["bank_user"])
    wishes.move(radio, A.DELIVER, actor=personas["grid_a"], photos=[photo()])
    wishes.move(radio, A.CONFIRM, actor=personas["grid_a"], by_resident=True, brand=brand)
    assert credit_of(radio).brand == brand


def test_scope_of_the_wish_list(personas, units, radio):
    assert Wish.objects.for_user(personas["staff_a"]).count() == 1
    assert Wish.objects.for_user(personas["staff_b"]).count() == 0
    # A paired unit sees nothing before it is published, then the wall's wish.
    assert Wish.objects.for_user(units["bank_user"]).count() == 0
    wishes.move(radio, A.PUBLISH, actor=personas["staff_a"])
    assert Wish.objects.for_user(units["bank_user"]).count() == 1
    assert Wish.objects.for_user(units["school_user"]).count() == 0
