"""The set-up pages (设置): one hub, and for each registered ``SetupPage``
(``web.extensions.setup_page``) a list, a new and an edit page. Saving is
one service for all of them: the object is checked against the page's
``may_change`` with its new values (so a place outside scope is refused
whatever the form offered), saved with its many-to-many fields, audited
field by field, and the page's ``saved`` hook runs in the same transaction."""

import inspect

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from civicgrid.access import audit
from civicgrid.access.models import AuditLog
from civicgrid.lib.forms import add_service_errors
from civicgrid.web.extensions import SETUP_PAGES, SetupPage, setup_pages_for
from civicgrid.web.pages import page_of

REFUSED = _("您不能修改这一项设置，或所选地点不在您的管辖范围内。")


def setup_save(page: SetupPage, form, *, actor):
    """Save a valid ``form`` of ``page`` for ``actor``; PermissionDenied
    when the result is not theirs to make."""
    obj = form.instance
    creating = obj.pk is None
    before = {} if creating else audit.snapshot(type(obj).objects.get(pk=obj.pk), page.audited)
    with transaction.atomic():
        obj = form.save(commit=False)
        if not page.may_change(actor, obj):
            raise PermissionDenied(REFUSED)
        obj.save()
        form.save_m2m()
        changes = audit.diff(before, audit.snapshot(obj, page.audited))
        if creating or changes:
            audit.record(
                user=actor,
                action=AuditLog.Action.CREATE if creating else AuditLog.Action.UPDATE,
                obj=obj,
                changes=changes,
                note=f"setup {page.key}",
            )
        if page.saved is not None:
            page.saved(obj, actor)
    return obj


def _page(user, key: str) -> tuple[SetupPage, object]:
    page = SETUP_PAGES.get(key)
    rows = page.rows(user) if page is not None else None
    if rows is None:
        raise Http404
    return page, rows


def _form(page: SetupPage, user, *args, **kwargs):
    if "user" in inspect.signature(page.form.__init__).parameters:
        kwargs["user"] = user
    return page.form(*args, **kwargs)


def _cells(page: SetupPage, obj) -> list:
    cells = []
    for _header, name in page.columns:
        value = getattr(obj, name)
        cells.append(value() if callable(value) else value)
    return cells


@login_required
def hub(request):
    groups: dict = {}
    for page in setup_pages_for(request.user):
        groups.setdefault(str(page.group), []).append(page)
    return render(request, "web/setup/hub.html", {"groups": groups})


@login_required
def setup_list(request, key: str):
    page, rows = _page(request.user, key)
    listed = page_of(request, rows)
    context = {
        "setup": page,
        "page": listed,
        "headers": [header for header, _name in page.columns],
        "rows": [
            {
                "obj": obj,
                "cells": _cells(page, obj),
                "editable": page.may_change(request.user, obj),
            }
            for obj in listed.object_list
        ],
        "may_create": page.may_change(request.user, None),
    }
    return render(request, "web/setup/list.html", context)


@login_required
def setup_edit(request, key: str, row_id: int | None = None):
    page, rows = _page(request.user, key)
    if row_id is None:
        obj = None
        if not page.may_change(request.user, None):
            raise PermissionDenied(REFUSED)
    else:
        obj = rows.filter(pk=row_id).first()
        if obj is None:
            raise Http404
        if not page.may_change(request.user, obj):
            raise PermissionDenied(REFUSED)
    form = _form(page, request.user, request.POST or None, request.FILES or None, instance=obj)
    if request.method == "POST" and form.is_valid():
        try:
            setup_save(page, form, actor=request.user)
        except PermissionDenied as error:
            form.add_error(None, str(error))
        except ValidationError as error:
            add_service_errors(form, error)
        else:
            return redirect("setup_list", key=page.key)
    title = (
        _("新建：%(what)s") % {"what": page.label}
        if obj is None
        else _("修改：%(what)s") % {"what": obj}
    )
    return render(request, "web/setup/form.html", {"setup": page, "form": form, "title": title})
