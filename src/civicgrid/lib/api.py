"""What every API operation shares, registered once: the one error shape and
its handlers, the input every text field must pass, the pager, and the
OpenAPI document's account of all of it.

Every 4xx the API gives is ``Error``: ``detail`` (a sentence a person can
act on, in the request's language), ``code`` (for programs) and, when fields
are at fault, ``errors`` (the messages per field). Nothing a caller sends
makes a 5xx: a body over the limit is 413, an unparsable one 400, text no
database can store (NUL, a lone UTF-16 surrogate) 400, a value of the wrong
type 422, an offset past any table 422.
"""

import json
import re
from functools import wraps

from django.conf import settings
from django.core.exceptions import PermissionDenied, RequestDataTooBig, TooManyFieldsSent
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404, HttpResponseNotAllowed, JsonResponse
from django.http.multipartparser import MultiPartParserError
from django.urls import URLPattern
from django.utils.translation import gettext as _
from ninja import Field, NinjaAPI, Schema
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaError
from ninja.pagination import LimitOffsetPagination
from ninja.parser import Parser

# Past this a page would be empty in any table civicgrid keeps; further on,
# SQLite's and PostgreSQL's OFFSET overflow.
MAX_OFFSET = 1_000_000_000


class Error(Schema):
    detail: str = Field(description="what went wrong, in the request's language")
    code: str = Field(description="invalid, unauthenticated, forbidden, not_found, conflict…")
    errors: dict[str, list[str]] = Field(
        default_factory=dict, description="the messages per field, when fields are at fault"
    )


def error_body(detail: str, code: str, errors: dict | None = None) -> dict:
    body = {"detail": detail, "code": code}
    if errors:
        body["errors"] = errors
    return body


class Conflict(Exception):
    """A request the current state refuses (too few points, a full activity):
    409, with ``code`` saying which."""

    def __init__(self, detail: str, code: str = "conflict"):
        super().__init__(detail)
        self.detail, self.code = detail, code


class UnusableText(ValueError):
    """Text no database can store: a NUL character or a lone UTF-16 surrogate."""

    def __init__(self, field: str):
        super().__init__(field)
        self.field = field


_UNUSABLE = re.compile("[\x00\ud800-\udfff]")


def _check_text(value, path: str = "") -> None:
    if isinstance(value, str):
        if _UNUSABLE.search(value):
            raise UnusableText(path)
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_text(key, path)
            _check_text(item, f"{path}.{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_text(item, f"{path}[{index}]")


class TextParser(Parser):
    """JSON bodies, query strings and form fields, refused when a string holds
    what PostgreSQL cannot store (SQLite would, and the engines must agree)."""

    def parse_body(self, request):
        data = json.loads(request.body)
        _check_text(data)
        return data

    def parse_querydict(self, data, list_fields, request):
        parsed = super().parse_querydict(data, list_fields, request)
        _check_text(parsed)
        return parsed


class Pagination(LimitOffsetPagination):
    """``limit`` and ``offset`` as ninja's, with ``offset`` bounded."""

    class Input(LimitOffsetPagination.Input):
        offset: int = Field(0, ge=0, le=MAX_OFFSET)


# Pydantic's error types in words for people; the rest keep pydantic's message.
def _type_messages() -> dict[str, str]:
    return {
        "missing": _("必填。"),
        "string_type": _("应为文本。"),
        "int_type": _("应为整数。"),
        "int_parsing": _("应为整数。"),
        "int_from_float": _("应为整数。"),
        "int_parsing_size": _("数字过大。"),
        "float_type": _("应为数字。"),
        "float_parsing": _("应为数字。"),
        "finite_number": _("应为有限的数字。"),
        "bool_type": _("应为 true 或 false。"),
        "bool_parsing": _("应为 true 或 false。"),
        "date_type": _("应为日期，如 2026-01-31。"),
        "date_parsing": _("应为日期，如 2026-01-31。"),
        "date_from_datetime_parsing": _("应为日期，如 2026-01-31。"),
        "date_from_datetime_inexact": _("应为日期，如 2026-01-31。"),
        "datetime_type": _("应为日期时间，如 2026-01-31T09:00:00+08:00。"),
        "datetime_parsing": _("应为日期时间，如 2026-01-31T09:00:00+08:00。"),
        "datetime_from_date_parsing": _("应为日期时间，如 2026-01-31T09:00:00+08:00。"),
        "uuid_type": _("应为 UUID。"),
        "uuid_parsing": _("应为 UUID。"),
        "list_type": _("应为列表。"),
        "dict_type": _("应为对象。"),
        "model_type": _("应为对象。"),
        "model_attributes_type": _("应为对象。"),
        "json_invalid": _("不是有效的 JSON。"),
        "literal_error": _("不是可选的值。"),
        "enum": _("不是可选的值。"),
    }


def _bound_messages(error: dict) -> str | None:
    context = error.get("ctx") or {}
    kinds = {
        "greater_than_equal": _("不能小于%(n)s。"),
        "greater_than": _("应大于%(n)s。"),
        "less_than_equal": _("不能大于%(n)s。"),
        "less_than": _("应小于%(n)s。"),
        "string_too_long": _("最多%(n)s个字。"),
        "string_too_short": _("至少%(n)s个字。"),
        "too_long": _("最多%(n)s项。"),
        "too_short": _("至少%(n)s项。"),
    }
    template = kinds.get(error.get("type", ""))
    if template is None:
        return None
    bound = next(iter(context.values()), "") if context else ""
    return template % {"n": bound}


_SOURCES = {"body", "query", "path", "form", "file", "header", "cookie"}


def _field_name(loc) -> str:
    """["body", "payload", "answers", "x"] -> "answers.x": the body's schema
    parameter is not a field the caller sees; ["query", "limit"] -> "limit"."""
    parts = [str(part) for part in loc]
    if parts and parts[0] in _SOURCES:
        source, parts = parts[0], parts[1:]
        if source == "body" and len(parts) > 1:
            parts = parts[1:]
    return ".".join(parts) or "__all__"


def _schema_errors(exc: SchemaError) -> dict[str, list[str]]:
    words = _type_messages()
    errors: dict[str, list[str]] = {}
    for error in exc.errors:
        message = words.get(error.get("type", "")) or _bound_messages(error) or error.get("msg")
        errors.setdefault(_field_name(error.get("loc", ())), []).append(str(message))
    return errors


def _joined(errors: dict[str, list[str]]) -> str:
    return "; ".join(
        message if field == "__all__" else f"{field}: {message}"
        for field, messages in errors.items()
        for message in messages
    )


class CivicgridAPI(NinjaAPI):
    """NinjaAPI with the error shape, the text parser and the pager registered
    once, and every operation's 4xx answers in its OpenAPI document."""

    def __init__(self, **kwargs):
        super().__init__(parser=TextParser(), **kwargs)
        handlers = {
            DjangoValidationError: self._invalid,
            Conflict: self._conflict,
            PermissionDenied: self._forbidden,
            SchemaError: self._schema_invalid,
            AuthenticationError: self._unauthenticated,
            HttpError: self._http_error,
            Http404: self._not_found,
            RequestDataTooBig: self._too_large,
            TooManyFieldsSent: self._too_large,
            MultiPartParserError: self._unparsable_form,
            UnusableText: self._unusable_text,
        }
        for exception, handler in handlers.items():
            self.add_exception_handler(exception, handler)

    def error(self, request, status: int, detail: str, code: str, errors=None):
        return self.create_response(request, error_body(detail, code, errors), status=status)

    def _invalid(self, request, exc: DjangoValidationError):
        errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        return self.error(request, 400, _joined(errors), "invalid", errors)

    def _conflict(self, request, exc: Conflict):
        return self.error(request, 409, exc.detail, exc.code)

    def _forbidden(self, request, exc: PermissionDenied):
        return self.error(request, 403, str(exc) or _("您没有权限进行此操作。"), "forbidden")

    def _schema_invalid(self, request, exc: SchemaError):
        errors = _schema_errors(exc)
        return self.error(request, 422, _joined(errors), "invalid", errors)

    def _unauthenticated(self, request, exc: AuthenticationError):
        detail = _("请先登录：在 Authorization 请求头中发送 Bearer 令牌（有效且未过期）。")
        return self.error(request, 401, detail, "unauthenticated")

    def _not_found(self, request, exc: Http404):
        return self.error(request, 404, _("没有找到，或不在您的管辖范围内。"), "not_found")

    def _too_large(self, request, exc):
        limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE // 1024
        detail = _("请求体过大（上限 %(limit)d KB）。") % {"limit": limit}
        return self.error(request, 413, detail, "too_large")

    def _unparsable_form(self, request, exc):
        detail = _("表单请求体无法解析：multipart/form-data 需要带 boundary。")
        return self.error(request, 400, detail, "unparsable")

    def _unusable_text(self, request, exc: UnusableText):
        message = _("文本中不能有 NUL 字符或不成对的代理项（U+D800–U+DFFF）。")
        return self.error(request, 400, message, "invalid", {exc.field or "__all__": [message]})

    def _http_error(self, request, exc: HttpError):
        cause = exc.__cause__
        if isinstance(cause, UnusableText):
            return self._unusable_text(request, cause)
        if isinstance(cause, ValueError | RecursionError):  # the body is no JSON
            return self.error(request, 400, _("请求体不是有效的 JSON。"), "unparsable")
        codes = {404: "not_found", 405: "method_not_allowed", 409: "conflict", 429: "throttled"}
        return self.error(request, exc.status_code, str(exc), codes.get(exc.status_code, "error"))

    def _get_urls(self):
        urls = super()._get_urls()
        for url in urls:
            if isinstance(url, URLPattern):
                url.callback = self._json_not_allowed(url.callback)
        return urls

    def _json_not_allowed(self, view):
        """ninja answers a method no operation takes with a plain-text 405."""

        @wraps(view)
        def answer(request, *args, **kwargs):
            response = view(request, *args, **kwargs)
            if not isinstance(response, HttpResponseNotAllowed):
                return response
            allowed = response["Allow"]
            detail = _("这个接口不接受 %(method)s 请求，可用：%(allowed)s。") % {
                "method": request.method,
                "allowed": allowed,
            }
            shaped = self.error(request, 405, detail, "method_not_allowed")
            shaped["Allow"] = allowed
            return shaped

        return answer

    # The OpenAPI document ----------------------------------------------------

    def get_openapi_schema(self, **kwargs):
        schema = super().get_openapi_schema(**kwargs)
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        components["Error"] = Error.model_json_schema(ref_template="#/components/schemas/{model}")
        shape = {"schema": {"$ref": "#/components/schemas/Error"}}
        error = {"content": {"application/json": shape}}
        for methods in schema["paths"].values():
            for operation in methods.values():
                responses = operation.setdefault("responses", {})
                for status, description in self._error_answers(operation).items():
                    responses.setdefault(status, {"description": description, **error})
        return schema

    @staticmethod
    def _error_answers(operation: dict) -> dict[int, str]:
        answers = {
            400: "Bad request: unreadable body, or a value the platform refuses (see errors)",
            403: "Forbidden: the caller's role may not do this",
            404: "Not found, or outside the caller's scope",
            422: "A parameter or field of the wrong type, or out of bounds (see errors)",
        }
        if operation.get("security"):
            answers[401] = "No token, or a revoked or expired one"
        if "requestBody" in operation:
            answers[413] = "The body is larger than the limit"
        return answers


def not_found(request, *args, **kwargs):
    """Any path under the API that names no operation: the API's 404, in JSON."""
    return JsonResponse(
        error_body(_("没有这个接口；接口列表见 /api/v1/docs。"), "not_found"), status=404
    )
