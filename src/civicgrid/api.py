"""The JSON API under /api/v1/: one NinjaAPI, one router per domain package."""

from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext as _
from ninja import NinjaAPI

from civicgrid.access.api import BearerToken
from civicgrid.access.api import router as auth_router
from civicgrid.care.api import router as care_router
from civicgrid.cases.api import router as cases_router
from civicgrid.notify.api import router as notify_router
from civicgrid.registry.api import router as registry_router
from civicgrid.risks.api import router as risks_router
from civicgrid.volunteers.api import router as volunteers_router

api = NinjaAPI(
    title="civicgrid API",
    version="1",
    description="基层治理服务平台 JSON API. Authenticate with POST /api/v1/auth/token, "
    "then send `Authorization: Bearer <token>`.",
    auth=BearerToken(),
    urls_namespace="api",
)
api.add_router("/auth", auth_router)
api.add_router("/", registry_router)
api.add_router("/", cases_router)
api.add_router("/", risks_router)
api.add_router("/", volunteers_router)
api.add_router("/", care_router)
api.add_router("/", notify_router)


@api.exception_handler(ValidationError)
def validation_error(request, exc: ValidationError):
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
    detail = "; ".join(message for messages in errors.values() for message in messages)
    return api.create_response(request, {"detail": detail, "errors": errors}, status=400)


@api.exception_handler(PermissionDenied)
def permission_denied(request, exc: PermissionDenied):
    return api.create_response(
        request, {"detail": str(exc) or _("您没有权限进行此操作。")}, status=403
    )
