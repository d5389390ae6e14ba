"""Mediation in the demo district: rooms for the mediation brands (卓玛调解室
in 吉日社区 first, then the brands that settle disputes over tea or in a
talking corner) and one for 泽新社区, a year of disputes in each with
sessions, agreements numbered per room and year, oral agreements, referrals
and follow-up visits; some come from the district's neighbour-dispute cases.
The ``mediator`` account (demo.accounts) is a retired cadre (银龄行动) of
卓玛调解室; ``zexin`` sits in 泽新社区's room. Bulk writes: a few hundred rows."""

import random
from datetime import timedelta

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from civicgrid.access.crypto import mask
from civicgrid.cases.models import Case
from civicgrid.cases.models import Stage as CaseStage
from civicgrid.demo.identity import mobile, tibetan_name
from civicgrid.lib.numbers import record_number
from civicgrid.mediation.models import (
    Agreement,
    AgreementSerial,
    Dispute,
    DisputeEvent,
    FollowUp,
    Kind,
    Mediator,
    Party,
    Referral,
    Room,
    Session,
    Source,
    Stage,
)
from civicgrid.registry.models import Organisation, Place

DISTRICT = "540102"
MEDIATION_WORDS = ("调解", "说事", "议事", "茶话会", "夜话")
MORE_ROOMS = 5
PER_ROOM = (18, 32)
KINDS = [
    (Kind.NEIGHBOURS, 40),
    (Kind.FAMILY, 20),
    (Kind.PROPERTY, 15),
    (Kind.DEBT, 10),
    (Kind.LABOUR, 8),
    (Kind.DAMAGES, 7),
]
STORIES = {
    Kind.NEIGHBOURS: (
        "楼上漏水殃及楼下,双方为维修费用争执",
        "双方同意由楼上住户修复水管并赔偿楼下损失",
    ),
    Kind.FAMILY: (
        "兄弟二人为赡养老人分担费用发生矛盾",
        "兄弟二人按月轮流照顾老人,医疗费用平均分担",
    ),
    Kind.PROPERTY: ("住户与物业因停车位收费产生纠纷", "物业退还多收的停车费,住户按新标准缴费"),
    Kind.DEBT: ("朋友之间借款到期未还", "借款人分三期还清欠款"),
    Kind.LABOUR: ("装修工人追讨拖欠的工钱", "雇主一次性结清工钱"),
    Kind.DAMAGES: ("电动车碰撞行人致轻伤", "车主赔偿医疗费和误工费"),
}


def load_mediation(*, seed: str = "mediation", now=None) -> dict:
    """Replace the demo district's mediation records. Returns counts."""
    rng = random.Random(seed)
    now = now or timezone.now()
    with transaction.atomic():
        Dispute._base_manager.filter(place_code__startswith=DISTRICT).delete()
        AgreementSerial.objects.filter(room__place__code__startswith=DISTRICT).delete()
        rooms = _rooms()
        mediators = _mediators(rooms)
        disputes = []
        for room in rooms:
            disputes += _disputes(rng, room, mediators.get(room.pk), now)
    return {
        "rooms": len(rooms),
        "disputes": len(disputes),
        "agreements": Agreement.objects.filter(room__in=rooms).count(),
        "follow_ups": FollowUp.objects.filter(dispute__room__in=rooms).count(),
    }


def _rooms() -> list[Room]:
    brands = Organisation.objects.filter(kind="brand", place__code__startswith=DISTRICT)
    chosen = [b for b in brands.order_by("code") if b.name == "卓玛调解室"]
    chosen += [
        b
        for b in brands.filter(place__level="community").order_by("code")
        if any(word in b.name for word in MEDIATION_WORDS) and b not in chosen
    ][:MORE_ROOMS]
    rooms = []
    for i, brand in enumerate(chosen, start=1):
        name = brand.name if brand.name.endswith("调解室") else f"{brand.name}调解室"
        # The agreement's short: 卓玛调解室 → 卓调, 吉日社区“甜茶馆议事会” → 甜调.
        short = (brand.name.split("“")[-1] or brand.name)[0] + "调"
        rooms.append(_room(f"demo-{i:02d}", name, short, brand.place, brand))
    zexin = Place.objects.get(code__startswith=DISTRICT, name="泽新社区")
    rooms.append(_room("demo-zexin", "泽新社区人民调解委员会", "泽调", zexin, None))
    return rooms


def _room(code, name, short, place, brand) -> Room:
    room, _created = Room.objects.update_or_create(
        code=code,
        defaults={"name": name, "short": short, "place": place, "brand": brand, "active": True},
    )
    return room


def _mediators(rooms: list[Room]) -> dict:
    """The ``mediator`` account (demo.accounts) in 卓玛调解室, ``zexin`` in
    泽新社区's room."""
    User = get_user_model()
    seats = {}
    for room, username, kind in (
        (rooms[0], "mediator", Mediator.Kind.RETIRED_CADRE),
        (rooms[-1], "zexin", Mediator.Kind.STAFF),
    ):
        user = User.objects.filter(username=username).first()
        if user is not None:
            Mediator.objects.update_or_create(
                room=room, user=user, defaults={"kind": kind, "active": True}
            )
            seats[room.pk] = user
    return seats


def _pick(rng, weighted):
    values, weights = zip(*weighted, strict=True)
    return rng.choices(values, weights)[0]


def _disputes(rng, room: Room, mediator, now) -> list[Dispute]:
    grids = list(Place.objects.filter(code__startswith=room.place.code, level="grid"))
    if not grids:
        grids = [room.place]
    cases = list(
        Case.objects.filter(
            category__code="neighbour_dispute",
            place_code__startswith=room.place.code,
            stage=CaseStage.CLOSED,
            dispute__isnull=True,
        ).order_by("reported_at")[:3]
    )
    plans = []
    for i in range(rng.randint(*PER_ROOM)):
        received = now - timedelta(days=rng.uniform(1, 364), hours=rng.uniform(0, 8))
        age = (now - received).days
        if age < 10:
            stage = rng.choice([Stage.RECEIVED, Stage.MEDIATING])
        else:
            stage = _pick(rng, [(Stage.AGREED, 70), (Stage.ORAL, 15), (Stage.FAILED, 15)])
        case = cases.pop() if cases and stage in (Stage.AGREED, Stage.ORAL) else None
        if case is not None:
            received = max(case.reported_at, now - timedelta(days=364))
        kind = Kind.NEIGHBOURS if case else _pick(rng, KINDS)
        plans.append((i, received, stage, kind, case))
    rows = [
        Dispute(
            number=f"T{room.code}-{i}"[:40],
            room=room,
            place=(grid := rng.choice(grids)),
            place_code=grid.code,
            kind=kind,
            source=Source.CASE if case else Source.DIRECT,
            case=case,
            summary=case.description if case else STORIES[kind][0],
            stage=stage,
            received_at=received,
            ended_at=received + timedelta(days=rng.randint(2, 20)) if stage in _ENDED else None,
            created_by=mediator,
        )
        for i, received, stage, kind, case in plans
    ]
    for row in rows:
        if row.ended_at and row.ended_at > now:
            row.ended_at = now - timedelta(hours=1)
        if row.stage in (Stage.AGREED, Stage.ORAL):
            row.solved_by = room
        if row.stage == Stage.ORAL:
            row.oral_terms = "双方当场互相谅解,口头约定不再争执"
        if row.stage == Stage.FAILED:
            row.referral = rng.choice([Referral.JUDICIAL_OFFICE, Referral.COURT])
            row.failure_reason = "双方分歧较大,调解不成,告知当事人依法起诉"
    Dispute.objects.bulk_create(rows)
    rows = list(Dispute._base_manager.filter(room=room).order_by("received_at", "id"))
    for row in rows:
        row.number = record_number(prefix="TJ", at=row.received_at, pk=row.pk)
    Dispute._base_manager.bulk_update(rows, ["number"])
    _details(rng, room, rows, mediator, now)
    return rows


_ENDED = (Stage.AGREED, Stage.ORAL, Stage.FAILED)


def _details(rng, room, disputes, mediator, now) -> None:
    parties, sessions, events, agreements, visits = [], [], [], [], []
    serials: dict[int, int] = {}
    for dispute in disputes:
        for role in (Party.Role.APPLICANT, Party.Role.RESPONDENT):
            phone = mobile(rng)
            parties.append(
                Party(
                    dispute=dispute,
                    role=role,
                    name=tibetan_name(rng, rng.choice(["male", "female"])),
                    phone=phone,
                    phone_masked=mask(phone, keep_start=3, keep_end=4),
                )
            )
        events.append(
            _event(
                dispute,
                dispute.received_at,
                DisputeEvent.Action.RECEIVE,
                "",
                Stage.RECEIVED,
                mediator,
            )
        )
        if dispute.stage == Stage.RECEIVED:
            continue
        held = dispute.received_at + timedelta(days=1)
        if dispute.ended_at and held > dispute.ended_at:
            held = dispute.ended_at
        sessions.append(
            Session(
                dispute=dispute,
                held_at=held,
                location=room.name,
                notes="双方当事人到场,各自陈述事实和诉求,调解员释法明理",
                mediator=mediator,
            )
        )
        events.append(
            _event(
                dispute,
                held,
                DisputeEvent.Action.SESSION,
                Stage.RECEIVED,
                Stage.MEDIATING,
                mediator,
            )
        )
        if dispute.stage not in _ENDED:
            continue
        action = {
            Stage.AGREED: DisputeEvent.Action.SIGN,
            Stage.ORAL: DisputeEvent.Action.ORAL,
            Stage.FAILED: DisputeEvent.Action.FAIL,
        }[dispute.stage]
        events.append(
            _event(dispute, dispute.ended_at, action, Stage.MEDIATING, dispute.stage, mediator)
        )
        if dispute.stage == Stage.AGREED:
            year = timezone.localtime(dispute.ended_at).year
            serials[year] = serials.get(year, 0) + 1
            agreements.append(
                Agreement(
                    dispute=dispute,
                    room=room,
                    year=year,
                    serial=serials[year],
                    facts=dispute.summary,
                    terms=STORIES[dispute.kind][1],
                    performance="自协议签订之日起十五日内履行完毕",
                    drafted_by=mediator,
                    drafted_at=dispute.ended_at,
                    signed_at=dispute.ended_at,
                )
            )
        if dispute.stage in (Stage.AGREED, Stage.ORAL) and rng.random() < 0.75:
            visited = dispute.ended_at + timedelta(days=rng.randint(7, 30))
            if visited < now:
                performed = _pick(
                    rng,
                    [
                        (FollowUp.Performed.YES, 80),
                        (FollowUp.Performed.PARTLY, 15),
                        (FollowUp.Performed.NO, 5),
                    ],
                )
                visits.append(
                    FollowUp(
                        dispute=dispute, visited_at=visited, visitor=mediator, performed=performed
                    )
                )
                events.append(
                    _event(
                        dispute,
                        visited,
                        DisputeEvent.Action.FOLLOW_UP,
                        dispute.stage,
                        dispute.stage,
                        mediator,
                    )
                )
    Party.objects.bulk_create(parties)
    Session.objects.bulk_create(sessions)
    DisputeEvent.objects.bulk_create(events)
    Agreement.objects.bulk_create(agreements)
    FollowUp.objects.bulk_create(visits)
    by_dispute: dict[int, list[Party]] = {}
    for party in parties:
        by_dispute.setdefault(party.dispute_id, []).append(party)
    through = Session.attended.through
    through.objects.bulk_create(
        [
            through(session_id=session.pk, party_id=party.pk)
            for session in sessions
            for party in by_dispute[session.dispute_id]
        ]
    )
    AgreementSerial.objects.bulk_create(
        [AgreementSerial(room=room, year=year, last=last) for year, last in serials.items()]
    )


def _event(dispute, at, action, from_stage, to_stage, actor) -> DisputeEvent:
    return DisputeEvent(
        dispute=dispute, at=at, action=action, from_stage=from_stage, to_stage=to_stage, actor=actor
    )
