"""Working days on the Chinese calendar: statutory holidays and make-up working days (调休).

Three sources: a day in the holiday-schedule table staff keep (``cases.WorkdayOverride``) wins; otherwise the
``chinese-calendar`` package answers for the years it knows (up to its release; it raises for later ones); a year
it does not know is "known" when staff entered any day of it (its other days are Monday–Friday); a year known to
neither falls back to Monday–Friday. The fallback is logged and counted in :data:`fallback_years` so that pages can say
"the holiday schedule for 2027 is not entered yet".
"""

import datetime as dt
import logging
from functools import lru_cache

import chinese_calendar

logger = logging.getLogger(__name__)

#: Years for which the Monday–Friday fallback was used since the process started.
fallback_years: set[int] = set()


def _override_model():
    from django.apps import apps

    try:
        return apps.get_model("cases", "WorkdayOverride")
    except LookupError:  # pragma: no cover - the cases app is not installed
        return None


def _overrides(year: int) -> dict[dt.date, bool] | None:
    """The staff-entered schedule of ``year`` ({date: is_workday}), or None when no day of it was entered."""
    model = _override_model()
    if model is None:
        return None
    rows = dict(model.objects.filter(date__year=year).values_list("date", "is_workday"))
    return rows or None


@lru_cache(maxsize=64)
def _package_knows(year: int) -> bool:
    try:
        chinese_calendar.is_workday(dt.date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def year_is_known(year: int) -> bool:
    """True when the holiday schedule of ``year`` is known (entered by staff or in the package)."""
    return _overrides(year) is not None or _package_knows(year)


class Calendar:
    """Answers is_workday for many dates with one query per year (use it for loops)."""

    def __init__(self):
        self._years: dict[int, dict[dt.date, bool] | None] = {}
        self._answers: dict[dt.date, bool] = {}
        self.used_fallback: set[int] = set()

    def is_workday(self, day: dt.date) -> bool:
        # Kept per day: a process's calendar answers every report's deadline, and the package's own look-up was a
        # tenth of a report's time (docs/bench.md §1).
        answer = self._answers.get(day)
        if answer is None:
            answer = self._answers[day] = self._is_workday(day)
        return answer

    def _is_workday(self, day: dt.date) -> bool:
        if day.year not in self._years:
            self._years[day.year] = _overrides(day.year)
        table = self._years[day.year]
        # A day staff entered wins; the package answers the rest of a year it knows (one correction must not
        # throw away the year's other holidays); a year known only from the table is Monday–Friday elsewhere.
        if table is not None and day in table:
            return table[day]
        if _package_knows(day.year):
            return chinese_calendar.is_workday(day)
        if table is not None:
            return day.weekday() < 5
        if day.year not in self.used_fallback:
            logger.warning("No holiday schedule for %s: counting Monday to Friday as working days.", day.year)
        self.used_fallback.add(day.year)
        fallback_years.add(day.year)
        return day.weekday() < 5


def is_workday(day: dt.date) -> bool:
    """True when ``day`` is a working day in mainland China."""
    return Calendar().is_workday(day)


def add_workdays(start: dt.date | dt.datetime, n: int, calendar: Calendar | None = None):
    """``start`` moved on by ``n`` working days (a date, or a datetime keeping its time of day).

    The day of ``start`` itself does not count: a case reported on Friday with 1 working day is due on the next
    working day (Monday, or later after a holiday), at the same time of day.
    """
    cal = calendar or Calendar()
    is_dt = isinstance(start, dt.datetime)
    day = start.date() if is_dt else start
    if is_dt and start.tzinfo is not None:
        from django.utils import timezone

        local = timezone.localtime(start)
        day = local.date()
    remaining = n
    while remaining > 0:
        day += dt.timedelta(days=1)
        if cal.is_workday(day):
            remaining -= 1
    if not is_dt:
        return day
    if start.tzinfo is not None:
        from django.utils import timezone

        local = timezone.localtime(start)
        moved = local.replace(year=day.year, month=day.month, day=day.day)
        return moved.astimezone(dt.UTC)
    return start.replace(year=day.year, month=day.month, day=day.day)


def workdays_between(start: dt.date, end: dt.date, calendar: Calendar | None = None) -> int:
    """How many working days lie after ``start`` up to and including ``end``."""
    cal = calendar or Calendar()
    count, day = 0, start
    while day < end:
        day += dt.timedelta(days=1)
        if cal.is_workday(day):
            count += 1
    return count
