"""The organisation's rules, as the services enforce them: validation naming the field, nothing half-written, an
audit row for every change, and team membership granting and ending staff roles."""

import datetime as dt

import pytest
from django.utils import timezone

from linli.accounts.models import Role, RoleAssignment
from linli.accounts.services import user_create
from linli.core.models import AuditEvent
from linli.core.scope import scope_paths
from linli.org import services
from linli.org.models import (
    AnchorCoverage,
    AnchorHousehold,
    OrgKind,
    PartyMembership,
    PartyOrganisation,
    StewardTeam,
    TeamKind,
)
from linli.org.tests.factories import anchor_in, non_member, refusal
from linli.places.models import Household, Occupancy, PlaceKind
from linli.places.services import household_move_in, place_create
from linli.places.tests.factories import building, unit_in

pytestmark = pytest.mark.django_db


# --- the chain ---------------------------------------------------------------------------------------------------


def test_organisation_sits_at_its_kind_of_place_under_the_level_above(branch, demo):
    b1 = building(demo, "1")
    branch_org = PartyOrganisation.objects.get(kind=OrgKind.BRANCH, place=demo)
    assert refusal(services.organisation_create, actor=branch, kind=OrgKind.GROUP, place=demo,
                  parent=branch_org).field == "place"
    assert refusal(services.organisation_create, actor=branch, kind=OrgKind.GROUP, place=b1,
                  parent=branch_org).field == "place"  # building 1 has its group already
    assert refusal(services.organisation_create, actor=branch, kind="nonsense", place=b1).field == "kind"
    b11 = place_create(
        actor=branch, parent=demo, kind=PlaceKind.BUILDING, code="11", name="11号楼", floors=6)
    assert refusal(services.organisation_create, actor=branch, kind=OrgKind.GROUP, place=b11,
                  parent=PartyOrganisation.objects.get(kind=OrgKind.COMMITTEE)).field == "parent"
    group = services.organisation_create(actor=branch, kind=OrgKind.GROUP, place=b11)  # the branch above, found
    assert group.parent == branch_org
    assert group.path == b11.path and group.name.startswith("11号楼")
    assert AuditEvent.objects.filter(action="org.organisation_created", target_id=str(group.pk),
                                     actor=branch).exists()


# --- memberships -------------------------------------------------------------------------------------------------


def test_membership_register_joins_branch_and_building_group_and_is_audited(branch, demo):
    resident = non_member(demo, "2")
    m = services.membership_register(actor=branch, resident=resident, status="in_service",
                                     joined_on=dt.date(2010, 7, 1), dual_registration_unit=" 中国海洋大学 ",
                                     reported_on=dt.date(2024, 3, 1))
    assert m.organisation.kind == OrgKind.BRANCH and m.organisation.place_id == demo.pk
    assert m.group.place_id == building(demo, "2").pk
    assert m.dual_registration_unit == "中国海洋大学" and m.path == resident.path
    event = AuditEvent.objects.get(action="org.membership_registered", target_id=str(m.pk))
    assert event.actor == branch and event.place_path == resident.path


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"status": "honorary"}, "status"),
    ({"status": "retired", "dual_registration_unit": "某单位"}, "dual_registration_unit"),
    ({"status": "in_service", "reported_on": dt.date(2024, 1, 1)}, "dual_registration_unit"),
    ({"status": "retired", "joined_on": dt.date(2999, 1, 1)}, "joined_on"),
    ({"status": "retired", "joined_on": dt.date(1900, 1, 1)}, "joined_on"),
])
def test_membership_bad_input_names_the_field_and_writes_nothing(branch, demo, kwargs, field):
    resident = non_member(demo, "3")
    before = (PartyMembership.objects.count(), AuditEvent.objects.count())
    assert refusal(services.membership_register, actor=branch, resident=resident, **kwargs).field == field
    assert before == (PartyMembership.objects.count(), AuditEvent.objects.count())


def test_membership_twice_and_group_of_another_building_are_refused(branch, demo):
    member = PartyMembership.objects.filter(is_active=True).first()
    assert refusal(services.membership_register, actor=branch, resident=member.resident,
                  status="retired").field == "resident"
    other_group = PartyOrganisation.objects.get(kind=OrgKind.GROUP, place=building(demo, "9"))
    assert refusal(services.membership_register, actor=branch, resident=non_member(demo, "1"), status="retired",
                  group=other_group).field == "group"


def test_grid_worker_cannot_register_a_resident_of_another_grid(grid1, demo):
    error = refusal(services.membership_register, actor=grid1, resident=non_member(demo, "6"), status="retired")
    assert error.code == "out_of_scope"


# --- anchor households -------------------------------------------------------------------------------------------


def test_anchor_reassign_records_from_and_to(branch, demo):
    anchor = anchor_in(demo, "4")
    before = sorted(anchor.looked_after.values_list("pk", flat=True))
    keep = anchor.looked_after.order_by("pk")[:3]
    again = services.anchor_household_assign(actor=branch, member=anchor.member, looked_after=keep)
    assert again.pk == anchor.pk and again.looked_after.count() == 3
    event = AuditEvent.objects.filter(action="org.anchor_reassigned", target_id=str(anchor.pk)).get()
    assert event.data["from"] == before and len(event.data["to"]) == 3 and event.actor == branch


def test_anchor_refuses_other_buildings_taken_households_and_anchors_writing_nothing(branch, demo):
    anchor, other = AnchorHousehold.objects.filter(is_active=True, building=building(demo, "4")).order_by("id")[:2]
    before = sorted(anchor.looked_after.values_list("pk", flat=True))
    audits = AuditEvent.objects.count()
    elsewhere = Household.objects.filter(is_current=True, unit__building=building(demo, "5")).first()
    taken = other.looked_after.first()
    for households in ([elsewhere], [taken], [other.household], [anchor.household]):
        error = refusal(services.anchor_household_assign, actor=branch, member=anchor.member,
                       looked_after=[*anchor.looked_after.all(), *households])
        assert error.field == "looked_after"
    assert sorted(anchor.looked_after.values_list("pk", flat=True)) == before
    assert AuditEvent.objects.count() == audits


def test_a_looked_after_household_becoming_an_anchor_leaves_the_other_list(branch, demo):
    anchor = AnchorHousehold.objects.filter(is_active=True, building=building(demo, "10")).order_by("id")[0]
    neighbour = anchor.looked_after.filter(residents__is_current=True,
                                           residents__birth_date__lte=dt.date(1990, 1, 1)).order_by("pk")[0]
    resident = neighbour.residents.filter(is_current=True, birth_date__lte=dt.date(1990, 1, 1)).first()
    member = PartyMembership.objects.filter(resident=resident, is_active=True).first() or \
        services.membership_register(actor=branch, resident=resident, status="retired")
    new = services.anchor_household_assign(actor=branch, member=member, looked_after=[])
    assert new.household_id == neighbour.pk
    assert not anchor.looked_after.filter(pk=neighbour.pk).exists()
    event = AuditEvent.objects.get(action="org.anchor_uncovered", target_id=str(anchor.pk))
    assert event.data == {"removed": [neighbour.pk], "reason": "became_anchor"} and event.actor == branch


def test_new_anchor_household_and_uncovered_households(branch, demo):
    unit = unit_in(demo, "6", occupancy=Occupancy.VACANT)
    household = household_move_in(actor=branch, unit=unit, occupancy=Occupancy.OWNER_OCCUPIED,
                                  started_on=dt.date(2026, 1, 1))
    assert not AnchorCoverage.objects.filter(household=household).exists()
    anchor = AnchorHousehold.objects.filter(is_active=True, building=unit.building).order_by("id")[0]
    services.anchor_household_assign(actor=branch, member=anchor.member,
                                     looked_after=[*anchor.looked_after.all(), household])
    assert anchor.looked_after.filter(pk=household.pk).exists()


def test_grid_worker_cannot_assign_households_of_another_grid(grid1, demo):
    anchor = anchor_in(demo, "7")
    assert refusal(services.anchor_household_assign, actor=grid1, member=anchor.member,
                  looked_after=list(anchor.looked_after.all())).code == "out_of_scope"


# --- teams -------------------------------------------------------------------------------------------------------


def test_user_joining_a_team_gets_the_role_and_leaving_ends_it(branch, demo, teams):
    user = user_create(actor=branch, username="steward9", password="x-steward-9", display_name="物业 小王")
    assert scope_paths(user) == []
    member = services.team_member_add(actor=branch, team=teams[TeamKind.PROPERTY], user=user, duty="维修")
    assignment = RoleAssignment.objects.get(user=user)
    assert assignment.role == Role.PROPERTY_STEWARD and assignment.place_id == demo.pk
    assert member.added_by == branch and member.display_name == "物业 小王"
    user = type(user).objects.get(pk=user.pk)
    assert scope_paths(user) == [demo.path]
    assert AuditEvent.objects.filter(action="org.team_member_added", target_id=str(member.pk)).exists()

    services.team_member_remove(actor=branch, member=member, reason="调岗")
    member.refresh_from_db()
    assignment.refresh_from_db()
    assert member.left_on == timezone.localdate() and member.removed_by == branch
    assert assignment.ended_at is not None
    assert scope_paths(type(user).objects.get(pk=user.pk)) == []
    event = AuditEvent.objects.get(action="org.team_member_removed", target_id=str(member.pk))
    assert event.data["roles_ended"] == [assignment.pk] and event.data["reason"] == "调岗"
    assert AuditEvent.objects.filter(action="role.ended", target_id=str(assignment.pk)).exists()
    # History is kept; leaving twice is refused.
    assert refusal(services.team_member_remove, actor=branch, member=member).field == "member"


def test_member_covering_buildings_gets_the_role_at_each_building(branch, demo, teams):
    user = user_create(actor=branch, username="red9", password="x-red-9")
    resident = PartyMembership.objects.filter(is_active=True, path__startswith=building(demo, "8").path)[0].resident
    b8, b9 = building(demo, "8"), building(demo, "9")
    services.team_member_add(actor=branch, team=teams[TeamKind.RED], user=user, resident=resident,
                             buildings=[b8, b9])
    assert set(RoleAssignment.objects.filter(user=user, role=Role.RED_STEWARD).values_list("place_id", flat=True)) \
        == {b8.pk, b9.pk}


def test_team_rules_name_the_field(branch, demo, teams):
    red = teams[TeamKind.RED]
    assert refusal(services.team_member_add, actor=branch, team=red).field == "display_name"
    assert refusal(services.team_member_add, actor=branch, team=red, resident=non_member(demo, "2")).field \
        == "resident"  # red stewards are party members
    current = red.members.filter(left_on__isnull=True, resident__isnull=False)[0]
    assert refusal(services.team_member_add, actor=branch, team=red, resident=current.resident).field == "user"
    other_compound_building = place_create(
        actor=branch, parent=demo.parent, kind=PlaceKind.COMPOUND, code="X2", name="X2")
    assert refusal(services.team_member_add, actor=branch, team=teams[TeamKind.PROPERTY], display_name="某人",
                  buildings=[other_compound_building]).field == "buildings"
    assert refusal(services.team_create, actor=branch, compound=demo, kind=TeamKind.RED).field == "kind"


def test_name_only_member_and_representatives_grant_no_role(branch, teams):
    before = RoleAssignment.objects.count()
    services.team_member_add(actor=branch, team=teams[TeamKind.PROPERTY], display_name="保安 老刘")
    assert RoleAssignment.objects.count() == before


def test_grid_worker_cannot_change_the_compounds_teams(grid1, teams):
    assert refusal(services.team_member_add, actor=grid1, team=teams[TeamKind.PROPERTY],
                  display_name="某人").code == "out_of_scope"


def test_only_roles_that_keep_the_organisation_may_change_it(demo, teams):
    from linli.accounts.models import User

    steward = User.objects.get(username="steward1")  # a property steward at the compound: in scope, but no keeper
    assert refusal(services.team_member_add, actor=steward, team=teams[TeamKind.RED],
                  display_name="某人").code == "forbidden"
    assert refusal(services.membership_register, actor=steward, resident=non_member(demo, "2"),
                  status="retired").code == "forbidden"
    assistant = User.objects.get(username="assistant1")
    assert services.team_member_add(actor=assistant, team=teams[TeamKind.PROPERTY], display_name="保洁 小李")


def test_a_group_leader_assigns_the_anchor_households_of_their_building(demo):
    from linli.accounts.services import role_grant

    leader = user_create(actor=None, username="org-test-leader4", password="x-leader-4")
    role_grant(actor=None, user=leader, role=Role.GROUP_LEADER, place=building(demo, "4"))
    anchor = anchor_in(demo, "4")
    services.anchor_household_assign(actor=leader, member=anchor.member, looked_after=list(anchor.looked_after.all()))
    red = StewardTeam.objects.get(compound=demo, kind=TeamKind.RED)
    assert refusal(services.team_member_add, actor=leader, team=red, display_name="某人").code == "out_of_scope"
