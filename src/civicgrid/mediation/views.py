"""Mediation pages. Thin: parse, call a selector or a service, render. Every
object is looked up through a selector: outside the room's mediators and the
staff in scope it is a 404, and every read of a file is audited."""

from datetime import date

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.access.scoping import CHANGE, VIEW, get_for_user, may
from civicgrid.cases.models import Case
from civicgrid.lib.forms import add_service_errors
from civicgrid.lib.period import Period
from civicgrid.mediation import documents, selectors, services
from civicgrid.mediation.flow import A, disputes
from civicgrid.mediation.forms import (
    AgreementForm,
    CorrectionForm,
    DisputeForm,
    FailForm,
    FollowUpForm,
    HandOverForm,
    rooms_to_open_in,
)
from civicgrid.mediation.models import ENDED, Dispute, Mediator, Stage
from civicgrid.volunteers.models import Need
from civicgrid.web.pages import full_or_partial, page_of


def _errors(request, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


def _reader(request) -> None:
    """Staff of the roles that read mediation, and mediators; nobody else."""
    user = request.user
    if not (may(user, VIEW, Dispute) or Mediator.objects.filter(user=user, active=True).exists()):
        raise PermissionDenied(_("您的角色不能使用此页面。"))


@login_required
def dispute_list(request):
    _reader(request)
    stage = request.GET.get("stage", "")
    stage = stage if stage in (*Stage.values, "open") else ""
    room = request.GET.get("room", "")
    rows = selectors.disputes_for(
        request.user, stage=stage, room=int(room) if room.isdigit() else None
    )
    context = {
        "page": page_of(request, rows),
        "stages": Stage.choices,
        "rooms": selectors.rooms_for(request.user),
        "data": {"stage": stage, "room": room},
        "may_open": rooms_to_open_in(request.user).exists(),
    }
    return full_or_partial(request, "mediation/list.html", "mediation/_results.html", context)


@login_required
def dispute_new(request):
    if not (may(request.user, CHANGE, Dispute) or rooms_to_open_in(request.user).exists()):
        raise PermissionDenied(_("您不能受理纠纷。"))
    form = DisputeForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dispute = services.dispute_open(
                actor=request.user,
                room=data["room"],
                place=data["place"],
                kind=data["kind"],
                summary=data["summary"],
                parties=form.parties(),
            )
        except ValidationError as error:
            add_service_errors(form, error, elsewhere=form.elsewhere)
        else:
            messages.success(
                request, _("已受理，调解案号 %(number)s。") % {"number": dispute.number}
            )
            return redirect(dispute)
    return render(request, "mediation/form.html", {"form": form, "title": _("受理纠纷")})


def _hand_over(request, source, opener, title):
    form = HandOverForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            dispute = opener(room=data["room"], kind=data["kind"], parties=form.parties())
        except ValidationError as error:
            add_service_errors(form, error, elsewhere=form.elsewhere)
        else:
            messages.success(
                request, _("已移交调解，调解案号 %(number)s。") % {"number": dispute.number}
            )
            return redirect(dispute)
    context = {"form": form, "title": title, "source": source}
    return render(request, "mediation/form.html", context)


@login_required
def dispute_from_case(request, case_id: int):
    case = get_for_user(Case.objects.select_related("category"), request.user, CHANGE, pk=case_id)
    existing = selectors.dispute_of_case(user=request.user, case=case)
    if existing is not None:
        return redirect(existing)

    def opener(**inputs):
        return services.dispute_from_case(actor=request.user, case=case, **inputs)

    title = _("事件 %(number)s 移交调解") % {"number": case.number}
    return _hand_over(request, case.description, opener, title)


@login_required
def dispute_from_need(request, need_id: int):
    need = get_for_user(Need.objects.all(), request.user, CHANGE, pk=need_id)

    def opener(**inputs):
        return services.dispute_from_need(actor=request.user, need=need, **inputs)

    return _hand_over(request, need.text, opener, _("民情移交调解"))


@login_required
def dispute_detail(request, dispute_id: int, revealed=None):
    dispute = selectors.dispute_get(user=request.user, pk=dispute_id)
    services.dispute_read(actor=request.user, dispute=dispute)
    allowed = disputes.allowed(dispute, request.user)
    agreements = list(dispute.agreements.select_related("room"))
    draft = next((a for a in agreements if not a.signed), None)
    last = agreements[-1] if agreements else None
    context = {
        "dispute": dispute,
        "parties": dispute.parties.all(),
        "sessions": dispute.sessions.select_related("mediator").prefetch_related("attended"),
        "agreements": agreements,
        "follow_ups": dispute.follow_ups.select_related("visitor"),
        "events": dispute.events.select_related("actor"),
        "allowed": allowed,
        "may_work": Dispute.objects.for_user(request.user, CHANGE).filter(pk=dispute.pk).exists(),
        "revealed": revealed or {},
        "draft_form": AgreementForm(
            initial={"facts": draft.facts, "terms": draft.terms, "performance": draft.performance}
            if draft
            else {"facts": dispute.summary}
        ),
        "correction_form": CorrectionForm(
            initial={"facts": last.facts, "terms": last.terms, "performance": last.performance}
            if last
            else None
        ),
        "fail_form": FailForm(),
        "follow_up_form": FollowUpForm(),
        "ended": dispute.stage in ENDED,
        "A": {a.name: a.value for a in A},
    }
    return render(request, "mediation/detail.html", context)


def _move_inputs(action: str, post) -> dict:
    if action == A.SESSION:
        return {
            "note": post.get("note", ""),
            "location": post.get("location", ""),
            "attended": tuple(int(p) for p in post.getlist("attended") if p.isdigit()),
        }
    if action == A.FAIL:
        return {"note": post.get("note", ""), "referral": post.get("referral", "")}
    if action == A.FOLLOW_UP:
        return {"note": post.get("note", ""), "performed": post.get("performed", "")}
    return {"note": post.get("note", "")}


@login_required
@require_POST
def dispute_move(request, dispute_id: int, action: str):
    dispute = selectors.dispute_get(user=request.user, pk=dispute_id)
    try:
        disputes.move(dispute, action, actor=request.user, **_move_inputs(action, request.POST))
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("已保存。"))
    return redirect(dispute)


@login_required
@require_POST
def agreement_save(request, dispute_id: int):
    dispute = selectors.dispute_get(user=request.user, pk=dispute_id)
    form = AgreementForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写纠纷事实和协议内容。"))
        return redirect(dispute)
    try:
        services.agreement_draft(actor=request.user, dispute=dispute, **form.cleaned_data)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("协议书草稿已保存。"))
    return redirect(dispute)


@login_required
@require_POST
def agreement_correct(request, dispute_id: int):
    dispute = selectors.dispute_get(user=request.user, pk=dispute_id)
    form = CorrectionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写更正后的协议内容和更正原因。"))
        return redirect(dispute)
    try:
        services.agreement_correct(actor=request.user, dispute=dispute, **form.cleaned_data)
    except ValidationError as error:
        _errors(request, error)
    else:
        messages.success(request, _("已另立更正版本。"))
    return redirect(dispute)


@login_required
@require_POST
def party_reveal(request, party_id: int):
    party = selectors.party_get(user=request.user, pk=party_id)
    field = request.POST.get("field", "phone")
    value = services.party_reveal(actor=request.user, party=party, field=field)
    return dispute_detail(request, party.dispute_id, revealed={(party.pk, field): value})


@login_required
def agreement_docx(request, agreement_id: int):
    agreement = selectors.agreement_get(user=request.user, pk=agreement_id)
    services.agreement_printed(actor=request.user, agreement=agreement)
    response = HttpResponse(
        documents.agreement_docx(agreement),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    name = (
        f"agreement-{agreement.room.code}-{agreement.year}-{agreement.serial}-v{agreement.version}"
    )
    response["Content-Disposition"] = f'attachment; filename="{name}.docx"'
    return response


@login_required
def rooms(request):
    _reader(request)
    asked = request.GET.get("year", "")
    year = int(asked) if asked.isdigit() and 2000 <= int(asked) <= 2100 else None
    year = year or timezone.localdate().year
    period = Period(date(year, 1, 1), date(year, 12, 31))
    span = {"start": period.start, "end": period.end}
    context = {
        "rooms": selectors.rooms_for(request.user),
        "year": year,
        "total": selectors.counts(request.user, **span),
        "by_room": selectors.counts_by(request.user, by="room", **span),
        "by_community": selectors.counts_by(request.user, by="community", **span),
        "by_month": selectors.counts_by_month(request.user, period=period),
    }
    return render(request, "mediation/rooms.html", context)
