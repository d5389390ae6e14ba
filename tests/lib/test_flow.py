"""The flow engine (lib.flow), exercised through the hazard flow: the guard
on the stage, a refused move changing nothing, predicates evaluated once,
after-commit hooks, and API moves generated from the rule table."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import NoReverseMatch, reverse

from civicgrid.lib.flow import Rule, StageWriteError, by_system
from civicgrid.lib.flow_api import move_endpoints
from civicgrid.risks.hazards import HazardFlow, hazard_move, hazards
from civicgrid.risks.models import Hazard, HazardEvent, HazardStage
from tests.flows import put_in_stage

A = HazardEvent.Action


def test_a_stage_written_outside_the_flow_is_refused(new_hazard):
    hazard = Hazard.objects.get(pk=new_hazard().pk)
    hazard.stage = HazardStage.CLOSED
    with pytest.raises(StageWriteError):
        hazard.save()
    with pytest.raises(StageWriteError):
        Hazard.objects.filter(pk=hazard.pk).update(stage=HazardStage.CLOSED)
    hazard.refresh_from_db()
    assert hazard.stage == HazardStage.FOUND
    hazard.description = "其他字段照常保存"
    hazard.save()


def test_a_refused_move_changes_nothing(new_hazard, personas):
    hazard = new_hazard()
    with pytest.raises(PermissionDenied):
        hazard_move(hazard=hazard, action=A.CLOSE, actor=personas["staff_b"])
    with pytest.raises(ValidationError):  # not from "found"
        hazard_move(hazard=hazard, action=A.CLOSE, actor=personas["staff_a"])
    with pytest.raises(ValidationError):  # the effect refuses: no note
        hazard_move(hazard=hazard, action=A.RECTIFY, actor=personas["staff_a"])
    hazard.refresh_from_db()
    assert hazard.stage == HazardStage.FOUND
    assert list(hazard.events.values_list("action", flat=True)) == [A.REGISTER]


def test_each_predicate_runs_once_per_call(new_hazard, personas):
    hazard = new_hazard()
    calls = []

    def counted(obj, move):
        calls.append(move.actor)
        return True

    flow = HazardFlow()
    flow.rules = {
        action: Rule(rule.sources, rule.who if rule.who is by_system else counted, rule.effect)
        for action, rule in hazards.rules.items()
    }
    allowed = flow.allowed(hazard, personas["staff_a"])
    assert set(allowed) == {A.ASSIGN, A.RECTIFY, A.PROMOTE}
    assert len(calls) == 1


def test_after_commit_hook_runs_only_once_committed(
    new_hazard, personas, django_capture_on_commit_callbacks
):
    hazard = new_hazard()
    seen = []
    flow = HazardFlow()
    flow.committed = lambda obj, move, rule: seen.append((obj.stage, move.action))
    with django_capture_on_commit_callbacks(execute=True):
        flow.move(hazard, A.RECTIFY, actor=personas["staff_a"], note="已更换软管")
        assert seen == []
    assert seen == [(HazardStage.RECTIFIED, A.RECTIFY)]


def test_api_moves_come_from_the_rule_table():
    for slug in ("assign", "start", "rectify", "recheck-pass", "recheck-fail", "close", "promote"):
        name = f"api:hazard_{slug.replace('-', '_')}"
        assert reverse(name, kwargs={"hazard_id": 7}) == f"/api/v1/hazards/7/{slug}"
    with pytest.raises(NoReverseMatch):  # a move only the platform makes
        reverse("api:hazard_overdue", kwargs={"hazard_id": 7})


def test_move_endpoints_skip_system_moves_and_cover_specials():
    from ninja import Router

    from civicgrid.lib.flow_api import ApiMove, NoteIn

    router = Router()
    slugs = move_endpoints(
        router,
        flow=hazards,
        path="/things/{thing_id}",
        fetch=lambda request, pk: None,
        response=dict,
        tags=["t"],
        name="thing",
        module=__name__,
        skip=[A.PROMOTE],
        special=[
            ApiMove(
                "recheck",
                NoteIn,
                lambda request, obj, body: (A.RECHECK_PASS, {}),
                (A.RECHECK_PASS, A.RECHECK_FAIL),
            )
        ],
    )
    assert slugs == ["assign", "start", "rectify", "recheck", "close"]


def test_put_in_stage_is_for_test_set_up(new_hazard):
    hazard = put_in_stage(new_hazard(), HazardStage.RECTIFIED)
    assert Hazard.objects.get(pk=hazard.pk).stage == HazardStage.RECTIFIED
