"""Scope is the security model: a user sees the records whose place path lies under one of their scope paths.

Every selector filters with :func:`scope_q`; :func:`get_in_scope_or_404` loads one object and answers 404 both
when it does not exist and when it is out of scope, so that nobody learns what exists beyond their reach.
"""

from django.db.models import Aggregate, JSONField, Q, Subquery
from django.db.models.functions import JSONArray
from django.http import Http404

from linli.core.db import CompiledQuery

#: A role row: the role, its grid (a grid worker's) and the paths of its place and of each building of the grid.
_ROLE_COLUMNS = ("role", "grid_id", "place__path", "grid__buildings__path")


def _role_rows(user_id: int):
    from linli.accounts.models import RoleAssignment

    # One query: a grid worker's assignment comes back once per building of the grid (a LEFT JOIN through the
    # grid's buildings); any other assignment once, with its own place.
    return (RoleAssignment.objects.filter(user_id=user_id, ended_at__isnull=True)
            .values_list(*_ROLE_COLUMNS))


class _JSONList(Aggregate):
    """The aggregated values as one JSON list (PostgreSQL's ``jsonb_agg``, SQLite's ``json_group_array``)."""

    function = "JSONB_AGG"
    output_field = JSONField()

    def as_sqlite(self, compiler, connection, **extra):
        return super().as_sql(compiler, connection, function="JSON_GROUP_ARRAY", **extra)


def role_rows_json(user_id) -> Subquery:
    """The rows of :func:`_role_rows` of the user ``user_id`` (an ``OuterRef``) as one JSON list of lists, for a
    query that reads the user anyway (a client key's look-up: :meth:`linli.core.models.HashedKey.find_live`).
    NULL when the user holds no role."""
    from linli.accounts.models import RoleAssignment

    rows = (RoleAssignment.objects.filter(user_id=user_id, ended_at__isnull=True).order_by().values("user_id")
            .annotate(rows=_JSONList(JSONArray(*_ROLE_COLUMNS)))
            .values("rows"))
    return Subquery(rows, output_field=JSONField())


#: Compiled once per process: every request of a signed-in user reads its roles (see :mod:`linli.core.db`).
_ROLE_ROWS = CompiledQuery(_role_rows, -7_300_000_001)


def role_paths(user) -> list[tuple[str, str]]:
    """``(role, path)`` for each current role of ``user`` — a grid worker's role gives one pair per building of the
    grid. Computed once per user object (one query); every scope and permission check starts here."""
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return []
    cached = getattr(user, "_linli_role_paths", None)
    if cached is not None:
        return cached
    return remember_role_paths(user, _ROLE_ROWS.rows(user.pk))


def remember_role_paths(user, rows) -> list[tuple[str, str]]:
    """Keep on ``user`` the ``(role, path)`` pairs of its role rows ``(role, grid_id, place path, building path)``
    — read by :func:`role_paths`, or with the user's API token in the same query."""
    pairs: list[tuple[str, str]] = []
    for role, grid_id, place_path, building_path in rows:
        if grid_id is None:
            pairs.append((role, place_path))
        elif building_path is not None:  # a grid without buildings reaches nothing
            pairs.append((role, building_path))
    user._linli_role_paths = pairs
    return pairs


def scope_paths(user) -> list[str]:
    """The path prefixes ``user`` reaches: the places of their roles, without those lying under another one (fewer
    OR branches in every query)."""
    cached = getattr(user, "_linli_scope_paths", None)
    if cached is not None:
        return cached
    paths = sorted({path for _role, path in role_paths(user)})
    reduced = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
    if user is not None and getattr(user, "is_authenticated", False):
        user._linli_scope_paths = reduced
    return reduced


def scope_q(user, field: str = "path") -> Q:
    """A filter for records whose ``field`` (a materialised path) lies in the user's scope; empty scope → nothing."""
    paths = scope_paths(user)
    if not paths:
        return Q(pk__in=[])
    q = Q()
    for p in paths:
        q |= Q(**{f"{field}__startswith": p})
    return q


def in_scope(user, path: str) -> bool:
    """True when the node at ``path`` lies inside the user's scope."""
    return any(path.startswith(p) for p in scope_paths(user))


def touches(user, path: str) -> bool:
    """True when the user's scope includes the node at ``path`` or part of its subtree (a grid worker touches the
    compound their grid is in, and sees its figures restricted to their grid)."""
    return any(path.startswith(p) or p.startswith(path) for p in scope_paths(user))


def get_in_scope_or_404(queryset, user, field: str = "path", **lookup):
    """The object matching ``lookup`` inside the user's scope, or 404 — the same answer for missing and forbidden.

    Looked up by primary key and its own path field (no ``__``), the object is read by the key alone and its path
    checked here:
    the same answer, without compiling one ``LIKE`` branch per scope path into the query (a grid worker has one per
    building), which cost more than the query itself."""
    if "__" not in field and set(lookup) <= {"pk", "id"}:
        obj = queryset.filter(**lookup).first()
        if obj is None or not getattr(obj, field) or not in_scope(user, getattr(obj, field)):
            raise Http404
        return obj
    obj = queryset.filter(scope_q(user, field)).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj
