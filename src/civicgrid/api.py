"""The JSON API under /api/v1/: one NinjaAPI, one router per domain package;
its error shape, text checks and pager are ``civicgrid.lib.api``'s."""

from civicgrid.access.api import BearerToken
from civicgrid.access.api import router as auth_router
from civicgrid.care.api import router as care_router
from civicgrid.cases.api import router as cases_router
from civicgrid.insights.api import router as insights_router
from civicgrid.inspections.api import router as inspections_router
from civicgrid.lib.api import CivicgridAPI
from civicgrid.mediation.api import router as mediation_router
from civicgrid.notify.api import router as notify_router
from civicgrid.registry.api import router as registry_router
from civicgrid.risks.api import router as risks_router
from civicgrid.services.api import router as services_router
from civicgrid.volunteers.api import router as volunteers_router
from civicgrid.wishes.api import router as wishes_router

api = CivicgridAPI(
    title="civicgrid API",
    version="1",
    description="基层治理服务平台 JSON API. Authenticate with POST /api/v1/auth/token, "
    "then send `Authorization: Bearer <token>`. Every 4xx answer is an `Error`: "
    "`detail` (in the request's language), `code`, and `errors` per field when "
    "fields are at fault.",
    auth=BearerToken(),
    urls_namespace="api",
)
api.add_router("/auth", auth_router)
api.add_router("/", registry_router)
api.add_router("/", cases_router)
api.add_router("/", risks_router)
api.add_router("/", volunteers_router)
api.add_router("/", care_router)
api.add_router("/", services_router)
api.add_router("/", notify_router)
api.add_router("/", inspections_router)
api.add_router("/", mediation_router)
api.add_router("/", wishes_router)
api.add_router("/", insights_router)
