"""Workflow moves: one endpoint per rule of the case flow (lib.flow_api)."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Field, Router

from civicgrid.cases import selectors, workflow
from civicgrid.cases.api.schemas import CaseDetail, DispatchIn, MergeIn, RateIn, VerifyIn
from civicgrid.cases.models import CaseEvent
from civicgrid.lib.flow_api import ApiMove, NoteIn, move_endpoints
from civicgrid.registry.brands import brands_for
from civicgrid.registry.models import Organisation

router = Router()

A = CaseEvent.Action


def _dispatch_inputs(request, case, payload: DispatchIn) -> tuple[str, dict]:
    """吹哨: whistle the case to departments, given by code."""
    codes = list(dict.fromkeys(payload.departments))
    found = {o.code: o for o in Organisation.objects.filter(code__in=codes)}
    unknown = [code for code in codes if code not in found]
    if unknown:
        raise ValidationError(
            {"departments": _("没有这些部门：%(codes)s") % {"codes": "、".join(unknown)}}
        )
    return A.DISPATCH, {"note": payload.note, "departments": [found[code] for code in codes]}


class CloseIn(NoteIn):
    brand_id: int | None = Field(
        None, description="the self-governance brand (自治品牌) that solved the case"
    )


def _close_inputs(request, case, payload: CloseIn) -> tuple[str, dict]:
    """结案, naming the self-governance brand that solved the case, if one did."""
    brand = None
    if payload.brand_id is not None:
        brand = brands_for(request.user).filter(pk=payload.brand_id).first()
        if brand is None:
            raise ValidationError({"brand_id": _("没有这个自治品牌。")})
    return A.CLOSE, {"note": payload.note, "brand": brand}


move_endpoints(
    router,
    flow=workflow.cases,
    path="/cases/{case_id}",
    fetch=lambda request, pk: selectors.case_get(user=request.user, pk=pk),
    response=CaseDetail,
    tags=["workflow"],
    name="case",
    module="civicgrid.cases.api",  # the OpenAPI ids of before the split
    # FIX_ON_SPOT needs photos (the staff page's form); the mediation moves
    # come only with a dispute (civicgrid.mediation).
    skip=[A.FIX_ON_SPOT, A.MEDIATE, A.MEDIATION_END],
    special=[
        ApiMove("dispatch", DispatchIn, _dispatch_inputs, (A.DISPATCH,), _dispatch_inputs.__doc__),
        ApiMove("close", CloseIn, _close_inputs, (A.CLOSE,), _close_inputs.__doc__),
        ApiMove(
            "verify",
            VerifyIn,
            lambda request, case, payload: (
                A.VERIFY_PASS if payload.passed else A.VERIFY_FAIL,
                {"note": payload.note},
            ),
            (A.VERIFY_PASS, A.VERIFY_FAIL),
            "核查: passed, or failed with the reason in ``note`` (back to handling).",
        ),
        ApiMove(
            "rate",
            RateIn,
            lambda request, case, payload: (
                A.RATE,
                {"rating": payload.rating, "note": payload.comment},
            ),
            (A.RATE,),
            "评价: the reporter rates a closed case 1 to 5.",
        ),
        ApiMove(
            "merge",
            MergeIn,
            lambda request, case, payload: (
                A.MERGE,
                {
                    "note": payload.note,
                    "into": selectors.case_get(user=request.user, pk=payload.into),
                },
            ),
            (A.MERGE,),
            "合并 a duplicate into another open case (``into``: its id).",
        ),
    ],
)
