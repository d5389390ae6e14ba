from civicgrid.ops import views

ENDPOINTS = {"/healthz": views.healthz, "/readyz": views.readyz}


class HealthCheckMiddleware:
    """/healthz and /readyz, answered before every other middleware: no
    session, login or language, no host check (a load balancer probes by
    address) and no HTTPS redirect. They build no URL from the request and
    reveal only states and numbers."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        endpoint = ENDPOINTS.get(request.path_info)
        return endpoint(request) if endpoint else self.get_response(request)
