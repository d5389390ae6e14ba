"""Open311 GeoReport v2 output: one Python structure rendered as JSON or XML.

JSON is the structure as it is. XML wraps it in the root element the spec names
(``<services>``, ``<service_requests>``, ``<errors>``…); the items of a list are
named after the list (``<services><service>``), keys become child elements and
``None`` an empty element. Characters XML 1.0 forbids (most control
characters, lone surrogates) are dropped from the XML: one stored BEL would
otherwise make the whole document unparseable.
"""

import json
import re
from datetime import datetime
from xml.etree import ElementTree as ET

from django.http import HttpResponse
from django.utils import timezone

FORMATS = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}
# The element of each item of a list, by the list's own name.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "errors": "error",
    "endpoints": "endpoint",
    "formats": "format",
    "attributes": "attribute",
    "values": "value",
}

# What XML 1.0 allows: tab, newline, carriage return and everything from a
# space up, less the surrogates and U+FFFE/U+FFFF.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def w3_datetime(value: datetime | None) -> str | None:
    """ISO 8601 with the local offset, as the spec asks: 2026-11-28T09:00:00+08:00."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def render(data, fmt: str, *, root: str, status: int = 200) -> HttpResponse:
    """``data`` is a list (of services, requests, errors) or a dict (discovery,
    a service definition); ``root`` is the XML root element's name."""
    if fmt == "json":
        body = json.dumps(data, ensure_ascii=False, default=_json_default)
    else:
        body = ET.tostring(_element(root, data), encoding="utf-8", xml_declaration=True)
    return HttpResponse(body, status=status, content_type=FORMATS[fmt])


def _json_default(value):
    if isinstance(value, datetime):
        return w3_datetime(value)
    raise TypeError(f"cannot render {type(value).__name__} as JSON")


def _element(name: str, value) -> ET.Element:
    element = ET.Element(name)
    if isinstance(value, dict):
        for key, item in value.items():
            element.append(_element(key, item))
    elif isinstance(value, list | tuple):
        item_name = ITEM_NAMES[name]
        for item in value:
            element.append(_element(item_name, item))
    elif value is not None:
        element.text = _text(value)
    return element


def _text(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return w3_datetime(value)
    return _NOT_XML.sub("", str(value))
