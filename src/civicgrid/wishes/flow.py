"""The wish flow: one table of moves on ``lib.flow``'s engine.

entered ─publish→ published ─claim→ claimed ─deliver (photo)→ delivered
─confirm→ fulfilled (─thank→ fulfilled). A claim not delivered by its
deadline expires (the platform's move, ``tasks.expire_claims``) and the wish
goes back on the wall; a claimant may also give it back (release). The
community may send an entered wish back (reject) or withdraw an unclaimed one.

Two claimants pressing "认领" at once: the engine locks the wish's row, so
the second finds it claimed and gets the wrong-stage message naming the stage.
"""

from dataclasses import dataclass
from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.access.roles import Role
from civicgrid.access.scoping import CHANGE, place_in_scope
from civicgrid.lib.flow import Flow, Move, Rule, by_system, require_note
from civicgrid.lib.photos import store
from civicgrid.notify import audiences, outbox
from civicgrid.registry.brands import credit_brand
from civicgrid.registry.models import Organisation
from civicgrid.volunteers.models import Volunteer
from civicgrid.wishes.models import (
    WISH_REVIEWERS,
    Pairing,
    PartyReport,
    Wish,
    WishEvent,
    WishPhoto,
    WishStage,
)
from civicgrid.wishes.public import check_public

A = WishEvent.Action
S = WishStage
# Days a claimant has to deliver before the wish returns to the wall.
CLAIM_DAYS = 14
MAX_PHOTOS = 4


@dataclass
class WishMove(Move):
    summary: str = ""
    by_resident: bool | None = None
    brand: Organisation | None = None
    # Filled by the claim check: who claims.
    unit: Organisation | None = None
    volunteer: Volunteer | None = None


# Who may ----------------------------------------------------------------------


def is_worker(wish, move) -> bool:
    """Admins, staff and grid workers whose scope holds the wish."""
    actor = move.actor
    return actor is not None and Wish.objects.for_user(actor, CHANGE).filter(pk=wish.pk).exists()


def is_reviewer(wish, move) -> bool:
    actor = move.actor
    return (
        actor is not None
        and (actor.is_superuser or actor.role in WISH_REVIEWERS)
        and place_in_scope(actor, wish.community)
    )


def claimant_for(actor, community):
    """(unit, volunteer) an actor would claim as in ``community``, or None:
    a paired unit's contact whose unit is paired with it now, else the
    actor's volunteer record living or reported there."""
    if actor is None or not actor.is_authenticated:
        return None
    if actor.role == Role.PAIRED_UNIT and actor.organisation_id:
        paired = Pairing.objects.active().filter(unit_id=actor.organisation_id, community=community)
        return (actor.organisation, None) if paired.exists() else None
    volunteer = Volunteer.objects.filter(user=actor, active=True).first()
    if volunteer is None:
        return None
    reported = PartyReport.objects.filter(
        volunteer=volunteer, community=community, ended_on__isnull=True
    ).exists()
    if volunteer.community_id == community.pk or reported:
        unit = None
        report = volunteer.party_reports.filter(ended_on__isnull=True, unit__isnull=False).first()
        if report is not None:
            unit = report.unit  # a party member claims for the unit they report from
        return (unit, volunteer)
    return None


def may_claim(wish, move) -> bool:
    return claimant_for(move.actor, wish.community) is not None


def is_claimant(wish, move) -> bool:
    actor = move.actor
    if actor is None:
        return False
    if wish.claimed_by_id == actor.pk:
        return True
    if actor.role == Role.PAIRED_UNIT and actor.organisation_id:
        return wish.unit_id == actor.organisation_id
    return bool(wish.volunteer_id) and wish.volunteer.user_id == actor.pk


def is_claimant_or_worker(wish, move) -> bool:
    return is_claimant(wish, move) or is_worker(wish, move)


# Effects ------------------------------------------------------------------------


def _publish(wish, move):
    summary = (move.summary or wish.summary).strip()
    if not summary:
        raise ValidationError({"summary": _("请填写心愿墙展示文字。")})
    check_public(summary, wish.resident)
    wish.summary = summary[:120]
    wish.published_at = move.now
    return S.PUBLISHED


def _reject(wish, move):
    require_note(move, _("请填写退回原因。"))
    return S.REJECTED


def _withdraw(wish, move):
    require_note(move, _("请填写撤回原因。"))
    return S.WITHDRAWN


def _claim(wish, move):
    found = claimant_for(move.actor, wish.community)
    if found is None:
        raise ValidationError(_("您不能认领该社区的心愿。"))
    move.unit, move.volunteer = found
    wish.unit, wish.volunteer = move.unit, move.volunteer
    wish.claimed_by, wish.claimed_at = move.actor, move.now
    wish.claim_due = move.now + timedelta(days=CLAIM_DAYS)
    return S.CLAIMED


def _unclaim(wish):
    wish.unit = wish.volunteer = wish.claimed_by = None
    wish.claimed_at = wish.claim_due = None
    return S.PUBLISHED


def _release(wish, move):
    move.unit, move.volunteer = wish.unit, wish.volunteer
    return _unclaim(wish)


def _expire(wish, move):
    move.unit, move.volunteer = wish.unit, wish.volunteer
    move.note = move.note or _("认领后 %(days)d 天内未送达，心愿重新回到心愿墙。") % {
        "days": CLAIM_DAYS
    }
    return _unclaim(wish)


def _deliver(wish, move):
    if not move.photos:
        raise ValidationError({"photos": _("请上传送达照片。")})
    move.unit, move.volunteer = wish.unit, wish.volunteer
    wish.delivered_at = move.now
    return S.DELIVERED


def _confirm(wish, move):
    if move.by_resident is None:
        raise ValidationError({"by_resident": _("请说明是居民本人确认还是网格员代为确认。")})
    if not move.by_resident:
        require_note(move, _("网格员代为确认时请填写原因。"))
    wish.confirmed_by_resident = bool(move.by_resident)
    wish.fulfilled_at = move.now
    move.unit, move.volunteer = wish.unit, wish.volunteer
    return S.FULFILLED


def _thank(wish, move):
    require_note(move, _("请填写感谢留言。"))
    wish.thanks = move.note
    return S.FULFILLED


CLAIMANT, COMMUNITY = "claimant", "community"
RULES: dict[str, Rule] = {
    A.PUBLISH: Rule((S.ENTERED,), is_reviewer, _publish),
    A.REJECT: Rule((S.ENTERED,), is_reviewer, _reject),
    A.WITHDRAW: Rule((S.ENTERED, S.PUBLISHED), is_reviewer, _withdraw),
    A.CLAIM: Rule((S.PUBLISHED,), may_claim, _claim, tell=frozenset({COMMUNITY})),
    A.RELEASE: Rule((S.CLAIMED,), is_claimant_or_worker, _release, tell=frozenset({COMMUNITY})),
    A.EXPIRE: Rule((S.CLAIMED,), by_system, _expire, tell=frozenset({CLAIMANT, COMMUNITY})),
    A.DELIVER: Rule((S.CLAIMED,), is_claimant_or_worker, _deliver, tell=frozenset({COMMUNITY})),
    A.CONFIRM: Rule((S.DELIVERED,), is_worker, _confirm, tell=frozenset({CLAIMANT})),
    A.THANK: Rule(
        (S.FULFILLED,),
        is_worker,
        _thank,
        offered=lambda wish, move: not wish.thanks,
        tell=frozenset({CLAIMANT}),
    ),
}


class WishFlow(Flow):
    model, history, move_class = Wish, WishEvent, WishMove
    rules = RULES
    target = "wish"
    number_prefix = "XY"
    note_limit = 500
    refused = gettext_lazy("您不能对该心愿进行此操作。")
    wrong_stage = gettext_lazy("心愿处于“%(stage)s”环节，不能%(action)s。")

    def lock(self, wish):
        return (
            Wish.objects.select_for_update(of=("self",))
            .select_related("community", "resident__household")
            .get(pk=wish.pk)
        )

    def check(self, move):
        if len(move.photos) > MAX_PHOTOS:
            raise ValidationError({"photos": _("最多上传%(n)d张照片。") % {"n": MAX_PHOTOS}})

    def history_rows(self, wish, move, from_stage):
        return [{"unit": move.unit, "volunteer": move.volunteer}]

    def attach(self, wish, event, photos, actor):
        for item in photos:
            photo = WishPhoto(wish=wish, event=event)
            store(item, stem=photo.key.hex, image=photo.image, thumbnail=photo.thumbnail)
            photo.save()

    def moved(self, wish, move, rule, from_stage, before, events):
        if move.action == A.CONFIRM and move.brand is not None:
            credit_brand(wish, move.brand, actor=move.actor, solved_on=timezone.localdate(move.now))
        message = _("心愿 %(number)s：%(action)s（%(stage)s）") % {
            "number": wish.number,
            "action": self.action_label(move.action),
            "stage": wish.get_stage_display(),
        }
        if CLAIMANT in rule.tell:
            users = [u for u in (_claimant_users(move)) if u is not None]
            outbox.notice_send(users, about=wish, message=message)
        if COMMUNITY in rule.tell:
            outbox.notice_send(audiences.local_staff(wish.place_code), about=wish, message=message)


def _claimant_users(move) -> list:
    users = []
    if move.volunteer is not None and move.volunteer.user_id:
        users.append(move.volunteer.user)
    if move.unit is not None:
        users += list(move.unit.users.filter(is_active=True, role=Role.PAIRED_UNIT))
    return users


wishes = WishFlow()
