"""The steward teams of a compound: created once per kind, members joining and leaving, the buildings each member
covers. A member who is a user holds the team's staff role (``TEAM_ROLES``) at the compound — or at each building
they cover — through :func:`linli.accounts.services.role_grant`; leaving, or no longer covering a building, ends
exactly those assignments (kept with ``ended_at``), so routing "to the property stewards" reads role assignments."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import RoleAssignment
from linli.accounts.services import role_grant
from linli.core.audit import audit
from linli.core.errors import ApplicationError
from linli.org.models import PartyMembership, StewardTeam, StewardTeamMember, TeamKind
from linli.org.services._common import TEAM_ROLES, actor_or_none, check_actor_reaches, check_date, refused_as
from linli.places.models import Place, PlaceKind, Resident


@transaction.atomic
def team_create(*, actor, compound: Place, kind: str, name: str = "") -> StewardTeam:
    """A compound's team of a kind (one of each kind per compound)."""
    if kind not in TeamKind.values:
        raise ApplicationError(_("Choose the kind of team."), field="kind")
    if compound.kind != PlaceKind.COMPOUND:
        raise ApplicationError(_("A team serves a compound."), field="compound")
    check_actor_reaches(actor, compound.path, "compound")
    taken = _("%(place)s already has this team.") % {"place": compound.name}
    if StewardTeam.objects.filter(compound=compound, kind=kind).exists():
        raise ApplicationError(taken, field="kind")
    name = (name or "").strip() or str(TeamKind(kind).label)
    if len(name) > 100:
        raise ApplicationError(_("Name: at most 100 characters."), field="name")
    with refused_as(taken, field="kind"):
        team = StewardTeam.objects.create(kind=kind, compound=compound, name=name, path=compound.path)
    audit(actor=actor, action="org.team_created", target=team, place_path=team.path, data={"kind": kind})
    return team


def _check_buildings(team: StewardTeam, buildings: Iterable[Place]) -> list[Place]:
    buildings = list(buildings)
    for b in buildings:
        if b.kind != PlaceKind.BUILDING or b.compound_id != team.compound_id:
            raise ApplicationError(_("%(place)s is not a building of the compound.") % {"place": b.name},
                                   field="buildings")
    return buildings


@transaction.atomic
def team_member_add(*, actor, team: StewardTeam, user=None, resident: Resident | None = None,
                    display_name: str = "", duty: str = "", buildings: Iterable[Place] = (),
                    joined_on: dt.date | None = None) -> StewardTeamMember:
    """Add someone to a team, covering ``buildings`` (none: the whole compound). A user gets the team's role at
    the compound, or at each building they cover."""
    check_actor_reaches(actor, team.path, "team")
    display_name = (display_name or "").strip()
    if user is None and resident is None and not display_name:
        raise ApplicationError(_("Name the new member: a user, a resident or at least a name."), field="display_name")
    if user is not None and (not user.is_active or getattr(user, "is_resident", False)):
        raise ApplicationError(_("User name: choose a staff member who signs in."), field="user")
    if resident is not None:
        if not resident.is_current or not resident.path.startswith(team.path):
            raise ApplicationError(_("The resident must live in the compound."), field="resident")
        if team.kind == TeamKind.RED and not PartyMembership.objects.filter(resident=resident,
                                                                           is_active=True).exists():
            raise ApplicationError(_("Red stewards are party members; register %(name)s's membership first.")
                                   % {"name": resident.name}, field="resident")
    buildings = _check_buildings(team, buildings)
    already = _("%(name)s is already on this team.") % {"name": display_name or (user or resident)}
    current = StewardTeamMember.objects.filter(team=team, left_on__isnull=True)
    if (user is not None and current.filter(user=user).exists()) or (
            resident is not None and current.filter(resident=resident).exists()):
        raise ApplicationError(already, field="user")
    check_date(joined_on, "joined_on", _("The joining date"))
    with refused_as(already, field="user"):  # added by someone else a moment ago
        member = StewardTeamMember.objects.create(
            team=team, user=user, resident=resident, duty=(duty or "").strip()[:64],
            display_name=(display_name or (str(user) if user is not None else resident.name))[:64],
            joined_on=joined_on or timezone.localdate(), added_by=actor_or_none(actor), path=team.path,
        )
    member.buildings.set(buildings)
    granted = _grant(actor=actor, member=member, places=buildings or [team.compound])
    audit(actor=actor, action="org.team_member_added", target=member, place_path=member.path,
          data={"team": team.pk, "user": user.pk if user else None, "resident": resident.pk if resident else None,
                "buildings": [b.pk for b in buildings], "roles": [a.pk for a in granted]})
    return member


def _grant(*, actor, member: StewardTeamMember, places: list[Place]) -> list[RoleAssignment]:
    role = TEAM_ROLES.get(TeamKind(member.team.kind))
    if member.user_id is None or role is None:
        return []
    granted = [role_grant(actor=actor, user=member.user, role=role, place=place) for place in places]
    member.role_assignments.add(*granted)
    return granted


def _end_roles(*, actor, member: StewardTeamMember, assignments, reason: str) -> list[int]:
    ended = list(assignments.filter(ended_at__isnull=True).values_list("pk", flat=True))
    RoleAssignment.objects.filter(pk__in=ended).update(ended_at=timezone.now())
    for assignment in RoleAssignment.objects.filter(pk__in=ended):
        audit(actor=actor, action="role.ended", target=assignment, place_path=member.path,
              data={"reason": reason, "member": member.pk})
    return ended


@transaction.atomic
def team_member_remove(*, actor, member: StewardTeamMember, left_on: dt.date | None = None,
                       reason: str = "") -> StewardTeamMember:
    """A member leaves the team: the row stays with ``left_on``, and the roles it granted end."""
    check_actor_reaches(actor, member.path, "member")
    member = StewardTeamMember.objects.select_for_update().get(pk=member.pk)
    if member.left_on is not None:
        raise ApplicationError(_("%(name)s has already left the team.") % {"name": member.display_name},
                               field="member")
    left_on = left_on or timezone.localdate()
    check_date(left_on, "left_on", _("The leaving date"))
    if left_on < member.joined_on:
        raise ApplicationError(_("The leaving date is before the joining date."), field="left_on")
    member.left_on = left_on
    member.removed_by = actor_or_none(actor)
    member.save(update_fields=["left_on", "removed_by"])
    ended = _end_roles(actor=actor, member=member, assignments=member.role_assignments, reason="team_member_removed")
    audit(actor=actor, action="org.team_member_removed", target=member, place_path=member.path,
          data={"team": member.team_id, "left_on": left_on.isoformat(), "reason": (reason or "").strip()[:200],
                "roles_ended": ended})
    return member


@transaction.atomic
def team_member_buildings_set(*, actor, member: StewardTeamMember,
                              buildings: Iterable[Place]) -> StewardTeamMember:
    """The buildings a current member covers (none: the whole compound). A user's role follows: it ends at the
    places no longer covered and is granted at the new ones; the audit row has ``from`` and ``to``."""
    check_actor_reaches(actor, member.path, "member")
    member = (StewardTeamMember.objects.select_for_update(of=("self",)).select_related("team__compound", "user")
              .get(pk=member.pk))
    if member.left_on is not None:
        raise ApplicationError(_("%(name)s has already left the team.") % {"name": member.display_name},
                               field="member")
    buildings = _check_buildings(member.team, buildings)
    before = sorted(member.buildings.values_list("pk", flat=True))
    after = sorted({b.pk for b in buildings})
    if before == after:
        return member
    member.buildings.set(buildings)
    places = buildings or [member.team.compound]
    wanted = {p.pk for p in places}
    open_roles = member.role_assignments.filter(ended_at__isnull=True)
    ended = _end_roles(actor=actor, member=member, assignments=open_roles.exclude(place__in=wanted),
                       reason="buildings_changed")
    held = set(open_roles.filter(place__in=wanted).values_list("place_id", flat=True))
    granted = _grant(actor=actor, member=member, places=[p for p in places if p.pk not in held])
    audit(actor=actor, action="org.team_member_buildings_set", target=member, place_path=member.path,
          data={"from": before, "to": after, "roles_granted": [a.pk for a in granted], "roles_ended": ended})
    return member
