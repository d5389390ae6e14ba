"""Categories and the department queue."""

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from ninja import Router
from ninja.pagination import paginate

from civicgrid.cases import selectors
from civicgrid.cases.api.schemas import CategoryOut, QueueOut
from civicgrid.cases.models import Dispatch

router = Router()


@router.get("/categories", response=list[CategoryOut], tags=["cases"])
def list_categories(request):
    return list(selectors.categories())


@router.get("/departments/queue", response=list[QueueOut], tags=["cases"])
@paginate
def department_queue(request, status: str = ""):
    """Dispatches to the caller's department (empty for other roles)."""
    if status and status not in Dispatch.Status.values:
        raise ValidationError({"status": _("状态无效：%(status)s") % {"status": status}})
    return selectors.department_queue(user=request.user, status=status)
