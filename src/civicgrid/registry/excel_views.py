"""Excel import and export pages. Thin: parse the request, call the service,
render or stream the result."""

from urllib.parse import quote

from django import forms
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import FileResponse, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from civicgrid.access.scoping import CHANGE, EXPORT, may
from civicgrid.lib import xlsx
from civicgrid.registry.filters import HouseholdFilter, ResidentFilter
from civicgrid.registry.models import Household
from civicgrid.registry.spreadsheet_export import (
    register_export_households,
    register_export_residents,
)
from civicgrid.registry.spreadsheet_import import register_import as import_register
from civicgrid.registry.spreadsheets import register_template as template_workbook

# A page listing 100,000 problems helps nobody; the count says how many more.
ERRORS_SHOWN = 500


class UploadForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("台账文件（.xlsx）"))


@login_required
def register_import(request):
    if not may(request.user, CHANGE, Household):
        raise PermissionDenied(_("您的角色不能导入户籍台账。"))
    form = UploadForm(request.POST or None, request.FILES or None)
    result = None
    status = 200
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        result = import_register(actor=request.user, file=upload, filename=upload.name)
        status = 200 if result.ok else 400
    elif request.method == "POST":
        status = 400
    context = {
        "form": form,
        "result": result,
        "errors_shown": result.errors[:ERRORS_SHOWN] if result else [],
        "errors_hidden": max(0, len(result.errors) - ERRORS_SHOWN) if result else 0,
    }
    return render(request, "registry/excel_import.html", context, status=status)


@login_required
def register_template(request):
    return _xlsx(template_workbook(), _("居民台账模板") + ".xlsx")


@login_required
def export_households(request):
    return _export(request, HouseholdFilter, register_export_households)


@login_required
def export_residents(request):
    return _export(request, ResidentFilter, register_export_residents)


def _export(request, filter_class, service):
    if not may(request.user, EXPORT, Household):
        raise PermissionDenied(_("您的角色不能导出台账。"))
    filters = filter_class(request.GET)
    if not filters.is_valid():
        problems = "; ".join(str(m) for messages in filters.errors.values() for m in messages)
        return HttpResponseBadRequest(_("筛选条件有误：%(problems)s") % {"problems": problems})
    export = service(user=request.user, filters=filters)
    return _xlsx(export.file, export.filename)


def _xlsx(content, filename: str) -> HttpResponse:
    # RFC 5987: the Chinese name for browsers, an ASCII one for old clients.
    disposition = f"attachment; filename=\"register.xlsx\"; filename*=UTF-8''{quote(filename)}"
    if isinstance(content, bytes):
        response = HttpResponse(content, content_type=xlsx.CONTENT_TYPE)
    else:
        response = FileResponse(content, content_type=xlsx.CONTENT_TYPE)
    response["Content-Disposition"] = disposition
    return response
