"""The page-level gate every domain's views share."""

from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.translation import gettext as _

from civicgrid.access.scoping import may


def role_may(action: str, model):
    """Login first (anonymous users go to the login page), then the role:
    a role that may not take ``action`` on ``model`` at all gets 403.
    Which objects it may see is still the scope filter's job."""

    def decorator(view):
        @wraps(view)
        def checked(request, *args, **kwargs):
            if not may(request.user, action, model):
                raise PermissionDenied(_("您的角色不能使用此页面。"))
            return view(request, *args, **kwargs)

        return login_required(checked)

    return decorator
