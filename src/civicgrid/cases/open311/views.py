"""Open311 GeoReport v2 at /open311/v2/ (SPEC C3, section 3), for third-party clients.

Categories are services and their questions are attributes; a case is a
service request and its number is the service_request_id. Reading is public:
only published cases, as their public summary (``civicgrid.cases.publication``);
posting needs a client's ``api_key``.

Choices where the spec leaves room:
- Errors are the spec's list of {code, description}; 403 for a missing, unknown
  or revoked api_key, 404 for an unknown jurisdiction_id, service definition,
  request or token, 400 for everything else (an unknown service_code in a POST
  is a bad request, as the spec lists it).
- A POST placed by address_string alone is accepted when the string names a
  community or grid (the longest name found wins); cases need a place to be
  routed, and there is no geocoder.
- Requests are created at once, so a POST returns the service_request_id; the
  token of an Open311 case is its number, and tokens/{token} answers for it.
- A POST may carry ``client_request_id`` (or an ``Idempotency-Key`` header):
  a retry with the same value returns the case already created.
- ``service_request_id`` in GET requests overrides the other filters, as the
  spec says; jurisdiction_id still limits the answer to that district.
- email, device_id and account_id are accepted and not kept: a case stores no
  contact data beyond the reporter's name and phone.
"""

import re
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from functools import wraps

from django.conf import settings
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.db.models import CharField, F, Value
from django.db.models.functions import Length
from django.http import Http404, HttpRequest, QueryDict
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from civicgrid.access.client_keys import client_key_for
from civicgrid.access.models import ClientKey
from civicgrid.cases import catalogue
from civicgrid.cases.models import OPEN_STAGES, Case, Channel, Question, Stage
from civicgrid.cases.open311.format import FORMATS, render
from civicgrid.cases.open311.rows import public_rows
from civicgrid.cases.publication import published_cases, published_photos
from civicgrid.cases.selectors import categories
from civicgrid.cases.services import case_report
from civicgrid.lib.idempotency import request_key
from civicgrid.lib.photos import copy_response
from civicgrid.registry.geo import grid_at
from civicgrid.registry.models import Place

SPECIFICATION = "http://wiki.open311.org/GeoReport_v2"
# When this endpoint's behaviour last changed (discovery's changeset).
CHANGESET = "2026-11-28T00:00:00+08:00"
MAX_RESULTS = 1000
MAX_SPAN = timedelta(days=90)
CLOSED_STAGES = (Stage.CLOSED, Stage.REJECTED)
_ATTRIBUTE = re.compile(r"^attribute\[([^\[\]]+)\](\[\])?$")
_CJK = re.compile(r"[\u3400-\u9fff]")


class Open311Error(Exception):
    """A request the spec answers with an error list."""

    def __init__(self, status: int, *descriptions: str):
        super().__init__(*descriptions)
        self.status = status
        self.descriptions = descriptions


@dataclass
class Call:
    """One Open311 call: its format, parameters and the client and
    jurisdiction they name (both checked before the view runs)."""

    request: HttpRequest
    fmt: str
    params: QueryDict
    client: ClientKey | None
    jurisdiction: Place | None

    def get(self, name: str) -> str:
        """A parameter's value; an empty one counts as absent."""
        return (self.params.get(name) or "").strip()


def _errors(status: int, descriptions, fmt: str):
    rows = [{"code": status, "description": text} for text in descriptions]
    return render(rows, fmt, root="errors", status=status)


def endpoint(*methods: str):
    def decorate(view):
        @wraps(view)
        def wrapper(request, *args, fmt: str, **kwargs):
            if fmt not in FORMATS:
                # The format is unknown, so the error itself comes as JSON.
                return _errors(404, [f"Unknown format {fmt!r}: use .json or .xml."], "json")
            if request.method not in methods:
                return _errors(405, [f"{request.method} is not allowed here."], fmt)
            params = request.POST if request.method == "POST" else request.GET
            try:
                call = Call(request, fmt, params, _client(params), _jurisdiction(params))
                return view(call, *args, **kwargs)
            except Open311Error as error:
                return _errors(error.status, error.descriptions, fmt)

        return wrapper

    return decorate


def _client(params) -> ClientKey | None:
    key = (params.get("api_key") or "").strip()
    if not key:
        return None
    client = client_key_for(key)
    if client is None:
        raise Open311Error(403, "api_key is invalid or revoked.")
    return client


def _jurisdiction(params) -> Place | None:
    code = (params.get("jurisdiction_id") or "").strip()
    if not code:
        return None
    place = Place.objects.filter(code=code, level=Place.Level.DISTRICT).first()
    if place is None:
        raise Open311Error(404, f"jurisdiction_id {code} not found.")
    return place


# Discovery and services -----------------------------------------------------


@endpoint("GET")
def discovery(call: Call):
    root = call.request.build_absolute_uri("/")
    document = {
        "changeset": CHANGESET,
        "contact": f"The district's civicgrid administrators: {root}",
        "key_service": "Ask the district's civicgrid administrators for an API key.",
        "endpoints": [
            {
                "specification": SPECIFICATION,
                # This endpoint's base: the folder that discovery lives in.
                "url": call.request.build_absolute_uri("."),
                "changeset": CHANGESET,
                "type": "production" if settings.PRODUCTION else "test",
                "formats": [mime.split(";")[0] for mime in FORMATS.values()],
            }
        ],
    }
    return render(document, call.fmt, root="discovery")


@endpoint("GET")
def service_list(call: Call):
    rows = [
        {
            "service_code": category.code,
            "service_name": category.name,
            "description": category.description,
            "metadata": bool(category.questions.all()),
            "type": "realtime",
            "keywords": ",".join(re.findall(r"[^,，、\s]+", category.keywords)),
            "group": category.group,
        }
        for category in categories()
    ]
    return render(rows, call.fmt, root="services")


@endpoint("GET")
def service_definition(call: Call, code: str):
    category = categories().filter(code=code).first()
    if category is None:
        raise Open311Error(404, f"service_code {code} not found.")
    attributes = [
        {
            "variable": True,
            "code": question.code,
            "datatype": question.datatype,
            "required": question.required,
            "datatype_description": _datatype_description(question),
            "order": position,
            "description": question.label,
            "values": [{"key": c["key"], "name": c["name"]} for c in question.choices],
        }
        for position, question in enumerate(category.questions.all(), start=1)
    ]
    document = {"service_code": category.code, "attributes": attributes}
    return render(document, call.fmt, root="service_definition")


def _datatype_description(question: Question) -> str:
    kind = Question.Datatype
    if question.datatype == kind.DATETIME:
        return _("日期时间，格式如 2026-01-31T09:00+08:00")
    if question.datatype == kind.NUMBER:
        return _("数字")
    if question.datatype == kind.MULTI:
        return _("可多选")
    return ""


# Service requests -------------------------------------------------------------


@csrf_exempt
@endpoint("GET", "POST")
def service_requests(call: Call):
    if call.request.method == "POST":
        return _post(call)
    return _render_cases(call, _search(call))


@endpoint("GET")
def request_detail(call: Call, number: str):
    cases = _in_jurisdiction(call, Case.objects.filter(number=number))
    rows = public_rows(call.request, cases, limit=1)
    if not rows:
        raise Open311Error(404, f"service_request_id {number} not found.")
    return render(rows, call.fmt, root="service_requests")


@endpoint("GET")
def token(call: Call, token: str):
    cases = published_cases().filter(number=token, channel=Channel.OPEN311)
    number = _in_jurisdiction(call, cases).values_list("number", flat=True).first()
    if number is None:
        raise Open311Error(404, f"token {token} not found.")
    rows = [{"service_request_id": number, "token": token}]
    return render(rows, call.fmt, root="service_requests")


@require_GET
def media(request, key):
    """A published case's photo, the copy re-encoded without EXIF, for media_url."""
    photo = get_object_or_404(published_photos().only("image"), key=key)
    try:
        return copy_response(photo.image)
    except FileNotFoundError:
        raise Http404 from None


def _in_jurisdiction(call: Call, cases):
    if call.jurisdiction is None:
        return cases
    return cases.filter(place_code__startswith=call.jurisdiction.code)


def _search(call: Call):
    cases = _in_jurisdiction(call, Case.objects.all())
    numbers = _split(call.get("service_request_id"))
    if numbers:
        return cases.filter(number__in=numbers)
    codes = _split(call.get("service_code"))
    if codes:
        known = catalogue.codes()
        if unknown := [code for code in codes if code not in known]:
            raise Open311Error(400, *[f"service_code {code} not found." for code in unknown])
        cases = cases.filter(category__code__in=codes)
    statuses = set(_split(call.get("status")))
    if statuses - {"open", "closed"}:
        raise Open311Error(400, "status must be open, closed or both (comma-separated).")
    if statuses == {"open"}:
        cases = cases.filter(stage__in=OPEN_STAGES)
    elif statuses == {"closed"}:
        cases = cases.filter(stage__in=CLOSED_STAGES)
    start, end = _date_range(call)
    return cases.filter(reported_at__gte=start, reported_at__lte=end)


def _split(value: str) -> list[str]:
    return [part.strip() for part in value.split(",") if part.strip()]


def _date_range(call: Call) -> tuple[datetime, datetime]:
    start, end = _w3_param(call, "start_date"), _w3_param(call, "end_date")
    if start is None and end is None:
        end = timezone.now()
    if start is None:
        start = end - MAX_SPAN
    elif end is None:
        end = start + MAX_SPAN
    if start > end:
        raise Open311Error(400, "start_date is later than end_date.")
    if end - start > MAX_SPAN:
        raise Open311Error(400, "start_date and end_date may span at most 90 days.")
    return start, end


def _w3_param(call: Call, name: str) -> datetime | None:
    # An unescaped "+" of an offset arrives as a space; a w3 datetime has none.
    value = call.get(name).replace(" ", "+")
    if not value:
        return None
    try:
        parsed = parse_datetime(value)
        if parsed is None and (day := parse_date(value)) is not None:
            parsed = datetime.combine(day, time.min)
    except ValueError:
        parsed = None
    if parsed is None:
        raise Open311Error(400, f"{name} is not a w3 datetime such as 2026-11-28T09:00:00+08:00.")
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _render_cases(call: Call, cases):
    rows = public_rows(call.request, cases, limit=MAX_RESULTS)
    return render(rows, call.fmt, root="service_requests")


# Posting a request -------------------------------------------------------------


def _post(call: Call):
    if call.client is None:
        raise Open311Error(403, "api_key is required to post a service request.")
    code = call.get("service_code")
    if not code:
        raise Open311Error(400, "service_code was not provided.")
    category = catalogue.category(code)
    if category is None:
        raise Open311Error(400, f"service_code {code} not found.")
    lat, lon = _number(call, "lat"), _number(call, "long")
    address = call.get("address_string")
    place = None
    if lat is None and lon is None:
        if not address:
            raise Open311Error(400, "lat and long, or address_string, must be provided.")
        place = _place_named_in(address, call.jurisdiction)
        if place is None:
            raise Open311Error(
                400,
                "location not found: address_string names no community or grid; send lat and long.",
            )
    elif call.jurisdiction is not None and lat is not None and lon is not None:
        grid = grid_at(lat, lon)
        if grid is not None and not grid.code.startswith(call.jurisdiction.code):
            raise Open311Error(
                400, f"lat/long lie outside jurisdiction_id {call.jurisdiction.code}."
            )
    try:
        case, created = case_report(
            media_url=call.get("media_url"),
            channel=Channel.OPEN311,
            category=category,
            description=call.get("description"),
            place=place,
            lat=lat,
            lon=lon,
            address=address,
            answers=_attributes(call.params),
            reporter_name=_full_name(call.get("first_name"), call.get("last_name")),
            reporter_phone=call.get("phone"),
            client=call.client,
            client_key=call.get("client_request_id") or request_key(call.request),
        )
    except ValidationError as exc:
        raise Open311Error(400, *_describe(exc)) from None
    row = {
        "service_request_id": case.number,
        "service_notice": f"Received as case {case.number}; the community reviews it next.",
        "account_id": None,
    }
    return render([row], call.fmt, root="service_requests", status=201 if created else 200)


def _number(call: Call, name: str) -> float | None:
    value = call.get(name)
    if not value:
        return None
    try:
        return float(value)
    except ValueError:
        raise Open311Error(400, f"{name} must be a number.") from None


def _place_named_in(address: str, jurisdiction: Place | None) -> Place | None:
    """The community or grid whose name the address contains; the longest
    name wins (泽新社区第一网格 over 泽新社区)."""
    places = (
        Place.objects.filter(level__in=[Place.Level.COMMUNITY, Place.Level.GRID])
        .exclude(name="")
        .alias(text=Value(address, output_field=CharField()))
        .filter(text__contains=F("name"))
    )
    if jurisdiction is not None:
        places = places.filter(code__startswith=jurisdiction.code)
    return places.order_by(Length("name").desc(), Length("code").desc(), "code").first()


def _attributes(params: QueryDict) -> dict:
    """attribute[code]=v and attribute[code][]=v1&attribute[code][]=v2."""
    answers = {}
    for name in params:
        match = _ATTRIBUTE.match(name)
        if match is None:
            continue
        code, many = match.groups()
        if many:
            values = [v.strip() for v in params.getlist(name) if v.strip()]
            if values:
                answers[code] = values
        elif value := (params.get(name) or "").strip():
            answers[code] = value
    return answers


def _full_name(first: str, last: str) -> str:
    """Chinese names are written family name first, without a space."""
    if _CJK.search(first + last):
        return last + first
    return " ".join(part for part in (first, last) if part)


def _describe(exc: ValidationError) -> list[str]:
    if not hasattr(exc, "error_dict"):
        return exc.messages
    return [
        message if field == NON_FIELD_ERRORS else f"{field}: {message}"
        for field, messages in exc.message_dict.items()
        for message in messages
    ]
