"""部门待办: a department's queue of whistled cases across the whole
district, tab by dispatch status; its buttons post to ``cases:move``."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils import timezone

from civicgrid.access.roles import Role
from civicgrid.cases import selectors
from civicgrid.cases.models import Dispatch
from civicgrid.web.pages import page_of

S = Dispatch.Status
# The tabs, in the order a dispatch passes through them; 办理中 holds both
# "checked in" and "handling" since the same buttons apply.
TABS = [
    ("pending", S.PENDING.label, [S.PENDING]),
    ("working", S.HANDLING.label, [S.CHECKED_IN, S.HANDLING]),
    ("handled", S.HANDLED.label, [S.HANDLED]),
    ("handed_back", S.HANDED_BACK.label, [S.HANDED_BACK]),
]


@login_required
def queue(request):
    user = request.user
    is_department = user.role == Role.DEPARTMENT and user.organisation_id
    queue = selectors.department_queue(user=user)
    tab = request.GET.get("tab", "pending")
    if tab not in {key for key, _label, _statuses in TABS}:
        tab = "pending"
    tabs = [
        {
            "key": key,
            "label": label,
            "count": queue.filter(status__in=statuses).count() if is_department else 0,
            "active": key == tab,
            "statuses": statuses,
        }
        for key, label, statuses in TABS
    ]
    statuses = next(t["statuses"] for t in tabs if t["active"])
    context = {
        "is_department": is_department,
        "organisation": user.organisation if is_department else None,
        "tabs": tabs,
        "tab": tab,
        "page": page_of(request, queue.filter(status__in=statuses)),
        "now": timezone.now(),
        "S": S,
    }
    return render(request, "cases/queue.html", context)
