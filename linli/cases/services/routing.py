"""Routing: where a case of a category at a place goes (level, role, handler)."""

from dataclasses import dataclass
from functools import cached_property

from django.db import transaction
from django.utils.translation import gettext as _

from linli.accounts.models import Role, RoleAssignment
from linli.cases import workflow
from linli.cases.models import (
    LEVEL_ORDER,
    Category,
    Level,
    RoutingRule,
)
from linli.cases.services import config
from linli.cases.services.common import path_prefixes
from linli.core.audit import audit
from linli.core.errors import ApplicationError
from linli.places.models import Place, PlaceKind


@dataclass
class Route:
    """Where a case goes. ``handler`` and ``rule`` are read on first use (a report needs only their ids; the rules
    kept in memory are shared by every request, so their objects are never handed out)."""

    level: str
    role: str
    handler_id: int | None = None
    rule_id: int | None = None

    @cached_property
    def handler(self):
        from linli.accounts.models import User

        return User.objects.filter(pk=self.handler_id).first() if self.handler_id else None

    @cached_property
    def rule(self) -> RoutingRule | None:
        return RoutingRule.objects.filter(pk=self.rule_id).first() if self.rule_id else None


def routing_resolve(*, category: Category, path: str, level: str | None = None, compound_id: int | None = None,
                    snap: config.Snapshot | None = None) -> Route:
    """Where a case of ``category`` at ``path`` goes: the most specific active rule (longest place path), at
    ``level`` when given. Without a rule: the level's default role (a dispute: the compound's peacemaker).

    With ``compound_id`` (the case's compound) the rules come from the process's memory (:mod:`.config`)."""
    prefixes = path_prefixes(path)
    if compound_id is not None:
        snap = snap or config.snapshot()
        wanted = set(prefixes)
        rules = [r for r in snap.rules_for(compound_id, prefixes) if r.category_id == category.pk
                 and r.path in wanted and (not level or r.level == level)]
    else:
        rules = RoutingRule.objects.filter(category=category, is_active=True, path__in=prefixes)
        if level:
            rules = rules.filter(level=level)
    rule = max(rules, key=lambda r: (len(r.path), -LEVEL_ORDER.index(r.level)), default=None)
    if rule is not None:
        return Route(rule.level, rule.role, rule.handler_id, rule.pk)
    if level is None:
        level = Level.COMPOUND
        if category.is_dispute:
            return Route(level, Role.PEACEMAKER)
    return Route(level, workflow.LEVEL_DEFAULT_ROLE[Level(level)])


@transaction.atomic
def routing_rule_save(*, actor, category: Category, place: Place, level: str, role: str, handler=None,
                      note: str = "", rule: RoutingRule | None = None) -> RoutingRule:
    """Create a routing rule, or change ``rule`` (the old version is kept, inactive, as history)."""
    if level not in Level.values:
        raise ApplicationError(_("Choose a level."), field="level")
    if role not in Role.values:
        raise ApplicationError(_("Choose a role."), field="role")
    if place is None or place.kind not in {PlaceKind.STREET, PlaceKind.COMMUNITY, PlaceKind.COMPOUND,
                                           PlaceKind.BUILDING}:
        raise ApplicationError(_("A rule applies to a street, community, compound or building."), field="place")
    if actor is not None and not workflow.holds(actor, workflow.SUPERVISOR_ROLES, place.path):
        raise ApplicationError(_("Only a supervisor of this place may edit its routing rules."), field="place")
    if handler is not None and not RoleAssignment.objects.filter(
            user=handler, role=role, ended_at__isnull=True).exists():
        raise ApplicationError(_("The handler does not hold the role %(role)s.") % {"role": Role(role).label},
                               field="handler")
    if rule is not None:
        RoutingRule.objects.filter(pk=rule.pk).update(is_active=False)
    clash = RoutingRule.objects.filter(category=category, place=place, level=level, is_active=True)
    if clash.exists():
        raise ApplicationError(_("A rule for this category, place and level exists already."), field="place")
    new = RoutingRule.objects.create(category=category, place=place, path=place.path, level=level, role=role,
                                     handler=handler, note=note[:200], updated_by=actor)
    config.settings_changed()
    audit(actor=actor, action="cases.routing_rule_save", target=new, place_path=place.path,
          data={"category": category.code, "level": level, "role": role,
                "handler": handler.pk if handler else None, "replaces": rule.pk if rule else None})
    return new


@transaction.atomic
def routing_rule_deactivate(*, actor, rule: RoutingRule) -> RoutingRule:
    """Switch a rule off (kept as history)."""
    if actor is not None and not workflow.holds(actor, workflow.SUPERVISOR_ROLES, rule.path):
        raise ApplicationError(_("Only a supervisor of this place may edit its routing rules."), field="rule")
    RoutingRule.objects.filter(pk=rule.pk).update(is_active=False)
    rule.is_active = False
    config.settings_changed()
    audit(actor=actor, action="cases.routing_rule_deactivate", target=rule, place_path=rule.path)
    return rule


