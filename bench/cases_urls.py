"""The site's URLs plus the bench's endpoints: the minimal baselines (three rows in one transaction) and the floor of
an intake (what any intake of the same case must do at least)."""

import json
import re
import uuid

from django.db import connection, transaction
from django.http import JsonResponse
from django.test.utils import CaptureQueriesContext
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

from config.urls import urlpatterns as site_urlpatterns


@csrf_exempt
def minimal_intake(request):
    """What any intake must do at least: parse a JSON body and write three rows in one transaction."""
    from linli.core.models import AuditEvent

    body = json.loads(request.body)
    with transaction.atomic():
        rows = AuditEvent.objects.bulk_create(
            [AuditEvent(action=f"bench.minimal.{i}", data=body) for i in range(3)])
    return JsonResponse({"id": rows[0].pk}, status=201)


@csrf_exempt
def minimal_intake_plain(request):
    """The same three rows written the plain way, one ``INSERT`` each (``objects.create``), in one transaction."""
    from linli.core.models import AuditEvent

    body = json.loads(request.body)
    with transaction.atomic():
        rows = [AuditEvent.objects.create(action=f"bench.minimal.{i}", data=body) for i in range(3)]
    return JsonResponse({"id": rows[0].pk}, status=201)


_KEY, _IDEMPOTENCY = "\x00key\x00", "\x00idempotency\x00"
_floor: dict[str, str] = {}


@csrf_exempt
def floor_intake(request):
    """The floor of an intake (PostgreSQL): the database work the API's intake cannot do without and almost nothing
    else — the key authenticated and the place read by the API's own prepared reads, then the very write a report
    makes (the same statements, rows and values, its key and idempotency key fresh), in one round trip. No
    validation, routing, deadlines, model objects, django-ninja or answer beyond the key: what no intake of the same
    case can go below on this stack, so its ratio to the minimal endpoint bounds the API's."""
    from linli.accounts.services import token_authenticate
    from linli.cases.models import Case
    from linli.core.db import reserve_key
    from linli.places.selectors import get_place_for_user

    user = token_authenticate(request.headers["Authorization"].removeprefix("Bearer "))
    body = json.loads(request.body)
    place = get_place_for_user(user=user, pk=body["place_id"])
    idempotency = request.headers["Idempotency-Key"]
    if not re.fullmatch(r"[\w-]{1,64}", idempotency):
        return JsonResponse({"detail": "bad Idempotency-Key"}, status=400)
    template = _floor.get("write") or _floor_template(user, place, body)
    key = reserve_key(Case)
    with connection.cursor() as cursor:
        cursor.execute(template.replace(_KEY, str(key)).replace(_IDEMPOTENCY, idempotency))
    return JsonResponse({"id": key}, status=201)


def _floor_template(user, place, body) -> str:
    """The write of one real report (made through the service once), with its case key and idempotency key marked."""
    from linli.cases import selectors, services

    mark = f"floor-template-{uuid.uuid4().hex[:12]}"  # a new report, also in a kept database
    with CaptureQueriesContext(connection) as queries:
        case = services.case_intake(actor=user, category=selectors.active_category(body["category"]), place=place,
                                    description=body["description"], channel=body["channel"],
                                    reporter_name=body["reporter_name"], idempotency_key=mark).case
    write = next(q["sql"] for q in queries.captured_queries if 'INSERT INTO "cases_case"' in q["sql"])
    write = re.sub(rf"\b{case.pk}\b", _KEY, write)
    assert f"'{mark}'" in write and _KEY in write, "the report's write was not where the floor expects it"
    _floor["write"] = write.replace(mark, _IDEMPOTENCY)
    return _floor["write"]


urlpatterns = [path("bench/minimal/", minimal_intake), path("bench/minimal-plain/", minimal_intake_plain),
               path("bench/floor/", floor_intake), *site_urlpatterns]
