"""GeoReport v2 wire formats: XML (required by the spec) and JSON (the Spark convention: a list of objects).

Every answer is a list of records under a root element (``services`` / ``service``, ``service_requests`` /
``request``…), or one ``service_definition``. Errors are ``<errors><error><code>…</code><description>…</description>
</error></errors>`` in XML and ``[{"code": …, "description": …}]`` in JSON, with the HTTP status of the spec.
Dates are w3 / ISO 8601 with an offset (UTC is stored; Asia/Shanghai is shown, ``+08:00``).
"""

import datetime as dt
import json
from xml.sax.saxutils import escape

from django.http import HttpResponse
from django.utils import timezone

FORMATS = ("xml", "json")
XML_TYPE = "text/xml; charset=utf-8"
JSON_TYPE = "application/json; charset=utf-8"


def w3(value: dt.datetime | None) -> str | None:
    """A datetime in the w3 profile of ISO 8601, in the compound's time zone with its offset."""
    if value is None:
        return None
    return timezone.localtime(value).isoformat(timespec="seconds")


def _scalar(value) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, dt.datetime):
        return w3(value) or ""
    return str(value)


def _xml_value(name: str, value, item_names: dict[str, str], indent: str) -> str:
    if isinstance(value, dict):
        inner = "".join(_xml_value(k, v, item_names, indent + "  ") for k, v in value.items())
        return f"{indent}<{name}>\n{inner}{indent}</{name}>\n"
    if isinstance(value, list | tuple):
        child = item_names.get(name, "item")
        inner = "".join(_xml_value(child, v, item_names, indent + "  ") for v in value)
        return f"{indent}<{name}>\n{inner}{indent}</{name}>\n"
    text = _scalar(value)
    if text == "":
        return f"{indent}<{name}/>\n"
    return f"{indent}<{name}>{escape(text)}</{name}>\n"


#: The element name of the members of each list, as in the spec's examples.
ITEM_NAMES = {
    "services": "service",
    "service_requests": "request",
    "attributes": "attribute",
    "values": "value",
    "errors": "error",
}


def to_xml(root: str, data) -> str:
    """``data`` (a list for list roots, a dict for ``service_definition``) as the spec's schemaless XML."""
    return '<?xml version="1.0" encoding="utf-8"?>\n' + _xml_value(root, data, ITEM_NAMES, "")


def _json_ready(value):
    if isinstance(value, dict):
        return {k: _json_ready(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_ready(v) for v in value]
    if isinstance(value, dt.datetime):
        return w3(value)
    if value == "":
        return None
    return value


def respond(fmt: str, root: str, data, *, status: int = 200) -> HttpResponse:
    """The answer in the asked format: XML with its declaration, or JSON (the root's list, or the dict itself)."""
    if fmt == "json":
        body = json.dumps(_json_ready(data), ensure_ascii=False)
        return HttpResponse(body.encode("utf-8"), status=status, content_type=JSON_TYPE)
    return HttpResponse(to_xml(root, data).encode("utf-8"), status=status, content_type=XML_TYPE)


def error(fmt: str, status: int, description, *, code: int | None = None) -> HttpResponse:
    """An error in the spec's format: a list of ``{code, description}``; ``code`` defaults to the HTTP status."""
    return respond(fmt, "errors", [{"code": code or status, "description": str(description)}], status=status)
