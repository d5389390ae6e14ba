"""Categories, their questions and deadline limits, kept in memory per process.

Every report reads its category, the category's questions and the deadline
for its priority; they change a few times a year, through the admin. Reading
them from memory saves three queries a report (and one a filtered Open311
read). A save or delete of a category, question or deadline in this process
drops the copy at once (signals); other processes (more uvicorn workers, the
task worker) reload within ``REFRESH_SECONDS``, as the grid index in
``registry.geo`` does. A code not found reloads once before it is refused,
so a category created in another process is usable at once.
"""

import threading
import time
from dataclasses import dataclass

from django.db.models.signals import m2m_changed, post_delete, post_save

from civicgrid.cases.models import Category, Deadline, Question

REFRESH_SECONDS = 60
_lock = threading.Lock()


@dataclass(frozen=True)
class Limits:
    """A deadline row's hours (``deadlines.FALLBACK`` when a priority has none)."""

    checkin_hours: float
    handle_hours: float
    close_hours: float
    working_hours: bool


@dataclass
class _Snapshot:
    built: float
    by_code: dict[str, Category]
    by_pk: dict[int, Category]
    limits: dict[tuple[int, str], Limits]


_state: dict[str, _Snapshot | None] = {"snapshot": None}


def forget(**_signal) -> None:
    """Drop the copy (after a change, and between tests)."""
    with _lock:
        _state["snapshot"] = None


def _load() -> _Snapshot:
    found = list(Category.objects.prefetch_related("questions"))
    limits = {
        (row.category_id, row.priority): Limits(
            row.checkin_hours, row.handle_hours, row.close_hours, row.working_hours
        )
        for row in Deadline.objects.all()
    }
    return _Snapshot(
        built=time.monotonic(),
        by_code={c.code: c for c in found},
        by_pk={c.pk: c for c in found},
        limits=limits,
    )


def _snapshot(*, reload: bool = False) -> _Snapshot:
    with _lock:
        current = _state["snapshot"]
        if reload or current is None or time.monotonic() - current.built > REFRESH_SECONDS:
            current = _state["snapshot"] = _load()
        return current


def category(code: str, *, active_only: bool = True) -> Category | None:
    """The category with ``code`` (questions prefetched), or None. The
    instance is shared: read it, never change it."""
    found = _snapshot().by_code.get(code)
    if found is None:
        found = _snapshot(reload=True).by_code.get(code)
    if found is None or (active_only and not found.active):
        return None
    return found


def codes() -> set[str]:
    """Every category's code, active or not."""
    return set(_snapshot().by_code)


def with_questions(of: Category) -> Category:
    """The cached copy of ``of``, its questions prefetched; ``of`` itself if
    it is not cached yet (created since the copy was made)."""
    return _snapshot().by_pk.get(of.pk) or of


def limits(of: Category, priority: str) -> Limits | None:
    """The deadline for ``of`` at ``priority``; None when there is no row."""
    snapshot = _snapshot()
    if of.pk not in snapshot.by_pk:  # created since the copy was made
        snapshot = _snapshot(reload=True)
    return snapshot.limits.get((of.pk, priority))


for _model in (Category, Deadline, Question):
    post_save.connect(forget, sender=_model, dispatch_uid=f"catalogue-save-{_model.__name__}")
    post_delete.connect(forget, sender=_model, dispatch_uid=f"catalogue-del-{_model.__name__}")
m2m_changed.connect(forget, sender=Category.departments.through, dispatch_uid="catalogue-m2m")
