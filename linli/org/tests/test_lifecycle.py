"""Ending things and the database's own guards: memberships end with what came from them, anchor households are
designated once (a duplicate — also two people at once — is a clear error, not a server error), cover and uncover,
leaders are named, members change the buildings they cover; history stays and every change is audited."""

import datetime as dt

import pytest
from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.accounts.models import Role, RoleAssignment
from linli.accounts.services import user_create
from linli.core.models import AuditEvent
from linli.org import services
from linli.org.models import (
    AnchorCoverage,
    AnchorHousehold,
    OrgKind,
    PartyMembership,
    PartyOrganisation,
    StewardTeamMember,
    TeamKind,
)
from linli.org.tests.factories import anchor_in, new_household, plain_member, refusal
from linli.places.models import Resident
from linli.places.tests.factories import building

pytestmark = pytest.mark.django_db


# --- the database's guards ---------------------------------------------------------------------------------------


def test_the_database_refuses_a_second_active_anchor_and_a_second_open_coverage(demo):
    anchor = anchor_in(demo, "3")
    with pytest.raises(IntegrityError), transaction.atomic():
        AnchorHousehold.objects.create(household=anchor.household, member=anchor.member, building=anchor.building,
                                       path=anchor.path)
    row = AnchorCoverage.objects.filter(anchor=anchor, ended_on__isnull=True).first()
    other = anchor_in(demo, "4")
    with pytest.raises(IntegrityError), transaction.atomic():
        AnchorCoverage.objects.create(anchor=other, household=row.household, since=dt.date(2026, 1, 1),
                                      path=row.path)
    # An ended anchor and an ended coverage do not count.
    AnchorCoverage.objects.create(anchor=other, household=row.household, since=dt.date(2024, 1, 1),
                                  ended_on=dt.date(2024, 6, 1), path=row.path)
    with pytest.raises(IntegrityError), transaction.atomic():  # active exactly when not ended
        AnchorHousehold.objects.filter(pk=anchor.pk).update(is_active=False)


def test_designating_a_household_twice_is_a_clear_conflict_and_writes_nothing(branch, demo):
    member = plain_member(demo, "2")
    anchor = services.anchor_household_designate(actor=branch, member=member)
    assert anchor.is_active and anchor.since == timezone.localdate()
    # The second designation (as from a second desk a moment later, or a double click) reaches the database's
    # unique constraint — no check before it — and comes back as the same clear error.
    counts = (AnchorHousehold.objects.count(), AuditEvent.objects.count())
    error = refusal(services.anchor_household_designate, actor=branch, member=member)
    assert error.field == "member" and error.code == "conflict"
    assert member.resident.unit.name in str(error.message)
    assert counts == (AnchorHousehold.objects.count(), AuditEvent.objects.count())


def test_giving_a_household_to_two_anchors_is_a_conflict_naming_it(branch, demo):
    household = new_household(branch, demo, "5")
    first, second = AnchorHousehold.objects.filter(is_active=True, building=building(demo, "5")).order_by("id")[:2]
    services.anchor_household_cover(actor=branch, anchor=first, households=[household])
    error = refusal(services.anchor_household_cover, actor=branch, anchor=second, households=[household])
    assert error.field == "looked_after" and error.code == "conflict" and household.unit.name in str(error.message)
    assert list(household.anchor_coverages.filter(ended_on__isnull=True).values_list("anchor", flat=True)) \
        == [first.pk]


# --- anchor households -------------------------------------------------------------------------------------------


def test_designate_with_neighbours_then_uncover_and_end_keeps_the_history(branch, demo):
    h1, h2 = new_household(branch, demo, "7"), new_household(branch, demo, "7")
    member = plain_member(demo, "7")
    anchor = services.anchor_household_designate(actor=branch, member=member, looked_after=[h1, h2],
                                                 since=dt.date(2026, 1, 1))
    assert set(anchor.looked_after) == {h1, h2}
    services.anchor_household_uncover(actor=branch, anchor=anchor, households=[h1], reason="搬走前交接")
    assert list(anchor.looked_after) == [h2]
    ended_row = AnchorCoverage.objects.get(anchor=anchor, household=h1)
    assert ended_row.ended_on == timezone.localdate() and ended_row.ended_by == branch
    assert refusal(services.anchor_household_uncover, actor=branch, anchor=anchor,
                  households=[h1]).field == "households"  # no longer on the list

    services.anchor_household_end(actor=branch, anchor=anchor, reason="年事已高", ended_on=dt.date(2026, 6, 1))
    anchor.refresh_from_db()
    assert not anchor.is_active and anchor.ended_on == dt.date(2026, 6, 1) and anchor.end_reason == "年事已高"
    assert anchor.ended_by == branch
    assert not AnchorCoverage.objects.filter(anchor=anchor, ended_on__isnull=True).exists()
    assert AnchorCoverage.objects.filter(anchor=anchor).count() == 2  # nothing deleted
    event = AuditEvent.objects.get(action="org.anchor_ended", target_id=str(anchor.pk))
    assert event.actor == branch and event.data["released"] == [h2.pk]
    assert refusal(services.anchor_household_end, actor=branch, anchor=anchor, reason="x").field == "anchor"
    # The household can be designated again: a new row, the old one kept.
    again = services.anchor_household_designate(actor=branch, member=member)
    assert again.pk != anchor.pk


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"reason": "  "}, "reason"),
    ({"reason": "x", "ended_on": dt.date(2999, 1, 1)}, "ended_on"),
    ({"reason": "x", "ended_on": dt.date(2000, 1, 1)}, "ended_on"),  # before it started
])
def test_ending_an_anchor_with_bad_input_names_the_field(branch, demo, kwargs, field):
    anchor = anchor_in(demo, "6")
    assert refusal(services.anchor_household_end, actor=branch, anchor=anchor, **kwargs).field == field
    anchor.refresh_from_db()
    assert anchor.is_active and anchor.looked_after.exists()


def test_a_grid_worker_may_not_end_an_anchor(grid1, demo):
    assert refusal(services.anchor_household_end, actor=grid1, anchor=anchor_in(demo, "2"),
                  reason="x").code == "forbidden"
    assert refusal(services.anchor_household_end, actor=grid1, anchor=anchor_in(demo, "7"),
                  reason="x").code == "out_of_scope"


# --- memberships end, and what came from them --------------------------------------------------------------------


def test_ending_a_membership_ends_its_anchor_household_red_steward_place_role_and_group_leadership(branch, demo):
    captain = StewardTeamMember.objects.get(team__compound=demo, team__kind=TeamKind.RED,
                                            user__username="redsteward1")
    membership = PartyMembership.objects.get(resident=captain.resident, is_active=True)
    anchor = (AnchorHousehold.objects.filter(is_active=True, household=captain.resident.household).first()
              or services.anchor_household_designate(actor=branch, member=membership))
    group = PartyOrganisation.objects.get(kind=OrgKind.GROUP, place_id=captain.resident.unit.building_id)
    services.organisation_leadership_set(actor=branch, organisation=group, leader=captain.resident)
    role = RoleAssignment.objects.get(user=captain.user, role=Role.RED_STEWARD, ended_at__isnull=True)

    services.membership_end(actor=branch, membership=membership, reason="组织关系转出", ended_on=dt.date(2026, 10, 1))
    membership.refresh_from_db()
    assert not membership.is_active and membership.ended_on == dt.date(2026, 10, 1)
    assert membership.end_reason == "组织关系转出" and membership.ended_by == branch
    anchor.refresh_from_db()
    captain.refresh_from_db()
    role.refresh_from_db()
    group.refresh_from_db()
    assert not anchor.is_active and not anchor.looked_after.exists()
    assert captain.left_on is not None and role.ended_at is not None
    assert group.leader is None
    event = AuditEvent.objects.get(action="org.membership_ended", target_id=str(membership.pk))
    assert event.actor == branch and event.data["anchors_ended"] == [anchor.pk]
    assert event.data["team_members_removed"] == [captain.pk] and event.data["groups_led"] == [group.pk]
    assert PartyMembership.objects.filter(pk=membership.pk).exists()  # kept
    assert refusal(services.membership_end, actor=branch, membership=membership, reason="x").field == "membership"
    # Registered again later: a new row beside the ended one.
    again = services.membership_register(actor=branch, resident=captain.resident, status="retired")
    assert again.pk != membership.pk


@pytest.mark.parametrize(("kwargs", "field"), [
    ({"reason": ""}, "reason"),
    ({"reason": "x" * 201}, "reason"),
    ({"reason": "x", "ended_on": dt.date(2999, 1, 1)}, "ended_on"),
    ({"reason": "x", "ended_on": dt.date(1900, 1, 1)}, "ended_on"),  # before joining
])
def test_ending_a_membership_with_bad_input_names_the_field_and_writes_nothing(branch, demo, kwargs, field):
    membership = PartyMembership.objects.filter(is_active=True, joined_on__isnull=False).first()
    audits = AuditEvent.objects.count()
    assert refusal(services.membership_end, actor=branch, membership=membership, **kwargs).field == field
    membership.refresh_from_db()
    assert membership.is_active and AuditEvent.objects.count() == audits


# --- organisations -----------------------------------------------------------------------------------------------


def test_naming_a_group_leader_and_a_branch_secretary_is_audited_with_from_and_to(branch, demo):
    group = PartyOrganisation.objects.get(kind=OrgKind.GROUP, place=building(demo, "9"))
    before = group.leader_id
    non_member = (Resident.objects.filter(unit__building=building(demo, "9"), is_current=True)
                  .exclude(party_memberships__is_active=True).first())
    assert refusal(services.organisation_leadership_set, actor=branch, organisation=group,
                  leader=non_member).field == "leader"
    elsewhere = PartyMembership.objects.filter(is_active=True, path__startswith=building(demo, "8").path)[0]
    assert refusal(services.organisation_leadership_set, actor=branch, organisation=group,
                  leader=elsewhere.resident).field == "leader"
    member = PartyMembership.objects.filter(is_active=True, path__startswith=building(demo, "9").path) \
        .exclude(resident_id=before)[0]
    services.organisation_leadership_set(actor=branch, organisation=group, leader=member.resident)
    group.refresh_from_db()
    assert group.leader == member.resident
    event = AuditEvent.objects.get(action="org.leadership_set", target_id=str(group.pk))
    assert event.data == {"field": "leader", "from": before, "to": member.resident_id}

    branch_org = PartyOrganisation.objects.get(kind=OrgKind.BRANCH, place=demo)
    assistant = type(branch).objects.get(username="assistant1")
    assert refusal(services.organisation_leadership_set, actor=branch, organisation=branch_org,
                  leader=member.resident).field == "leader"
    services.organisation_leadership_set(actor=branch, organisation=branch_org, secretary=assistant)
    branch_org.refresh_from_db()
    assert branch_org.secretary == assistant


def test_a_resident_account_cannot_be_a_secretary(branch, demo):
    user = user_create(actor=None, username="org-resident-x", password="x-resident-1")
    user.is_resident = True
    user.save()
    branch_org = PartyOrganisation.objects.get(kind=OrgKind.BRANCH, place=demo)
    assert refusal(services.organisation_leadership_set, actor=branch, organisation=branch_org,
                  secretary=user).field == "secretary"


# --- teams -------------------------------------------------------------------------------------------------------


def test_changing_the_buildings_a_member_covers_moves_their_role(branch, demo, teams):
    user = user_create(actor=branch, username="org-prop-x", password="x-prop-1")
    b1, b2, b3 = building(demo, "1"), building(demo, "2"), building(demo, "3")
    member = services.team_member_add(actor=branch, team=teams[TeamKind.PROPERTY], user=user, buildings=[b1, b2])
    services.team_member_buildings_set(actor=branch, member=member, buildings=[b2, b3])
    open_places = set(RoleAssignment.objects.filter(user=user, ended_at__isnull=True).values_list("place", flat=True))
    assert open_places == {b2.pk, b3.pk}
    assert RoleAssignment.objects.filter(user=user, place=b1, ended_at__isnull=False).exists()  # kept, ended
    event = AuditEvent.objects.get(action="org.team_member_buildings_set", target_id=str(member.pk))
    assert event.data["from"] == sorted([b1.pk, b2.pk]) and event.data["to"] == sorted([b2.pk, b3.pk])
    services.team_member_buildings_set(actor=branch, member=member, buildings=[])  # the whole compound
    assert set(RoleAssignment.objects.filter(user=user, ended_at__isnull=True).values_list("place", flat=True)) \
        == {demo.pk}
    other = building(demo, "1").parent.parent  # the community: not a building of the compound
    assert refusal(services.team_member_buildings_set, actor=branch, member=member,
                  buildings=[other]).field == "buildings"


def test_adding_the_same_person_twice_is_refused_by_the_database_too(branch, demo, teams):
    member = StewardTeamMember.objects.filter(team=teams[TeamKind.PEACEMAKER], left_on__isnull=True,
                                              resident__isnull=False).first()
    with pytest.raises(IntegrityError), transaction.atomic():
        StewardTeamMember.objects.create(team=member.team, resident=member.resident, display_name="x",
                                         joined_on=dt.date(2026, 1, 1), path=member.path)
