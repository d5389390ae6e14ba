"""Agreements drafted at the same moment in one room never share a number,
and two mediators signing one agreement at once sign it once. Each thread has
its own connection; run on PostgreSQL with DATABASE_URL=postgres://... too
(on SQLite the IMMEDIATE transactions serialize)."""

import pytest
from django.core.exceptions import ValidationError

from civicgrid.mediation import services
from civicgrid.mediation.flow import A, disputes
from civicgrid.mediation.models import Agreement, DisputeEvent, Kind, Stage
from tests.conftest import restore_seeded_configuration
from tests.mediation.conftest import APPLICANT, RESPONDENT
from tests.volunteers.test_concurrency import _race

pytestmark = pytest.mark.usefixtures("transactional_db")
THREADS = 8


@pytest.fixture(autouse=True)
def _seeded(transactional_db):
    """The tables are emptied at the end: put back what migrations seed."""
    yield
    restore_seeded_configuration()


def _mediating(actor, room, place):
    dispute = services.dispute_open(
        actor=actor,
        room=room,
        place=place,
        kind=Kind.NEIGHBOURS,
        summary="纠纷",
        parties=[APPLICANT, RESPONDENT],
    )
    disputes.move(dispute, A.SESSION, actor=actor, note="笔录")
    return dispute


def test_drafts_at_once_take_distinct_serials(personas, places, room, mediator):
    made = [_mediating(mediator, room, places["grid_a"]) for _ in range(THREADS)]

    def draft(i):
        return services.agreement_draft(actor=mediator, dispute=made[i], facts="f", terms="t")

    results = _race(draft, THREADS)
    assert all(isinstance(r, Agreement) for r in results), results
    assert sorted(Agreement.objects.values_list("serial", flat=True)) == list(range(1, THREADS + 1))


def test_two_signings_at_once_sign_once(personas, places, room, mediator):
    dispute = _mediating(mediator, room, places["grid_a"])
    services.agreement_draft(actor=mediator, dispute=dispute, facts="f", terms="t")
    staff = personas["staff_a"]

    def sign(i):
        return disputes.move(dispute, A.SIGN, actor=(mediator, staff)[i])

    results = _race(sign, 2)
    refused = [r for r in results if isinstance(r, ValidationError)]
    assert len(refused) == 1, results
    assert "不能签署调解协议书" in refused[0].messages[0]
    dispute.refresh_from_db()
    assert dispute.stage == Stage.AGREED
    assert DisputeEvent.objects.filter(dispute=dispute, action=A.SIGN).count() == 1
