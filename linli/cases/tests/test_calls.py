"""Follow-up calls (回访) on the desk: a result the reporter did not rate within 3 days becomes a call the grid worker
owes; they find it, see the number (recorded), and record the answer, which closes the case or sends it back."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.cases import services
from linli.cases.models import FollowUpCall, State
from linli.cases.tasks import cases_sweep
from linli.core.models import AuditEvent

pytestmark = pytest.mark.django_db

PHONE = "13912345678"


@pytest.fixture
def call_owed(in_progress, steward):
    """A phoned-in case resolved and left unrated for more than 3 days: the call owed on it."""
    def make():
        case = in_progress(reporter_name="李阿姨", reporter_phone=PHONE)
        services.case_transition(actor=steward, case=case, action="resolve", note="已更换水管")
        cases_sweep(now=timezone.now() + dt.timedelta(days=3, hours=1))
        return FollowUpCall.objects.select_related("case").get(case=case, done_at__isnull=True)
    return make


def test_the_caller_finds_the_call_sees_the_number_and_records_the_answer(client_for, call_owed, grid1):
    call = call_owed()
    case = call.case
    assert call.assignee == grid1
    desk = client_for(grid1)
    page = desk.get(reverse("cases:calls")).content.decode()
    assert case.number in page and "李阿姨" in page and PHONE not in page and case.reporter_phone_masked in page
    assert 'data-testid="calls-link"' in desk.get(reverse("cases:queue")).content.decode()
    # The number, shown to make the call: recorded, with the call as its purpose.
    shown = desk.post(reverse("cases:call_phone", args=[case.pk]), {"back": "calls"})
    assert shown.status_code == 200 and f'href="tel:{PHONE}"' in shown.content.decode()
    revealed = AuditEvent.objects.get(action="personal_data.revealed", target_id=str(case.pk))
    assert revealed.actor == grid1 and revealed.data["purpose"] == "follow_up_call"
    # Reached, but no rating chosen: the form again, with what was written.
    refused = desk.post(reverse("cases:call_record", args=[case.pk]), {"back": "calls", "reached": "1",
                                                                        "comment": "说已经修好了"})
    html = refused.content.decode()
    assert refused.status_code == 400 and "说已经修好了" in html and "请选择反映人给出的评价" in html
    done = desk.post(reverse("cases:call_record", args=[case.pk]), {
        "back": "calls", "reached": "1", "rating": "satisfied", "comment": "说已经修好了"}, follow=True)
    case.refresh_from_db()
    call.refresh_from_db()
    assert case.state == State.CLOSED and call.done_by == grid1 and call.reached
    assert case.feedbacks.get().source == "phone_call"
    assert done.redirect_chain[-1][0] == reverse("cases:calls") and "已记录回访" in done.content.decode()
    assert reverse("cases:call_record", args=[case.pk]) not in done.content.decode()  # no longer owed


def test_the_call_is_on_the_case_page_and_an_unreached_reporter_closes_it(client_for, call_owed, grid1):
    call = call_owed()
    desk = client_for(grid1)
    page = desk.get(reverse("cases:detail", args=[call.case.pk])).content.decode()
    assert 'data-testid="follow-up-call"' in page and reverse("cases:call_record", args=[call.case.pk]) in page
    response = desk.post(reverse("cases:call_record", args=[call.case.pk]), {"back": "case", "reached": "0"})
    assert response.status_code == 302 and response.url == reverse("cases:detail", args=[call.case.pk])
    call.case.refresh_from_db()
    assert call.case.state == State.CLOSED


def test_a_case_closed_meanwhile_owes_no_call(client_for, call_owed, grid1):
    call = call_owed()
    services.case_transition(actor=grid1, case=call.case, action="close", note="现场核实已修好")
    call.refresh_from_db()
    assert call.done_at is not None and call.done_by is None  # nobody called: it is simply no longer owed
    desk = client_for(grid1)
    assert reverse("cases:call_record", args=[call.case.pk]) not in desk.get(reverse("cases:calls")).content.decode()
    again = desk.post(reverse("cases:call_record", args=[call.case.pk]), {"reached": "0"}, follow=True)
    assert "没有待回访" in again.content.decode()


def test_only_the_caller_or_staff_who_may_reveal_see_the_number(client_for, call_owed, steward, branch):
    call = call_owed()
    url = reverse("cases:call_phone", args=[call.case.pk])
    assert client_for(steward).post(url).status_code == 403  # handled it, but is not the one to call
    assert PHONE in client_for(branch).post(url).content.decode()  # a branch secretary may reveal numbers
    assert AuditEvent.objects.filter(action="personal_data.revealed", actor=steward).count() == 0


def test_a_rating_given_meanwhile_ends_the_call(call_owed):
    from linli.cases.models import Rating

    call = call_owed()
    services.feedback_record(actor=None, case=call.case, rating=Rating.SATISFIED, source="phone_call")
    call.refresh_from_db()
    assert call.done_at is not None and call.done_by is None


def test_the_calls_of_another_grid_are_not_listed(client_for, call_owed, grid2):
    call = call_owed()
    page = client_for(grid2).get(reverse("cases:calls")).content.decode()
    assert call.case.number not in page
    assert client_for(grid2).post(reverse("cases:call_phone", args=[call.case.pk])).status_code == 404
