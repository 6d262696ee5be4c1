"""Deadlines: a response in hours, a resolution in working days on the Chinese calendar."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from linli.cases import services
from linli.cases.models import Priority
from linli.core.errors import ApplicationError

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def test_a_case_reported_before_spring_festival_is_due_after_it(new_case, category, at):
    services.deadline_policy_set(actor=None, category=category("water"), priority=Priority.NORMAL,
                                 response_hours=24, resolution_workdays=3)
    case = new_case(priority=Priority.NORMAL, at=at(2026, 2, 12, 10))
    assert case.response_due_at.astimezone(SH) == dt.datetime(2026, 2, 13, 10, tzinfo=SH)
    # 13 Feb (Fri), 14 Feb (make-up Saturday), then the holiday to 23 Feb: the third working day is 24 Feb.
    assert case.resolution_due_at.astimezone(SH) == dt.datetime(2026, 2, 24, 10, tzinfo=SH)
    assert case.resolution_due_at.tzinfo is not None


def test_deadlines_come_from_the_category_and_priority(new_case, at):
    urgent = new_case(code="lift", priority=Priority.URGENT, at=at(2026, 3, 2, 9))
    normal = new_case(code="greenery", priority=Priority.NORMAL, at=at(2026, 3, 2, 9))
    assert urgent.resolution_due_at < normal.resolution_due_at
    assert urgent.response_due_at - urgent.created_at <= dt.timedelta(hours=4)


@pytest.mark.parametrize(("hours", "days", "field"), [(0, 3, "response_hours"), (24, 0, "resolution_workdays"),
                                                      (24, 500, "resolution_workdays")])
def test_bad_deadlines_are_refused(hours, days, field, category):
    with pytest.raises(ApplicationError) as err:
        services.deadline_policy_set(actor=None, category=category("water"), priority=Priority.NORMAL,
                                     response_hours=hours, resolution_workdays=days)
    assert err.value.field == field
