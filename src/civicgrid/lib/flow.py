"""One state-machine engine for every flow: cases, hazards, alarms, and the
wishes, disputes, inspection orders and service records to come.

A flow is a table of moves. Each ``Rule`` says from which stages a move may
start (``sources``), who may make it (``who``, a predicate), what it does
(``effect``, which changes the object and returns its new stage) and, for
buttons, whether to offer it now (``offered``). A ``Flow`` subclass names the
model and its history model and fills in a few hooks; the engine does the
rest the same way for all of them:

- ``open``: saves a new object with its record number, writes the first
  history row, attaches photos and writes the audit row, in one transaction;
- ``move``: locks the row, checks the rule's sources and who-may, applies the
  effect, writes the history row(s), runs the flow's in-transaction hook
  (tallies, notices, recolouring) and its after-commit hook (waking
  consoles), in one transaction; a refused move changes nothing;
- ``allowed``: the moves an actor may offer now, each predicate evaluated
  once per call however many rules share it;
- the stage field is guarded (``StageGuarded`` on the model): only the
  engine writes it, so a stray ``obj.stage = ...; obj.save()`` or
  ``queryset.update(stage=...)`` raises instead of skipping the history.

A new package's flow, in its ``flow.py``::

    A = WishEvent.Action

    @dataclass
    class WishMove(Move):
        claimant: User | None = None

    def _claim(wish, move):
        wish.claimed_by = move.claimant or move.actor
        return WishStage.CLAIMED

    class WishFlow(Flow):
        model, history, move_class = Wish, WishEvent, WishMove
        target = "wish"                 # the history row's foreign key
        refused = _("您不能对该心愿进行此操作。")
        wrong_stage = _("心愿处于“%(stage)s”环节，不能%(action)s。")
        rules = {A.CLAIM: Rule((WishStage.OPEN,), is_pairing_unit, _claim)}

    wishes = WishFlow()
    wishes.move(wish, A.CLAIM, actor=user, note="...")

and its API moves come from the same table (``lib.flow_api.move_endpoints``).
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.lib.numbers import save_numbered


@dataclass
class Move:
    """What an actor asked for. A flow with more inputs subclasses it."""

    action: str
    actor: object | None
    note: str = ""
    photos: tuple = ()
    now: datetime | None = None


def always(obj, move) -> bool:
    return True


def by_system(obj, move) -> bool:
    """A move only the platform makes (deadline watch, ladder), never a person."""
    return move.actor is None


def require_note(move, message: str) -> None:
    if not move.note.strip():
        raise ValidationError({"note": message})


@dataclass(frozen=True)
class Rule:
    sources: tuple[str, ...]
    who: Callable[[object, Move], bool]
    effect: Callable[[object, Move], str]
    # Whether to offer the move as a button now (the effect still checks on use).
    offered: Callable[[object, Move], bool] = always
    # Free-form markers a flow's hooks read (whom to tell, say).
    tell: frozenset[str] = field(default_factory=frozenset)


class StageWriteError(RuntimeError):
    """Raised when code writes a flow's stage outside the engine."""


class StageGuardedQuerySet(models.QuerySet):
    """Refuses ``update(stage=...)``: a set-wise stage write would skip the
    history, the tallies and the notices of every row it touches."""

    def update(self, **kwargs):
        if self.model.stage_field in kwargs:
            raise StageWriteError(
                f"{self.model.__name__}.{self.model.stage_field} changes only through its flow"
            )
        return super().update(**kwargs)


def guarded(queryset_class: type[models.QuerySet]) -> type[models.QuerySet]:
    """``queryset_class`` with the stage guard, for a flow's model:
    ``objects = guarded(ScopedQuerySet).as_manager()``."""
    name = f"StageGuarded{queryset_class.__name__}"
    return type(name, (StageGuardedQuerySet, queryset_class), {})


class StageGuarded(models.Model):
    """Mixin for a flow's model: the stage is written only by the engine.
    Creation sets the first stage (bulk loads too); later changes go through
    ``Flow.move``. Its managers use a ``StageGuardedQuerySet``."""

    stage_field = "stage"

    class Meta:
        abstract = True

    def save(self, *args, **kwargs):
        loaded = getattr(self, "_loaded_stage", None)
        current = getattr(self, self.stage_field)
        if loaded is not None and current != loaded and not getattr(self, "_flow_moving", False):
            raise StageWriteError(
                f"{type(self).__name__}.{self.stage_field} changes only through its flow"
            )
        super().save(*args, **kwargs)
        self._loaded_stage = current

    @classmethod
    def from_db(cls, db, field_names, values):
        obj = super().from_db(db, field_names, values)
        obj._loaded_stage = obj.__dict__.get(cls.stage_field)
        return obj

    def refresh_from_db(self, *args, **kwargs):
        super().refresh_from_db(*args, **kwargs)
        self._loaded_stage = self.__dict__.get(self.stage_field)


class Flow:
    """A state machine over ``model``, its moves in ``rules``."""

    model: type[models.Model]
    history: type[models.Model]
    move_class: type[Move] = Move
    rules: dict[str, Rule]
    # The history row's foreign key to the object.
    target: str
    refused: str
    wrong_stage: str
    # Longest note kept (None: as given).
    note_limit: int | None = None
    number_prefix: str | None = None

    # Hooks a flow may fill in ---------------------------------------------

    def lock(self, obj):
        """The object re-read with a row lock (and what its effects need)."""
        return self.model.objects.select_for_update().get(pk=obj.pk)

    def check(self, move: Move) -> None:
        """Inputs checked before any lock (photo counts, say)."""

    def before(self, obj):
        """A snapshot taken before the effect, handed to ``moved``."""
        return None

    def history_rows(self, obj, move: Move, from_stage: str) -> list[dict]:
        """Extra fields of the history row(s); one dict per row."""
        return [{}]

    def moved(self, obj, move: Move, rule: Rule, from_stage: str, before, events: list) -> None:
        """In the move's transaction, after the history row(s)."""

    def committed(self, obj, move: Move, rule: Rule) -> None:
        """After the move's transaction has committed (nothing to undo)."""

    def attach(self, obj, event, photos, actor) -> None:
        """Keep photos given with a move or at opening."""
        if photos:
            raise ValidationError({"photos": _("此操作不能附带照片。")})

    # The engine -----------------------------------------------------------

    def action_label(self, action: str) -> str:
        return self.history.Action(action).label

    def stage_of(self, obj) -> str:
        return getattr(obj, self.model.stage_field)

    def stage_label(self, obj) -> str:
        return getattr(obj, f"get_{self.model.stage_field}_display")()

    def open(
        self,
        obj,
        *,
        actor,
        action: str,
        note: str = "",
        photos: Iterable = (),
        now: datetime | None = None,
        audit_changes: dict | None = None,
        history: dict | None = None,
    ):
        """Save a new ``obj`` (its stage already the first one) with its record
        number, write the first history row, keep its photos and, when
        ``audit_changes`` is given, the audit row. Call inside the caller's
        transaction when other writes must commit with it."""
        now = now or timezone.now()
        # No savepoint: inside the caller's transaction (an alarm on the
        # ingest path) a failure undoes the whole of it anyway.
        with transaction.atomic(savepoint=False):
            if self.number_prefix is None:
                obj.save()
            else:
                save_numbered(obj, prefix=self.number_prefix, at=now)
            event = self.history.objects.create(
                **{self.target: obj},
                at=now,
                actor=actor,
                action=action,
                to_stage=self.stage_of(obj),
                note=(note or "")[: self.note_limit],
                **(history or {}),
            )
            self.attach(obj, event, tuple(photos), actor)
            if audit_changes is not None:
                audit.record(
                    user=actor, action=AuditLog.Action.CREATE, obj=obj, changes=audit_changes
                )
        return obj

    def allowed(self, obj, actor) -> list[str]:
        """The moves this actor may offer on ``obj`` now (for buttons and
        the API's ``allowed_actions``). Each predicate runs at most once."""
        move = self.move_class(action="", actor=actor)
        stage = self.stage_of(obj)
        answers: dict[Callable, bool] = {}

        def holds(predicate) -> bool:
            if predicate not in answers:
                answers[predicate] = predicate(obj, move)
            return answers[predicate]

        return [
            action
            for action, rule in self.rules.items()
            if rule.who is not by_system
            and stage in rule.sources
            and holds(rule.who)
            and holds(rule.offered)
        ]

    def move(self, obj, action: str, *, actor, note: str = "", now=None, **inputs):
        """Apply one move. Raises PermissionDenied or ValidationError and then
        changes nothing."""
        rule = self.rules.get(action)
        if rule is None:
            raise ValidationError(_("未知的操作：%(action)s") % {"action": action})
        move = self.move_class(
            action=action,
            actor=actor,
            note=(note or "").strip()[: self.note_limit],
            now=now or timezone.now(),
            **inputs,
        )
        move.photos = tuple(move.photos)
        self.check(move)
        with transaction.atomic():
            obj = self.lock(obj)
            if not rule.who(obj, move):
                raise PermissionDenied(self.refused)
            from_stage = self.stage_of(obj)
            if from_stage not in rule.sources:
                raise ValidationError(
                    self.wrong_stage
                    % {"stage": self.stage_label(obj), "action": self.action_label(action)}
                )
            before = self.before(obj)
            stage = rule.effect(obj, move)
            _write_stage(obj, stage)
            events = [
                self.history.objects.create(
                    **{self.target: obj},
                    at=move.now,
                    actor=actor,
                    action=action,
                    from_stage=from_stage,
                    to_stage=stage,
                    note=move.note.strip(),
                    **extra,
                )
                for extra in self.history_rows(obj, move, from_stage)
            ]
            self.attach(obj, events[0], move.photos, actor)
            self.moved(obj, move, rule, from_stage, before, events)
            transaction.on_commit(lambda: self.committed(obj, move, rule))
        return obj


def _write_stage(obj, stage: str) -> None:
    setattr(obj, obj.stage_field, stage)
    obj._flow_moving = True
    try:
        obj.save()
    finally:
        obj._flow_moving = False
