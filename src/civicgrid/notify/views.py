"""The inbox: a person's notices, and marking one read (opening its object)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_POST

from civicgrid.notify import selectors, services
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
