"""The rules of mediation: opening, sessions, the agreement and its number,
signing freezes it, corrections, oral agreements, referral on failure,
follow-ups, scope and audited reads; and the journeys from a case and from a
notebook need."""

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from civicgrid.access.models import AuditLog
from civicgrid.access.scoping import VIEW
from civicgrid.cases.models import CaseEvent
from civicgrid.cases.models import Stage as CaseStage
from civicgrid.cases.workflow import allowed_actions, case_move
from civicgrid.mediation import selectors, services
from civicgrid.mediation.flow import A, disputes
from civicgrid.mediation.models import (
    Agreement,
    Dispute,
    FollowUp,
    Kind,
    Party,
    Referral,
    SignedAgreementError,
    Source,
    Stage,
)
from civicgrid.volunteers.models import Need
from tests.mediation.conftest import APPLICANT, RESPONDENT

LHASA = ZoneInfo("Asia/Shanghai")


def _agree(dispute, actor, terms="修好水管,赔偿200元"):
    disputes.move(dispute, A.SESSION, actor=actor, note="双方到场,陈述各自意见")
    agreement = services.agreement_draft(actor=actor, dispute=dispute, facts="漏水", terms=terms)
    disputes.move(dispute, A.SIGN, actor=actor)
    dispute.refresh_from_db()
    agreement.refresh_from_db()
    return agreement


# Opening ---------------------------------------------------------------------


def test_a_dispute_opens_received_with_masked_encrypted_parties(dispute):
    assert dispute.stage == Stage.RECEIVED and dispute.number.startswith("TJ")
    assert dispute.source == Source.DIRECT
    applicant = dispute.parties.get(role=Party.Role.APPLICANT)
    assert applicant.phone_masked == "139****1111"
    assert applicant.id_number_masked == "5401**********1231"
    raw = Party.objects.filter(pk=applicant.pk).values_list("phone", flat=True).query
    from django.db import connection

    with connection.cursor() as cursor:
        sql, params = raw.sql_with_params()
        cursor.execute(sql, params)
        stored = cursor.fetchone()[0]
    assert "13908911111" not in stored  # encrypted at rest
    assert dispute.events.get().action == A.RECEIVE


def test_opening_needs_both_parties_kind_and_summary(personas, places, room):
    with pytest.raises(ValidationError) as error:
        services.dispute_open(
            actor=personas["staff_a"],
            room=room,
            place=places["grid_a"],
            kind="gossip",
            summary=" ",
            parties=[APPLICANT],
        )
    assert {"kind", "summary"} <= set(error.value.message_dict)
    with pytest.raises(ValidationError) as error:
        services.dispute_open(
            actor=personas["staff_a"],
            room=room,
            place=places["grid_a"],
            kind=Kind.FAMILY,
            summary="家庭矛盾",
            parties=[APPLICANT],
        )
    assert "parties" in error.value.message_dict
    bad_phone = services.PartyIn(role=Party.Role.RESPONDENT, name="次仁", phone="12")
    with pytest.raises(ValidationError) as error:
        services.dispute_open(
            actor=personas["staff_a"],
            room=room,
            place=places["grid_a"],
            kind=Kind.FAMILY,
            summary="家庭矛盾",
            parties=[APPLICANT, bad_phone],
        )
    assert "parties.1.phone" in error.value.message_dict
    assert not Dispute.objects.exists()


def test_only_staff_in_scope_or_the_rooms_mediators_open_in_a_room(
    personas, places, room, mediator, other_mediator
):
    for outsider in (personas["staff_b"], personas["grid_a"], other_mediator):
        with pytest.raises(PermissionDenied):
            services.dispute_open(
                actor=outsider,
                room=room,
                place=places["grid_a"],
                kind=Kind.NEIGHBOURS,
                summary="纠纷",
                parties=[APPLICANT, RESPONDENT],
            )
    made = services.dispute_open(
        actor=mediator,
        room=room,
        place=places["grid_a"],
        kind=Kind.NEIGHBOURS,
        summary="纠纷",
        parties=[APPLICANT, RESPONDENT],
    )
    assert made.created_by == mediator


# Sessions and moves -----------------------------------------------------------


def test_a_session_keeps_notes_and_attendance_and_starts_mediating(dispute, mediator):
    applicant = dispute.parties.get(role=Party.Role.APPLICANT)
    disputes.move(dispute, A.SESSION, actor=mediator, note="申请人陈述", attended=(applicant.pk,))
    dispute.refresh_from_db()
    assert dispute.stage == Stage.MEDIATING
    session = dispute.sessions.get()
    assert session.notes == "申请人陈述" and list(session.attended.all()) == [applicant]
    assert session.mediator == mediator
    # The history keeps a line, never the minutes.
    assert "申请人陈述" not in dispute.events.last().note


def test_a_session_refuses_empty_notes_and_strangers(dispute, mediator, other_mediator):
    with pytest.raises(ValidationError):
        disputes.move(dispute, A.SESSION, actor=mediator, note=" ")
    with pytest.raises(PermissionDenied):
        disputes.move(dispute, A.SESSION, actor=other_mediator, note="笔录")
    with pytest.raises(ValidationError):
        disputes.move(dispute, A.SESSION, actor=mediator, note="笔录", attended=(999999,))
    assert not dispute.sessions.exists()


def test_a_grid_worker_and_other_community_staff_cannot_move(dispute, personas):
    for actor in (personas["grid_a"], personas["staff_b"], personas["doctor_a"]):
        with pytest.raises(PermissionDenied):
            disputes.move(dispute, A.SESSION, actor=actor, note="笔录")


# The agreement ------------------------------------------------------------------


@time_machine.travel(datetime(2026, 3, 5, 10, tzinfo=LHASA), tick=False)
def test_agreements_are_numbered_per_room_and_year(personas, places, room, mediator):
    numbers = []
    for _ in range(2):
        dispute = services.dispute_open(
            actor=mediator,
            room=room,
            place=places["grid_a"],
            kind=Kind.NEIGHBOURS,
            summary="纠纷",
            parties=[APPLICANT, RESPONDENT],
        )
        numbers.append(_agree(dispute, mediator).number)
    assert numbers == ["（2026）卓调字第1号", "（2026）卓调字第2号"]
    with time_machine.travel(datetime(2027, 1, 2, 10, tzinfo=LHASA), tick=False):
        dispute = services.dispute_open(
            actor=mediator,
            room=room,
            place=places["grid_a"],
            kind=Kind.DEBT,
            summary="欠款",
            parties=[APPLICANT, RESPONDENT],
        )
        assert _agree(dispute, mediator).number == "（2027）卓调字第1号"


def test_signing_needs_a_draft_and_only_while_mediating(dispute, mediator):
    with pytest.raises(ValidationError):
        services.agreement_draft(actor=mediator, dispute=dispute, facts="f", terms="t")
    disputes.move(dispute, A.SESSION, actor=mediator, note="笔录")
    with pytest.raises(ValidationError) as error:
        disputes.move(dispute, A.SIGN, actor=mediator)
    assert "起草" in error.value.messages[0]
    with pytest.raises(ValidationError) as error:
        services.agreement_draft(actor=mediator, dispute=dispute, facts="f", terms=" ")
    assert "terms" in error.value.message_dict


def test_a_draft_may_be_rewritten_and_keeps_its_number(dispute, mediator):
    disputes.move(dispute, A.SESSION, actor=mediator, note="笔录")
    first = services.agreement_draft(actor=mediator, dispute=dispute, facts="f", terms="赔偿100元")
    again = services.agreement_draft(actor=mediator, dispute=dispute, facts="f", terms="赔偿200元")
    assert first.pk == again.pk and again.terms == "赔偿200元" and again.serial == first.serial
    assert AuditLog.objects.filter(object_type="mediation.agreement", action="update").exists()


def test_a_signed_agreement_cannot_be_edited_a_correction_is_a_new_version(dispute, mediator):
    signed = _agree(dispute, mediator)
    assert dispute.stage == Stage.AGREED and signed.signed
    assert dispute.solved_by == dispute.room and dispute.ended_at is not None
    # Not through the service ...
    with pytest.raises(ValidationError):
        services.agreement_draft(actor=mediator, dispute=dispute, facts="f", terms="改了")
    # ... nor by saving the row, nor set-wise, nor by deleting it.
    signed.terms = "改了"
    with pytest.raises(SignedAgreementError):
        signed.save()
    with pytest.raises(SignedAgreementError):
        Agreement.objects.filter(pk=signed.pk).update(terms="改了")
    with pytest.raises(SignedAgreementError):
        signed.delete()
    signed.refresh_from_db()
    assert signed.terms == "修好水管,赔偿200元"
    with pytest.raises(ValidationError):
        services.agreement_correct(
            actor=mediator, dispute=dispute, facts="漏水", terms="赔偿300元", reason=""
        )
    correction = services.agreement_correct(
        actor=mediator, dispute=dispute, facts="漏水", terms="赔偿300元", reason="金额笔误"
    )
    assert correction.version == 2 and correction.serial == signed.serial and correction.signed
    assert correction.number.endswith("(更正第2版)")
    assert list(dispute.agreements.values_list("terms", flat=True)) == [
        "修好水管,赔偿200元",
        "赔偿300元",
    ]
    assert dispute.events.last().action == A.CORRECT


def test_an_oral_agreement_records_its_terms(dispute, mediator):
    disputes.move(dispute, A.SESSION, actor=mediator, note="笔录")
    with pytest.raises(ValidationError):
        disputes.move(dispute, A.ORAL, actor=mediator, note="")
    disputes.move(dispute, A.ORAL, actor=mediator, note="当场道歉,互相谅解")
    dispute.refresh_from_db()
    assert dispute.stage == Stage.ORAL and dispute.oral_terms == "当场道歉,互相谅解"
    assert dispute.solved_by == dispute.room


def test_a_failure_needs_a_referral_and_a_reason(dispute, mediator):
    with pytest.raises(ValidationError) as error:
        disputes.move(dispute, A.FAIL, actor=mediator, note="双方分歧大")
    assert "referral" in error.value.message_dict
    with pytest.raises(ValidationError):
        disputes.move(dispute, A.FAIL, actor=mediator, note="", referral=Referral.COURT)
    disputes.move(dispute, A.FAIL, actor=mediator, note="双方分歧大", referral=Referral.COURT)
    dispute.refresh_from_db()
    assert dispute.stage == Stage.FAILED and dispute.referral == Referral.COURT
    assert dispute.solved_by is None
    with pytest.raises(ValidationError):
        disputes.move(dispute, A.SESSION, actor=mediator, note="再调")


def test_follow_ups_record_whether_the_agreement_was_performed(dispute, mediator):
    with pytest.raises(ValidationError):  # nothing agreed yet
        disputes.move(dispute, A.FOLLOW_UP, actor=mediator, performed="yes")
    _agree(dispute, mediator)
    with pytest.raises(ValidationError) as error:
        disputes.move(dispute, A.FOLLOW_UP, actor=mediator, performed="maybe")
    assert "performed" in error.value.message_dict
    disputes.move(dispute, A.FOLLOW_UP, actor=mediator, performed="partly", note="已赔偿一半")
    disputes.move(dispute, A.FOLLOW_UP, actor=mediator, performed="yes", note="已全部履行")
    assert list(dispute.follow_ups.values_list("performed", flat=True)) == ["partly", "yes"]
    assert FollowUp.objects.filter(dispute=dispute, visitor=mediator).count() == 2
    with pytest.raises(ValidationError):
        disputes.move(
            dispute,
            A.FOLLOW_UP,
            actor=mediator,
            performed="yes",
            visited_at=dispute.received_at - timedelta(days=1),
        )


# Scope and audited reads ----------------------------------------------------------


def test_only_the_rooms_mediators_and_staff_in_scope_see_a_dispute(
    dispute, personas, mediator, other_mediator
):
    seen = {
        name: Dispute.objects.for_user(user, VIEW).filter(pk=dispute.pk).exists()
        for name, user in {**personas, "mediator": mediator, "other": other_mediator}.items()
    }
    assert seen == {
        "admin": True,
        "staff_a": True,
        "staff_b": False,
        "grid_a": False,
        "department": False,
        "doctor_a": False,
        "resident": False,
        "root": True,
        "mediator": True,
        "other": False,
    }
    assert not Party.objects.for_user(other_mediator).exists()
    assert Party.objects.for_user(mediator).count() == 2


def test_a_mediator_who_leaves_the_room_sees_nothing(dispute, mediator):
    mediator.mediator_seats.update(active=False)
    assert not Dispute.objects.for_user(mediator).exists()


def test_revealing_a_partys_contact_is_audited(dispute, mediator, other_mediator, personas):
    applicant = dispute.parties.get(role=Party.Role.APPLICANT)
    assert services.party_reveal(actor=mediator, party=applicant, field="phone") == "13908911111"
    log = AuditLog.objects.get(action=AuditLog.Action.REVEAL, object_type="mediation.party")
    assert log.user == mediator and log.note == "phone"
    for outsider in (other_mediator, personas["staff_b"], personas["grid_a"]):
        with pytest.raises(PermissionDenied):
            services.party_reveal(actor=outsider, party=applicant, field="phone")
    with pytest.raises(ValidationError):
        services.party_reveal(actor=mediator, party=applicant, field="name_hash")


# The case journey -------------------------------------------------------------


def test_case_to_dispute_to_agreement_to_follow_up(dispute_case, personas, room, mediator):
    staff = personas["staff_a"]
    case_move(case=dispute_case, action=CaseEvent.Action.ACCEPT, actor=staff)
    assert CaseEvent.Action.MEDIATE not in allowed_actions(dispute_case, staff)  # no bare button
    dispute = services.dispute_from_case(
        actor=staff, case=dispute_case, room=room, parties=[APPLICANT, RESPONDENT]
    )
    dispute_case.refresh_from_db()
    assert dispute.source == Source.CASE and dispute.case == dispute_case
    assert dispute_case.stage == CaseStage.MEDIATING and dispute_case.is_open
    handed = dispute_case.events.last()
    assert handed.action == CaseEvent.Action.MEDIATE and dispute.number in handed.note
    assert "扎西" not in handed.note  # the case timeline names no party
    # The waiting case takes no other move meanwhile.
    with pytest.raises(ValidationError):
        case_move(case=dispute_case, action=CaseEvent.Action.CLOSE, actor=staff)
    assert (
        services.dispute_from_case(
            actor=staff, case=dispute_case, room=room, parties=[APPLICANT, RESPONDENT]
        )
        == dispute
    )
    agreement = _agree(dispute, mediator)
    dispute_case.refresh_from_db()
    assert dispute_case.stage == CaseStage.CLOSED and dispute_case.closed_at is not None
    assert dispute_case.events.last().action == CaseEvent.Action.MEDIATION_END
    disputes.move(dispute, A.FOLLOW_UP, actor=mediator, performed="yes", note="已履行")
    assert dispute.follow_ups.count() == 1 and agreement.signed


def test_a_failed_mediation_resumes_the_case(dispute_case, personas, room, mediator):
    staff = personas["staff_a"]
    dispute = services.dispute_from_case(
        actor=staff, case=dispute_case, room=room, parties=[APPLICANT, RESPONDENT]
    )
    disputes.move(dispute, A.FAIL, actor=mediator, note="分歧大", referral=Referral.JUDICIAL_OFFICE)
    dispute_case.refresh_from_db()
    assert dispute_case.stage == CaseStage.ACCEPTED and dispute_case.closed_at is None
    assert "司法所" in dispute_case.events.last().note


def test_only_staff_in_scope_hand_a_case_over(dispute_case, personas, room, mediator):
    for actor in (personas["staff_b"], mediator):
        with pytest.raises(PermissionDenied):
            services.dispute_from_case(
                actor=actor, case=dispute_case, room=room, parties=[APPLICANT, RESPONDENT]
            )
    dispute_case.refresh_from_db()
    assert dispute_case.stage == CaseStage.REPORTED and not Dispute.objects.exists()


def test_the_case_moves_of_mediation_are_refused_without_a_dispute(dispute_case, personas):
    staff = personas["staff_a"]
    with pytest.raises(PermissionDenied):
        case_move(case=dispute_case, action=CaseEvent.Action.MEDIATE, actor=staff)


# The notebook journey -------------------------------------------------------------


def test_a_notebook_need_goes_to_mediation(personas, places, registry, room, mediator):
    central = registry["household_a"]
    central.is_central_household = True
    central.save()
    neighbour = registry["household_a"]
    neighbour.central_household = central
    neighbour.save()
    need = Need.objects.create(
        central=central, neighbour=neighbour, text="和隔壁因停车吵架", category="dispute"
    )
    dispute = services.dispute_from_need(
        actor=personas["staff_a"], need=need, room=room, parties=[APPLICANT, RESPONDENT]
    )
    need.refresh_from_db()
    assert dispute.source == Source.NEED and dispute.summary == "和隔壁因停车吵架"
    assert need.status == Need.Status.RESOLVED and dispute.number in need.resolution
    with pytest.raises(ValidationError):
        other = Need.objects.create(
            central=central, neighbour=neighbour, text="x", category="dispute", status="resolved"
        )
        services.dispute_from_need(
            actor=personas["staff_a"], need=other, room=room, parties=[APPLICANT, RESPONDENT]
        )


# Figures ------------------------------------------------------------------------------


def test_counts_per_room_community_and_month(personas, places, room, mediator):
    staff = personas["staff_a"]
    with time_machine.travel(datetime(2026, 2, 10, 10, tzinfo=LHASA), tick=False):
        made = [
            services.dispute_open(
                actor=staff,
                room=room,
                place=places["grid_a"],
                kind=Kind.NEIGHBOURS,
                summary="纠纷",
                parties=[APPLICANT, RESPONDENT],
            )
            for _ in range(3)
        ]
        _agree(made[0], mediator)
        disputes.move(made[1], A.FAIL, actor=mediator, note="不成", referral="court")
    with time_machine.travel(datetime(2026, 3, 1, 10, tzinfo=LHASA), tick=False):
        disputes.move(made[0], A.FOLLOW_UP, actor=mediator, performed="yes")
        from datetime import date

        from civicgrid.lib.period import Period

        year = Period(date(2026, 1, 1), date(2026, 12, 31))
        total = selectors.counts(staff, start=year.start, end=year.end)
        assert total == {
            "received": 3,
            "mediated": 2,
            "agreements": 1,
            "written": 1,
            "referred": 1,
            "follow_ups": 1,
            "success_rate": 0.5,
        }
        per_room = selectors.counts_by(staff, by="room", start=year.start, end=year.end)
        assert [(r["label"], r["received"], r["follow_ups"]) for r in per_room] == [
            ("卓玛调解室", 3, 1)
        ]
        per_community = selectors.counts_by(staff, by="community", start=year.start, end=year.end)
        assert [(r["label"], r["mediated"]) for r in per_community] == [("泽新社区", 2)]
        months = selectors.counts_by_month(
            staff, period=Period(date(2026, 2, 1), date(2026, 3, 31))
        )
        assert [(m["label"], m["received"], m["follow_ups"]) for m in months] == [
            ("2026-02", 3, 0),
            ("2026-03", 0, 1),
        ]
        # Outside the scope: nothing.
        assert (
            selectors.counts(personas["staff_b"], start=year.start, end=year.end)["received"] == 0
        )
        assert timezone.now().year == 2026


def test_mediators_are_appointed_by_staff_in_scope(personas, places, room):
    from civicgrid.access.roles import Role
    from civicgrid.mediation.models import Mediator
    from tests.conftest import _user

    lawyer = _user("lawyer", Role.MEDIATOR, scope_place=places["community_a"])
    for outsider in (personas["staff_b"], personas["grid_a"]):
        with pytest.raises(PermissionDenied):
            services.mediator_appoint(actor=outsider, room=room, user=lawyer, kind="lawyer")
    with pytest.raises(ValidationError):
        services.mediator_appoint(actor=personas["staff_a"], room=room, user=lawyer, kind="x")
    seat = services.mediator_appoint(
        actor=personas["staff_a"], room=room, user=lawyer, kind="lawyer"
    )
    assert seat.active and Mediator.objects.filter(room=room, user=lawyer).count() == 1
    assert AuditLog.objects.filter(object_type="mediation.mediator").exists()


def test_brand_credit_and_home_counts(dispute, mediator, personas, brand):
    from datetime import date

    from civicgrid.lib.period import Period

    assert selectors.home_counts(mediator, now=timezone.now()) == {"open": 1, "follow_ups_due": 0}
    _agree(dispute, mediator)
    later = timezone.now() + timedelta(days=20)
    assert selectors.home_counts(mediator, now=later) == {"open": 0, "follow_ups_due": 1}
    disputes.move(dispute, A.FOLLOW_UP, actor=mediator, performed="yes")
    assert selectors.home_counts(mediator, now=later)["follow_ups_due"] == 0
    today = timezone.localdate()
    year = Period(date(today.year, 1, 1), date(today.year, 12, 31))
    credit = selectors.solved_by_brand(personas["admin"], start=year.start, end=year.end)
    assert credit == {brand.pk: 1}
    assert selectors.solved_by_brand(personas["staff_b"], start=year.start, end=year.end) == {}
    # The brand's credit for "problems solved by residents themselves".
    from civicgrid.registry.brands import credit_of, solved_count

    assert credit_of(dispute).brand == brand
    assert solved_count(user=personas["admin"], period=year) == 1


def test_a_repeated_hand_over_tells_outsiders_nothing(dispute_case, personas, room, mediator):
    staff = personas["staff_a"]
    dispute = services.dispute_from_case(
        actor=staff, case=dispute_case, room=room, parties=[APPLICANT, RESPONDENT]
    )
    # A grid worker may change the case but may not receive disputes, let
    # alone read this one.
    with pytest.raises(PermissionDenied):
        services.dispute_from_case(
            actor=personas["grid_a"], case=dispute_case, room=room, parties=[APPLICANT]
        )
    # Whoever may read the dispute finds it again.
    again = services.dispute_from_case(
        actor=personas["admin"], case=dispute_case, room=room, parties=[APPLICANT, RESPONDENT]
    )
    assert again == dispute


def test_staff_receive_only_what_arose_in_their_scope(personas, places, room, mediator):
    # 卓玛调解室 takes its street's disputes; community A's staff receive only A's.
    with pytest.raises(ValidationError) as error:
        services.dispute_open(
            actor=personas["staff_a"],
            room=room,
            place=places["grid_b"],
            kind=Kind.NEIGHBOURS,
            summary="纠纷",
            parties=[APPLICANT, RESPONDENT],
        )
    assert "place" in error.value.message_dict
    made = services.dispute_open(
        actor=mediator,
        room=room,
        place=places["grid_b"],
        kind=Kind.NEIGHBOURS,
        summary="纠纷",
        parties=[APPLICANT, RESPONDENT],
    )
    assert Dispute.objects.for_user(personas["staff_b"]).filter(pk=made.pk).exists()
