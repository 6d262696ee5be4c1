"""Deadlines: how long a case may take (DeadlinePolicy) and the holiday schedule staff keep."""

import datetime as dt

from django.db import transaction
from django.utils.translation import gettext as _

from linli.accounts.models import Role
from linli.accounts.permissions import EDIT_HOLIDAYS, has_perm
from linli.cases import workflow
from linli.cases.models import (
    Case,
    Category,
    DeadlinePolicy,
    Priority,
    WorkdayOverride,
)
from linli.cases.services import config
from linli.core import workdays
from linli.core.audit import audit
from linli.core.errors import ApplicationError
from linli.places.models import Place, PlaceKind

#: When no DeadlinePolicy row exists: (response hours, resolution working days) per priority (Beijing's norms).
DEFAULT_DEADLINES = {Priority.NORMAL: (24, 7), Priority.URGENT: (4, 1), Priority.EMERGENCY: (2, 1)}


def deadline_for(category: Category, priority: str, path: str = "", *,
                 snap: config.Snapshot | None = None) -> tuple[int, int]:
    """(response hours, resolution working days) for a category and priority at ``path``: the policy of the most
    specific place above ``path``, else the global one, else :data:`DEFAULT_DEADLINES`."""
    snap = snap or config.snapshot()
    for policy_path, hours, days in snap.deadlines.get((category.pk, priority), ()):
        if path.startswith(policy_path):
            return hours, days
    return DEFAULT_DEADLINES[Priority(priority)]


def _set_deadlines(case: Case, start: dt.datetime, *, response: bool = True,
                   snap: config.Snapshot | None = None) -> None:
    snap = snap or config.snapshot()
    hours, days = deadline_for(case.category, case.priority, case.path, snap=snap)
    if response:
        case.response_due_at = start + dt.timedelta(hours=hours)
    case.resolution_due_at = workdays.add_workdays(start, days, calendar=snap.calendar)
    case.resolution_reminded_at = None
    case.overdue_handled_at = None


#: Where a deadline may be held (besides everywhere): a street, a community, a compound.
DEADLINE_PLACE_KINDS = {PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.COMPOUND}


def may_set_default_deadlines(user) -> bool:
    """Only a city administrator sets the deadlines of everywhere; other supervisors set those of their area."""
    return any(role == Role.CITY_ADMIN for role, _path in workflow.role_paths(user))


@transaction.atomic
def deadline_policy_set(*, actor, category: Category, priority: str, response_hours: int,
                        resolution_workdays: int, place: Place | None = None) -> DeadlinePolicy:
    """Set how long cases of a category and priority may take at ``place`` (a street, community or compound, and
    everything below it) — a decision of a supervisor of that place — or, without ``place``, everywhere (a city
    administrator's). Cases follow the most specific deadline above their place (:func:`deadline_for`)."""
    if actor is not None and not workflow.is_supervisor(actor):
        raise ApplicationError(_("Only a supervisor may set deadlines."), field="category", code="forbidden")
    if place is None:
        if actor is not None and not may_set_default_deadlines(actor):
            raise ApplicationError(_("Only a city administrator sets the deadlines of everywhere; choose your "
                                     "area."), field="place", code="forbidden")
    elif place.kind not in DEADLINE_PLACE_KINDS:
        raise ApplicationError(_("A deadline applies to a street, community or compound."), field="place")
    elif actor is not None and not workflow.holds(actor, workflow.SUPERVISOR_ROLES, place.path):
        raise ApplicationError(_("Only a supervisor of this place may set its deadlines."), field="place",
                               code="forbidden")
    if priority not in Priority.values:
        raise ApplicationError(_("Choose a priority."), field="priority")
    if not response_hours or response_hours < 1 or response_hours > 24 * 30:
        raise ApplicationError(_("The response time must be between 1 and 720 hours."), field="response_hours")
    if not resolution_workdays or resolution_workdays < 1 or resolution_workdays > 120:
        raise ApplicationError(_("The resolution time must be between 1 and 120 working days."),
                               field="resolution_workdays")
    policy, created = DeadlinePolicy.objects.update_or_create(
        category=category, priority=priority, place=place,
        defaults={"response_hours": response_hours, "resolution_workdays": resolution_workdays,
                  "path": place.path if place else "", "updated_by": actor if getattr(actor, "pk", None) else None},
    )
    config.settings_changed()
    audit(actor=actor, action="cases.deadline_set", target=policy, place_path=policy.path,
          data={"category": category.code, "priority": priority, "place": place.pk if place else None,
                "response_hours": response_hours, "resolution_workdays": resolution_workdays, "created": created})
    return policy


@transaction.atomic
def deadline_policy_remove(*, actor, policy: DeadlinePolicy) -> None:
    """Take a deadline away, so that the one held above it (or Linli's default) applies again — by whoever may set
    it (:func:`deadline_policy_set`'s rules). Cases keep the deadlines they were given; the audit row keeps what the
    figures were."""
    if actor is not None and not workflow.is_supervisor(actor):
        raise ApplicationError(_("Only a supervisor may set deadlines."), field="category", code="forbidden")
    if policy.place is None:
        if actor is not None and not may_set_default_deadlines(actor):
            raise ApplicationError(_("Only a city administrator sets the deadlines of everywhere; choose your "
                                     "area."), field="place", code="forbidden")
    elif actor is not None and not workflow.holds(actor, workflow.SUPERVISOR_ROLES, policy.place.path):
        raise ApplicationError(_("Only a supervisor of this place may set its deadlines."), field="place",
                               code="forbidden")
    audit(actor=actor, action="cases.deadline_removed", target=policy, place_path=policy.path,
          data={"category": policy.category.code, "priority": policy.priority, "place": policy.place_id,
                "response_hours": policy.response_hours, "resolution_workdays": policy.resolution_workdays})
    policy.delete()
    config.settings_changed()


@transaction.atomic
def workday_override_set(*, actor, date: dt.date, is_workday: bool, note: str = "") -> WorkdayOverride:
    """Enter one day of the official holiday schedule (a holiday or a make-up working day). The schedule is one
    table for every compound, so only a community's secretary or above may change it (``EDIT_HOLIDAYS``)."""
    if actor is not None and not has_perm(actor, EDIT_HOLIDAYS):
        raise ApplicationError(_("Only a community's secretary or above may change the holiday schedule."),
                               field="date", code="forbidden")
    if date is None:
        raise ApplicationError(_("Enter a date."), field="date")
    row, _created = WorkdayOverride.objects.update_or_create(
        date=date, defaults={"is_workday": bool(is_workday), "note": note[:64], "created_by": actor})
    config.settings_changed()
    audit(actor=actor, action="cases.workday_set", target=row,
          data={"date": date.isoformat(), "is_workday": bool(is_workday), "note": note})
    return row




@transaction.atomic
def workday_override_remove(*, actor, date: dt.date) -> bool:
    """Take back a day entered by mistake: the calendar package's answer (or Monday to Friday) applies again. Same
    rights as :func:`workday_override_set`; the audit row keeps what the day was. False when nothing was entered."""
    if actor is not None and not has_perm(actor, EDIT_HOLIDAYS):
        raise ApplicationError(_("Only a community's secretary or above may change the holiday schedule."),
                               field="date", code="forbidden")
    row = WorkdayOverride.objects.filter(date=date).first()
    if row is None:
        return False
    audit(actor=actor, action="cases.workday_removed", target=row,
          data={"date": date.isoformat(), "is_workday": row.is_workday, "note": row.note})
    row.delete()
    config.settings_changed()
    return True
