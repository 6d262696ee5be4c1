"""The sweep: reminders, escalation of overdue cases, follow-up calls; idempotent."""

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone, translation

from linli.cases import services
from linli.cases.models import Case, FollowUpCall, Level, Rating, State
from linli.cases.tasks import cases_sweep
from linli.core.errors import ApplicationError
from linli.notify.models import Notification

pytestmark = pytest.mark.django_db


def _in_progress(new_case, steward, **kwargs):
    case = new_case(building=1, **kwargs)
    services.case_transition(actor=case.owner, case=case, action="dispatch")
    services.case_transition(actor=steward, case=case, action="start")
    return case


def test_an_overdue_case_is_escalated_once_and_supervisors_are_told(new_case, steward, branch, secretary):
    case = _in_progress(new_case, steward)
    now = case.resolution_due_at + dt.timedelta(minutes=5)
    done = cases_sweep(now=now)
    assert done["escalated"] >= 1
    case.refresh_from_db()
    assert (case.level, case.state, case.escalation_count) == (Level.COMMUNITY, State.ESCALATED, 1)
    event = case.events.filter(action="escalate").get()
    assert event.actor is None
    assert Notification.objects.filter(recipient=secretary, kind="cases.escalate").exists()
    assert Notification.objects.filter(recipient=branch, kind="cases.overdue").exists()
    assert case.resolution_due_at > now  # the community gets its own deadline
    cases_sweep(now=now)
    case.refresh_from_db()
    assert case.escalation_count == 1  # idempotent


def test_at_the_street_an_overdue_case_is_reported_once(new_case, steward, secretary, street_officer):
    case = _in_progress(new_case, steward)
    services.case_transition(actor=steward, case=case, action="escalate", note="社区")
    services.case_transition(actor=secretary, case=case, action="escalate", note="街道")
    now = case.resolution_due_at + dt.timedelta(hours=1)
    cases_sweep(now=now)
    cases_sweep(now=now)
    case.refresh_from_db()
    assert case.level == Level.STREET and case.overdue_handled_at is not None
    assert case.events.filter(action="remind", data__kind="overdue").count() == 1
    assert Notification.objects.filter(recipient=street_officer, kind="cases.overdue",
                                       title__contains=case.number).count() == 1


def test_reminders_before_the_deadlines_are_sent_once(new_case, steward):
    case = _in_progress(new_case, steward)
    now = case.resolution_due_at - dt.timedelta(hours=3)
    cases_sweep(now=now)
    cases_sweep(now=now)
    assert Notification.objects.filter(recipient=steward, kind="cases.reminder",
                                       title__contains=case.number).count() == 1
    case.refresh_from_db()
    assert case.resolution_reminded_at == now


def test_what_the_sweep_writes_on_the_timeline_reads_in_each_readers_language(new_case, steward, secretary,
                                                                              client_for):
    from django.urls import reverse

    case = _in_progress(new_case, steward)
    with translation.override("zh-hans"):  # the worker's language
        cases_sweep(now=case.resolution_due_at - dt.timedelta(hours=3))
        cases_sweep(now=case.resolution_due_at + dt.timedelta(minutes=5))
    client = client_for(secretary)  # overdue, it went up to the community
    english = client.get(reverse("cases:detail", args=[case.pk]), {"lang": "en"}).content.decode()
    assert f"Case {case.number} is due by" in english and "escalated one level automatically" in english
    chinese = client.get(reverse("cases:detail", args=[case.pk]), {"lang": "zh-hans"}).content.decode()
    assert f"工单 {case.number} 须在" in chinese and "已超期：自动上报上一级" in chinese


def test_a_paused_case_is_not_escalated(new_case, steward):
    case = _in_progress(new_case, steward)
    services.case_transition(actor=steward, case=case, action="ask_reporter", note="请补充照片")
    cases_sweep(now=case.resolution_due_at + dt.timedelta(days=2))
    case.refresh_from_db()
    assert case.state == State.WAITING_REPORTER and case.escalation_count == 0


def test_no_rating_in_three_days_makes_a_follow_up_call_then_the_answer_closes(new_case, steward, grid1):
    case = _in_progress(new_case, steward)
    services.case_transition(actor=steward, case=case, action="resolve", note="已修")
    cases_sweep(now=timezone.now() + dt.timedelta(days=2))
    assert not FollowUpCall.objects.filter(case=case).exists()
    cases_sweep(now=timezone.now() + dt.timedelta(days=3, hours=1))
    cases_sweep(now=timezone.now() + dt.timedelta(days=3, hours=2))
    call = FollowUpCall.objects.get(case=case)
    assert call.assignee == grid1
    assert Notification.objects.filter(recipient=grid1, kind="cases.follow_up_call",
                                       title__contains=case.number).count() == 1
    with pytest.raises(ApplicationError) as err:
        services.follow_up_call_record(actor=grid1, call=call, reached=True)
    assert err.value.field == "rating"
    services.follow_up_call_record(actor=grid1, call=call, reached=True, rating=Rating.SATISFIED, comment="满意")
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.feedbacks.get().source == "phone_call"


def test_an_unreached_reporter_still_closes_the_case(new_case, steward, grid1):
    case = _in_progress(new_case, steward)
    services.case_transition(actor=steward, case=case, action="resolve", note="已修")
    cases_sweep(now=timezone.now() + dt.timedelta(days=4))
    services.follow_up_call_record(actor=grid1, call=FollowUpCall.objects.get(case=case), reached=False)
    assert Case.objects.get(pk=case.pk).state == State.CLOSED


def test_the_command_runs_the_sweep_and_prunes_idle_rate_limit_keys(capsys):
    from linli.accounts.models import RateLimitKey

    now = timezone.now()
    RateLimitKey.objects.create(key="idle", touched_at=now - dt.timedelta(days=2))
    RateLimitKey.objects.create(key="busy", touched_at=now - dt.timedelta(minutes=5))
    call_command("cases_sweep")
    out = capsys.readouterr().out
    assert "escalated=" in out and "ratelimit_keys_pruned=1" in out
    assert list(RateLimitKey.objects.values_list("key", flat=True)) == ["busy"]


def test_the_command_deletes_sign_in_attempts_and_codes_older_than_a_month_and_keeps_the_rest(capsys):
    """Who tried to sign in, from where, is personal data: the rate limits' rows go once no limit counts them."""
    from linli.accounts.models import SignInAttempt, SignInCode
    from linli.accounts.ratelimit import LEDGER_KEEP

    now = timezone.now()
    for age in (LEDGER_KEEP + dt.timedelta(hours=1), dt.timedelta(days=2)):
        attempt = SignInAttempt.objects.create(kind="password", username=f"u{age.days}", ip_address="10.0.0.9")
        code = SignInCode.objects.create(phone_hash=f"h{age.days}", code_hash="x", expires_at=now)
        SignInAttempt.objects.filter(pk=attempt.pk).update(created_at=now - age)
        SignInCode.objects.filter(pk=code.pk).update(created_at=now - age)
    call_command("cases_sweep")
    assert "signin_rows_pruned=2" in capsys.readouterr().out
    assert list(SignInAttempt.objects.values_list("username", flat=True)) == ["u2"]
    assert list(SignInCode.objects.values_list("phone_hash", flat=True)) == ["h2"]


def test_a_response_reminder_sent_after_the_deadline_says_it_is_late(reported_case, branch, client_for):
    from django.urls import reverse

    case = reported_case("1")  # phoned in, still to be accepted
    cases_sweep(now=case.response_due_at + dt.timedelta(hours=5))  # the worker was down until after the deadline
    told = Notification.objects.filter(kind="cases.reminder", title__contains=case.number).first()
    assert "已超时" in told.title and "前响应，现已超时" in told.title
    english = client_for(branch).get(reverse("cases:detail", args=[case.pk]), {"lang": "en"}).content.decode()
    assert "the response is late" in english
