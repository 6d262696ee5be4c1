"""GeoReport v2 (Open311) at ``/open311/v2/``: services, service definitions, requests, tokens; XML and JSON.

* ``GET services.{fmt}`` and ``GET services/{code}.{fmt}`` are public (the categories, no personal data).
* ``POST requests.{fmt}`` needs ``api_key`` (an :class:`~linli.open311.models.Open311Key`); the case is filed as
  the key's user, inside that user's scope. The type is ``realtime``: the answer carries ``service_request_id`` (the
  case number). ``tokens/{token}`` answers for the token kept with every submission as well.
* Reading requests (``GET requests``, ``GET requests/{id}``) also needs ``api_key`` — a deviation from the spec,
  which leaves them open: the cases of a residential compound (disputes between neighbours) are not public. They are
  answered within the key user's scope, and never with the reporter's name or phone.

``jurisdiction_id`` may be left out; when given it must be :data:`JURISDICTION`. Errors use the spec's format.
"""

import datetime as dt

from django.conf import settings
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from linli.core.errors import ApplicationError
from linli.open311 import adapter
from linli.open311.formats import error, respond
from linli.open311.services import open311_key_authenticate

JURISDICTION = getattr(settings, "OPEN311_JURISDICTION", "linli")
MAX_REQUESTS = 1000
MAX_SPAN = dt.timedelta(days=90)


def _param(request, name: str) -> str:
    source = request.POST if request.method == "POST" else request.GET
    return (source.get(name) or "").strip()


def _check_jurisdiction(request, fmt):
    jurisdiction = _param(request, "jurisdiction_id")
    if jurisdiction and jurisdiction != JURISDICTION:
        return error(fmt, 404, _("jurisdiction_id “%(id)s” was not found.") % {"id": jurisdiction})
    return None


def _key(request, fmt):
    """(key, None) or (None, an error response)."""
    key = open311_key_authenticate(_param(request, "api_key"))
    if key is None:
        return None, error(fmt, 403, _("api_key is missing or not valid."))
    return key, None


@require_http_methods(["GET"])
def services(request, fmt):
    if (bad := _check_jurisdiction(request, fmt)) is not None:
        return bad
    return respond(fmt, "services", [adapter.service(c) for c in adapter.categories()])


@require_http_methods(["GET"])
def service_definition(request, code, fmt):
    if (bad := _check_jurisdiction(request, fmt)) is not None:
        return bad
    category = adapter.categories().filter(code=code).first()
    if category is None:
        return error(fmt, 404, _("service_code “%(code)s” was not found.") % {"code": code})
    return respond(fmt, "service_definition", adapter.service_definition(category))


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests_(request, fmt):
    if (bad := _check_jurisdiction(request, fmt)) is not None:
        return bad
    key, bad = _key(request, fmt)
    if bad is not None:
        return bad
    if request.method == "POST":
        return _create(request, fmt, key)
    ids = [i.strip() for i in _param(request, "service_request_id").split(",") if i.strip()]
    if ids:
        cases = adapter.cases_for(key.user).filter(number__in=ids[:MAX_REQUESTS])
    else:
        try:
            start, end = _span(request)
        except ValueError as exc:
            return error(fmt, 400, str(exc))
        cases = adapter.cases_for(key.user).filter(created_at__gte=start, created_at__lte=end)
        codes = [c.strip() for c in _param(request, "service_code").split(",") if c.strip()]
        if codes:
            cases = cases.filter(category__code__in=codes)
        statuses = {s.strip() for s in _param(request, "status").split(",") if s.strip()}
        if statuses - {"open", "closed"}:
            return error(fmt, 400, _("status must be open or closed."))
        if statuses == {"open"}:
            cases = adapter.open_only(cases)
        elif statuses == {"closed"}:
            cases = adapter.closed_only(cases)
    cases = adapter.with_related(cases)[:MAX_REQUESTS]
    return respond(fmt, "service_requests", [adapter.request_record(c, request.build_absolute_uri) for c in cases])


def _date(request, name):
    raw = _param(request, name)
    if not raw:
        return None
    value = parse_datetime(raw)
    if value is None or timezone.is_naive(value):
        raise ValueError(_("%(name)s must be a w3 date and time with a time zone, e.g. 2026-01-01T00:00:00Z.")
                         % {"name": name})
    return value


def _span(request):
    start, end = _date(request, "start_date"), _date(request, "end_date")
    if start and end and end - start > MAX_SPAN:
        raise ValueError(_("start_date and end_date may not span more than 90 days."))
    if start and end and end < start:
        raise ValueError(_("end_date is before start_date."))
    end = end or (start + MAX_SPAN if start else timezone.now())
    start = start or end - MAX_SPAN
    return start, end


def _create(request, fmt, key):
    code = _param(request, "service_code")
    if not code:
        return error(fmt, 400, _("service_code was not provided."))
    category = adapter.categories().filter(code=code).first()
    if category is None:
        return error(fmt, 404, _("service_code “%(code)s” was not found.") % {"code": code})
    has_latlong = bool(_param(request, "lat") and _param(request, "long"))
    if not (has_latlong or _param(request, "address_string") or _param(request, "address_id")):
        return error(fmt, 400, _("A location is required: lat and long, address_string or address_id."))
    attributes = {k[len("attribute["):-1]: v for k, v in request.POST.items()
                  if k.startswith("attribute[") and k.endswith("]")}
    try:
        submission = adapter.file_request(key=key, category=category, params=request.POST, attributes=attributes)
    except ApplicationError as exc:
        field = f"{exc.field}: " if exc.field else ""
        return error(fmt, 400, f"{field}{exc.message}")
    return respond(fmt, "service_requests", [{
        "service_request_id": submission.case.number,
        "service_notice": adapter.service_notice(submission.case),
        "account_id": submission.account_id,
    }])


@require_http_methods(["GET"])
def request_detail(request, service_request_id, fmt):
    if (bad := _check_jurisdiction(request, fmt)) is not None:
        return bad
    key, bad = _key(request, fmt)
    if bad is not None:
        return bad
    case = adapter.with_related(adapter.cases_for(key.user).filter(number=service_request_id)).first()
    if case is None:
        return error(fmt, 404, _("service_request_id “%(id)s” was not found.") % {"id": service_request_id})
    return respond(fmt, "service_requests", [adapter.request_record(case, request.build_absolute_uri)])


@require_http_methods(["GET"])
def token(request, token, fmt):
    if (bad := _check_jurisdiction(request, fmt)) is not None:
        return bad
    submission = adapter.submission_by_token(token)
    if submission is None:
        return error(fmt, 404, _("token “%(token)s” was not found.") % {"token": token})
    return respond(fmt, "service_requests", [{"service_request_id": submission.case.number, "token": token}])


def not_found(request, fmt="xml"):
    """404 in the format the client asked for (``….json`` gets JSON; anything else the spec's default, XML)."""
    return error("json" if request.path.endswith(".json") else fmt, 404, _("There is no such Open311 resource."))
