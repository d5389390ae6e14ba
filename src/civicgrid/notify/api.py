"""The caller's notices: unread ones, and marking one read."""

from datetime import datetime

from django.shortcuts import get_object_or_404
from ninja import Router, Schema
from ninja.pagination import paginate

from civicgrid.notify import selectors, services

router = Router()
CASE = "cases.case"


class NoticeOut(Schema):
    id: int
    message: str
    created_at: datetime
    read_at: datetime | None
    target_type: str
    target_id: str
    url: str
    # Kept for clients written when every notice was about a case.
    case_id: int | None
    case_number: str | None

    @staticmethod
    def resolve_case_id(obj):
        return int(obj.target_id) if obj.target_type == CASE else None

    @staticmethod
    def resolve_case_number(obj):
        return obj.target_label if obj.target_type == CASE else None


@router.get("/notifications", response=list[NoticeOut], tags=["notifications"])
@paginate
def list_notices(request):
    """The caller's unread notices, newest first."""
    return selectors.unread(user=request.user).order_by("-created_at", "-id")


@router.post("/notifications/{notification_id}/read", response=NoticeOut, tags=["notifications"])
def read_notice(request, notification_id: int):
    notice = get_object_or_404(selectors.inbox(user=request.user), pk=notification_id)
    return services.notice_read(notice=notice, actor=request.user)
