"""URL walk objects of notify: a notice to the side's staff member (the
walk's insider for side a is staff_a; side b's notice is someone else's)."""

from civicgrid.access.models import User
from civicgrid.notify.outbox import notice_send


def objects(side: str, registry: dict, places: dict) -> dict[str, object]:
    staff = User.objects.get(username=f"staff_{side}")
    (notice,) = notice_send([staff], message="走访提醒", url="/")
    return {"notification_id": notice.pk, "notify:read": {"pk": notice.pk}}
