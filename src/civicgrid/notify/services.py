from django.core.exceptions import PermissionDenied
from django.utils import timezone

from civicgrid.notify.models import Notice


def notice_read(*, notice: Notice, actor) -> Notice:
    """Mark the actor's own notice read; reading it again keeps the first time."""
    if notice.user_id != actor.pk:
        raise PermissionDenied
    if notice.read_at is None:
        notice.read_at = timezone.now()
        notice.save(update_fields=["read_at"])
    return notice
