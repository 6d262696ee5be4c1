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


def test_the_most_specific_deadline_above_a_case_wins(new_case, category, demo, branch, secretary, at):
    water = category("water")
    services.deadline_policy_set(actor=secretary, category=water, priority=Priority.NORMAL, place=demo.parent,
                                 response_hours=10, resolution_workdays=5)
    case = new_case(priority=Priority.NORMAL, at=at(2026, 3, 2, 9))
    assert case.response_due_at - case.created_at == dt.timedelta(hours=10)  # the community's
    services.deadline_policy_set(actor=branch, category=water, priority=Priority.NORMAL, place=demo,
                                 response_hours=3, resolution_workdays=1)
    case = new_case(priority=Priority.NORMAL, at=at(2026, 3, 2, 9))
    assert case.response_due_at - case.created_at == dt.timedelta(hours=3)  # the compound's, more specific
    assert case.resolution_due_at.astimezone(SH) == dt.datetime(2026, 3, 3, 9, tzinfo=SH)


def test_a_compound_secretary_sets_only_their_compounds_deadlines(branch, category, demo, other_compound,
                                                                 city_admin):
    from linli.cases.models import DeadlinePolicy

    water = category("water")
    for place in (None, demo.parent, other_compound):  # everywhere, their community, another compound
        with pytest.raises(ApplicationError) as err:
            services.deadline_policy_set(actor=branch, category=water, priority=Priority.NORMAL, place=place,
                                         response_hours=5, resolution_workdays=2)
        assert (err.value.field, err.value.code) == ("place", "forbidden")
    default = DeadlinePolicy.objects.get(category=water, priority=Priority.NORMAL, place__isnull=True)
    services.deadline_policy_set(actor=city_admin, category=water, priority=Priority.NORMAL, place=None,
                                 response_hours=30, resolution_workdays=9)
    default.refresh_from_db()
    assert (default.response_hours, default.resolution_workdays) == (30, 9)


def test_a_deadline_of_another_compound_cannot_be_removed_and_is_not_found(client_for, branch, category,
                                                                           other_compound):
    from django.urls import reverse

    from linli.cases.models import DeadlinePolicy

    theirs = DeadlinePolicy.objects.create(category=category("water"), priority=Priority.NORMAL, place=other_compound,
                                           path=other_compound.path, response_hours=6, resolution_workdays=2)
    assert client_for(branch).post(reverse("cases:deadlines"), {"remove": theirs.pk}).status_code == 404
    assert DeadlinePolicy.objects.filter(pk=theirs.pk).exists()
    with pytest.raises(ApplicationError) as err:
        services.deadline_policy_remove(actor=branch, policy=theirs)
    assert err.value.code == "forbidden" and DeadlinePolicy.objects.filter(pk=theirs.pk).exists()
