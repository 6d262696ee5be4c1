"""The site's URLs plus the bench's baseline endpoint: a minimal POST writing three rows in one transaction."""

import json

from django.db import transaction
from django.http import JsonResponse
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


urlpatterns = [path("bench/minimal/", minimal_intake), path("bench/minimal-plain/", minimal_intake_plain),
               *site_urlpatterns]
