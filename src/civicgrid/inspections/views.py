"""Inspection pages. Thin: parse input, call a selector or a service, render.
Every object is looked up through a selector (404 outside the user's scope)."""

from datetime import date
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from civicgrid.access import audit
from civicgrid.access.decorators import role_may
from civicgrid.access.models import AuditLog
from civicgrid.access.roles import INSPECTORS, Role
from civicgrid.access.scoping import CHANGE, EXPORT, VIEW, may
from civicgrid.inspections import businesses as business_services
from civicgrid.inspections import checklists as shipped
from civicgrid.inspections import documents, draws, inspecting, orders, reports, selectors
from civicgrid.inspections import services as checklist_services
from civicgrid.inspections.forms import (
    BusinessForm,
    CampaignForm,
    ConflictForm,
    DrawForm,
    EquipmentForm,
    LicenceForm,
    RecheckForm,
    UploadForm,
)
from civicgrid.inspections.models import (
    Business,
    BusinessType,
    Campaign,
    ChecklistVersion,
    Inspection,
    InspectionPhoto,
    Order,
)
from civicgrid.lib import photos as photo_lib
from civicgrid.lib import xlsx
from civicgrid.lib.forms import add_service_errors
from civicgrid.lib.period import Period
from civicgrid.registry.models import Place
from civicgrid.web.pages import full_or_partial, page_of

ERRORS_SHOWN = 500


def _errors(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


def _is_inspector(user) -> bool:
    return user.is_superuser or user.role in INSPECTORS


def _download(content: bytes, filename: str, content_type: str, ascii_name: str) -> HttpResponse:
    response = HttpResponse(content, content_type=content_type)
    response["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename)}"
    )
    return response


# Businesses ------------------------------------------------------------------


@role_may(VIEW, Business)
def business_list(request):
    q, kind = request.GET.get("q", "").strip()[:50], request.GET.get("kind", "")
    rows = selectors.businesses(user=request.user, q=q, kind=kind)
    context = {
        "page": page_of(request, rows),
        "kinds": BusinessType.choices,
        "data": {"q": q, "kind": kind},
        "may_edit": may(request.user, CHANGE, Business),
    }
    return full_or_partial(
        request, "inspections/business_list.html", "inspections/_business_results.html", context
    )


@login_required
def business_new(request):
    if not may(request.user, CHANGE, Business):
        raise PermissionDenied(_("您的角色不能登记经营主体。"))
    form = BusinessForm(request.POST or None, user=request.user)
    if request.method == "POST" and form.is_valid():
        try:
            business = business_services.business_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已登记经营主体。"))
            return redirect(business)
    status = 400 if request.method == "POST" else 200
    return render(request, "inspections/business_form.html", {"form": form}, status=status)


@login_required
def business_detail(request, business_id: int):
    business = selectors.business_get(user=request.user, pk=business_id)
    user = request.user
    may_edit = may(user, CHANGE, Business)
    context = {
        "business": business,
        "licences": business.licences.all(),
        "equipment": business.equipment.all(),
        "inspections": selectors.inspections(user=user).filter(business=business)[:20],
        "orders": selectors.orders(user=user).filter(business=business)[:20],
        "may_edit": may_edit,
        "equipment_form": EquipmentForm() if may_edit else None,
        "licence_form": LicenceForm() if may_edit else None,
        "may_inspect": _is_inspector(user),
        "checklists": [c for c in selectors.checklists() if c.current is not None],
        "open_campaigns": [
            d.campaign
            for d in business.draws.select_related("campaign")
            if user.pk in (d.inspector_a_id, d.inspector_b_id)
        ],
        "may_declare": user.role == Role.INSPECTOR,
        "conflict_form": ConflictForm(),
    }
    return render(request, "inspections/business_detail.html", context)


@login_required
@require_POST
def equipment_add(request, business_id: int):
    business = selectors.business_get(user=request.user, pk=business_id, action=CHANGE)
    form = EquipmentForm(request.POST)
    if form.is_valid():
        try:
            business_services.equipment_add(
                actor=request.user, business=business, **form.cleaned_data
            )
            messages.success(request, _("已登记设备。"))
        except ValidationError as error:
            _errors(request, error)
    else:
        messages.error(request, _("请填写种类、出厂编号和下次检定日期。"))
    return redirect(business)


@login_required
@require_POST
def licence_add(request, business_id: int):
    business = selectors.business_get(user=request.user, pk=business_id, action=CHANGE)
    form = LicenceForm(request.POST)
    if form.is_valid():
        try:
            business_services.licence_add(
                actor=request.user, business=business, **form.cleaned_data
            )
            messages.success(request, _("已登记许可证。"))
        except ValidationError as error:
            _errors(request, error)
    else:
        messages.error(request, _("请填写许可证类型、编号和有效期。"))
    return redirect(business)


@login_required
@require_POST
def conflict_declare(request, business_id: int):
    business = selectors.business_get(user=request.user, pk=business_id)
    form = ConflictForm(request.POST)
    if form.is_valid():
        try:
            draws.conflict_declare(
                actor=request.user, business=business, reason=form.cleaned_data["reason"]
            )
            messages.success(request, _("已申报回避，抽取时不会安排您检查该经营主体。"))
        except ValidationError as error:
            _errors(request, error)
    else:
        messages.error(request, _("请填写回避事由。"))
    return redirect(business)


@login_required
def business_import(request):
    if not may(request.user, CHANGE, Business):
        raise PermissionDenied(_("您的角色不能导入经营主体。"))
    form = UploadForm(request.POST or None, request.FILES or None)
    result, status = None, 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = business_services.business_import(
            actor=request.user, file=upload, filename=upload.name
        )
        status = 200 if result.ok else 400
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "result": result,
        "errors_shown": result.errors[:ERRORS_SHOWN] if result else [],
    }
    return render(request, "inspections/business_import.html", context, status=status)


@login_required
def business_template(request):
    return _download(
        business_services.business_template(),
        _("经营主体导入模板") + ".xlsx",
        xlsx.CONTENT_TYPE,
        "businesses.xlsx",
    )


@login_required
@require_POST
def equipment_verified(request, equipment_id: int):
    """A new verification certificate: the next due date moves on."""
    item = selectors.equipment_get(user=request.user, pk=equipment_id)
    try:
        due = date.fromisoformat(request.POST.get("next_verification_on", ""))
    except ValueError:
        messages.error(request, _("日期格式不正确。"))
        return redirect(item.business)
    if due <= timezone.localdate():
        messages.error(request, _("下次检定日期应晚于今天。"))
        return redirect(item.business)
    business_services.equipment_verified(
        actor=request.user, equipment=item, next_verification_on=due
    )
    messages.success(request, _("已登记检定，下次检定日期为 %(due)s。") % {"due": due})
    return redirect(item.business)


@role_may(VIEW, Business)
def equipment_list(request):
    overdue = request.GET.get("overdue") == "1"
    rows = selectors.equipment(user=request.user, overdue=overdue, due_within_days=None)
    context = {"page": page_of(request, rows), "overdue": overdue}
    return render(request, "inspections/equipment_list.html", context)


# Checklists ------------------------------------------------------------------


@role_may(VIEW, Business)
def checklist_list(request):
    context = {
        "checklists": selectors.checklists(),
        "may_upload": _is_inspector(request.user),
        "form": UploadForm(),
    }
    return render(request, "inspections/checklist_list.html", context)


@login_required
@require_POST
def checklist_upload(request):
    if not _is_inspector(request.user):
        raise PermissionDenied(_("您的角色不能上传检查表。"))
    form = UploadForm(request.POST, request.FILES)
    status = 400
    if form.is_valid():
        try:
            version = checklist_services.checklist_upload(
                actor=request.user, content=form.cleaned_data["file"].read()
            )
        except ValidationError as error:
            form.add_error("file", error.messages)
        else:
            messages.success(
                request,
                _("已上传“%(title)s”第%(n)d版。") % {"title": version.title, "n": version.number},
            )
            return redirect("inspections:checklists")
    context = {"checklists": selectors.checklists(), "may_upload": True, "form": form}
    return render(request, "inspections/checklist_list.html", context, status=status)


@login_required
def checklist_download(request):
    """A checklist version's file (?version=id), or without one a shipped
    checklist to start authoring from: checklists are shared templates, not
    place data."""
    wanted = request.GET.get("version", "")
    version = ChecklistVersion.objects.filter(pk=wanted).first() if wanted.isdigit() else None
    if wanted and version is None:
        raise Http404
    if version is None:
        return _download(
            shipped.workbook("food_safety"),
            _("检查表模板") + ".xlsx",
            xlsx.CONTENT_TYPE,
            "checklist.xlsx",
        )
    return _download(
        bytes(version.source),
        f"{version.title}-v{version.number}.xlsx",
        xlsx.CONTENT_TYPE,
        f"checklist-{version.pk}.xlsx",
    )


# Campaigns -------------------------------------------------------------------


@role_may(VIEW, Business)
def campaign_list(request):
    may_create = _is_inspector(request.user)
    context = {
        "page": page_of(request, selectors.campaigns(user=request.user)),
        "form": CampaignForm(user=request.user) if may_create else None,
    }
    return render(request, "inspections/campaign_list.html", context)


@login_required
@require_POST
def campaign_new(request):
    if not _is_inspector(request.user):
        raise PermissionDenied(_("您的角色不能发起专项检查。"))
    form = CampaignForm(request.POST, user=request.user)
    if form.is_valid():
        try:
            campaign = draws.campaign_create(actor=request.user, **form.cleaned_data)
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            messages.success(request, _("已发起专项检查。"))
            return redirect(campaign)
    context = {"page": page_of(request, selectors.campaigns(user=request.user)), "form": form}
    return render(request, "inspections/campaign_list.html", context, status=400)


@login_required
def campaign_detail(request, campaign_id: int):
    campaign = selectors.campaign_get(user=request.user, pk=campaign_id)
    user = request.user
    rows = campaign.draws.select_related("business", "inspector_a", "inspector_b")
    done = {
        i.business_id: i
        for i in Inspection.objects.filter(campaign=campaign).select_related("checklist")
    }
    context = {
        "campaign": campaign,
        "draws": [(d, done.get(d.business_id)) for d in rows],
        "figures": selectors.figures(user=user, campaign=campaign),
        "may_draw": campaign.drawn_at is None and may(user, CHANGE, Campaign),
        "draw_form": DrawForm(),
        "verified": draws.draw_verify(campaign) if campaign.drawn_at else None,
        "kinds": [BusinessType(k).label for k in campaign.business_kinds],
    }
    return render(request, "inspections/campaign_detail.html", context)


@login_required
@require_POST
def campaign_draw(request, campaign_id: int):
    campaign = selectors.campaign_get(user=request.user, pk=campaign_id, action=CHANGE)
    form = DrawForm(request.POST)
    if form.is_valid():
        try:
            drawn = draws.campaign_draw(
                actor=request.user, campaign=campaign, seed=form.cleaned_data["seed"]
            )
            messages.success(request, _("已抽取%(n)d户。") % {"n": len(drawn)})
        except ValidationError as error:
            _errors(request, error)
    else:
        messages.error(request, _("随机种子应为非负整数。"))
    return redirect(campaign)


@login_required
def campaign_export(request, campaign_id: int):
    campaign = selectors.campaign_get(user=request.user, pk=campaign_id, action=EXPORT)
    content = reports.campaign_workbook(user=request.user, campaign=campaign)
    audit.record(user=request.user, action=AuditLog.Action.EXPORT, obj=campaign)
    return _download(
        content, f"{campaign.name}.xlsx", xlsx.CONTENT_TYPE, f"campaign-{campaign.pk}.xlsx"
    )


def campaign_public(request, campaign_id: int):
    """一公开: the draw and its results for anyone, without personal data."""
    campaign = get_object_or_404(Campaign.objects.select_related("place"), pk=campaign_id)
    if campaign.drawn_at is None:
        raise Http404
    context = {**selectors.public_results(campaign), "figures": reports.public_figures(campaign)}
    return render(request, "inspections/campaign_public.html", context)


# Inspections -----------------------------------------------------------------


@login_required
@require_POST
def inspection_start(request, business_id: int):
    business = selectors.business_get(user=request.user, pk=business_id)
    version = ChecklistVersion.objects.filter(pk=request.POST.get("checklist") or 0).first()
    if version is None:
        messages.error(request, _("请选择检查表。"))
        return redirect(business)
    campaign = None
    if request.POST.get("campaign"):
        campaign = Campaign.objects.filter(pk=request.POST["campaign"]).first()
    partner = None
    if request.POST.get("partner"):
        from civicgrid.access.models import User

        partner = User.objects.filter(username=request.POST["partner"].strip()).first()
    try:
        inspection = inspecting.inspection_start(
            actor=request.user,
            business=business,
            checklist=version,
            campaign=campaign,
            partner=partner,
        )
    except ValidationError as error:
        _errors(request, error)
        return redirect(business)
    return redirect(inspection)


def _submission(request, inspection) -> tuple[inspecting.Submission, dict]:
    """The form's fields as a Submission, and errors of the photos."""
    errors = {}
    questions = inspection.checklist.questions
    raw = {}
    photos, fix_photos = {}, {}
    for question in questions:
        name = question["name"]
        if question["type"] == "select_multiple":
            raw[name] = request.POST.getlist(f"q_{name}")
        else:
            raw[name] = request.POST.get(f"q_{name}", "")
        for key, target in ((f"p_{name}", photos), (f"fp_{name}", fix_photos)):
            files = [f for f in request.FILES.getlist(key) if f]
            prepared = []
            for upload in files[: inspecting.MAX_PHOTOS_PER_QUESTION + 1]:
                try:
                    prepared.append(photo_lib.prepare(upload))
                except ValidationError as error:
                    errors[f"q_{name}"] = error.messages
            if prepared:
                target[name] = prepared

    def number(key):
        try:
            return float(request.POST.get(key, "")) if request.POST.get(key) else None
        except ValueError:
            errors["location"] = [_("位置坐标无效。")]
            return None

    due = None
    if request.POST.get("due_on"):
        try:
            due = date.fromisoformat(request.POST["due_on"])
        except ValueError:
            errors["due_on"] = [_("日期格式不正确。")]
    submission = inspecting.Submission(
        answers=raw,
        photos=photos,
        fixed=set(request.POST.getlist("fixed")),
        fix_photos=fix_photos,
        equipment=[int(v) for v in request.POST.getlist("equipment") if v.isdigit()],
        lat=number("lat"),
        lon=number("lon"),
        due_on=due,
        major_violation=request.POST.get("major_violation") == "on",
    )
    return submission, errors


@login_required
def inspection_detail(request, inspection_id: int):
    inspection = selectors.inspection_get(user=request.user, pk=inspection_id)
    user = request.user
    may_complete = inspection.stage == Inspection.Stage.DRAFT and user.pk in (
        inspection.inspector_a_id,
        inspection.inspector_b_id,
    )
    errors, values, status = {}, {}, 200
    if request.method == "POST":
        if not may_complete:
            raise PermissionDenied(_("只有本次检查的执法人员可以提交。"))
        submission, errors = _submission(request, inspection)
        values = submission.answers
        if not errors:
            try:
                inspection, order = inspecting.inspection_submit(
                    actor=user, inspection=inspection, submission=submission
                )
            except ValidationError as error:
                errors = error.message_dict if hasattr(error, "error_dict") else {
                    "__all__": error.messages}  # fmt: skip
            else:
                messages.success(request, _("检查已提交。"))
                return redirect(order if order is not None else inspection)
        status = 400
    questions = [
        {**q, "value": values.get(q["name"], ""), "errors": errors.get(f"q_{q['name']}", [])}
        for q in inspection.checklist.questions
    ]
    context = {
        "inspection": inspection,
        "questions": questions,
        "may_complete": may_complete,
        "errors": errors,
        "general_errors": [m for key, ms in errors.items() if not key.startswith("q_") for m in ms],
        "equipment": inspection.business.equipment.all(),
        "checked": set(inspection.equipment_checked.values_list("pk", flat=True)),
        "findings": inspection.findings.select_related("order"),
        "photos": inspection.photos.all(),
        "answers": inspection.answers,
    }
    return render(request, "inspections/inspection_detail.html", context, status=status)


@login_required
def inspection_photo(request, photo_key):
    photo = get_object_or_404(InspectionPhoto, key=photo_key)
    selectors.inspection_get(user=request.user, pk=photo.inspection_id)
    return photo_lib.copy_response(photo.image)


# Orders ----------------------------------------------------------------------


@role_may(VIEW, Business)
def order_list(request):
    stage = request.GET.get("stage", "")
    rows = selectors.orders(user=request.user)
    if stage:
        rows = rows.filter(stage=stage)
    context = {
        "page": page_of(request, rows),
        "stage": stage,
        "stages": Order._meta.get_field("stage").choices,
    }
    return render(request, "inspections/order_list.html", context)


@login_required
def order_detail(request, order_id: int):
    order = selectors.order_get(user=request.user, pk=order_id)
    allowed = orders.orders.allowed(order, request.user)
    context = {
        "order": order,
        "findings": order.findings.all(),
        "events": order.events.select_related("actor"),
        "may_recheck": bool(allowed),
        "form": RecheckForm(),
    }
    return render(request, "inspections/order_detail.html", context)


@login_required
@require_POST
def order_recheck(request, order_id: int):
    order = selectors.order_get(user=request.user, pk=order_id)
    form = RecheckForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择复查结论。"))
        return redirect(order)
    try:
        orders.order_recheck(
            actor=request.user,
            order=order,
            passed=form.cleaned_data["passed"],
            note=form.cleaned_data["note"],
        )
        messages.success(request, _("已记录复查结果。"))
    except ValidationError as error:
        _errors(request, error)
    return redirect(order)


@login_required
def order_docx(request, order_id: int):
    order = selectors.order_get(user=request.user, pk=order_id)
    return _download(
        documents.order_docx(order),
        _("责令整改通知书") + f"{order.number}.docx",
        documents.CONTENT_TYPE,
        f"{order.number}.docx",
    )


# Figures ---------------------------------------------------------------------


def _period(request) -> Period:
    try:
        first = date.fromisoformat(request.GET.get("first", ""))
        last = date.fromisoformat(request.GET.get("last", ""))
        return Period(first, last)
    except (ValueError, ValidationError):
        return Period.year(timezone.localdate())


@role_may(VIEW, Business)
def figures_page(request):
    period = _period(request)
    kind = request.GET.get("kind", "")
    kind = kind if kind in BusinessType.values else ""
    place = None
    if request.GET.get("place", "").isdigit():
        place = Place.objects.for_user(request.user).filter(pk=request.GET["place"]).first()
    context = {
        "period": period,
        "kind": kind,
        "kinds": BusinessType.choices,
        "place": place,
        "places": Place.objects.for_user(request.user)
        .filter(level__in=[Place.Level.STREET, Place.Level.COMMUNITY])
        .order_by("code")[:200],
        "figures": selectors.figures(
            user=request.user, period=period, place_code=place.code if place else "", kind=kind
        ),
        "by_kind": reports.by_kind(user=request.user, period=period),
        "labels": reports.LABELS,
    }
    if request.GET.get("format") == "xlsx":
        content = reports.figures_workbook(context)
        audit.record(
            user=request.user,
            action=AuditLog.Action.EXPORT,
            object_type="inspections.figures",
            note=f"{period.first}..{period.last}",
        )
        return _download(content, _("检查统计") + ".xlsx", xlsx.CONTENT_TYPE, "inspections.xlsx")
    return render(request, "inspections/figures.html", context)
