"""Objects for the URL walk (tests/test_url_walk.py): one of each mediation
kind in community ``side``, and the room's mediator (an insider persona)."""

from civicgrid.access.roles import Role
from civicgrid.mediation import services
from civicgrid.mediation.flow import A, disputes
from civicgrid.mediation.models import Kind, Mediator, Party, Room

ROLES = [Role.MEDIATOR]


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    from tests.conftest import _user

    grid = places[f"grid_{side}"]
    community = grid.parent
    staff = _user(f"walk_staff_{side}", Role.STAFF, scope_place=community)
    room = Room.objects.create(
        code=f"walk-{side}", name=f"调解室{side}", short="调", place=community
    )
    mediator = _user(f"walk_mediator_{side}", Role.MEDIATOR, scope_place=community)
    Mediator.objects.create(room=room, user=mediator, kind=Mediator.Kind.STAFF)
    dispute = services.dispute_open(
        actor=staff,
        room=room,
        place=grid,
        kind=Kind.NEIGHBOURS,
        summary="邻里纠纷",
        parties=[
            services.PartyIn(role=Party.Role.APPLICANT, name="甲", phone="13908911111"),
            services.PartyIn(role=Party.Role.RESPONDENT, name="乙"),
        ],
    )
    disputes.move(dispute, A.SESSION, actor=staff, note="双方到场陈述")
    agreement = services.agreement_draft(
        actor=staff, dispute=dispute, facts="漏水", terms="修好水管,赔偿200元"
    )
    return {
        "dispute_id": dispute.pk,
        "party_id": dispute.parties.first().pk,
        "agreement_id": agreement.pk,
    }
