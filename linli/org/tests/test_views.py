"""Organisation pages: within the viewer's scope only, in a bounded number of queries."""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse

from linli.accounts.models import Role, RoleAssignment
from linli.accounts.services import user_create
from linli.org.models import AnchorHousehold, OrgKind, PartyMembership, PartyOrganisation, StewardTeamMember, TeamKind
from linli.places.models import Occupancy, Resident
from linli.places.services import household_move_in
from linli.places.tests.factories import building, resident_in, unit_in

pytestmark = pytest.mark.django_db


# --- the tree ----------------------------------------------------------------------------------------------------


def test_tree_shows_committee_branch_and_groups_with_counts(client_for, branch, demo,
                                                            django_assert_max_num_queries):
    client = client_for(branch)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("org:tree"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('data-testid="org-committee"') == 1
    assert html.count('data-testid="org-branch"') == 1
    assert html.count('data-testid="org-group"') == 10
    members = PartyMembership.objects.filter(is_active=True, organisation__place=demo).count()
    anchors = AnchorHousehold.objects.filter(is_active=True, path__startswith=demo.path).count()
    assert f'data-testid="org-branch" data-members="{members}" data-anchors="{anchors}"' in html
    assert f'data-testid="org-committee" data-members="{members}"' in html
    assert reverse("org:building", args=[building(demo, "6").pk]) in html
    assert "物业项目经理 赵明" in html


def test_grid_worker_sees_the_groups_of_their_grid_only(client_for, grid1, demo):
    html = client_for(grid1).get(reverse("org:tree")).content.decode()
    assert html.count('data-testid="org-group"') == 5
    in_grid = PartyMembership.objects.filter(is_active=True, path__startswith=demo.path).filter(
        path__regex=r"LZSY/[1-5]/").count()
    assert f'data-testid="org-branch" data-members="{in_grid}"' in html  # counted over the grid only
    assert reverse("org:building", args=[building(demo, "2").pk]) in html
    assert reverse("org:building", args=[building(demo, "6").pk]) not in html


def test_outsider_sees_nothing_of_the_compound(client_for, outsider, demo):
    html = client_for(outsider).get(reverse("org:tree")).content.decode()
    assert 'data-testid="org-branch"' not in html and 'data-testid="org-group"' not in html


# --- a building's party group --------------------------------------------------------------------------------------


def test_building_page_draws_each_anchor_and_its_households(client_for, branch, demo, django_assert_max_num_queries):
    b = building(demo, "5")
    client = client_for(branch)
    with django_assert_max_num_queries(18):
        response = client.get(reverse("org:building", args=[b.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    anchors = AnchorHousehold.objects.filter(is_active=True, building=b)
    for anchor in anchors:
        # the anchor's own unit and every household it looks after carry its mark
        assert html.count(f'data-anchor="{anchor.pk}"') == 1 + anchor.looked_after.count()
    assert html.count("is-anchor") == anchors.count() + html.count("swatch is-anchor")
    assert 'data-uncovered="1"' not in html  # the demo covers everybody
    assert html.count('class="floor"') == 14


def test_building_page_marks_households_nobody_looks_after(client_for, branch, demo):
    unit = unit_in(demo, "3", occupancy=Occupancy.VACANT)
    household_move_in(actor=branch, unit=unit, occupancy=Occupancy.RENTED, started_on=dt.date(2026, 10, 1))
    html = client_for(branch).get(reverse("org:building", args=[building(demo, "3").pk])).content.decode()
    assert html.count('data-uncovered="1"') == 1
    assert f'data-unit="{unit.pk}" data-uncovered="1"' in html
    assert 'data-testid="uncovered"' in html and unit.name in html


def test_building_pages_of_another_grid_are_404(client_for, grid1, outsider, demo):
    b6 = building(demo, "6")
    assert client_for(grid1).get(reverse("org:building", args=[b6.pk])).status_code == 404
    assert client_for(grid1).get(reverse("org:building", args=[building(demo, "2").pk])).status_code == 200
    assert client_for(outsider).get(reverse("org:building", args=[b6.pk])).status_code == 404
    assert client_for(grid1).get(reverse("org:building", args=[999999])).status_code == 404


def test_pages_need_a_sign_in(client, demo):
    for url in (reverse("org:tree"), reverse("org:teams"), reverse("org:building", args=[building(demo, "1").pk])):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/" in response["Location"]


# --- teams -------------------------------------------------------------------------------------------------------


def test_team_list_and_roster(client_for, branch, teams, django_assert_max_num_queries):
    client = client_for(branch)
    with django_assert_max_num_queries(10):
        html = client.get(reverse("org:teams")).content.decode()
    for team in teams.values():
        assert reverse("org:team", args=[team.pk]) in html
    red = teams[TeamKind.RED]
    with django_assert_max_num_queries(14):
        roster = client.get(reverse("org:team", args=[red.pk])).content.decode()
    current = StewardTeamMember.objects.filter(team=red, left_on__isnull=True)
    assert roster.count("data-member=") == current.count()
    assert 'data-testid="add-member"' in roster


def test_grid_worker_sees_the_roster_but_cannot_change_it(client_for, grid1, teams):
    team = teams[TeamKind.PROPERTY]
    client = client_for(grid1)
    html = client.get(reverse("org:team", args=[team.pk])).content.decode()
    assert 'data-testid="add-member"' not in html
    member = team.members.filter(left_on__isnull=True).first()
    assert client.post(reverse("org:team_member_remove", args=[member.pk])).status_code == 403
    assert client.post(reverse("org:team_member_add", args=[team.pk]), {"display_name": "x"}).status_code == 403
    member.refresh_from_db()
    assert member.left_on is None


def test_a_steward_sees_the_rosters_but_cannot_change_the_teams(client_for, teams):
    from linli.accounts.models import User

    client = client_for(User.objects.get(username="steward1"))
    red = teams[TeamKind.RED]
    html = client.get(reverse("org:team", args=[red.pk])).content.decode()
    assert 'data-testid="add-member"' not in html and 'data-testid="remove-member"' not in html
    member = red.members.filter(left_on__isnull=True).first()
    assert client.post(reverse("org:team_member_remove", args=[member.pk])).status_code == 403
    assert client.post(reverse("org:team_member_add", args=[red.pk]), {"display_name": "x"}).status_code == 403


def test_outsider_gets_404_for_teams_members_and_people(client_for, outsider, teams, demo):
    client = client_for(outsider)
    team = teams[TeamKind.RED]
    member = team.members.first()
    assert client.get(reverse("org:team", args=[team.pk])).status_code == 404
    assert client.post(reverse("org:team_member_add", args=[team.pk]), {"display_name": "x"}).status_code == 404
    assert client.post(reverse("org:team_member_remove", args=[member.pk])).status_code == 404
    assert client.get(reverse("org:person", args=[member.resident_id])).status_code == 404
    assert "龙泽书苑" not in client.get(reverse("org:teams")).content.decode().split("<main")[1]


def test_adding_a_user_through_the_page_grants_the_role_and_removing_ends_it(client_for, branch, demo, teams):
    user = user_create(actor=branch, username="peace9", password="x-peace-9", display_name="和事佬 老周")
    team = teams[TeamKind.PEACEMAKER]
    client = client_for(branch)
    response = client.post(reverse("org:team_member_add", args=[team.pk]),
                           {"username": "peace9", "duty": "调解员", "buildings": [building(demo, "7").pk]})
    assert response.status_code == 302
    member = StewardTeamMember.objects.get(team=team, user=user)
    assignment = RoleAssignment.objects.get(user=user, role=Role.PEACEMAKER, ended_at__isnull=True)
    assert assignment.place_id == building(demo, "7").pk
    client.post(reverse("org:team_member_remove", args=[member.pk]))
    member.refresh_from_db()
    assignment.refresh_from_db()
    assert member.left_on is not None and assignment.ended_at is not None
    html = client.get(reverse("org:team", args=[team.pk])).content.decode()
    assert 'data-testid="former"' in html and "和事佬 老周" in html.split('data-testid="former"')[1]


@pytest.mark.parametrize(("post", "needle"), [
    ({"username": "nobody-here"}, "nobody-here"),
    ({"joined_on": "not-a-date"}, "Joined"),
    ({}, "Name the new member"),
])
def test_bad_input_on_the_team_page_is_a_message_and_writes_nothing(client_for, branch, teams, post, needle):
    team = teams[TeamKind.PROPERTY]
    before = StewardTeamMember.objects.count()
    client = client_for(branch)
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
    response = client.post(reverse("org:team_member_add", args=[team.pk]), post, follow=True)
    html = response.content.decode()
    assert StewardTeamMember.objects.count() == before
    assert "alert-danger" in html and needle in html


def test_a_residents_account_is_not_a_staff_user_to_add_by_name(client_for, branch, teams, resident_account):
    """As in the API and the organisation forms: a user name names a staff account (one lookup for all three)."""
    account, _resident = resident_account("2")
    before = StewardTeamMember.objects.count()
    client = client_for(branch)
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
    response = client.post(reverse("org:team_member_add", args=[teams[TeamKind.PROPERTY].pk]),
                           {"username": account.username}, follow=True)
    assert "alert-danger" in response.content.decode() and StewardTeamMember.objects.count() == before


# --- a person ----------------------------------------------------------------------------------------------------


def test_person_page_shows_every_role(client_for, branch, demo, django_assert_max_num_queries):
    captain = StewardTeamMember.objects.get(team__kind=TeamKind.RED, user__username="redsteward1")
    client = client_for(branch)
    with django_assert_max_num_queries(20):
        response = client.get(reverse("org:person", args=[captain.resident_id]))
    html = response.content.decode()
    assert response.status_code == 200
    membership = PartyMembership.objects.get(resident=captain.resident, is_active=True)
    assert membership.organisation.name in html
    assert captain.team.name in html
    assert 'data-testid="roles"' in html and "redsteward1" in html
    anchor = AnchorHousehold.objects.filter(is_active=True, member__resident=captain.resident).first() or \
        AnchorHousehold.objects.filter(is_active=True, coverages__household=captain.resident.household_id,
                                       coverages__ended_on__isnull=True).first() or \
        AnchorHousehold.objects.get(is_active=True, household=captain.resident.household_id)
    assert anchor.household.unit.name in html


def test_adding_a_resident_from_their_page(client_for, branch, demo, teams):
    resident = resident_in(demo, "4")
    client = client_for(branch)
    reps = teams[TeamKind.REPRESENTATIVES]
    response = client.post(reverse("org:team_member_add", args=[reps.pk]),
                           {"resident": resident.pk, "buildings": [resident.unit.building_id]})
    assert response.status_code == 302 and response["Location"] == reverse("org:person", args=[resident.pk])
    assert StewardTeamMember.objects.filter(team=reps, resident=resident, left_on__isnull=True).exists()


def test_person_of_another_grid_is_404(client_for, grid1, demo):
    assert client_for(grid1).get(reverse("org:person", args=[resident_in(demo, "6").pk])).status_code == 404
    assert client_for(grid1).get(reverse("org:person", args=[resident_in(demo, "1").pk])).status_code == 200


def test_group_leader_is_a_member_of_the_building(demo):
    for group in PartyOrganisation.objects.filter(kind=OrgKind.GROUP):
        assert group.leader.path.startswith(group.place.path)


# --- writes from the building and the person pages ---------------------------------------------------------------


def test_giving_an_uncovered_household_to_an_anchor(client_for, branch, grid1, demo):
    unit = unit_in(demo, "8", occupancy=Occupancy.VACANT)
    household = household_move_in(actor=branch, unit=unit, occupancy=Occupancy.RENTED,
                                  started_on=dt.date(2026, 10, 1))
    b8 = building(demo, "8")
    anchor = AnchorHousehold.objects.filter(is_active=True, building=b8).order_by("id")[0]
    url = reverse("org:cover", args=[b8.pk])
    assert client_for(grid1).post(url, {"household": household.pk, "anchor": anchor.pk}).status_code == 404
    client = client_for(branch)
    html = client.get(reverse("org:building", args=[b8.pk])).content.decode()
    assert f'name="household" value="{household.pk}"' in html
    response = client.post(url, {"household": household.pk, "anchor": anchor.pk})
    assert response.status_code == 302
    assert anchor.looked_after.filter(pk=household.pk).exists()
    html = client.get(reverse("org:building", args=[b8.pk])).content.decode()
    assert 'data-uncovered="1"' not in html


def test_giving_a_household_of_another_building_is_refused_with_a_message(client_for, branch, demo):
    b8, b9 = building(demo, "8"), building(demo, "9")
    anchor = AnchorHousehold.objects.filter(is_active=True, building=b8).order_by("id")[0]
    elsewhere = AnchorHousehold.objects.filter(is_active=True, building=b9)[0].looked_after.first()
    client = client_for(branch)
    response = client.post(reverse("org:cover", args=[b8.pk]), {"household": elsewhere.pk, "anchor": anchor.pk},
                           follow=True)
    assert "alert-danger" in response.content.decode()
    assert not anchor.looked_after.filter(pk=elsewhere.pk).exists()


def test_registering_a_membership_from_the_person_page(client_for, branch, grid1, demo):
    resident = (Resident.objects.filter(unit__building=building(demo, "2"), is_current=True,
                                        birth_date__lte=dt.date(1980, 1, 1))
                .exclude(party_memberships__is_active=True).order_by("id").first())
    client = client_for(branch)
    html = client.get(reverse("org:person", args=[resident.pk])).content.decode()
    assert 'data-testid="register-membership"' in html
    url = reverse("org:membership_register", args=[resident.pk])
    assert client_for(grid1).post(url, {"status": "retired"}).status_code == 403  # in scope, but not a keeper
    client = client_for(branch)
    response = client.post(url, {"status": "retired", "dual_registration_unit": "某单位"}, follow=True)
    assert "alert-danger" in response.content.decode()
    assert not PartyMembership.objects.filter(resident=resident).exists()
    client.post(url, {"status": "in_service", "joined_on": "2001-07-01", "dual_registration_unit": "崂山区人民医院",
                      "reported_on": "2024-03-01"})
    m = PartyMembership.objects.get(resident=resident, is_active=True)
    assert m.dual_registration_unit == "崂山区人民医院" and m.group.place_id == building(demo, "2").pk
    assert client_for(grid1).post(reverse("org:membership_register", args=[resident_in(demo, "6").pk]),
                                  {"status": "retired"}).status_code == 404
