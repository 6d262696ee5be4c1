"""Intake kept short (issue: the API's intake at ≥ 60 % of a minimal three-row endpoint): a staff entry is accepted in
the same write, the settings are read from memory that follows changes made by any process, and notifications
go through a task that commits with the case."""

import datetime as dt

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from linli.accounts.models import Role
from linli.cases import services
from linli.cases.models import Case, CaseEvent, Channel, RoutingRule, SettingsVersion, State
from linli.core.models import AuditEvent
from linli.notify.models import Notification

pytestmark = pytest.mark.django_db

API = "/api/v1/cases/"


def _post(client, token, place, category, key="", **extra):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    if key:
        headers["HTTP_IDEMPOTENCY_KEY"] = key
    body = {"category": category.code, "place_id": place.pk, "description": "来电：楼道灯不亮",
            "reporter_name": "王女士", "channel": "phone", **extra}
    return client.post(API, body, content_type="application/json", **headers)


def test_a_staff_entry_is_accepted_in_one_write_with_its_two_events_and_audit_rows(
        client, api_token, grid1, unit_of, category):
    token, unit, water = api_token(grid1), unit_of(1), category("water")
    _post(client, token, unit, water, key="warm-up")  # the settings come into memory
    with CaptureQueriesContext(connection) as queries:
        response = _post(client, token, unit, water, key="call-1")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["state"] == State.ACCEPTED and data["version"] == 2
    assert [e["action"] for e in data["timeline"]] == ["submit", "accept"]
    assert "dispatch" in data["allowed_actions"]
    case = Case.objects.get(pk=data["id"])
    assert case.owner == grid1 and case.state == State.ACCEPTED
    assert list(CaseEvent.objects.filter(case=case).values_list("action", "from_state", "to_state")) == [
        ("submit", "", State.SUBMITTED), ("accept", State.SUBMITTED, State.ACCEPTED)]
    assert sorted(AuditEvent.objects.filter(target_type="cases.case", target_id=str(case.pk))
                  .values_list("action", flat=True)) == ["cases.accept", "cases.case_create"]
    # token, the grid worker's roles (2), category, place, then BEGIN, number + settings token, case, events, audit,
    # COMMIT — was 29 before (a second locked transition, the routing, deadline and calendar tables, re-reads).
    assert len(queries) <= 11, "\n".join(q["sql"][:120] for q in queries.captured_queries)


def test_the_same_idempotency_key_answers_the_first_case_with_200(client, api_token, grid1, unit_of, category):
    token = api_token(grid1)
    first = _post(client, token, unit_of(1), category("water"), key="same")
    again = _post(client, token, unit_of(1), category("water"), key="same")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["id"] == first.json()["id"]
    assert [e["action"] for e in again.json()["timeline"]] == ["submit", "accept"]
    assert Case.objects.filter(idempotency_key="same").count() == 1


def test_staff_who_do_not_triage_leave_the_case_with_its_receivers(steward, grid1, unit_of, category):
    """A property steward's patrol find is reported, not refused ("you may not accept"): the grid worker receives it."""
    case = services.case_create(actor=steward, category=category("water"), place=unit_of(1),
                                description="巡查发现楼道积水", channel=Channel.PATROL)
    assert case.state == State.SUBMITTED and case.owner is None
    assert Notification.objects.filter(recipient=grid1, kind="cases.submitted", title__contains=case.number).exists()


def test_a_rule_saved_by_another_process_routes_the_next_case(grid1, branch, unit_of, category, leader, demo):
    """Another process saved a rule: only the database changed (the rule and the settings token), not this
    process's memory. The next report must follow the rule all the same."""
    water, unit = category("water"), unit_of(1)
    before = services.case_create(actor=grid1, category=water, place=unit, description="楼道漏水",
                                  channel=Channel.PHONE, reporter_name="王")
    assert before.assigned_role == Role.PROPERTY_STEWARD
    building = unit.building
    RoutingRule.objects.create(category=water, place=building, path=building.path, level="building",
                               role=Role.GROUP_LEADER, handler=leader(1))
    SettingsVersion.objects.update_or_create(pk=1, defaults={"token": "written-by-another-process"})
    after = services.case_create(actor=grid1, category=water, place=unit, description="楼道漏水",
                                 channel=Channel.PHONE, reporter_name="王")
    assert (after.level, after.assigned_role, after.assignee) == ("building", Role.GROUP_LEADER, leader(1))


def test_deadlines_and_holidays_saved_by_a_supervisor_apply_to_the_next_case(branch, grid1, unit_of, category, at,
                                                                           demo):
    water = category("water")
    reported = at(2027, 3, 1, 10)  # a Monday of a year the calendar package does not know
    services.deadline_policy_set(actor=branch, category=water, priority="normal", response_hours=6,
                                 resolution_workdays=2, place=demo)
    first = services.case_create(actor=grid1, category=water, place=unit_of(1), description="楼道漏水",
                                 channel=Channel.PHONE, reporter_name="王", at=reported, priority="normal")
    assert first.response_due_at == reported + dt.timedelta(hours=6)
    assert first.resolution_due_at == at(2027, 3, 3, 10)
    services.workday_override_set(actor=None, date=dt.date(2027, 3, 2), is_workday=False, note="test")
    second = services.case_create(actor=grid1, category=water, place=unit_of(1), description="楼道漏水",
                                  channel=Channel.PHONE, reporter_name="王", at=reported, priority="normal")
    assert second.resolution_due_at == at(2027, 3, 4, 10)  # Tuesday is a holiday now


def test_on_the_database_queue_the_notification_is_a_task_row_of_the_same_transaction(
        settings, resident_user, unit_of, category, grid1):
    from django_tasks_db.models import DBTaskResult

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    before = Notification.objects.filter(recipient=grid1).count()
    case = services.case_create(actor=resident_user(2), category=category("water"), place=unit_of(2),
                                description="卫生间天花板渗水")
    task_row = DBTaskResult.objects.get(task_path="linli.cases.tasks.case_notify")
    assert task_row.args_kwargs["kwargs"]["case_id"] == case.pk
    assert Notification.objects.filter(recipient=grid1).count() == before  # the worker delivers it
    from linli.cases.tasks import case_notify

    case_notify.call(**task_row.args_kwargs["kwargs"])
    assert Notification.objects.filter(recipient=grid1, kind="cases.submitted", title__contains=case.number).exists()


def test_a_task_row_written_with_a_change_is_the_queues_own_row_and_the_worker_runs_it(
        settings, grid1, demo, unit_of, category):
    """A report writes its notification's task row itself (with its own rows, in one round trip): that row must be
    the one the queue's ``enqueue`` writes, and the database worker must run it."""
    from django_tasks_db.management.commands.db_worker import Worker
    from django_tasks_db.models import DBTaskResult

    from linli.cases.services.common import task_row
    from linli.cases.tasks import case_notify
    from linli.core.db import insert_together

    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    case = services.case_create(actor=grid1, category=category("water"), place=unit_of(1), description="楼道漏水",
                                channel=Channel.PHONE, reporter_name="王")
    kwargs = {"case_id": case.pk, "kind": "cases.test", "title": "测试", "body": "", "user_ids": [grid1.pk],
              "reporter": False, "receivers": False}
    queued = DBTaskResult.objects.get(pk=case_notify.enqueue(**kwargs).id)
    ours = task_row(case_notify, kwargs)
    insert_together((DBTaskResult, [ours]))
    ours.refresh_from_db()
    columns = ["status", "args_kwargs", "priority", "task_path", "queue_name", "backend_name", "run_after",
               "worker_ids", "return_value"]
    assert [getattr(ours, c) for c in columns] == [getattr(queued, c) for c in columns]
    # The worker's own step (its command would close this test's connection between polls).
    worker = Worker(queue_names=["*"], interval=0, batch=True, backend_name="default", startup_delay=False,
                    max_tasks=None, worker_id="test", excluded_queue_names=[])
    for row in DBTaskResult.objects.filter(pk__in=[queued.pk, ours.pk]):
        row.claim(worker.worker_id)
        worker.run_task(row)
    assert DBTaskResult.objects.get(pk=ours.pk).status == "SUCCESSFUL"
    assert Notification.objects.filter(recipient=grid1, kind="cases.test").count() == 2
