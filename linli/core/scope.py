"""Scope is the security model: a user sees the records whose place path lies under one of their scope paths.

Every selector filters with :func:`scope_q`; :func:`get_in_scope_or_404` loads one object and answers 404 both
when it does not exist and when it is out of scope, so that nobody learns what exists beyond their reach.
"""

from django.db.models import Q
from django.http import Http404


def scope_paths(user) -> list[str]:
    """The path prefixes ``user`` reaches, computed once per user object (one or two queries)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return []
    cached = getattr(user, "_linli_scope_paths", None)
    if cached is not None:
        return cached
    from linli.accounts.models import RoleAssignment
    from linli.places.models import Place

    paths: list[str] = []
    grid_ids: list[int] = []
    assignments = RoleAssignment.objects.filter(user=user, ended_at__isnull=True).select_related("place")
    for assignment in assignments:
        if assignment.grid_id:
            grid_ids.append(assignment.grid_id)
        else:
            paths.append(assignment.place.path)
    if grid_ids:
        paths.extend(Place.objects.filter(grid_memberships__in=grid_ids).values_list("path", flat=True))
    # Drop paths that lie under another one: fewer OR branches in every query.
    paths = sorted(set(paths))
    reduced = [p for p in paths if not any(p != q and p.startswith(q) for q in paths)]
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
    """The object matching ``lookup`` inside the user's scope, or 404 — the same answer for missing and forbidden."""
    obj = queryset.filter(scope_q(user, field)).filter(**lookup).first()
    if obj is None:
        raise Http404
    return obj
