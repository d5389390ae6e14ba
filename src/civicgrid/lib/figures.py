"""The catalogue of figures (指标目录): every package's ``figures.py``
registers its figures here with their metadata and one way to compute them;
insights (dashboards, the command screen, the work summary) reads them
through ``catalogue()`` and ``values()``, never through a package's internals.

A figure is computed for a user (through their scope), a ``lib.period.Period``
and a place (None: the user's whole scope). ``counts`` says how the period is
read: ``EVENTS`` counts what happened in it (cases reported in March),
``STATE`` is how things stand at its end (households per colour today).
Figures computed together (one query giving a dozen counts) register as a
group, computed once per call of ``values``::

    # wishes/figures.py
    from civicgrid.lib.figures import EVENTS, Figure, register

    def _wish_counts(user, period, place) -> dict:
        wishes = Wish.objects.for_user(user).filter(**period.lookup("posted_at"))
        ...
        return {"posted": ..., "fulfilled": ..., "fulfilment_rate": ...}

    register(
        _wish_counts,
        Figure("wishes.posted", _("发布心愿"), "count", _("期间内发布的微心愿数。"), EVENTS),
        Figure("wishes.fulfilment_rate", _("圆梦率"), "rate", _("圆梦数 / 发布数。"), EVENTS),
    )

A figure's key is ``<package>.<name>``; ``name`` is its key in the group's dict.
Units: ``count``, ``rate`` (a share from 0 to 1, or None when nothing to
divide), ``score`` (mean rating 1-5), ``hours``, ``points``.
"""

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.module_loading import autodiscover_modules

EVENTS, STATE = "events", "state"
UNITS = {"count", "rate", "score", "hours", "points"}


@dataclass(frozen=True)
class Figure:
    key: str
    label: object  # lazy: Chinese, with its English in the catalogue
    unit: str
    definition: object
    counts: str  # EVENTS or STATE

    @property
    def name(self) -> str:
        return self.key.split(".", 1)[1]


@dataclass(frozen=True)
class Group:
    compute: Callable[..., dict]  # compute(user, period, place) -> {name: value}
    figures: tuple[Figure, ...]


FIGURES: dict[str, Figure] = {}
GROUPS: dict[str, Group] = {}


def register(compute: Callable[..., dict], *figures: Figure) -> None:
    group = Group(compute, figures)
    for figure in figures:
        if figure.unit not in UNITS or figure.counts not in (EVENTS, STATE):
            raise ValueError(f"figure {figure.key}: unit or counts not known")
        FIGURES[figure.key] = figure
        GROUPS[figure.key] = group


def discover() -> dict[str, Figure]:
    autodiscover_modules("figures")
    return FIGURES


def catalogue() -> list[Figure]:
    return [FIGURES[key] for key in sorted(FIGURES)]


def values(keys, *, user, period, place=None) -> dict[str, object]:
    """The figures ``keys`` for the user, period and place; each group is
    computed once however many of its figures are asked for."""
    computed: dict[int, dict] = {}
    result = {}
    for key in keys:
        group = GROUPS[key]
        if id(group) not in computed:
            computed[id(group)] = group.compute(user, period, place)
        result[key] = computed[id(group)][FIGURES[key].name]
    return result


def compute(key: str, *, user, period, place=None):
    return values([key], user=user, period=period, place=place)[key]
