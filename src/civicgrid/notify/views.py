"""The inbox: a person's notices, and marking one read (opening its object)."""

import json

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.crypto import constant_time_compare
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from civicgrid.notify import outbox, selectors, services
from civicgrid.web.pages import page_of, safe_next


@login_required
def inbox(request):
    context = {"page": page_of(request, selectors.inbox(user=request.user))}
    return render(request, "notify/inbox.html", context)


@login_required
@require_POST
def notice_read(request, pk: int):
    notice = get_object_or_404(selectors.inbox(user=request.user), pk=pk)
    services.notice_read(notice=notice, actor=request.user)
    if request.POST.get("open") and notice.url:
        return redirect(notice.url)
    return redirect(safe_next(request, "notify:inbox"))


@csrf_exempt
@require_POST
def sms_receipt(request, receipt_token: str):
    """Tencent Cloud's SMS status callback: a JSON list of reports, each with
    the ``sid`` its send returned. Reachable only under the secret token of
    ``SMS_RECEIPT_TOKEN`` (the provider cannot log in)."""
    expected = settings.SMS_RECEIPT_TOKEN
    if not expected or not constant_time_compare(receipt_token, expected):
        raise Http404
    try:
        reports = json.loads(request.body)
    except (ValueError, UnicodeDecodeError):
        return JsonResponse({"result": 1, "errmsg": "bad json"}, status=400)
    if isinstance(reports, dict):
        reports = [reports]
    if not isinstance(reports, list):
        return JsonResponse({"result": 1, "errmsg": "bad json"}, status=400)
    for report in reports[:1000]:
        if not isinstance(report, dict) or not isinstance(report.get("sid"), str):
            continue
        status = str(report.get("report_status", ""))
        outbox.receipt(
            channel="sms",
            ref=report["sid"],
            delivered=status == "SUCCESS",
            error=f"{report.get('errmsg', '')} {report.get('description', '')}".strip(),
        )
    return JsonResponse({"result": 0, "errmsg": "OK"})
