"""Refreshing the monthly rollups from the raw cases (derived data: a compound's month is rebuilt as a whole).

:func:`rollup_refresh` is what the background sweep calls (every minute): it rebuilds, at every level, the (month,
compound) pairs in which some case changed since the last refresh. ``rollup_refresh(full=True)`` rebuilds every
month (after an import, nightly, or from ``manage.py metrics_refresh --full``). The aggregation runs in the
database — ``INSERT … SELECT … GROUP BY`` — so a refresh never loads cases into Python: the building level from the
cases, the compound level from the building level, the community level from the compound level. Definitions of
every count: :data:`COUNT_FILTERS` and ``docs/metrics.md``.
"""

import datetime as dt
from bisect import bisect_left

from django.db import connection, transaction
from django.db.models import (
    Count,
    DateField,
    DateTimeField,
    DurationField,
    ExpressionWrapper,
    F,
    Max,
    Min,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce, TruncMonth
from django.utils import timezone

from linli.core.audit import audit
from linli.metrics.models import (
    BUCKETS,
    COUNTS,
    HOUR_EDGES,
    BuildingRollup,
    CommunityRollup,
    CompoundRollup,
    HandlerRollup,
    MonthlyRollup,
    RollupState,
)

#: Cases updated this long before the last refresh are looked at again (clock skew, long transactions).
MARGIN = dt.timedelta(minutes=2)
#: Past this many changed compounds in one month, the month is rebuilt whole (one scan instead of a long IN list).
MAX_COMPOUNDS = 1000


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


def _count_filters() -> dict[str, Q]:
    from linli.cases.models import Level, Rating, State

    valid = ~Q(state__in=[State.REJECTED, State.MERGED])
    closed = Q(state=State.CLOSED)
    return {
        "reported": Q(),
        "valid": valid,
        "responded_on_time": valid & Q(responded_at__isnull=False) & (
            Q(response_due_at__isnull=True) | Q(responded_at__lte=F("response_due_at"))),
        "closed": closed,
        "closed_on_time": closed & Q(resolved_at__isnull=False) & (
            Q(resolution_due_at__isnull=True) | Q(resolved_at__lte=F("resolution_due_at"))),
        # The reporter's first verdict counts: a "not satisfied" that led to rework must not vanish when the second
        # attempt satisfies them (the latest rating of a closed case is satisfied by construction).
        "rated": Q(first_rating__isnull=False),  # a feedback's rating is never blank
        "satisfied": Q(first_rating__in=[Rating.SATISFIED, Rating.BASIC]),
        "reworked": closed & Q(reopen_count__gt=0),
        "settled_inside": closed & Q(level__in=[Level.BUILDING, Level.COMPOUND]),
    }


def _bucket_filters() -> dict[str, Q]:
    """Bucket ``i`` holds the closed cases whose time to close lies in (edge ``i-1``, edge ``i``] hours — the same
    as :func:`bucket` — the last one everything longer."""
    closed = Q(state="closed", closed_at__isnull=False)
    edges = [dt.timedelta(hours=h) for h in HOUR_EDGES]
    out = {}
    for i, name in enumerate(BUCKETS):
        q = closed
        if i > 0:
            q &= Q(time_to_close__gt=edges[i - 1])
        if i < len(edges):
            q &= Q(time_to_close__lte=edges[i])
        out[name] = q
    return out


def count_filters() -> dict[str, Q]:
    """What makes a case count in each column of a rollup row — the definitions in code (``docs/metrics.md``).
    The filters read two annotations of :func:`annotated_cases`: ``first_rating`` and ``time_to_close``."""
    return {**_count_filters(), **_bucket_filters()}


def annotated_cases() -> QuerySet:
    """Every case, with the reporter's first rating and the time from report to closure."""
    from linli.cases.models import Case, Feedback

    first_rating = Feedback.objects.filter(case=OuterRef("pk")).order_by("at", "id").values("rating")[:1]
    return Case.objects.annotate(
        first_rating=Subquery(first_rating),
        time_to_close=ExpressionWrapper(F("closed_at") - F("created_at"), output_field=DurationField()),
    )


def _insert_select(model, queryset: QuerySet) -> None:
    """``INSERT INTO model (…) SELECT …``: each selected alias names its column (``g_`` + a field for the grouping
    columns, a count or bucket for the sums); the column list is read from the compiled SELECT, so it cannot be in
    another order than the values."""
    compiler = queryset.query.get_compiler(using=queryset.db)
    sql, params = compiler.as_sql()
    qn = connection.ops.quote_name
    names = [alias.removeprefix("g_") for _expression, _sql, alias in compiler.select]
    columns = ", ".join(qn(model._meta.get_field(name).column) for name in names)
    with connection.cursor() as cursor:
        cursor.execute(f"INSERT INTO {qn(model._meta.db_table)} ({columns}) {sql}", params)


def _grain(month: dt.date, now: dt.datetime, **columns) -> dict:
    """The grouping columns of an INSERT … SELECT: the month and the time of the refresh are constants."""
    return {"g_month": Value(month, output_field=DateField()), **{f"g_{k}": v for k, v in columns.items()},
            "g_refreshed_at": Value(now, output_field=DateTimeField())}


def _rebuild_detail(month: dt.date, compound_ids: list[int] | None, now: dt.datetime) -> None:
    start, end = month_bounds(month)
    cases = annotated_cases().filter(created_at__gte=start, created_at__lt=end)
    if compound_ids is not None:
        cases = cases.filter(compound_id__in=compound_ids)
    grain = _grain(month, now, path=Coalesce("place__building__path", "place__compound__path", Value("")),
                   compound=F("compound_id"), building=F("place__building_id"), category=F("category_id"),
                   handler=F("assignee_id"))
    aggregates = {name: Count("pk", filter=q) for name, q in count_filters().items()}
    _insert_select(MonthlyRollup, cases.values(**grain).annotate(**aggregates).order_by())


def _sums() -> dict:
    return {name: Sum(name) for name in (*COUNTS, *BUCKETS)}


def _rebuild_from(model, source: QuerySet, month: dt.date, now: dt.datetime, **grain) -> None:
    grain = _grain(month, now, **grain)
    _insert_select(model, source.values(**grain).annotate(**_sums()).order_by())


def _rebuild_coarser(month: dt.date, compound_ids: list[int] | None, community_ids: list[int] | None,
                     now: dt.datetime) -> None:
    """The building, handler and compound levels from the detail level, the community level from the compound
    level — sums of sums, in the database."""
    detail = MonthlyRollup.objects.filter(month=month)
    if compound_ids is not None:
        detail = detail.filter(compound_id__in=compound_ids)
    _rebuild_from(BuildingRollup, detail, month, now, path=F("path"), compound=F("compound_id"),
                  building=F("building_id"))
    _rebuild_from(HandlerRollup, detail, month, now, path=F("compound__path"), compound=F("compound_id"),
                  handler=F("handler_id"))
    _rebuild_from(CompoundRollup, detail, month, now, path=F("compound__path"), compound=F("compound_id"),
                  category=F("category_id"))
    compounds = CompoundRollup.objects.filter(month=month).annotate(
        community_id=Coalesce("compound__parent_id", "compound_id"))
    if community_ids is not None:
        compounds = compounds.filter(community_id__in=community_ids)
    _rebuild_from(CommunityRollup, compounds, month, now, path=Coalesce("compound__parent__path", "compound__path"),
                  community=F("community_id"), category=F("category_id"))


def _communities_of(compound_ids: list[int]) -> list[int]:
    from linli.places.models import Place

    return sorted({parent or pk for pk, parent in
                   Place.objects.filter(pk__in=compound_ids).values_list("pk", "parent_id")})


#: Each level and the column its rows are replaced by (finest first).
LEVEL_KEYS = [(MonthlyRollup, "compound_id"), (BuildingRollup, "compound_id"), (HandlerRollup, "compound_id"),
              (CompoundRollup, "compound_id"), (CommunityRollup, "community_id")]


def rebuild_month(month: dt.date, compound_ids: list[int] | None = None, now: dt.datetime | None = None) -> None:
    """Rebuild every level for ``month`` — only for ``compound_ids`` (and their communities) when given."""
    now = now or timezone.now()
    communities = None if compound_ids is None else _communities_of(compound_ids)
    for model, key in LEVEL_KEYS:
        ids = communities if key == "community_id" else compound_ids
        rows = model.objects.filter(month=month)
        if ids is not None:
            rows = rows.filter(**{f"{key}__in": ids})
        rows.delete()  # nothing refers to a rollup row and no signal listens: one DELETE, nothing collected
    _rebuild_detail(month, compound_ids, now)
    _rebuild_coarser(month, compound_ids, communities, now)


def _every_month() -> list[dt.date]:
    """Every month from the first case to the last (two index look-ups, not a scan of the cases)."""
    from linli.cases.models import Case

    bounds = Case.objects.aggregate(first=Min("created_at"), last=Max("created_at"))
    if bounds["first"] is None:
        return []
    month, last = month_start(bounds["first"]), month_start(bounds["last"])
    months = []
    while month <= last:
        months.append(month)
        month = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1)
    return months


def _changed(since: dt.datetime) -> dict[dt.date, set[int | None]]:
    """The months, and in each the compounds, of the cases updated since ``since``."""
    from linli.cases.models import Case

    pairs = (Case.objects.filter(updated_at__gte=since)
             .annotate(m=TruncMonth("created_at", tzinfo=timezone.get_current_timezone()))
             .values_list("m", "compound_id").distinct().order_by())
    changed: dict[dt.date, set[int | None]] = {}
    for month, compound_id in pairs:
        changed.setdefault(month_start(month), set()).add(compound_id)
    return changed


def _tune_postgresql() -> None:
    """PostgreSQL compiles costly queries to machine code (JIT) first; for these statements — forty-odd filtered
    sums — compiling takes longer than running them (9 s against 1 s for a month of 40 000 cases), so it is off for
    the rest of the transaction; and a month of cases is grouped in memory."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL jit = off")
            cursor.execute("SET LOCAL work_mem = '64MB'")  # a month's cases sorted in memory, not on disk


def _locked_state() -> RollupState:
    """The one state row, locked: refreshes (the sweep's, the dashboard's task, a full one) take turns."""
    return RollupState.objects.select_for_update().first() or RollupState.objects.create()


def _refreshed(state: RollupState, now: dt.datetime, months: list[dt.date], *, full: bool) -> list[dt.date]:
    state.refreshed_at = now
    state.save(update_fields=["refreshed_at"])
    if months:
        audit(actor=None, action="metrics.refreshed", data={"months": [m.isoformat() for m in months], "full": full})
    return months


def rollup_refresh(*, full: bool = False, now: dt.datetime | None = None) -> list[dt.date]:
    """Rebuild, at every level, the compounds' months whose cases changed since the last refresh — in one
    transaction — or every month (``full``, and the first refresh ever), each month in its own transaction so that
    the sweep's refreshes and the readers wait for one month at most. Returns the months rebuilt."""
    now = now or timezone.now()
    with transaction.atomic():
        _tune_postgresql()
        state = _locked_state()
        if not full and state.refreshed_at is not None:
            changed = _changed(state.refreshed_at - MARGIN)
            for month, compounds in sorted(changed.items()):
                whole = len(compounds) > MAX_COMPOUNDS or None in compounds
                rebuild_month(month, None if whole else sorted(compounds), now)
            return _refreshed(state, now, sorted(changed), full=False)
    months = _every_month()
    for month in months:
        with transaction.atomic():
            _tune_postgresql()
            _locked_state()
            rebuild_month(month, None, now)
    with transaction.atomic():
        state = _locked_state()
        for model, _key in LEVEL_KEYS:  # months without any case (none today: cases are never deleted)
            model.objects.exclude(month__in=months).delete()
        # Cases changed while the months were rebuilt are looked at again by the next refresh (since ``now``).
        return _refreshed(state, now, months, full=True)
