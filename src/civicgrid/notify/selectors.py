from civicgrid.notify.models import Notice


def inbox(*, user):
    """The user's notices, newest first."""
    return Notice.objects.filter(user=user).order_by("-created_at", "-id")


def unread(*, user):
    return Notice.objects.filter(user=user, read_at__isnull=True)
