"""Working days on the Chinese calendar: Spring Festival 2026, make-up days, and the fallback for unknown years."""

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from linli.core import workdays

pytestmark = pytest.mark.django_db  # the holiday-schedule table is read first
D = dt.date


def test_spring_festival_2026_holidays_and_make_up_days():
    for day in range(15, 24):
        assert not workdays.is_workday(D(2026, 2, day)), day  # 春节 15–23 February
    assert workdays.is_workday(D(2026, 2, 14))  # Saturday, a make-up working day
    assert workdays.is_workday(D(2026, 2, 28))  # Saturday, a make-up working day
    assert workdays.is_workday(D(2026, 2, 24))
    assert not workdays.is_workday(D(2026, 2, 21))  # an ordinary Saturday inside the holiday


def test_add_workdays_across_spring_festival():
    assert workdays.add_workdays(D(2026, 2, 13), 1) == D(2026, 2, 14)
    assert workdays.add_workdays(D(2026, 2, 13), 2) == D(2026, 2, 24)
    assert workdays.add_workdays(D(2026, 2, 12), 5) == D(2026, 2, 26)
    assert workdays.workdays_between(D(2026, 2, 13), D(2026, 2, 28)) == 6  # 14, 24, 25, 26, 27, 28


def test_add_workdays_keeps_the_local_time_of_day():
    start = dt.datetime(2026, 2, 13, 16, 30, tzinfo=ZoneInfo("Asia/Shanghai"))
    due = workdays.add_workdays(start, 2)
    assert due.tzinfo is not None
    assert due.astimezone(ZoneInfo("Asia/Shanghai")) == dt.datetime(2026, 2, 24, 16, 30,
                                                                    tzinfo=ZoneInfo("Asia/Shanghai"))


def test_a_year_unknown_to_the_package_falls_back_to_monday_to_friday_and_says_so(caplog):
    workdays.fallback_years.discard(2027)
    cal = workdays.Calendar()
    assert not workdays.year_is_known(2027)
    assert workdays.add_workdays(D(2027, 1, 1), 1, calendar=cal) == D(2027, 1, 4)  # Friday → Monday
    assert 2027 in cal.used_fallback and 2027 in workdays.fallback_years
    assert "2027" in caplog.text


def test_staff_enter_next_years_schedule_and_it_wins():
    from linli.cases.services import workday_override_set

    workday_override_set(actor=None, date=D(2027, 1, 1), is_workday=False, note="元旦")
    workday_override_set(actor=None, date=D(2027, 1, 4), is_workday=False, note="元旦调休")
    workday_override_set(actor=None, date=D(2027, 1, 9), is_workday=True, note="调休上班")
    assert workdays.year_is_known(2027)
    cal = workdays.Calendar()
    assert workdays.add_workdays(D(2026, 12, 31), 1, calendar=cal) == D(2027, 1, 5)
    assert cal.is_workday(D(2027, 1, 9)) and not cal.is_workday(D(2027, 1, 10))
    assert 2027 not in cal.used_fallback


@pytest.mark.django_db
def test_one_correction_keeps_the_rest_of_a_known_year():
    """Entering one day of 2026 must not throw away the package's other 2026 holidays."""
    from linli.cases.models import WorkdayOverride
    from linli.core.workdays import is_workday

    WorkdayOverride.objects.create(date=dt.date(2026, 12, 31), is_workday=False, note="test")
    assert is_workday(dt.date(2026, 12, 31)) is False  # the correction
    assert is_workday(dt.date(2026, 10, 1)) is False  # National Day, from the package
    assert is_workday(dt.date(2026, 2, 16)) is False  # Spring Festival, from the package
