"""Refreshing the monthly rollups from the raw cases (derived data: a month's rows are rebuilt as a whole).

:func:`rollup_refresh` is what the background sweep calls (every few minutes): it rebuilds the months in which some
case changed since the last refresh. ``rollup_refresh(full=True)`` rebuilds every month (after an import, or from
``manage.py shell``). Definitions of every count: ``docs/metrics.md``.
"""

import datetime as dt
from bisect import bisect_left
from collections import defaultdict

from django.db import transaction
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from linli.core.audit import audit
from linli.metrics.models import HOUR_EDGES, MonthlyRollup, RollupState

#: Cases updated this long before the last refresh are looked at again (clock skew, long transactions).
MARGIN = dt.timedelta(minutes=2)
COUNTS = ("reported", "valid", "responded_on_time", "closed", "closed_on_time", "rated", "satisfied", "reworked",
          "settled_inside")


def month_start(value: dt.datetime) -> dt.date:
    """The first day of ``value``'s month in the compound's time zone."""
    return timezone.localtime(value).date().replace(day=1)


def month_bounds(month: dt.date) -> tuple[dt.datetime, dt.datetime]:
    tz = timezone.get_current_timezone()
    start = dt.datetime.combine(month, dt.time.min, tzinfo=tz)
    following = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return start, dt.datetime.combine(following, dt.time.min, tzinfo=tz)


def bucket(hours: float) -> int:
    """The index of the time-to-close bucket for ``hours`` (the last index is the overflow)."""
    return bisect_left(HOUR_EDGES, hours)


def case_counts(case: dict) -> dict[str, int]:
    """What one case (a dict of the fields :data:`CASE_FIELDS`) adds to its rollup row — the definitions in code."""
    from linli.cases.models import Level, Rating, State

    state = case["state"]
    valid = state not in (State.REJECTED, State.MERGED)
    closed = state == State.CLOSED
    due = case["resolution_due_at"]
    return {
        "reported": 1,
        "valid": int(valid),
        "responded_on_time": int(valid and case["responded_at"] is not None and (
            case["response_due_at"] is None or case["responded_at"] <= case["response_due_at"])),
        "closed": int(closed),
        "closed_on_time": int(closed and case["resolved_at"] is not None and (
            due is None or case["resolved_at"] <= due)),
        # The reporter's first verdict counts: a "not satisfied" that led to rework must not vanish when the second
        # attempt satisfies them (the latest rating of a closed case is satisfied by construction).
        "rated": int(bool(case["first_rating"])),
        "satisfied": int(case["first_rating"] in (Rating.SATISFIED, Rating.BASIC)),
        "reworked": int(closed and case["reopen_count"] > 0),
        "settled_inside": int(closed and case["level"] in (Level.BUILDING, Level.COMPOUND)),
    }


CASE_FIELDS = ("state", "responded_at", "response_due_at", "resolved_at", "resolution_due_at", "closed_at",
               "created_at", "rating", "reopen_count", "level", "category_id", "assignee_id", "compound_id",
               "place__compound_id", "place__compound__path", "place__building_id", "place__building__path")


def _rows_for_month(month: dt.date, now: dt.datetime) -> list[MonthlyRollup]:
    from linli.cases.models import Case

    start, end = month_bounds(month)
    rows: dict[tuple, MonthlyRollup] = {}
    hists: dict[tuple, list[int]] = defaultdict(lambda: [0] * (len(HOUR_EDGES) + 1))
    from linli.cases.models import Feedback

    first_rating = Feedback.objects.filter(case=OuterRef("pk")).order_by("at", "id").values("rating")[:1]
    cases = (
        Case.objects.filter(created_at__gte=start, created_at__lt=end)
        .annotate(first_rating=Subquery(first_rating))
        .values(*CASE_FIELDS, "first_rating")
    )
    for case in cases.iterator(chunk_size=5000):
        compound_id = case["place__compound_id"] or case["compound_id"]
        building_id = case["place__building_id"]
        path = case["place__building__path"] if building_id else case["place__compound__path"]
        key = (path, compound_id, building_id, case["category_id"], case["assignee_id"])
        row = rows.get(key)
        if row is None:
            row = rows[key] = MonthlyRollup(month=month, path=path or "", compound_id=compound_id,
                                            building_id=building_id, category_id=case["category_id"],
                                            handler_id=case["assignee_id"], refreshed_at=now)
        for name, n in case_counts(case).items():
            setattr(row, name, getattr(row, name) + n)
        if case["state"] == "closed" and case["closed_at"]:
            hours = (case["closed_at"] - case["created_at"]).total_seconds() / 3600
            hists[key][bucket(hours)] += 1
    for key, row in rows.items():
        row.close_hours = hists.get(key, [])
    return list(rows.values())


@transaction.atomic
def rollup_refresh(*, full: bool = False, now: dt.datetime | None = None) -> list[dt.date]:
    """Rebuild the months whose cases changed since the last refresh (or every month); returns those months."""
    from linli.cases.models import Case

    now = now or timezone.now()
    state = RollupState.objects.select_for_update().first() or RollupState.objects.create()
    tz = timezone.get_current_timezone()
    cases = Case.objects.all()
    if not full and state.refreshed_at is not None:
        cases = cases.filter(updated_at__gte=state.refreshed_at - MARGIN)
    months = sorted({d.date() for d in cases.datetimes("created_at", "month", tzinfo=tz)})
    if full:
        MonthlyRollup.objects.all().delete()
    for month in months:
        MonthlyRollup.objects.filter(month=month).delete()
        MonthlyRollup.objects.bulk_create(_rows_for_month(month, now), batch_size=1000)
    state.refreshed_at = now
    state.save(update_fields=["refreshed_at"])
    if months:
        audit(actor=None, action="metrics.refreshed", data={"months": [m.isoformat() for m in months], "full": full})
    return months
