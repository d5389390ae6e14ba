"""A flow's API moves, generated from its rule table.

Every move a person may make becomes ``POST {path}/{slug}`` with the body
``{"note": ...}`` (``NoteIn``), the slug being the action with hyphens
(``check_in`` → ``/check-in``). A move that needs more inputs, or one URL
that stands for several actions (``/verify`` for pass and fail), is an
``ApiMove``; moves only the platform makes (``by_system``) and those in
``skip`` get no endpoint. The object is fetched through the caller's scope
(``fetch``, a 404 outside it); a refused move is the flow's 403 or 400.

In a package's ``api.py``::

    def read_claim(request, wish, body: ClaimIn):
        return A.CLAIM, {"note": body.note, "claimant": ...}

    move_endpoints(
        router,
        flow=wishes,                                   # a lib.flow.Flow
        path="/wishes/{wish_id}",
        fetch=lambda request, pk: selectors.wish_get(user=request.user, pk=pk),
        response=WishDetail,
        tags=["wishes"],
        name="wish",                                   # url names wish_claim, ...
        module=__name__,                               # stable OpenAPI ids
        special=[ApiMove("claim", ClaimIn, read_claim, covers=(A.CLAIM,))],
    )
"""

import inspect
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from ninja import Router, Schema

from civicgrid.lib.flow import Flow, by_system


class NoteIn(Schema):
    note: str = ""


@dataclass(frozen=True)
class ApiMove:
    slug: str
    payload: type[Schema]
    # (request, the object, the body) -> the action and the move's inputs
    # (keyword arguments of Flow.move); may raise ValidationError.
    read: Callable[[object, object, Schema], tuple[str, dict]]
    covers: tuple[str, ...]
    doc: str = ""


def _plain(action: str, label: str) -> ApiMove:
    return ApiMove(
        slug=action.replace("_", "-"),
        payload=NoteIn,
        read=lambda request, obj, body: (action, {"note": body.note}),
        covers=(action,),
        doc=label,
    )


def move_endpoints(
    router: Router,
    *,
    flow: Flow,
    path: str,
    fetch: Callable[[object, int], object],
    response,
    tags: list[str],
    name: str,
    module: str,
    special: Iterable[ApiMove] = (),
    skip: Iterable[str] = (),
    respond: Callable[[object, object], object] = lambda request, obj: obj,
) -> list[str]:
    """Add one endpoint per move; return their slugs in rule order."""
    special = list(special)
    covered = {action for spec in special for action in spec.covers} | set(skip)
    specs, seen = [], set()
    for action, rule in flow.rules.items():
        if rule.who is by_system:
            continue
        if action not in covered:
            specs.append(_plain(action, flow.action_label(action)))
        for spec in special:
            if action in spec.covers and spec.slug not in seen:
                seen.add(spec.slug)
                specs.append(spec)
    pk_name = path.rsplit("{", 1)[1].rstrip("}")
    for spec in specs:
        router.post(f"{path}/{spec.slug}", response=response, tags=tags)(
            _endpoint(spec, flow, fetch, respond, pk_name, f"{name}_{spec.slug}", module)
        )
    return [spec.slug for spec in specs]


def _endpoint(spec: ApiMove, flow: Flow, fetch, respond, pk_name: str, name: str, module: str):
    def endpoint(request, **kwargs):
        obj = fetch(request, kwargs[pk_name])
        action, inputs = spec.read(request, obj, kwargs["payload"])
        return respond(request, flow.move(obj, action, actor=request.user, **inputs))

    endpoint.__name__ = endpoint.__qualname__ = name.replace("-", "_")
    endpoint.__module__ = module
    endpoint.__doc__ = spec.doc
    endpoint.__signature__ = inspect.Signature(
        [
            inspect.Parameter("request", inspect.Parameter.POSITIONAL_OR_KEYWORD),
            inspect.Parameter(pk_name, inspect.Parameter.KEYWORD_ONLY, annotation=int),
            inspect.Parameter("payload", inspect.Parameter.KEYWORD_ONLY, annotation=spec.payload),
        ]
    )
    return endpoint
