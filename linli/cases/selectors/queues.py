"""Who sees which case, and the staff's queues: scope, the queues' filters and order, their badges (counted, or from
the open cases' tally above a compound), and a page of a wide area's cases found side by side.

Who sees a case: its reporter; its first receiver, dispatcher and handler; supervisors, their assistants and grid
workers see every case in their scope; other handlers (stewards, group leaders, peacemakers, community staff,
street officers) see the cases in their scope that are routed to their role. Everything else answers 404.
"""

import datetime as dt

from django.db import connection
from django.db.models import Count, F, Q, QuerySet, Sum, Value
from django.db.models.functions import Coalesce
from django.http import Http404
from django.utils import timezone

from linli.cases import workflow
from linli.cases.models import (
    OPEN_STATES,
    OVERDUE_STATES,
    Case,
    Category,
    QueueTally,
    State,
)
from linli.core.pagination import count_up_to
from linli.places.models import Place

QUEUES = ["mine", "new", "team", "overdue", "awaiting_feedback", "escalated", "all"]


def visible_q(user) -> Q:
    """The cases ``user`` may see (one Q, no query beyond the user's roles)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return Q(pk__in=[])
    return _own_q(user) | _area_q(user)


def _own_q(user) -> Q:
    """The cases ``user`` has a part in themselves, wherever they are."""
    return Q(reporter_user=user) | Q(owner=user) | Q(assignee=user) | Q(dispatched_by=user)


def _area_q(user, field: str = "path") -> Q:
    """The cases ``user``'s roles reach: every case under a supervisor's, assistant's or grid worker's place, the
    cases routed to the role under any other role's place. ``field`` names the path: ``area`` on the tally."""
    q = Q(pk__in=[])
    for role, path in workflow.role_paths(user):
        if role in workflow.SEE_ALL_ROLES:
            q |= Q(**{f"{field}__startswith": path})
        else:
            q |= Q(**{f"{field}__startswith": path, "assigned_role": role})
    return q


def can_see(user, case: Case) -> bool:
    """:func:`visible_q` for one case in memory (no query beyond the user's roles)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if user.pk in (case.reporter_user_id, case.owner_id, case.assignee_id, case.dispatched_by_id):
        return True
    return any(case.path.startswith(path) and (role in workflow.SEE_ALL_ROLES or case.assigned_role == role)
               for role, path in workflow.role_paths(user))


def _base(user) -> QuerySet[Case]:
    return Case.objects.filter(visible_q(user))


#: What a list of cases shows beside the case's own columns (its category's code, its place's name) is joined; its
#: handler is read in one more query for the page's rows. Joining the users (owner, assignee) and the residents
#: (reporter) as well made PostgreSQL hash whole tables for a page of 50 rows once a city held 10 M cases
#: (docs/bench.md §2: the "my team's" and "overdue" queues' database time grew 1 → 6–9 ms).
_LIST_JOINED = ("category", "place")
_LIST_PREFETCHED = ("assignee",)


def case_list(*, user, state: str = "", category: Category | None = None, level: str = "", q: str = "",
              compound: Place | None = None, open_only: bool = False) -> QuerySet[Case]:
    """Cases the user may see, filtered (with what a list shows: category, place and handler)."""
    return _filtered(_base(user).select_related(*_LIST_JOINED).prefetch_related(*_LIST_PREFETCHED), state=state,
                     category=category, level=level, q=q, compound=compound, open_only=open_only)


def _filtered(qs: QuerySet[Case], *, state: str = "", category: Category | None = None, level: str = "", q: str = "",
              compound: Place | None = None, open_only: bool = False) -> QuerySet[Case]:
    """``qs`` with a list's filters (shared by :func:`case_list` and :func:`queue_part`)."""
    if state:
        qs = qs.filter(state=state)
    if open_only:
        qs = qs.filter(state__in=OPEN_STATES)
    if category is not None:
        qs = qs.filter(category=category)
    if level:
        qs = qs.filter(level=level)
    if compound is not None:
        qs = qs.filter(path__startswith=compound.path)
    if q:
        qs = qs.filter(Q(number__icontains=q) | Q(title__icontains=q) | Q(description__icontains=q))
    return qs


def _queue_q(user, queue: str, now: dt.datetime) -> tuple[Q, tuple[str, ...]]:
    """The filter and the order of a queue (shared by :func:`case_queue` and :func:`queue_counts`)."""
    if queue == "mine":
        return _mine_own_q(user) | _mine_area_q(user), ("resolution_due_at", "id")
    if queue == "new":
        return Q(state=State.SUBMITTED), ("created_at", "id")
    if queue == "team":
        return Q(state__in=OPEN_STATES), ("resolution_due_at", "id")
    if queue == "overdue":
        return _overdue_q(now), ("resolution_due_at", "id")
    if queue == "awaiting_feedback":
        return Q(state=State.RESOLVED), ("resolved_at", "id")
    if queue == "escalated":
        return Q(state=State.ESCALATED, level__in=_levels_of(user)), ("created_at", "id")
    return Q(), ("-created_at", "-id")


def _overdue_q(now: dt.datetime) -> Q:
    """Open, not resolved, the clock running, and past the resolution deadline."""
    return Q(state__in=OVERDUE_STATES, paused_at__isnull=True, resolution_due_at__lt=now)


#: What waits for its handler (``mine``), and what waits for someone of the role it is routed to to take it.
_HANDLER_WORK = [State.DISPATCHED, State.IN_PROGRESS, State.WAITING_REPORTER, State.POSTPONE_REQUESTED,
                 State.ESCALATED, State.REOPENED]
_ROUTED_WAITING = [State.DISPATCHED, State.ESCALATED, State.REOPENED]


def _mine_own_q(user) -> Q:
    """``mine`` by the user's own columns: handling it, owning it before dispatch, or handed back to them."""
    return (Q(assignee=user, state__in=_HANDLER_WORK) | Q(owner=user, state__in=[State.ACCEPTED, State.RETURNED])
            | Q(dispatched_by=user, state=State.RETURNED))


def _mine_area_q(user, field: str = "path", unassigned: Q | None = None) -> Q:
    """``mine`` by the user's roles: routed to their role and nobody's yet, or (supervisors) a postponement to
    approve. ``field`` and ``unassigned`` say how on the tally (``area``, ``assigned=False``)."""
    unassigned = Q(assignee__isnull=True) if unassigned is None else unassigned
    routed, supervised = Q(pk__in=[]), Q(pk__in=[])
    for role, path in workflow.role_paths(user):
        routed |= Q(**{f"{field}__startswith": path, "assigned_role": role})
        if role in workflow.SUPERVISOR_ROLES:
            supervised |= Q(**{f"{field}__startswith": path})
    return (routed & unassigned & Q(state__in=_ROUTED_WAITING)) | (supervised & Q(state=State.POSTPONE_REQUESTED))


def case_queue(*, user, queue: str = "mine", now: dt.datetime | None = None, **filters) -> QuerySet[Case]:
    """A work queue: ``mine`` (waiting for my action), ``new`` (to triage), ``team`` (open in my area),
    ``overdue``, ``awaiting_feedback`` (resolved, not yet rated), ``escalated`` (escalated to my level), ``all``.

    A bounded number of queries whatever the number of cases (``category``/``place``/``assignee`` joined)."""
    if queue not in QUEUES:
        raise Http404
    condition, order = _queue_q(user, queue, now or timezone.now())
    return case_list(user=user, **filters).filter(condition).order_by(*_ordering(user, order))


def queue_rows(*, user, queue: str, bottom: int, top: int, now: dt.datetime | None = None, **filters) -> list[Case]:
    """Rows ``bottom:top`` of :func:`case_queue` — the same rows in the same order, found another way for staff
    who work above a compound (:func:`_wide`).

    Why: their queue is an ``OR`` of their area and their own cases, which PostgreSQL can only filter row by row
    while walking the order's index — for a street officer's "my team's" at 10 M cases, 50 of the street's rows among
    the city's open cases, 2 770 heap blocks (docs/bench.md §2). Here each side is found alone: the area's first
    ``top`` keys in order through an index that also holds the path (so the street is checked inside the index and
    only the rows kept are read), the user's own cases through their own indexes; then those (at most ``2 × top``)
    rows are read, ordered and sliced."""
    qs = case_queue(user=user, queue=queue, now=now, **filters)
    if not _wide(user):  # a compound's staff: their few hundred cases are read and sorted (see _ordering)
        return list(qs[bottom:top])
    condition, order = _queue_q(user, queue, now or timezone.now())
    keys = [_filtered(Case.objects.filter(side, condition), **filters).order_by(*order).values("pk")[:top]
            for side in (_area_q(user), _own_q(user))]
    if connection.features.supports_slicing_ordering_in_compound:  # PostgreSQL: one set of keys, read by key
        found = Q(pk__in=keys[0].union(keys[1]))
    else:  # SQLite cannot limit the parts of a UNION; a compound's laptop does not need it
        found = Q(pk__in=keys[0]) | Q(pk__in=keys[1])
    return list(qs.filter(found)[bottom:top])


#: Roles that work above a single compound — those of the community and street levels in the workflow, the city's
#: admin, a community's social workers: they may see hundreds of thousands of cases, so a page of them is found
#: fastest by walking an index in the list's order.
_WIDE_ROLES = {workflow.Role.CITY_ADMIN, workflow.Role.SOCIAL_WORKER} | {
    role for level in (workflow.Level.COMMUNITY, workflow.Level.STREET)
    for role in (workflow.LEVEL_DEFAULT_ROLE[level], *workflow.LEVEL_SUPERVISOR_ROLES[level])}


def _wide(user) -> bool:
    """Whether any role of ``user`` works above a single compound (:data:`_WIDE_ROLES`)."""
    return any(role in _WIDE_ROLES for role, _path in workflow.role_paths(user))


def _ordering(user, order: tuple[str, ...]) -> list:
    """The queue's order — for someone who sees one compound at most, as expressions no index provides.

    Why: PostgreSQL overestimates how many cases a compound's staff see (their scope is an OR of a few building
    paths and their own columns) and, for ``ORDER BY created_at DESC LIMIT 50``, walks the whole date index of a
    city looking for them: 1.3 s at 10 M cases for a grid worker's API list, against 7 ms for reading their few
    hundred cases and sorting those (docs/bench.md §2). The order is the same; only the plan differs. Wider roles
    keep the plain columns, whose index is the fast way through their many cases. A performance choice only: what
    anyone sees does not depend on it."""
    if _wide(user):
        return list(order)
    keys = []
    for name in order:
        column = name.lstrip("-")
        key = Coalesce(F(column), F(column))  # the same value, but not an indexed column: sort what matched
        keys.append(key.desc() if name.startswith("-") else key.asc())
    return keys


def _levels_of(user) -> set[str]:
    """The levels a user works at, from their roles."""
    levels = set()
    for role, _path in workflow.role_paths(user):
        for level, default in workflow.LEVEL_DEFAULT_ROLE.items():
            if role == default or role in workflow.LEVEL_SUPERVISOR_ROLES[level]:
                levels.add(level.value)
        if role in (workflow.Role.BRANCH_ASSISTANT, workflow.Role.GRID_WORKER, workflow.Role.RED_STEWARD,
                    workflow.Role.PEACEMAKER):
            levels.update({"building", "compound"})
    return levels


#: "All" is counted up to this many (shown as "1000+"): a street's or a city's history is hundreds of thousands of
#: cases, and counting them on every queue page cost more than the rest of the page together.
ALL_COUNT_CAP = 1000


def queue_counts(*, user, now: dt.datetime | None = None) -> dict[str, int | str]:
    """How many cases each queue holds — the work queues (all of them open cases) exactly, "all" up to
    :data:`ALL_COUNT_CAP` (then ``"1000+"``).

    For staff within a compound, one conditional aggregate over the open cases in sight (a compound's hundreds).
    For staff above it (:func:`_tallied`), whose area holds thousands of open cases, from the tally the database
    keeps (:class:`~linli.cases.models.QueueTally`), so that the cost does not grow with the caseload: see
    :func:`_tallied_counts`."""
    now = now or timezone.now()
    if _tallied(user):
        result = _tallied_counts(user, now)
    else:
        counts = {name: Count("pk", filter=_queue_q(user, name, now)[0]) for name in QUEUES if name != "all"}
        result = _base(user).filter(state__in=OPEN_STATES).order_by().aggregate(**counts)
    every = count_up_to(_base(user), ALL_COUNT_CAP, part=queue_part(user=user, queue="all", now=now))
    result["all"] = f"{ALL_COUNT_CAP}+" if every > ALL_COUNT_CAP else every
    return result


def _tallied(user) -> bool:
    """Whether ``user``'s badges come from the tally: every role of theirs is held at a compound or above
    (``accounts.services.ROLE_PLACE_KINDS``), so each case of their area is one of whole compounds — what the
    tally's ``area`` can tell."""
    pairs = workflow.role_paths(user)
    return bool(pairs) and all(role in _WIDE_ROLES for role, _path in pairs)


def _tallied_counts(user, now: dt.datetime) -> dict[str, int]:
    """The work queues' counts in one statement of three parts: the tally over the user's area (every queue but
    "overdue", which depends on the clock); the open cases of the area past their deadline, counted in an index
    that holds the due date; and the user's own cases (:func:`_own_q`) that the area does not hold — or, for
    "mine", that the roles' part of it does not. The sum is what counting the cases gives (a test holds both equal)."""
    levels = _levels_of(user)
    area, mine_area = _area_q(user), _mine_area_q(user)
    tally = QueueTally.objects.filter(_area_q(user, "area")).order_by().annotate(one=Value(1)).values("one").annotate(
        t_new=Sum("n", filter=Q(state=State.SUBMITTED), default=0), t_team=Sum("n", default=0),
        t_awaiting_feedback=Sum("n", filter=Q(state=State.RESOLVED), default=0),
        t_escalated=Sum("n", filter=Q(state=State.ESCALATED, level__in=levels), default=0),
        t_mine=Sum("n", filter=_mine_area_q(user, "area", Q(assigned=False)), default=0))
    # COUNT(*), not of the key: the index holds the path and the due date but not the key, and reading it alone
    # (an index-only scan) is what keeps this part cheap.
    overdue = Case.objects.filter(area, _overdue_q(now)).order_by().annotate(one=Value(1)).values("one").annotate(
        a_overdue=Count("*"))
    # The own cases the other two parts do not hold: beyond the area, or for "mine" beyond the roles' part of it.
    own_queues = {name: (_mine_own_q(user) & ~mine_area if name == "mine" else _queue_q(user, name, now)[0] & ~area)
                  for name in QUEUES if name != "all"}
    own = (Case.objects.filter(_own_q(user), state__in=OPEN_STATES).order_by().annotate(one=Value(1)).values("one")
           .annotate(**{f"o_{name}": Count("pk", filter=q) for name, q in own_queues.items()}))
    parts = [qs.query.sql_with_params() for qs in (tally, overdue, own)]
    sql = " CROSS JOIN ".join(f"({part_sql}) AS p{i}" for i, (part_sql, _params) in enumerate(parts))
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {sql}", [p for _sql, params in parts for p in params])  # noqa: S608 (ORM's)
        names = [col[0] for col in cursor.description]
        row = dict(zip(names, cursor.fetchone(), strict=True))
    return {name: row[f"o_{name}"] + (row["a_overdue"] if name == "overdue" else row[f"t_{name}"])
            for name in own_queues}


def queue_part(*, user, queue: str, now: dt.datetime | None = None, **filters) -> QuerySet[Case] | None:
    """Some of the cases of a queue (with the list's ``filters``, as :func:`case_queue`), to count it only as far as
    a cap (:func:`linli.core.pagination.count_up_to`): those of the widest area where ``user`` sees every case; None
    when there is none."""
    area = _widest_area_cases(user)
    if area is None or queue not in QUEUES:
        return None
    return _filtered(area, **filters).filter(_queue_q(user, queue, now or timezone.now())[0])


def _widest_area_cases(user) -> QuerySet[Case] | None:
    """Every case of the widest area where ``user`` sees every case (a street for its officer), or None: part of
    what they see, for counting it only as far as a cap (:func:`linli.core.pagination.count_up_to`)."""
    paths = [path for role, path in workflow.role_paths(user) if role in workflow.SEE_ALL_ROLES]
    return Case.objects.filter(path__startswith=min(paths, key=len)) if paths else None
