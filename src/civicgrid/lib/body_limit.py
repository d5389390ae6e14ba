"""One cap on request bodies, checked against Content-Length before anything
reads the body. Django's own DATA_UPLOAD_MAX_MEMORY_SIZE leaves out file
parts, so without this a 2 GB "photo" would be streamed to disk whole before
the photo check could refuse it. (Django reads no body without a
Content-Length, so a chunked upload cannot slip past.)"""

from django.conf import settings
from django.http import HttpResponse, JsonResponse
from django.utils.translation import gettext as _

from civicgrid.lib.api import error_body


class BodySizeLimitMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        try:
            length = int(request.META.get("CONTENT_LENGTH") or 0)
        except ValueError:
            length = 0
        limit = settings.REQUEST_MAX_BYTES
        if length <= limit:
            return self.get_response(request)
        detail = _("请求体过大（上限 %(limit)d MB）。") % {"limit": limit // (1024 * 1024)}
        if request.path_info.startswith("/api/"):
            return JsonResponse(error_body(detail, "too_large"), status=413)
        return HttpResponse(detail, status=413, content_type="text/plain; charset=utf-8")
