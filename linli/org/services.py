"""Every write to the organisation: keyword-only, atomic, audited; nothing is deleted.

When a team member is a user, joining a team grants the team's staff role (``TEAM_ROLES``) at the compound — or at
each building they cover — through :func:`linli.accounts.services.role_grant`, and leaving ends those assignments,
so that routing "to the property stewards of this compound" reads role assignments only.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Role, RoleAssignment
from linli.accounts.services import role_grant
from linli.core.audit import audit
from linli.core.errors import ApplicationError
from linli.core.scope import in_scope
from linli.org.models import (
    ORG_PARENT_KIND,
    ORG_PLACE_KIND,
    AnchorHousehold,
    MemberStatus,
    OrgKind,
    PartyMembership,
    PartyOrganisation,
    StewardTeam,
    StewardTeamMember,
    TeamKind,
)
from linli.org.selectors import ANCHOR_MANAGER_ROLES, ORG_MANAGER_ROLES, can_manage
from linli.places.models import Household, Place, PlaceKind, Resident

#: The staff role a user gets by joining a team (residents' representatives hold no staff role).
TEAM_ROLES = {
    TeamKind.RED: Role.RED_STEWARD,
    TeamKind.PROPERTY: Role.PROPERTY_STEWARD,
    TeamKind.PEACEMAKER: Role.PEACEMAKER,
}


def _check_actor_reaches(actor, path: str, field: str, roles=ORG_MANAGER_ROLES) -> None:
    """A person acting (not the system: ``actor=None``) must reach the record they change and hold a role that
    keeps the organisation there (``ORG_MANAGER_ROLES``)."""
    if actor is None:
        return
    if not in_scope(actor, path):
        raise ApplicationError(_("This is outside the places you look after."), field=field, code="out_of_scope")
    if not can_manage(actor, path, frozenset(roles)):
        raise ApplicationError(_("Your role does not keep the party organisation or the teams here."), field=field,
                               code="forbidden")


def _check_date(value: dt.date | None, field: str, label) -> None:
    if value is not None and value > timezone.localdate():
        raise ApplicationError(_("%(field)s cannot be in the future.") % {"field": label}, field=field)


# --- the party chain ---------------------------------------------------------------------------------------------


@transaction.atomic
def organisation_create(*, actor, kind: str, place: Place, name: str = "", parent: PartyOrganisation | None = None,
                        secretary=None, leader: Resident | None = None) -> PartyOrganisation:
    """A committee at a community, a branch at a compound or a group at a building, under the level above."""
    if kind not in OrgKind.values:
        raise ApplicationError(_("Choose the kind of organisation."), field="kind")
    kind = OrgKind(kind)
    if place.kind != ORG_PLACE_KIND[kind]:
        raise ApplicationError(
            _("A %(kind)s sits at a %(place)s.")
            % {"kind": kind.label, "place": PlaceKind(ORG_PLACE_KIND[kind]).label}, field="place")
    _check_actor_reaches(actor, place.path, "place")
    parent_kind = ORG_PARENT_KIND[kind]
    if parent_kind is None and parent is not None:
        raise ApplicationError(_("A community party committee has no parent organisation."), field="parent")
    if parent_kind is not None and (
            parent is None or parent.kind != parent_kind or not place.path.startswith(parent.path)):
        raise ApplicationError(
            _("A %(kind)s belongs to the %(parent)s of the place above it.")
            % {"kind": kind.label, "parent": OrgKind(parent_kind).label}, field="parent")
    if PartyOrganisation.objects.filter(kind=kind, place=place, is_active=True).exists():
        raise ApplicationError(_("%(place)s already has a %(kind)s.") % {"place": place.name, "kind": kind.label},
                               field="place")
    if leader is not None and not leader.path.startswith(place.path):
        raise ApplicationError(_("The group leader must live in the building."), field="leader")
    name = (name or "").strip() or f"{place.name}{kind.label}"
    org = PartyOrganisation.objects.create(kind=kind, name=name, place=place, parent=parent, path=place.path,
                                           secretary=secretary, leader=leader)
    audit(actor=actor, action="org.organisation_created", target=org, place_path=org.path,
          data={"kind": kind.value, "place": place.pk, "parent": parent.pk if parent else None})
    return org


def _years_between(born: dt.date, on: dt.date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def _branch_of(resident: Resident) -> PartyOrganisation | None:
    return PartyOrganisation.objects.filter(kind=OrgKind.BRANCH, place_id=resident.unit.compound_id,
                                            is_active=True).first()


@transaction.atomic
def membership_register(*, actor, resident: Resident, status: str, joined_on: dt.date | None = None,
                        group: PartyOrganisation | None = None, dual_registration_unit: str = "",
                        reported_on: dt.date | None = None) -> PartyMembership:
    """Register a resident's party membership with their compound's branch (and their building's group)."""
    if status not in MemberStatus.values:
        raise ApplicationError(_("Choose in service, retired or student."), field="status")
    if not resident.is_current:
        raise ApplicationError(_("%(name)s has moved out.") % {"name": resident.name}, field="resident")
    _check_actor_reaches(actor, resident.path, "resident")
    if PartyMembership.objects.filter(resident=resident, is_active=True).exists():
        raise ApplicationError(_("%(name)s is already registered as a party member.") % {"name": resident.name},
                               field="resident")
    branch = _branch_of(resident)
    if branch is None:
        raise ApplicationError(_("The compound has no party branch yet."), field="organisation")
    if group is None:
        group = PartyOrganisation.objects.filter(kind=OrgKind.GROUP, place_id=resident.unit.building_id,
                                                 is_active=True).first()
    elif group.kind != OrgKind.GROUP or group.place_id != resident.unit.building_id:
        raise ApplicationError(_("The party group must be the group of the member's building."), field="group")
    _check_date(joined_on, "joined_on", _("The joining date"))
    if joined_on and resident.birth_date and _years_between(resident.birth_date, joined_on) < 18:
        raise ApplicationError(_("A member joins the party at 18 or older; check the joining date."),
                               field="joined_on")
    unit_name = (dual_registration_unit or "").strip()
    if unit_name and status != MemberStatus.IN_SERVICE:
        raise ApplicationError(_("Dual registration is for members in service at a workplace."),
                               field="dual_registration_unit")
    if reported_on and not unit_name:
        raise ApplicationError(_("Name the workplace that reported to the community."),
                               field="dual_registration_unit")
    _check_date(reported_on, "reported_on", _("The dual registration date"))
    membership = PartyMembership.objects.create(
        resident=resident, status=status, organisation=branch, group=group, joined_on=joined_on,
        dual_registration_unit=unit_name, reported_on=reported_on, path=resident.path,
    )
    audit(actor=actor, action="org.membership_registered", target=membership, place_path=membership.path,
          data={"resident": resident.pk, "status": status, "group": group.pk if group else None,
                "dual_registration_unit": unit_name})
    return membership


@transaction.atomic
def anchor_household_assign(*, actor, member: PartyMembership, looked_after: Iterable[Household],
                            since: dt.date | None = None) -> AnchorHousehold:
    """Make ``member``'s household an anchor household looking after ``looked_after`` (neighbours in the same
    building, in the actor's scope, looked after by no other anchor). Assigning again replaces the set."""
    if not member.is_active:
        raise ApplicationError(_("The party membership has ended."), field="member")
    resident = member.resident
    household = resident.household
    if not household.is_current or not resident.is_current:
        raise ApplicationError(_("%(name)s no longer lives here.") % {"name": resident.name}, field="member")
    _check_actor_reaches(actor, household.path, "member", ANCHOR_MANAGER_ROLES)
    building_id = household.unit.building_id
    households = list(Household.objects.filter(pk__in=[h.pk for h in looked_after]).select_related("unit"))
    anchor_households = set(AnchorHousehold.objects.filter(is_active=True, household__in=households)
                            .exclude(household=household).values_list("household_id", flat=True))
    for h in households:
        if not h.is_current:
            raise ApplicationError(_("Household %(unit)s has moved out.") % {"unit": h.unit.name},
                                   field="looked_after")
        if h.pk == household.pk:
            raise ApplicationError(_("An anchor household does not look after itself."), field="looked_after")
        if h.pk in anchor_households:
            raise ApplicationError(_("Household %(unit)s is an anchor household itself.") % {"unit": h.unit.name},
                                   field="looked_after")
        if h.unit.building_id != building_id:
            raise ApplicationError(_("Household %(unit)s is in another building; an anchor household looks after "
                                     "its own building.") % {"unit": h.unit.name}, field="looked_after")
        if actor is not None and not in_scope(actor, h.path):
            raise ApplicationError(_("Household %(unit)s is outside the places you look after.")
                                   % {"unit": h.unit.name}, field="looked_after")
    _check_date(since, "since", _("The start date"))
    anchor = AnchorHousehold.objects.select_for_update().filter(household=household, is_active=True).first()
    taken = (AnchorHousehold.looked_after.through.objects
             .filter(household_id__in=[h.pk for h in households], anchorhousehold__is_active=True)
             .select_related("household__unit"))
    if anchor is not None:
        taken = taken.exclude(anchorhousehold=anchor)
    clash = taken.first()
    if clash is not None:
        raise ApplicationError(_("Household %(unit)s is already looked after by another anchor household.")
                               % {"unit": clash.household.unit.name}, field="looked_after")
    before: list[int] = []
    if anchor is None:
        anchor = AnchorHousehold.objects.create(household=household, member=member, building_id=building_id,
                                                since=since or timezone.localdate(), path=household.path)
        action = "org.anchor_assigned"
        # A household that becomes an anchor looks after itself: it comes off another anchor's list.
        for previous in AnchorHousehold.objects.filter(is_active=True, looked_after=household):
            previous.looked_after.remove(household)
            audit(actor=actor, action="org.anchor_reassigned", target=previous, place_path=previous.path,
                  data={"removed": [household.pk], "reason": "became_anchor"})
    else:
        before = sorted(anchor.looked_after.values_list("pk", flat=True))
        if anchor.member_id != member.pk:
            anchor.member = member
            anchor.save(update_fields=["member"])
        action = "org.anchor_reassigned"
    anchor.looked_after.set(households)
    audit(actor=actor, action=action, target=anchor, place_path=anchor.path,
          data={"member": member.pk, "from": before, "to": sorted(h.pk for h in households)})
    return anchor


# --- teams -------------------------------------------------------------------------------------------------------


@transaction.atomic
def team_create(*, actor, compound: Place, kind: str, name: str = "") -> StewardTeam:
    """A compound's team of a kind (one of each kind per compound)."""
    if kind not in TeamKind.values:
        raise ApplicationError(_("Choose the kind of team."), field="kind")
    if compound.kind != PlaceKind.COMPOUND:
        raise ApplicationError(_("A team serves a compound."), field="compound")
    _check_actor_reaches(actor, compound.path, "compound")
    if StewardTeam.objects.filter(compound=compound, kind=kind).exists():
        raise ApplicationError(_("%(place)s already has this team.") % {"place": compound.name}, field="kind")
    team = StewardTeam.objects.create(kind=kind, compound=compound, name=(name or "").strip()
                                      or str(TeamKind(kind).label), path=compound.path)
    audit(actor=actor, action="org.team_created", target=team, place_path=team.path, data={"kind": kind})
    return team


@transaction.atomic
def team_member_add(*, actor, team: StewardTeam, user=None, resident: Resident | None = None,
                    display_name: str = "", duty: str = "", buildings: Iterable[Place] = (),
                    joined_on: dt.date | None = None) -> StewardTeamMember:
    """Add someone to a team, covering ``buildings`` (none: the whole compound). A user gets the team's role at
    the compound, or at each building they cover."""
    _check_actor_reaches(actor, team.path, "team")
    display_name = (display_name or "").strip()
    if user is None and resident is None and not display_name:
        raise ApplicationError(_("Name the new member: a user, a resident or at least a name."), field="display_name")
    if resident is not None:
        if not resident.is_current or not resident.path.startswith(team.path):
            raise ApplicationError(_("The resident must live in the compound."), field="resident")
        if team.kind == TeamKind.RED and not PartyMembership.objects.filter(resident=resident,
                                                                           is_active=True).exists():
            raise ApplicationError(_("Red stewards are party members; register %(name)s's membership first.")
                                   % {"name": resident.name}, field="resident")
    buildings = list(buildings)
    for b in buildings:
        if b.kind != PlaceKind.BUILDING or b.compound_id != team.compound_id:
            raise ApplicationError(_("%(place)s is not a building of the compound.") % {"place": b.name},
                                   field="buildings")
    current = StewardTeamMember.objects.filter(team=team, left_on__isnull=True)
    if (user is not None and current.filter(user=user).exists()) or (
            resident is not None and current.filter(resident=resident).exists()):
        raise ApplicationError(_("%(name)s is already on this team.")
                               % {"name": display_name or (user or resident)}, field="user")
    _check_date(joined_on, "joined_on", _("The joining date"))
    member = StewardTeamMember.objects.create(
        team=team, user=user, resident=resident, duty=(duty or "").strip(),
        display_name=display_name or (str(user) if user is not None else resident.name),
        joined_on=joined_on or timezone.localdate(), added_by=actor if getattr(actor, "pk", None) else None,
        path=team.path,
    )
    member.buildings.set(buildings)
    role = TEAM_ROLES.get(TeamKind(team.kind))
    granted = []
    if user is not None and role is not None:
        for place in buildings or [team.compound]:
            granted.append(role_grant(actor=actor, user=user, role=role, place=place))
        member.role_assignments.set(granted)
    audit(actor=actor, action="org.team_member_added", target=member, place_path=member.path,
          data={"team": team.pk, "user": user.pk if user else None, "resident": resident.pk if resident else None,
                "buildings": [b.pk for b in buildings], "roles": [a.pk for a in granted]})
    return member


@transaction.atomic
def team_member_remove(*, actor, member: StewardTeamMember, left_on: dt.date | None = None,
                       reason: str = "") -> StewardTeamMember:
    """A member leaves the team: the row stays with ``left_on``, and the roles it granted end."""
    _check_actor_reaches(actor, member.path, "member")
    member = StewardTeamMember.objects.select_for_update().get(pk=member.pk)
    if member.left_on is not None:
        raise ApplicationError(_("%(name)s has already left the team.") % {"name": member.display_name},
                               field="member")
    left_on = left_on or timezone.localdate()
    _check_date(left_on, "left_on", _("The leaving date"))
    if left_on < member.joined_on:
        raise ApplicationError(_("The leaving date is before the joining date."), field="left_on")
    member.left_on = left_on
    member.removed_by = actor if getattr(actor, "pk", None) else None
    member.save(update_fields=["left_on", "removed_by"])
    ended = list(member.role_assignments.filter(ended_at__isnull=True).values_list("pk", flat=True))
    RoleAssignment.objects.filter(pk__in=ended).update(ended_at=timezone.now())
    for pk in ended:
        audit(actor=actor, action="role.ended", target=RoleAssignment.objects.get(pk=pk), place_path=member.path,
              data={"reason": "team_member_removed", "member": member.pk})
    audit(actor=actor, action="org.team_member_removed", target=member, place_path=member.path,
          data={"team": member.team_id, "left_on": left_on.isoformat(), "reason": (reason or "").strip(),
                "roles_ended": ended})
    return member
