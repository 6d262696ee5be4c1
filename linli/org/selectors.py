"""Every read of the organisation, always within the user's scope (see :mod:`linli.core.scope`).

The party chain and the teams sit at places *above* most users' scope (a grid worker's scope is five buildings; the
branch sits at the compound), so the chain is visible to whoever reaches the organisation's place or part of it
(:func:`linli.core.scope.touches`); what hangs below — groups, members, anchor households — is filtered by scope.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Prefetch, Q
from django.db.models.functions import Length
from django.http import Http404

from linli.accounts.models import Role, RoleAssignment
from linli.core.scope import get_in_scope_or_404, role_paths, scope_paths, scope_q, touches
from linli.org.models import (
    ORG_PLACE_KIND,
    AnchorCoverage,
    AnchorHousehold,
    OrgKind,
    PartyMembership,
    PartyOrganisation,
    StewardTeam,
    StewardTeamMember,
)
from linli.places.models import Household, Occupancy, Place, PlaceKind
from linli.places.selectors import building_grid, get_building_for_user, get_resident_for_user


def _touching_q(user, field_name: str = "path") -> Q:
    """Records whose path is in scope or lies above a scope path (the branch of a grid worker's compound)."""
    paths = scope_paths(user)
    if not paths:
        return Q(pk__in=[])
    ancestors = set()
    for p in paths:
        parts = p.strip("/").split("/")
        ancestors.update("/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1))
    return scope_q(user, field_name) | Q(**{f"{field_name}__in": sorted(ancestors)})


# --- who may change the organisation ----------------------------------------------------------------------------

#: Roles that keep the organisation of the places they hold (party secretaries, their assistant, community staff).
ORG_MANAGER_ROLES = {Role.CITY_ADMIN, Role.STREET_OFFICER, Role.COMMUNITY_SECRETARY, Role.COMMUNITY_STAFF,
                     Role.BRANCH_SECRETARY, Role.BRANCH_ASSISTANT}
#: A building's group leader may also assign the anchor households of their building.
ANCHOR_MANAGER_ROLES = ORG_MANAGER_ROLES | {Role.GROUP_LEADER}


def can_manage(user, path: str, roles=frozenset(ORG_MANAGER_ROLES)) -> bool:
    """True when ``user`` holds one of ``roles`` at the node at ``path`` or above it (one query, cached)."""
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    cache = user.__dict__.setdefault("_linli_org_manage", {})
    key = (path, frozenset(roles))
    if key not in cache:
        parts = path.strip("/").split("/")
        above = ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
        cache[key] = RoleAssignment.objects.filter(user=user, ended_at__isnull=True, role__in=roles, grid__isnull=True,
                                                   place__path__in=above).exists()
    return cache[key]


def manage_paths(user, roles=frozenset(ORG_MANAGER_ROLES)) -> list[str]:
    """The place paths under which ``user`` keeps the organisation (for the lists of a desk form; no query beyond
    the user's cached roles). :func:`can_manage` stays the check for one place."""
    return sorted({path for role, path in role_paths(user) if role in roles})


def managed(places, user, roles=frozenset(ORG_MANAGER_ROLES)) -> list:
    """The places (or records with a ``path``) under a path where ``user`` keeps the organisation."""
    paths = manage_paths(user, roles)
    return [p for p in places if any(p.path.startswith(q) for q in paths)]


# --- the tree ----------------------------------------------------------------------------------------------------


@dataclass
class OrgNode:
    org: PartyOrganisation
    members: int = 0
    anchors: int = 0
    dual_registered: int = 0
    children: list["OrgNode"] = field(default_factory=list)


def org_tree(*, user) -> list[OrgNode]:
    """The chain the user can see — committee › branch › groups — with counts of members, anchor households and
    dual-registered members, counted over the user's scope only. Four queries."""
    orgs = list(PartyOrganisation.objects.filter(is_active=True).filter(_touching_q(user))
                .select_related("place", "secretary", "leader").order_by("kind", Length("path"), "path"))
    nodes = {o.pk: OrgNode(org=o) for o in orgs}
    members = PartyMembership.objects.filter(is_active=True).filter(scope_q(user))
    for row in members.values("organisation_id", "group_id").annotate(
            n=Count("pk"), dual=Count("pk", filter=~Q(dual_registration_unit=""))):
        for key in (row["organisation_id"], row["group_id"]):
            if key in nodes:
                nodes[key].members += row["n"]
                nodes[key].dual_registered += row["dual"]
    anchors = AnchorHousehold.objects.filter(is_active=True).filter(scope_q(user))
    for row in anchors.values("member__organisation_id", "member__group_id").annotate(n=Count("pk")):
        for key in (row["member__organisation_id"], row["member__group_id"]):
            if key in nodes:
                nodes[key].anchors += row["n"]
    # Committee members are those of its branches.
    roots = []
    order = {OrgKind.COMMITTEE: 0, OrgKind.BRANCH: 1, OrgKind.GROUP: 2}
    for node in sorted(nodes.values(), key=lambda n: (order[n.org.kind], len(n.org.path), n.org.path)):
        parent = nodes.get(node.org.parent_id)
        if parent is not None:
            parent.children.append(node)
        else:
            roots.append(node)
    for root in roots:
        if root.org.kind == OrgKind.COMMITTEE:
            root.members = sum(c.members for c in root.children)
            root.anchors = sum(c.anchors for c in root.children)
            root.dual_registered = sum(c.dual_registered for c in root.children)
    return roots


def compound_staff(*, user) -> list[RoleAssignment]:
    """Current role holders at the places the user touches (branch secretary, assistant, grid workers, social
    workers, stewards …), for the tree page. One query."""
    return list(RoleAssignment.objects.filter(ended_at__isnull=True).filter(_touching_q(user, "place__path"))
                .select_related("user", "place", "grid").order_by("place__path", "role", "user__username"))


# --- a building's party group --------------------------------------------------------------------------------------

#: Distinct colours for the anchor households of a building (org.css ``.anc-0`` … ``.anc-11``).
ANCHOR_COLOURS = 12


@dataclass
class Cell:
    """One unit of the building grid, with who looks after its household."""

    unit: Place
    household: Household | None = None
    anchor: AnchorHousehold | None = None  # the anchor household looking after it (or that it is)
    is_anchor: bool = False
    uncovered: bool = False  # lived in, but nobody looks after it

    @property
    def colour(self) -> int | None:
        return self.anchor.colour if self.anchor is not None else None


def current_coverage() -> Prefetch:
    """Prefetch each anchor's open coverage rows (with their households) as ``current_coverages``."""
    current = AnchorCoverage.objects.filter(ended_on__isnull=True).select_related("household__unit").order_by("path")
    return Prefetch("coverages", queryset=current, to_attr="current_coverages")


def with_current_coverage(queryset):
    """Anchor households, each with ``households``: the households it looks after now (one more query)."""
    anchors = list(queryset.prefetch_related(current_coverage()))
    for anchor in anchors:
        anchor.households = [c.household for c in anchor.current_coverages]
    return anchors


@dataclass
class BuildingGroup:
    building: Place
    group: PartyOrganisation | None
    anchors: list[AnchorHousehold]
    rows: list  # FloorRow-like: .floor and .groups = [(entrance, [Cell])]
    by_household: dict[int, AnchorHousehold]  # household pk → the anchor that looks after it (or that it is)
    uncovered: list[Household]


def building_party_group(*, user, building_pk: int) -> BuildingGroup:
    """A building's party group, its anchor households, and each unit of the building grid marked with the anchor
    that looks after its household — or as looked after by nobody. 404 outside the user's scope."""
    building = get_building_for_user(user=user, pk=building_pk)
    group = (PartyOrganisation.objects.filter(kind=OrgKind.GROUP, place=building, is_active=True)
             .select_related("leader").first())
    anchors = list(with_current_coverage(AnchorHousehold.objects.filter(building=building, is_active=True)
                                         .select_related("member__resident", "household__unit")
                                         .order_by("household__path")))
    by_household: dict[int, AnchorHousehold] = {}
    for i, anchor in enumerate(anchors):
        anchor.colour = i % ANCHOR_COLOURS
        anchor.ring = i >= ANCHOR_COLOURS  # past twelve, colours repeat with a double outline
        by_household[anchor.household_id] = anchor
        for h in anchor.households:
            by_household.setdefault(h.pk, anchor)
    households = {h.unit_id: h for h in Household.objects.filter(path__startswith=building.path, is_current=True)}
    floor_rows, _counts = building_grid(building=building)
    uncovered = []
    for row in floor_rows:
        cells_groups = []
        for entrance, units in row.groups:
            cells = []
            for unit in units:
                h = households.get(unit.pk)
                cell = Cell(unit=unit, household=h)
                if h is not None:
                    cell.anchor = by_household.get(h.pk)
                    cell.is_anchor = cell.anchor is not None and cell.anchor.household_id == h.pk
                    if cell.anchor is None and unit.occupancy in (Occupancy.OWNER_OCCUPIED, Occupancy.RENTED):
                        cell.uncovered = True
                        uncovered.append(h)
                cells.append(cell)
            cells_groups.append((entrance, cells))
        row.groups = cells_groups
    uncovered.sort(key=lambda h: h.path)
    return BuildingGroup(building=building, group=group, anchors=anchors, rows=floor_rows,
                         by_household=by_household, uncovered=uncovered)


def group_members(*, user, building: Place) -> list[PartyMembership]:
    """The party members living in a building (in scope), for the group page."""
    return list(PartyMembership.objects.filter(is_active=True, path__startswith=building.path)
                .filter(scope_q(user)).select_related("resident__unit").order_by("path", "id"))


# --- teams -------------------------------------------------------------------------------------------------------


def team_list(*, user) -> list[StewardTeam]:
    """Teams of the compounds the user works in, with the number of current members. One query."""
    return list(StewardTeam.objects.filter(_touching_q(user)).select_related("compound")
                .annotate(current=Count("members", filter=Q(members__left_on__isnull=True)))
                .order_by("path", "kind"))


def get_team_for_user(*, user, pk: int) -> StewardTeam:
    team = StewardTeam.objects.filter(pk=pk).select_related("compound").first()
    if team is None or not touches(user, team.path):
        raise Http404
    return team


def team_roster(*, user, team: StewardTeam) -> tuple[list[StewardTeamMember], list[StewardTeamMember]]:
    """A team's current members and its former ones (history), each with the buildings they cover."""
    members = list(
        StewardTeamMember.objects.filter(team=team)
        .select_related("user", "resident__unit", "added_by", "removed_by")
        .prefetch_related(Prefetch("buildings", queryset=Place.objects.order_by(Length("code"), "code")))
        .order_by("display_name", "id")
    )
    return [m for m in members if m.left_on is None], [m for m in members if m.left_on is not None]


def get_team_member_for_user(*, user, pk: int) -> StewardTeamMember:
    member = StewardTeamMember.objects.filter(pk=pk).select_related("team").first()
    if member is None or not touches(user, member.path):
        raise Http404
    return member


# --- a person ----------------------------------------------------------------------------------------------------


@dataclass
class PersonRoles:
    resident: object
    memberships: list[PartyMembership]
    anchor_roles: list[AnchorHousehold]  # the anchor household(s) this person's membership runs
    looked_after_by: AnchorHousehold | None  # the anchor looking after this person's household
    teams: list[StewardTeamMember]
    role_assignments: list[RoleAssignment]
    groups_led: list[PartyOrganisation] = field(default_factory=list)


def person_roles(*, user, resident_pk: int) -> PersonRoles:
    """Every role a resident holds: party membership, anchor household, team memberships (current and past), and
    the staff roles of any user account linked through a team. 404 outside the user's scope."""
    resident = get_resident_for_user(user=user, pk=resident_pk)
    memberships = list(PartyMembership.objects.filter(resident=resident)
                       .select_related("organisation", "group").order_by("-is_active", "-id"))
    anchor_roles = list(AnchorHousehold.objects.filter(member__resident=resident)
                        .select_related("household__unit")
                        .annotate(n=Count("coverages", filter=Q(coverages__ended_on__isnull=True)))
                        .order_by("-is_active", "-id"))
    looked_after_by = (AnchorHousehold.objects.filter(is_active=True, coverages__household=resident.household_id,
                                                      coverages__ended_on__isnull=True)
                       .select_related("member__resident", "household__unit").first())
    teams = list(StewardTeamMember.objects.filter(resident=resident).select_related("team", "user")
                 .prefetch_related("buildings").order_by("left_on", "-joined_on"))
    user_ids = {m.user_id for m in teams if m.user_id}
    roles = list(RoleAssignment.objects.filter(user_id__in=user_ids).select_related("place", "grid", "user")
                 .order_by("ended_at", "-granted_at")) if user_ids else []
    groups_led = list(PartyOrganisation.objects.filter(leader=resident, is_active=True).select_related("place"))
    return PersonRoles(resident=resident, memberships=memberships, anchor_roles=anchor_roles,
                       looked_after_by=looked_after_by, teams=teams, role_assignments=roles, groups_led=groups_led)


def get_anchor_for_user(*, user, pk: int, active_only: bool = True) -> AnchorHousehold:
    qs = AnchorHousehold.objects.select_related("member__resident", "household__unit", "ended_by")
    if active_only:
        qs = qs.filter(is_active=True)
    return get_in_scope_or_404(qs, user, pk=pk)


# --- lists for the API and the desk pages ------------------------------------------------------------------------


def organisation_list(*, user) -> list[OrgNode]:
    """The chain the user can see, flattened parent-first (each node with ``depth``), with the counts of
    :func:`org_tree`. Four queries."""
    flat: list[OrgNode] = []

    def walk(nodes, depth):
        for node in nodes:
            node.depth = depth
            flat.append(node)
            walk(node.children, depth + 1)

    walk(org_tree(user=user), 0)
    return flat


def get_organisation_for_user(*, user, pk: int) -> PartyOrganisation:
    """An organisation the user can see (their scope touches its place); 404 otherwise."""
    org = (PartyOrganisation.objects.filter(pk=pk).select_related("place", "parent", "secretary", "leader")
           .first())
    if org is None or not touches(user, org.path):
        raise Http404
    return org


def membership_list(*, user, building: Place | None = None, status: str = "", active: bool | None = True):
    """Party memberships of residents in scope (ended ones with ``active=False``, both with ``None``)."""
    qs = (PartyMembership.objects.filter(scope_q(user))
          .select_related("resident__unit", "organisation", "group", "ended_by"))
    if building is not None:
        qs = qs.filter(path__startswith=building.path)
    if status:
        qs = qs.filter(status=status)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("path", "id")


def get_membership_for_user(*, user, pk: int) -> PartyMembership:
    return get_in_scope_or_404(PartyMembership.objects.select_related("resident__unit", "organisation", "group",
                                                                      "ended_by"), user, pk=pk)


def anchor_list(*, user, building: Place | None = None, active: bool | None = True):
    """Anchor households in scope, each run by a party member, with ``current_coverages`` (the households it
    looks after now) prefetched: two queries a page."""
    qs = (AnchorHousehold.objects.filter(scope_q(user))
          .select_related("member__resident", "household__unit", "ended_by").prefetch_related(current_coverage()))
    if building is not None:
        qs = qs.filter(building=building)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("path", "id")


def designation_choices(*, user, building: Place) -> tuple[list[PartyMembership], list[Household]]:
    """For designating an anchor household in a building: the active members (in scope) whose household is not an
    anchor yet, one per household; and the lived-in households nobody looks after. Three queries."""
    anchors = AnchorHousehold.objects.filter(building=building, is_active=True).values("household_id")
    members, seen = [], set()
    for m in group_members(user=user, building=building):
        if m.resident.household_id not in seen and m.resident.is_current:
            seen.add(m.resident.household_id)
            members.append(m)
    taken = set(anchors.values_list("household_id", flat=True))
    members = [m for m in members if m.resident.household_id not in taken]
    free = (Household.objects.filter(path__startswith=building.path, is_current=True,
                                     occupancy__in=[Occupancy.OWNER_OCCUPIED, Occupancy.RENTED])
            .filter(scope_q(user)).exclude(pk__in=anchors)
            .exclude(pk__in=AnchorCoverage.objects.filter(ended_on__isnull=True).values("household_id"))
            .select_related("unit").order_by("path"))
    return members, list(free)


def compound_buildings(team: StewardTeam) -> list[Place]:
    """The buildings of a team's compound, in their natural order (1, 2, … 10). One query."""
    return list(Place.objects.filter(compound_id=team.compound_id, kind=PlaceKind.BUILDING)
                .order_by(Length("code"), "code"))


def team_coverage(*, team: StewardTeam, current: list[StewardTeamMember],
                  buildings: list[Place] | None = None) -> list[tuple[Place, list]]:
    """Each building of the team's compound with the current members covering it (those covering the whole
    compound cover every building): a building with nobody is a gap. At most one query."""
    buildings = compound_buildings(team) if buildings is None else buildings
    whole = [m for m in current if not m.buildings.all()]
    return [(b, whole + [m for m in current if any(x.pk == b.pk for x in m.buildings.all())]) for b in buildings]


def org_places_without(*, user, kind: str) -> list[Place]:
    """Places in the user's scope where an organisation of ``kind`` could be created: buildings with no active
    group, compounds with no active branch, communities with no active committee."""
    place_kind = ORG_PLACE_KIND[kind]
    taken = PartyOrganisation.objects.filter(kind=kind, is_active=True).values("place_id")
    return list(Place.objects.filter(kind=place_kind).filter(scope_q(user)).exclude(pk__in=taken)
                .order_by("path"))
