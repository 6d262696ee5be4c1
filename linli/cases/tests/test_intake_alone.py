"""A report through the API on PostgreSQL, outside any transaction, as a server makes it: the number, the case, its
events, its audit rows and its notification's task in one round trip that is its own transaction — all of it or
nothing, the number without gaps, and settings changed by another process followed.

``transaction=True``: the test runs as a request does, with nothing around it (pytest-django empties the database
afterwards, so the demo is loaded here)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli.accounts.models import Role, User
from linli.accounts.services import token_issue
from linli.cases.models import Case, CaseEvent, CaseNumberSequence, Category, RoutingRule, SettingsVersion, State
from linli.core.models import AuditEvent
from linli.places.models import Place, PlaceKind

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql", reason="the one-round-trip write is PostgreSQL's"),
]

API = "/api/v1/cases/"


def _post(client, token, unit, code, key, **extra):
    body = {"category": code, "place_id": unit.pk, "description": "来电：楼道漏水", "reporter_name": "王女士",
            "reporter_phone": "13912345678", "channel": "phone", **extra}
    return client.post(API, body, content_type="application/json", HTTP_AUTHORIZATION=f"Bearer {token}",
                       HTTP_IDEMPOTENCY_KEY=key)


def _last(prefix="LZ"):
    return CaseNumberSequence.objects.filter(prefix=prefix).order_by("-year").values_list("last", flat=True).first()


def test_a_report_is_one_write_that_commits_whole_with_its_number_everywhere(client, settings):
    from django_tasks_db.models import DBTaskResult

    from linli.core.demo import ensure_demo

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    ensure_demo()
    grid1 = User.objects.get(username="grid1")
    token = token_issue(actor=None, user=grid1, name="test")[1]
    unit = Place.objects.filter(kind=PlaceKind.UNIT, building__code="1").order_by("path").first()
    _post(client, token, unit, "water", "warm-up")  # the settings and a block of keys come into memory

    with CaptureQueriesContext(connection) as queries:
        response = _post(client, token, unit, "water", "call-1")
    assert response.status_code == 201, response.content
    assert not connection.in_atomic_block
    # The token with its user's roles, the place, then one write: no BEGIN, no COMMIT, nothing read again (and,
    # once in 32 reports, a block of case keys: core.db.reserve_key).
    sql = [q["sql"] for q in queries.captured_queries if "generate_series" not in q["sql"]]
    assert len(sql) == 3, "\n".join(s[:100] for s in sql)
    assert not any(s.strip().upper() in ("BEGIN", "COMMIT") for s in sql)
    number = response.json()["number"]
    case = Case.objects.get(pk=response.json()["id"])
    assert case.number == number == f"LZ-{case.created_at.year}-{_last():06d}"
    assert case.state == State.ACCEPTED and case.owner == grid1 and case.reporter_phone_masked == "139****5678"
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == ["submit", "accept"]
    created = AuditEvent.objects.get(action="cases.case_create", target_id=str(case.pk))
    assert created.data["number"] == number
    task = DBTaskResult.objects.get(task_path="linli.cases.tasks.case_notify", args_kwargs__kwargs__case_id=case.pk)
    titles = [words["title"] for words in task.args_kwargs["kwargs"]["texts"].values()]
    assert len(titles) == 2 and all(number in t and "[number-" not in t for t in titles), titles

    # The same call again (a retry on a flaky network): the first case, and the counter did not move.
    last = _last()
    again = _post(client, token, unit, "water", "call-1")
    assert (again.status_code, again.json()["id"]) == (200, case.pk)
    assert _last() == last and Case.objects.filter(idempotency_key="call-1").count() == 1

    # Another process routes water leaks of this building to its group leader: only the database knows.
    leader = User.objects.filter(role_assignments__role=Role.GROUP_LEADER,
                                 role_assignments__place=unit.building).first() or grid1
    water = Category.objects.get(code="water")
    RoutingRule.objects.create(category=water, place=unit.building, path=unit.building.path, level="building",
                               role=Role.GROUP_LEADER, handler=leader)
    SettingsVersion.objects.update_or_create(pk=1, defaults={"token": "another-process"})
    routed = _post(client, token, unit, "water", "call-2")
    assert routed.status_code == 201, routed.content
    assert (routed.json()["level"], routed.json()["assigned_role"]) == ("building", Role.GROUP_LEADER)
    assert routed.json()["number"] == f"LZ-{case.created_at.year}-{last + 1:06d}"  # no gap for the refused try

    # Another process retires the category: the report is refused by name, and nothing is written.
    Category.objects.filter(pk=water.pk).update(is_active=False)
    counts = (Case.objects.count(), CaseEvent.objects.count(), AuditEvent.objects.count(), _last())
    refused = _post(client, token, unit, "water", "call-3")
    assert refused.status_code == 400 and refused.json()["field"] == "category", refused.content
    assert (Case.objects.count(), CaseEvent.objects.count(), AuditEvent.objects.count(), _last()) == counts
