"""The party organisation over JSON (mounted at ``/api/v1/org/`` by :mod:`linli.api.api`): the organisation tree,
party memberships, anchor households and the households they look after, the steward teams.

The same selectors and services as the pages: what a caller sees is their scope (a missing or out-of-scope object
— or an id in the body that names one — answers 404); a change needs a role that keeps the organisation there
(``selectors.ORG_MANAGER_ROLES``; a building's group leader may also run its anchor households), else 403. A
broken rule answers 400 naming the field; a value of the wrong type 422. Nothing is deleted: "end" and "remove"
set end dates, and every change is in the audit trail.
"""

import datetime as dt
from typing import Literal

from django.http import Http404
from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.errors import HttpError
from ninja.pagination import paginate

from linli.api.pagination import Pagination
from linli.core.errors import ApplicationError
from linli.core.scope import scope_q
from linli.org import selectors, services
from linli.org.models import (
    AnchorHousehold,
    MemberStatus,
    OrgKind,
    PartyMembership,
    StewardTeamMember,
    TeamKind,
)
from linli.org.services import staff_user_named
from linli.places.models import Household, Place, PlaceKind
from linli.places.selectors import get_building_for_user, get_compound_for_user, get_resident_for_user

router = Router(tags=["organisation"])

#: ``true`` (the default) for active records only, ``false`` for ended ones, ``all`` for both.
ActiveFilter = Literal["true", "false", "all"]
ACTIVE = {"true": True, "false": False, "all": None}
StatusFilter = Literal[tuple(MemberStatus.values)]


def _keeper(request, path: str, roles=selectors.ORG_MANAGER_ROLES) -> None:
    """403 unless the caller holds a role that keeps the organisation at ``path`` (scope was checked already)."""
    if not selectors.can_manage(request.auth, path, frozenset(roles)):
        raise HttpError(403, _("Your role does not keep the party organisation or the teams here."))


def _households(user, ids: list[int]) -> list[Household]:
    """Households by id, all in the caller's scope (else 404, as for any object out of reach)."""
    wanted = set(ids)
    found = list(Household.objects.filter(pk__in=wanted).filter(scope_q(user)).select_related("unit"))
    if len(found) != len(wanted):
        raise Http404
    return found


# --- schemas -----------------------------------------------------------------------------------------------------


class PersonRef(Schema):
    id: int
    name: str


class HouseholdRef(Schema):
    id: int
    unit_id: int
    unit_name: str

    @staticmethod
    def resolve_unit_name(obj: Household) -> str:
        return obj.unit.name


class OrganisationOut(Schema):
    id: int
    kind: str
    name: str
    place_id: int
    place_name: str
    parent_id: int | None
    depth: int = Field(0, description="0 for the top of the caller's tree; children follow their parent.")
    secretary: PersonRef | None = Field(None, description="A committee's or branch's secretary (a staff user).")
    leader: PersonRef | None = Field(None, description="A building group's leader (a resident, a party member).")
    members: int = Field(0, description="Active party members, counted within the caller's scope.")
    anchors: int = Field(0, description="Active anchor households, within the caller's scope.")
    dual_registered: int = 0
    is_active: bool


def _organisation_row(node) -> dict:
    org = node.org
    return {
        "id": org.pk, "kind": org.kind, "name": org.name, "place_id": org.place_id, "place_name": org.place.name,
        "parent_id": org.parent_id, "depth": getattr(node, "depth", 0), "is_active": org.is_active,
        "secretary": {"id": org.secretary_id, "name": str(org.secretary)} if org.secretary_id else None,
        "leader": {"id": org.leader_id, "name": org.leader.name} if org.leader_id else None,
        "members": node.members, "anchors": node.anchors, "dual_registered": node.dual_registered,
    }


class OrganisationIn(Schema):
    kind: Literal[tuple(OrgKind.values)]
    place_id: int = Field(description="A community (committee), compound (branch) or building (group) in scope.")
    name: str = Field("", max_length=100, description="Empty: the place's name and the kind.")
    secretary_username: str = Field("", description="A committee's or branch's secretary.")
    leader_id: int | None = Field(None, description="A group's leader: a resident who is a party member.")


class LeadershipIn(Schema):
    secretary_username: str = Field("", description="Empty: no secretary.")
    leader_id: int | None = Field(None, description="Null: no leader.")


class MembershipOut(Schema):
    id: int
    resident_id: int
    resident_name: str
    unit_name: str
    building_id: int | None
    status: str
    organisation_id: int
    group_id: int | None
    joined_on: dt.date | None
    dual_registration_unit: str
    reported_on: dt.date | None
    is_active: bool
    ended_on: dt.date | None
    end_reason: str
    ended_by: str | None

    @staticmethod
    def resolve_resident_name(obj: PartyMembership) -> str:
        return obj.resident.name

    @staticmethod
    def resolve_unit_name(obj: PartyMembership) -> str:
        return obj.resident.unit.name

    @staticmethod
    def resolve_building_id(obj: PartyMembership) -> int | None:
        return obj.resident.unit.building_id

    @staticmethod
    def resolve_ended_by(obj: PartyMembership) -> str | None:
        return str(obj.ended_by) if obj.ended_by_id else None


class MembershipIn(Schema):
    resident_id: int
    status: Literal[tuple(MemberStatus.values)]
    joined_on: dt.date | None = None
    group_id: int | None = Field(None, description="Empty: the group of the resident's building.")
    dual_registration_unit: str = Field("", max_length=100)
    reported_on: dt.date | None = None


class EndIn(Schema):
    reason: str = Field(description="Why it ends, for the record (at most 200 characters).")
    ended_on: dt.date | None = Field(None, description="Empty: today.")


class AnchorOut(Schema):
    id: int
    household_id: int
    unit_name: str
    building_id: int
    member_id: int
    member_name: str
    since: dt.date | None
    is_active: bool
    ended_on: dt.date | None
    end_reason: str
    looked_after: list[HouseholdRef]

    @staticmethod
    def resolve_unit_name(obj: AnchorHousehold) -> str:
        return obj.household.unit.name

    @staticmethod
    def resolve_member_name(obj: AnchorHousehold) -> str:
        return obj.member.resident.name

    @staticmethod
    def resolve_looked_after(obj: AnchorHousehold) -> list[Household]:
        return [c.household for c in obj.current_coverages]


class AnchorIn(Schema):
    member_id: int = Field(description="The party membership whose household becomes the anchor household.")
    looked_after: list[int] = Field([], description="Households of the same building to look after.")
    since: dt.date | None = None


class HouseholdsIn(Schema):
    households: list[int]
    reason: str = Field("", max_length=200, description="Uncover only: why, for the record.")


class PlaceRef(Schema):
    id: int
    name: str


class _Team(Schema):
    id: int
    kind: str
    name: str
    compound_id: int
    compound_name: str
    current_members: int


class TeamOut(_Team):
    @staticmethod
    def resolve_compound_name(obj) -> str:
        return obj.compound.name

    @staticmethod
    def resolve_current_members(obj) -> int:
        return obj.current


class TeamMemberOut(Schema):
    id: int
    display_name: str
    user_id: int | None
    resident_id: int | None
    duty: str
    buildings: list[PlaceRef] = Field(description="Empty: the whole compound.")
    joined_on: dt.date
    left_on: dt.date | None
    added_by: str | None
    removed_by: str | None

    @staticmethod
    def resolve_buildings(obj: StewardTeamMember) -> list[Place]:
        return list(obj.buildings.all())

    @staticmethod
    def resolve_added_by(obj: StewardTeamMember) -> str | None:
        return str(obj.added_by) if obj.added_by_id else None

    @staticmethod
    def resolve_removed_by(obj: StewardTeamMember) -> str | None:
        return str(obj.removed_by) if obj.removed_by_id else None


class BuildingCoverOut(Schema):
    id: int
    name: str
    members: list[int] = Field(description="Current members covering the building (ids of team members).")


class TeamDetailOut(_Team):
    current: list[TeamMemberOut]
    former: list[TeamMemberOut]
    buildings: list[BuildingCoverOut]


class TeamIn(Schema):
    compound_id: int
    kind: Literal[tuple(TeamKind.values)]
    name: str = Field("", max_length=100)


class TeamMemberIn(Schema):
    username: str = Field("", description="A staff user who signs in: they get the team's role.")
    resident_id: int | None = None
    display_name: str = Field("", max_length=64)
    duty: str = Field("", max_length=64)
    building_ids: list[int] = Field([], description="Buildings covered; empty: the whole compound.")
    joined_on: dt.date | None = None


class BuildingsIn(Schema):
    building_ids: list[int] = Field(description="Buildings covered; empty: the whole compound.")


class RemoveIn(Schema):
    reason: str = Field("", max_length=200)
    left_on: dt.date | None = None


# --- organisations -----------------------------------------------------------------------------------------------


@router.get("organisations/", response=list[OrganisationOut], summary="The party organisation tree")
@paginate(Pagination)
def organisation_list(request):
    """Committee › branches › groups the caller can see, parent first (``parent_id`` and ``depth`` rebuild the
    tree), with members, anchor households and dual-registered members counted within the caller's scope."""
    return [_organisation_row(node) for node in selectors.organisation_list(user=request.auth)]


def _organisation_detail(user, pk: int) -> dict:
    node = next((n for n in selectors.organisation_list(user=user) if n.org.pk == pk), None)
    if node is None:
        raise Http404
    return _organisation_row(node)


@router.get("organisations/{org_id}/", response=OrganisationOut, summary="One party organisation")
def organisation_detail(request, org_id: int):
    selectors.get_organisation_for_user(user=request.auth, pk=org_id)
    return _organisation_detail(request.auth, org_id)


@router.post("organisations/", response={201: OrganisationOut}, summary="Create a party organisation")
def organisation_create(request, payload: OrganisationIn):
    """A group for a building, a branch for a compound (a committee for a community), under the organisation of
    the place above; name its secretary or leader."""
    user = request.auth
    place = Place.objects.filter(pk=payload.place_id).filter(scope_q(user)).first()
    if place is None:
        raise Http404
    _keeper(request, place.path)
    leader = get_resident_for_user(user=user, pk=payload.leader_id) if payload.leader_id else None
    org = services.organisation_create(actor=user, kind=payload.kind, place=place, name=payload.name,
                                       secretary=staff_user_named(payload.secretary_username, "secretary_username"),
                                       leader=leader)
    return Status(201, _organisation_detail(user, org.pk))


@router.post("organisations/{org_id}/leadership/", response=OrganisationOut,
             summary="Name the secretary or the group leader")
def organisation_leadership(request, org_id: int, payload: LeadershipIn):
    user = request.auth
    org = selectors.get_organisation_for_user(user=user, pk=org_id)
    _keeper(request, org.path)
    leader = get_resident_for_user(user=user, pk=payload.leader_id) if payload.leader_id else None
    services.organisation_leadership_set(actor=user, organisation=org, leader=leader,
                                         secretary=staff_user_named(payload.secretary_username, "secretary_username"))
    return _organisation_detail(user, org.pk)


# --- memberships -------------------------------------------------------------------------------------------------


@router.get("memberships/", response=list[MembershipOut], summary="Party memberships")
@paginate(Pagination)
def membership_list(request, building: int | None = None, status: StatusFilter | None = None,
                    active: ActiveFilter = "true"):
    """Members living in the caller's scope; ``building`` narrows (an id out of scope → 404), ``active`` says
    ``false`` for ended memberships or ``all``."""
    user = request.auth
    place = get_building_for_user(user=user, pk=building) if building is not None else None
    return selectors.membership_list(user=user, building=place, status=status or "", active=ACTIVE[active])


@router.get("memberships/{membership_id}/", response=MembershipOut, summary="One party membership")
def membership_detail(request, membership_id: int):
    return selectors.get_membership_for_user(user=request.auth, pk=membership_id)


@router.post("memberships/", response={201: MembershipOut}, summary="Register a party membership")
def membership_register(request, payload: MembershipIn):
    user = request.auth
    resident = get_resident_for_user(user=user, pk=payload.resident_id)
    _keeper(request, resident.path)
    group = None
    if payload.group_id is not None:
        group = selectors.get_organisation_for_user(user=user, pk=payload.group_id)
    m = services.membership_register(actor=user, resident=resident, status=payload.status,
                                     joined_on=payload.joined_on, group=group,
                                     dual_registration_unit=payload.dual_registration_unit,
                                     reported_on=payload.reported_on)
    return Status(201, selectors.get_membership_for_user(user=user, pk=m.pk))


@router.post("memberships/{membership_id}/end/", response=MembershipOut, summary="End a party membership")
def membership_end(request, membership_id: int, payload: EndIn):
    """The membership stays, with its end date, reason and who ended it; its anchor households, its places on the
    red stewards (and their roles) and the leadership of a group end with it."""
    user = request.auth
    m = selectors.get_membership_for_user(user=user, pk=membership_id)
    _keeper(request, m.path)
    services.membership_end(actor=user, membership=m, reason=payload.reason, ended_on=payload.ended_on)
    return selectors.get_membership_for_user(user=user, pk=m.pk)


# --- anchor households -------------------------------------------------------------------------------------------


@router.get("anchor-households/", response=list[AnchorOut], summary="Anchor households")
@paginate(Pagination)
def anchor_list(request, building: int | None = None, active: ActiveFilter = "true"):
    """Anchor households in scope with the households each looks after now; ``building`` narrows to one."""
    user = request.auth
    place = get_building_for_user(user=user, pk=building) if building is not None else None
    return selectors.anchor_list(user=user, building=place, active=ACTIVE[active])


def _anchor(user, pk: int) -> AnchorHousehold:
    anchor = selectors.anchor_list(user=user, active=None).filter(pk=pk).first()
    if anchor is None:
        raise Http404
    return anchor


@router.get("anchor-households/{anchor_id}/", response=AnchorOut, summary="One anchor household")
def anchor_detail(request, anchor_id: int):
    return _anchor(request.auth, anchor_id)


@router.post("anchor-households/", response={201: AnchorOut}, summary="Designate an anchor household")
def anchor_designate(request, payload: AnchorIn):
    """The member's household becomes an anchor household. Designating a household that is one already answers
    400 (``code: conflict``, ``field: member``) — also when two requests race."""
    user = request.auth
    member = selectors.get_membership_for_user(user=user, pk=payload.member_id)
    households = _households(user, payload.looked_after)  # scope first (404), then the role (403)
    _keeper(request, member.path, selectors.ANCHOR_MANAGER_ROLES)
    anchor = services.anchor_household_designate(actor=user, member=member, since=payload.since,
                                                 looked_after=households)
    return Status(201, _anchor(user, anchor.pk))


@router.post("anchor-households/{anchor_id}/end/", response=AnchorOut, summary="End an anchor household")
def anchor_end(request, anchor_id: int, payload: EndIn):
    user = request.auth
    anchor = _anchor(user, anchor_id)
    _keeper(request, anchor.path, selectors.ANCHOR_MANAGER_ROLES)
    services.anchor_household_end(actor=user, anchor=anchor, reason=payload.reason, ended_on=payload.ended_on)
    return _anchor(user, anchor.pk)


@router.post("anchor-households/{anchor_id}/cover/", response=AnchorOut, summary="Look after more households")
def anchor_cover(request, anchor_id: int, payload: HouseholdsIn):
    """A household another anchor looks after answers 400 (``code: conflict``) naming it."""
    user = request.auth
    anchor = _anchor(user, anchor_id)
    households = _households(user, payload.households)
    _keeper(request, anchor.path, selectors.ANCHOR_MANAGER_ROLES)
    services.anchor_household_cover(actor=user, anchor=anchor, households=households)
    return _anchor(user, anchor.pk)


@router.post("anchor-households/{anchor_id}/uncover/", response=AnchorOut, summary="Stop looking after households")
def anchor_uncover(request, anchor_id: int, payload: HouseholdsIn):
    user = request.auth
    anchor = _anchor(user, anchor_id)
    households = _households(user, payload.households)
    _keeper(request, anchor.path, selectors.ANCHOR_MANAGER_ROLES)
    services.anchor_household_uncover(actor=user, anchor=anchor, households=households, reason=payload.reason)
    return _anchor(user, anchor.pk)


# --- teams -------------------------------------------------------------------------------------------------------


@router.get("teams/", response=list[TeamOut], summary="Steward teams")
@paginate(Pagination)
def team_list(request):
    """The teams of the compounds the caller works in, with their number of current members."""
    return selectors.team_list(user=request.auth)


def _team_detail(user, pk: int) -> dict:
    team = selectors.get_team_for_user(user=user, pk=pk)
    current, former = selectors.team_roster(user=user, team=team)
    return {
        "id": team.pk, "kind": team.kind, "name": team.name, "compound_id": team.compound_id,
        "compound_name": team.compound.name, "current_members": len(current), "current": current, "former": former,
        "buildings": [{"id": b.pk, "name": b.name, "members": [m.pk for m in covering]}
                      for b, covering in selectors.team_coverage(team=team, current=current)],
    }


@router.get("teams/{team_id}/", response=TeamDetailOut, summary="One team: members and the buildings covered")
def team_detail(request, team_id: int):
    return _team_detail(request.auth, team_id)


@router.post("teams/", response={201: TeamDetailOut}, summary="Create a steward team")
def team_create(request, payload: TeamIn):
    user = request.auth
    compound = get_compound_for_user(user=user, pk=payload.compound_id)
    _keeper(request, compound.path)
    team = services.team_create(actor=user, compound=compound, kind=payload.kind, name=payload.name)
    return Status(201, _team_detail(user, team.pk))


def _team_buildings(team, ids: list[int]) -> list[Place]:
    buildings = list(Place.objects.filter(pk__in=set(ids), kind=PlaceKind.BUILDING, compound_id=team.compound_id))
    if len(buildings) != len(set(ids)):
        raise ApplicationError(_("Buildings: choose buildings of the team's compound."), field="building_ids")
    return buildings


@router.post("teams/{team_id}/members/", response={201: TeamMemberOut}, summary="Add a member to a team")
def team_member_add(request, team_id: int, payload: TeamMemberIn):
    """A staff user (``username``: they get the team's role), a resident, or a name only."""
    user = request.auth
    team = selectors.get_team_for_user(user=user, pk=team_id)
    _keeper(request, team.path)
    resident = get_resident_for_user(user=user, pk=payload.resident_id) if payload.resident_id else None
    member = services.team_member_add(actor=user, team=team, user=staff_user_named(payload.username, "username"),
                                      resident=resident, display_name=payload.display_name, duty=payload.duty,
                                      buildings=_team_buildings(team, payload.building_ids),
                                      joined_on=payload.joined_on)
    return Status(201, member)


@router.post("team-members/{member_id}/remove/", response=TeamMemberOut, summary="A member leaves the team")
def team_member_remove(request, member_id: int, payload: RemoveIn):
    """The member stays in the roster's history with ``left_on``; the roles their place granted end."""
    user = request.auth
    member = selectors.get_team_member_for_user(user=user, pk=member_id)
    _keeper(request, member.path)
    return services.team_member_remove(actor=user, member=member, left_on=payload.left_on, reason=payload.reason)


@router.put("team-members/{member_id}/buildings/", response=TeamMemberOut,
            summary="Set the buildings a member covers")
def team_member_buildings(request, member_id: int, payload: BuildingsIn):
    """Empty: the whole compound. A user's role moves with the buildings (ended where no longer covered)."""
    user = request.auth
    member = selectors.get_team_member_for_user(user=user, pk=member_id)
    _keeper(request, member.path)
    return services.team_member_buildings_set(actor=user, member=member,
                                              buildings=_team_buildings(member.team, payload.building_ids))
