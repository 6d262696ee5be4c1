"""The demo compound's organisation reproduces the seed report: one branch, a group per building, anchor households
covering every lived-in household, 60+ party members, and people on every team."""

import pytest

from linli.accounts.models import Role, RoleAssignment
from linli.org.models import (
    AnchorCoverage,
    AnchorHousehold,
    OrgKind,
    PartyMembership,
    PartyOrganisation,
    StewardTeamMember,
)
from linli.places.models import Household, PlaceKind, ResidentTag, Tag

pytestmark = pytest.mark.django_db


def test_chain_one_branch_and_a_group_per_building(demo):
    branches = PartyOrganisation.objects.filter(kind=OrgKind.BRANCH, place=demo)
    assert branches.count() == 1
    branch = branches.get()
    assert branch.parent.kind == OrgKind.COMMITTEE and branch.parent.place_id == demo.parent_id
    groups = PartyOrganisation.objects.filter(kind=OrgKind.GROUP, parent=branch)
    assert groups.count() == 10
    assert set(groups.values_list("place__kind", flat=True)) == {PlaceKind.BUILDING}
    assert all(g.leader_id for g in groups)


def test_sixty_plus_members_from_the_party_tags(demo):
    members = PartyMembership.objects.filter(is_active=True, organisation__place=demo)
    tagged = ResidentTag.objects.filter(resident__is_current=True, resident__unit__compound=demo,
                                        tag__in=[Tag.PARTY_IN_SERVICE, Tag.PARTY_RETIRED, Tag.PARTY_STUDENT])
    assert members.count() >= 60
    assert members.count() == tagged.values("resident").distinct().count()
    assert members.exclude(dual_registration_unit="").exists()
    assert not members.exclude(dual_registration_unit="").exclude(status="in_service").exists()


def test_anchor_households_cover_every_lived_in_household(demo):
    current = set(Household.objects.filter(path__startswith=demo.path, is_current=True).values_list("pk", flat=True))
    anchors = AnchorHousehold.objects.filter(is_active=True, path__startswith=demo.path)
    coverage = AnchorCoverage.objects.filter(anchor__in=anchors, ended_on__isnull=True)
    covered = set(anchors.values_list("household_id", flat=True)) | set(coverage.values_list("household_id",
                                                                                             flat=True))
    assert len(current) == 724
    assert covered == current
    assert coverage.count() == coverage.values("household_id").distinct().count()  # one anchor per household
    assert anchors.count() >= 60


def test_every_team_has_members_and_staff_users_hold_their_roles(demo):
    for kind in ("red", "property", "peacemaker", "representatives"):
        assert StewardTeamMember.objects.filter(team__compound=demo, team__kind=kind, left_on__isnull=True).exists()
    for username, role in (("steward1", Role.PROPERTY_STEWARD), ("redsteward1", Role.RED_STEWARD),
                           ("peacemaker1", Role.PEACEMAKER), ("assistant1", Role.BRANCH_ASSISTANT)):
        assert RoleAssignment.objects.filter(user__username=username, role=role, place=demo,
                                             ended_at__isnull=True).exists()


def test_demo_is_idempotent_and_lists_the_new_logins(demo):
    from linli.core.demo import ensure_demo

    counts = (PartyOrganisation.objects.count(), PartyMembership.objects.count(), AnchorHousehold.objects.count(),
              StewardTeamMember.objects.count(), RoleAssignment.objects.count())
    document = ensure_demo()
    assert counts == (PartyOrganisation.objects.count(), PartyMembership.objects.count(),
                      AnchorHousehold.objects.count(), StewardTeamMember.objects.count(),
                      RoleAssignment.objects.count())
    names = {u["username"] for u in document["users"]}
    assert {"steward1", "redsteward1", "peacemaker1", "assistant1"} <= names


def test_demo_staff_who_are_residents_carry_their_names(demo):
    from linli.accounts.models import User
    from linli.org.models import StewardTeamMember

    for username in ("peacemaker1", "redsteward1"):
        user = User.objects.get(username=username)
        member = StewardTeamMember.objects.filter(user=user).select_related("resident").first()
        assert member is not None and user.display_name.endswith(member.resident.name)
