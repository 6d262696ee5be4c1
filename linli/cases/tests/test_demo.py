"""The demo's resident finds their own reports at every step of the loop on their phone pages."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from linli.cases import selectors
from linli.cases.demo import REPORTER_CASES, ensure_reporter_cases
from linli.cases.models import State
from linli.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_a_demo_resident_has_a_closed_a_resolved_and_an_asked_report_once(client, demo, resident_account):
    # The demo's own resident (building 2) got theirs with the demo; a neighbour who signs up later gets theirs
    # when the demo is loaded again.
    first = selectors.resident_cases(user=resident_account("2")[0]).filter(reporter_user__isnull=False)
    assert sorted(first.values_list("state", flat=True)) == sorted([State.CLOSED, State.RESOLVED,
                                                                    State.WAITING_REPORTER])
    user, resident = resident_account("7")
    assert ensure_reporter_cases(demo) == len(REPORTER_CASES)
    assert ensure_reporter_cases(demo) == 0  # made once
    cases = list(selectors.resident_cases(user=user).filter(reporter_user=user).order_by("created_at"))
    assert [c.state for c in cases] == [State.CLOSED, State.RESOLVED, State.WAITING_REPORTER]
    assert {c.place_id for c in cases} <= {resident.unit_id, resident.unit.building_id}
    assert all(c.reporter_user_id == user.pk for c in cases)
    # Their messages tell each step, newest first, dated when it happened; the recent ones are still unread.
    messages = list(Notification.objects.filter(recipient=user))
    assert {m.url for m in messages} == {reverse("mycases:detail", args=[c.pk]) for c in cases}
    assert cases[2].number in messages[0].title and messages[0].kind == "cases.ask_reporter"  # the newest step
    assert [m.created_at for m in messages] == sorted((m.created_at for m in messages), reverse=True)
    assert all(m.read_at for m in messages if m.url == reverse("mycases:detail", args=[cases[0].pk]))
    assert any(m.read_at is None for m in messages)
    client.force_login(user)
    home = client.get(reverse("me:home")).content.decode()
    assert re.search(r'data-testid="waiting-for-you">您有 2 件反映在等您', home)  # an answer and a rating
    listed = client.get(reverse("mycases:list")).content.decode()
    assert all(c.number in listed for c in cases)
    assert listed.count('data-testid="your-turn"') == 2 and "等您答复" in listed and "请您评价" in listed
    asked = client.get(reverse("mycases:detail", args=[cases[2].pk])).content.decode()
    assert 'data-testid="answer-form"' in asked
    resolved = client.get(reverse("mycases:detail", args=[cases[1].pk])).content.decode()
    assert 'data-testid="rate-form"' in resolved
    # Opening a case reads its messages.
    assert not Notification.objects.filter(recipient=user, read_at__isnull=True,
                                           url=reverse("mycases:detail", args=[cases[2].pk])).exists()
    page = client.get(reverse("mymessages:list")).content.decode()
    assert cases[2].number in page and cases[0].number in page


def test_the_demo_year_closes_agreed_disputes_like_other_cases(demo):
    from linli.cases.models import Case, MediationOutcome

    agreed = Case.objects.filter(compound=demo, category__is_dispute=True, mediation__outcome=MediationOutcome.AGREED)
    assert agreed.filter(state=State.CLOSED).exists()  # rated after the agreement, or closed by the follow-up call
    # none left "resolved" for long: the metrics would count every dispute as never closed
    assert not agreed.filter(state=State.RESOLVED, resolved_at__lt=timezone.now() - dt.timedelta(days=30)).exists()
