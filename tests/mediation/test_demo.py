"""The demo's mediation step on the test place tree: rooms for the mediation
brands and 泽新社区, a year of disputes with agreements and follow-ups, the
``mediator`` account seated in 卓玛调解室, and a reload replaces rather than adds."""

from datetime import datetime
from zoneinfo import ZoneInfo

import time_machine

from civicgrid.access.roles import Role
from civicgrid.demo.mediation import load_mediation
from civicgrid.mediation import selectors
from civicgrid.mediation.models import Agreement, Dispute, FollowUp, Party, Room, Stage
from tests.conftest import _user

NOW = datetime(2026, 6, 1, 10, tzinfo=ZoneInfo("Asia/Shanghai"))


@time_machine.travel(NOW, tick=False)
def test_demo_mediation(personas, places, brand):
    mediator = _user("mediator", Role.MEDIATOR, scope_place=places["community_a"])
    _user("zexin", Role.STAFF, scope_place=places["community_a"])
    counts = load_mediation()
    zhuoma = Room.objects.get(name="卓玛调解室")
    assert zhuoma.brand == brand and zhuoma.short == "卓调"
    assert counts["rooms"] == 2 and counts["disputes"] >= 36
    assert counts["agreements"] > 0 and counts["follow_ups"] > 0
    disputes = Dispute.objects.all()
    assert {d.stage for d in disputes} >= {Stage.AGREED, Stage.FAILED}
    assert all(d.received_at >= NOW.replace(year=2025) for d in disputes)
    assert all(d.number.startswith("TJ") for d in disputes)
    # Each agreement numbered once per room and year; contacts encrypted and masked.
    numbers = [a.number for a in Agreement.objects.select_related("room")]
    assert len(numbers) == len(set(numbers)) and all(a.signed for a in Agreement.objects.all())
    party = Party.objects.first()
    assert party.phone and party.phone_masked.count("*") == 4
    assert not Dispute.objects.filter(stage=Stage.FAILED, referral="").exists()
    assert not FollowUp.objects.exclude(dispute__stage__in=[Stage.AGREED, Stage.ORAL]).exists()
    # The mediator sees the disputes of 卓玛调解室 only.
    seen = Dispute.objects.for_user(mediator)
    assert seen.exists() and set(seen.values_list("room", flat=True)) == {zhuoma.pk}
    year = selectors.counts(personas["admin"], start=NOW.replace(year=2025), end=NOW)
    assert year["received"] == counts["disputes"] and 0 < year["success_rate"] <= 1
    assert load_mediation() == counts
    assert Dispute.objects.count() == counts["disputes"]
