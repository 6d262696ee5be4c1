"""What supervisors set and the forms offer: categories, handlers, peacemakers, routing rules, deadlines and the
holiday calendar, each within the reader's area."""


from django.db.models import Case as Choose
from django.db.models import Q, QuerySet, Value, When
from django.http import Http404

from linli.cases import workflow
from linli.cases.models import (
    Case,
    Category,
    DeadlinePolicy,
    Priority,
    ResponseTemplate,
    RoutingRule,
    WorkdayOverride,
)
from linli.core.scope import scope_paths, scope_q
from linli.places.models import Place


def categories(*, active_only: bool = True) -> QuerySet[Category]:
    qs = Category.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def handler_in_area(*, user, pk: int):
    """The account ``pk`` if it holds a current role in ``user``'s area (someone a supervisor may route cases to),
    else None — never any account by its number."""
    from linli.accounts.models import User

    return (User.objects.filter(pk=pk, role_assignments__ended_at__isnull=True)
            .filter(scope_q(user, "role_assignments__place__path")).distinct().first())


def handlers_in_area(*, user) -> list[tuple[int, str]]:
    """Everyone :func:`handler_in_area` accepts, as ``(account, "name · role")`` to pick from (a supervisor does
    not know account numbers), sorted by name."""
    from linli.accounts.models import RoleAssignment

    rows = (RoleAssignment.objects.filter(ended_at__isnull=True, user__is_active=True)
            .filter(scope_q(user, "place__path")).select_related("user").order_by("user__display_name", "id"))
    roles: dict[int, list[str]] = {}
    names: dict[int, str] = {}
    for r in rows:
        names[r.user_id] = str(r.user)
        roles.setdefault(r.user_id, [])
        if r.get_role_display() not in roles[r.user_id]:
            roles[r.user_id].append(str(r.get_role_display()))
    return sorted(((pk, f"{names[pk]} · {'、'.join(roles[pk])}") for pk in names), key=lambda c: c[1])


def dispatch_handlers(*, case: Case) -> list[tuple[str, str, list[tuple[int, str]]]]:
    """Who may be chosen as the handler when dispatching ``case``: role holders at or above its place, grouped by
    role — ``[(role, role's label, [(account, name), …]), …]`` — so that the dispatcher picks the steward under
    "物业管家", not from everyone of the compound (the page shows only the chosen role's group)."""
    from linli.accounts.models import Role, RoleAssignment
    from linli.cases.services.common import path_prefixes

    rows = (RoleAssignment.objects.filter(ended_at__isnull=True, user__is_active=True,
                                          place__path__in=path_prefixes(case.path)).select_related("user"))
    groups: dict[str, set[tuple[int, str]]] = {}
    for r in rows:
        groups.setdefault(r.role, set()).add((r.user_id, str(r.user)))
    labelled = [(role, str(Role(role).label)) for role in groups if role in Role.values]
    return [(role, label, sorted(groups[role], key=lambda p: p[1])) for role, label in sorted(labelled,
                                                                                               key=lambda r: r[1])]


def peacemakers_for(*, case: Case) -> QuerySet:
    """The peacemakers who may mediate ``case``: a current peacemaker role at its place or above."""
    from linli.accounts.models import Role, RoleAssignment, User
    from linli.cases.services.common import path_prefixes

    return User.objects.filter(pk__in=RoleAssignment.objects.filter(
        role=Role.PEACEMAKER, ended_at__isnull=True, place__path__in=path_prefixes(case.path)).values("user_id"))


def active_category(code: str) -> Category | None:
    """The active category whose code is ``code``, or None — from the settings this process holds (every report
    through the API looks one up; the report's write checks that it is still active:
    :func:`linli.cases.services.config.guard_sql`)."""
    from linli.cases.services import config

    return config.held().category(code)


def routing_rules(*, user, category: Category | None = None, active_only: bool = True) -> QuerySet[RoutingRule]:
    """Rules on nodes in the user's scope or above it (a compound's staff see the community's fallbacks)."""
    from linli.core.scope import scope_paths

    above = set()
    for p in scope_paths(user):
        parts = [x for x in p.split("/") if x]
        above.update("".join(f"{x}/" for x in parts[: i + 1]) for i in range(len(parts)))
    qs = RoutingRule.objects.filter(scope_q(user) | Q(path__in=above)).select_related(
        "category", "place", "handler")
    if category is not None:
        qs = qs.filter(category=category)
    if active_only:
        qs = qs.filter(is_active=True)
    return qs.order_by("category__sort_order", "path", "level")


def get_routing_rule_for_user(*, user, pk: int) -> RoutingRule:
    rule = routing_rules(user=user, active_only=False).filter(pk=pk).first()
    if rule is None:
        raise Http404
    return rule


def unrouted_categories(*, path: str) -> list[Category]:
    """Active categories that no routing rule covers at ``path`` (they would fall back to the defaults)."""
    from linli.cases.services import path_prefixes

    routed = RoutingRule.objects.filter(is_active=True, path__in=path_prefixes(path)).values("category_id")
    return list(Category.objects.filter(is_active=True).exclude(pk__in=routed))


def deadline_places(*, user) -> QuerySet[Place]:
    """The streets, communities and compounds whose deadlines ``user`` may set (those a supervisor role of theirs
    covers)."""
    from linli.cases.services.deadlines import DEADLINE_PLACE_KINDS

    paths = [path for role, path in workflow.role_paths(user) if role in workflow.SUPERVISOR_ROLES]
    if not paths:
        return Place.objects.none()
    q = Q()
    for path in paths:
        q |= Q(path__startswith=path)
    return Place.objects.filter(q, kind__in=DEADLINE_PLACE_KINDS).order_by("path")


def deadline_policies(*, user) -> QuerySet[DeadlinePolicy]:
    """The deadlines that bear on ``user``'s area: the default of everywhere, those held above their area (read
    only) and those inside it."""
    from linli.cases.services.common import path_prefixes

    above = {prefix for path in scope_paths(user) for prefix in path_prefixes(path)}
    # priorities in their own order (normal, urgent, emergency), as the table of the deadlines in force lists them
    rank = Choose(*[When(priority=p, then=Value(i)) for i, p in enumerate(Priority.values)], default=Value(99))
    return (DeadlinePolicy.objects.filter(Q(place__isnull=True) | Q(path__in=above) | scope_q(user))
            .select_related("category", "place").annotate(priority_rank=rank)
            .order_by("category__sort_order", "category_id", "priority_rank", "path"))


def response_templates(*, user, active: bool | None = True) -> QuerySet[ResponseTemplate]:
    """The response templates that bear on ``user``'s area: those of everywhere, those held above it (read only)
    and those inside it; ``active``: only those switched on (True), off (False), or all (None)."""
    from linli.cases.services.common import path_prefixes

    above = {prefix for path in scope_paths(user) for prefix in path_prefixes(path)}
    rows = ResponseTemplate.objects.filter(Q(place__isnull=True) | Q(path__in=above) | scope_q(user))
    if active is not None:
        rows = rows.filter(is_active=active)
    return rows.select_related("category", "place").order_by("action", "title", "id")


def get_response_template_for_user(*, user, pk: int) -> ResponseTemplate:
    """One of :func:`response_templates`, on or off, or 404 (missing and out of reach alike)."""
    template = response_templates(user=user, active=None).filter(pk=pk).first()
    if template is None:
        raise Http404
    return template


def response_templates_for(*, case: Case) -> dict[str, list[ResponseTemplate]]:
    """The texts offered on each step of ``case``'s page: active templates held everywhere or at or above the
    case's place, for its category or every category — by step (one query)."""
    from linli.cases.services.common import path_prefixes

    rows = (ResponseTemplate.objects.filter(Q(path="") | Q(path__in=path_prefixes(case.path)), is_active=True)
            .filter(Q(category__isnull=True) | Q(category_id=case.category_id)).order_by("action", "title", "id"))
    offered: dict[str, list[ResponseTemplate]] = {}
    for row in rows:
        offered.setdefault(row.action, []).append(row)
    return offered


def deadlines_in_force(*, place: Place) -> list[dict]:
    """For each active category and priority, the deadline a case at ``place`` gets and where it comes from
    (``source``: the policy, or None for Linli's built-in figures) — the same choice as
    :func:`linli.cases.services.deadlines.deadline_for`, in two queries."""
    from linli.cases.services.common import path_prefixes
    from linli.cases.services.deadlines import DEFAULT_DEADLINES

    prefixes = path_prefixes(place.path)
    best: dict[tuple[int, str], DeadlinePolicy] = {}
    for policy in DeadlinePolicy.objects.filter(Q(place__isnull=True) | Q(path__in=prefixes)).select_related("place"):
        key = (policy.category_id, policy.priority)
        depth = len(policy.path) if policy.place_id else -1
        if key not in best or depth > (len(best[key].path) if best[key].place_id else -1):
            best[key] = policy
    rows = []
    for category in Category.objects.filter(is_active=True):
        for priority in Priority:
            policy = best.get((category.pk, priority.value))
            hours, days = (policy.response_hours, policy.resolution_workdays) if policy else DEFAULT_DEADLINES[priority]
            rows.append({"category": category, "priority": priority, "response_hours": hours,
                         "resolution_workdays": days, "source": policy})
    return rows


def workday_overrides(*, year: int | None = None) -> QuerySet[WorkdayOverride]:
    qs = WorkdayOverride.objects.all()
    return qs.filter(date__year=year) if year else qs
