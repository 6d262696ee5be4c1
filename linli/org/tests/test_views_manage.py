"""The desk's management pages: create an organisation and name its leader, end a membership, designate and end an
anchor household, create a team, change the buildings a member covers. Each: in scope it works (and is audited),
out of scope 404, in scope without a keeper role 403, bad input a 400 page with the error on its field."""

import pytest
from django.conf import settings
from django.urls import reverse

from linli.accounts.models import Role, RoleAssignment, User
from linli.accounts.services import user_create
from linli.core.models import AuditEvent
from linli.org import services
from linli.org.models import (
    AnchorHousehold,
    OrgKind,
    PartyMembership,
    PartyOrganisation,
    StewardTeam,
    StewardTeamMember,
    TeamKind,
)
from linli.org.tests.factories import new_household, plain_member
from linli.places.models import PlaceKind
from linli.places.services import place_create
from linli.places.tests.factories import building

pytestmark = pytest.mark.django_db


def _en(client):
    client.cookies.load({settings.LANGUAGE_COOKIE_NAME: "en"})
    return client


def _field_error(html: str, field: str) -> bool:
    return f'data-field-error="{field}"' in html


def _steward():
    return User.objects.get(username="steward1")  # a property steward at the compound: in scope, keeps nothing


# --- party organisations -----------------------------------------------------------------------------------------


def test_an_empty_post_to_the_new_organisation_form_is_bad_input(client_for, branch, demo):
    before = PartyOrganisation.objects.count()
    response = client_for(branch).post(reverse("org:organisation_new"), {})
    assert response.status_code == 400 and "data-field-error" in response.content.decode()
    assert PartyOrganisation.objects.count() == before


def test_creating_a_group_for_a_new_building(client_for, branch, demo):
    b11 = place_create(actor=branch, parent=demo, kind=PlaceKind.BUILDING, code="11", name="11号楼", floors=6)
    client = client_for(branch)
    html = client.get(reverse("org:tree")).content.decode()
    assert 'data-testid="new-organisation"' in html
    html = client.get(reverse("org:organisation_new")).content.decode()
    assert f'<option value="{b11.pk}">11号楼</option>' in html
    assert f'value="{building(demo, "1").pk}"' not in html  # building 1 has its group
    response = client.post(reverse("org:organisation_new"), {"kind": "group", "place": b11.pk, "name": ""})
    group = PartyOrganisation.objects.get(kind=OrgKind.GROUP, place=b11, is_active=True)
    assert response.status_code == 302 and response["Location"] == reverse("org:organisation", args=[group.pk])
    assert group.parent == PartyOrganisation.objects.get(kind=OrgKind.BRANCH, place=demo)
    assert AuditEvent.objects.filter(action="org.organisation_created", target_id=str(group.pk),
                                     actor=branch).exists()


def test_changing_the_kind_reloads_the_places(client_for, secretary, demo):
    client = client_for(secretary)
    html = client.get(reverse("org:organisation_new"), {"kind": "branch"}, headers={"HX-Request": "true"}) \
        .content.decode()
    assert 'id="organisation-form"' in html and 'data-testid="no-places"' in html  # the compound has its branch
    other = place_create(actor=None, parent=demo.parent, kind=PlaceKind.COMPOUND, code="NEWO", name="新苑")
    html = client.get(reverse("org:organisation_new"), {"kind": "branch"}).content.decode()
    assert f'<option value="{other.pk}">新苑</option>' in html
    response = client.post(reverse("org:organisation_new"), {"kind": "branch", "place": other.pk,
                                                             "secretary_username": "branch"})
    org = PartyOrganisation.objects.get(kind=OrgKind.BRANCH, place=other)
    assert response.status_code == 302 and org.secretary.username == "branch"


@pytest.mark.parametrize(("post", "field", "needle"), [
    ({"kind": "group"}, "place", "This field is required"),
    ({"kind": "committee", "place": "BUILDING1"}, "place", "Select a valid choice"),
    ({"kind": "group", "place": "B11", "secretary_username": "nobody-here"}, "secretary_username", "nobody-here"),
    ({"kind": "group", "place": "B11", "name": "长" * 101}, "name", "at most 100 characters"),
])
def test_bad_input_for_a_new_organisation_names_the_field(client_for, branch, demo, post, field, needle):
    b11 = place_create(actor=branch, parent=demo, kind=PlaceKind.BUILDING, code="11", name="11号楼", floors=6)
    post = {k: {"B11": b11.pk, "BUILDING1": building(demo, "1").pk}.get(v, v) for k, v in post.items()}
    count = PartyOrganisation.objects.count()
    response = _en(client_for(branch)).post(reverse("org:organisation_new"), post)
    html = response.content.decode()
    assert response.status_code == 400 and _field_error(html, field) and needle in html
    assert PartyOrganisation.objects.count() == count


def test_creating_an_organisation_needs_scope_then_a_keeper_role(client_for, grid1, outsider, demo):
    b11 = place_create(actor=None, parent=demo, kind=PlaceKind.BUILDING, code="11", name="11号楼", floors=6)
    assert client_for(grid1).get(reverse("org:organisation_new")).status_code == 403  # keeps nothing
    assert client_for(outsider).post(reverse("org:organisation_new"),
                                     {"kind": "group", "place": b11.pk}).status_code == 404
    assert client_for(_steward()).post(reverse("org:organisation_new"),
                                       {"kind": "group", "place": b11.pk}).status_code == 403
    assert not PartyOrganisation.objects.filter(place=b11).exists()


def test_naming_a_group_leader_with_htmx(client_for, branch, grid1, outsider, demo):
    group = PartyOrganisation.objects.get(kind=OrgKind.GROUP, place=building(demo, "2"))
    member = PartyMembership.objects.filter(is_active=True, path__startswith=building(demo, "2").path) \
        .exclude(resident_id=group.leader_id).order_by("id")[0]
    url = reverse("org:organisation_leadership", args=[group.pk])
    assert client_for(grid1).get(reverse("org:organisation", args=[group.pk])).status_code == 200
    assert 'data-testid="leadership-form"' not in client_for(grid1).get(
        reverse("org:organisation", args=[group.pk])).content.decode()
    assert client_for(grid1).post(url, {"leader": member.resident_id}).status_code == 403
    assert client_for(outsider).post(url, {"leader": member.resident_id}).status_code == 404
    g6 = PartyOrganisation.objects.get(kind=OrgKind.GROUP, place=building(demo, "6"))
    assert client_for(grid1).get(reverse("org:organisation", args=[g6.pk])).status_code == 404

    client = client_for(branch)
    page = client.get(reverse("org:organisation", args=[group.pk])).content.decode()
    assert 'data-testid="leadership-form"' in page and f'value="{member.resident_id}"' in page
    response = client.post(url, {"leader": member.resident_id}, headers={"HX-Request": "true"})
    html = response.content.decode()
    assert response.status_code == 200 and "<html" not in html and 'id="leadership"' in html
    assert member.resident.name in html.split('data-testid="current-leader"')[1].split("</p>")[0]
    group.refresh_from_db()
    assert group.leader_id == member.resident_id
    event = AuditEvent.objects.get(action="org.leadership_set", target_id=str(group.pk))
    assert event.actor == branch and event.data["to"] == member.resident_id


def test_a_leader_who_is_not_a_member_of_the_building_is_refused(client_for, branch, demo):
    group = PartyOrganisation.objects.get(kind=OrgKind.GROUP, place=building(demo, "2"))
    elsewhere = PartyMembership.objects.filter(is_active=True, path__startswith=building(demo, "8").path)[0]
    response = _en(client_for(branch)).post(reverse("org:organisation_leadership", args=[group.pk]),
                                            {"leader": elsewhere.resident_id})
    assert response.status_code == 400 and _field_error(response.content.decode(), "leader")
    group.refresh_from_db()
    assert group.leader_id != elsewhere.resident_id


def test_naming_a_branch_secretary(client_for, branch, demo):
    org = PartyOrganisation.objects.get(kind=OrgKind.BRANCH, place=demo)
    url = reverse("org:organisation_leadership", args=[org.pk])
    client = _en(client_for(branch))
    response = client.post(url, {"secretary_username": "ghost"})
    assert response.status_code == 400 and _field_error(response.content.decode(), "secretary_username")
    assert client.post(url, {"secretary_username": "assistant1"}).status_code == 302
    org.refresh_from_db()
    assert org.secretary.username == "assistant1"


# --- ending a membership -----------------------------------------------------------------------------------------


def test_ending_a_membership_from_the_person_page(client_for, branch, demo, django_assert_max_num_queries):
    captain = StewardTeamMember.objects.get(team__kind=TeamKind.RED, user__username="redsteward1")
    membership = PartyMembership.objects.get(resident=captain.resident, is_active=True)
    client = client_for(branch)
    with django_assert_max_num_queries(24):
        html = client.get(reverse("org:person", args=[captain.resident_id])).content.decode()
    assert 'data-testid="end-membership"' in html
    assert captain.team.name in html.split('data-testid="ends-with"')[1]  # said before the button
    response = client.post(reverse("org:membership_end", args=[membership.pk]),
                           {"reason": "组织关系转出", "ended_on": "2026-10-01"})
    assert response.status_code == 302
    membership.refresh_from_db()
    captain.refresh_from_db()
    assert not membership.is_active and membership.end_reason == "组织关系转出" and membership.ended_by == branch
    assert captain.left_on is not None
    html = client.get(reverse("org:person", args=[captain.resident_id])).content.decode()
    assert 'data-testid="ended"' in html and "2026-10-01" in html and 'data-testid="register-membership"' in html


def test_ending_a_membership_without_a_reason_is_a_translated_field_error(client_for, branch, demo):
    membership = plain_member(demo, "2")
    response = client_for(branch).post(reverse("org:membership_end", args=[membership.pk]), {"reason": ""})
    html = response.content.decode()
    assert response.status_code == 400 and _field_error(html, "reason") and "这个字段是必填项" in html
    response = client_for(branch).post(reverse("org:membership_end", args=[membership.pk]),
                                       {"reason": "x", "ended_on": "2999-01-01"})
    assert response.status_code == 400 and _field_error(response.content.decode(), "ended_on")
    membership.refresh_from_db()
    assert membership.is_active


def test_ending_a_membership_needs_scope_then_a_keeper_role(client_for, grid1, outsider, demo):
    m2, m6 = plain_member(demo, "2"), plain_member(demo, "6")
    assert client_for(grid1).post(reverse("org:membership_end", args=[m2.pk]), {"reason": "x"}).status_code == 403
    assert client_for(grid1).post(reverse("org:membership_end", args=[m6.pk]), {"reason": "x"}).status_code == 404
    assert client_for(outsider).post(reverse("org:membership_end", args=[m2.pk]), {"reason": "x"}).status_code \
        == 404
    assert 'data-testid="end-membership"' not in client_for(grid1).get(
        reverse("org:person", args=[m2.resident_id])).content.decode()
    assert PartyMembership.objects.filter(pk__in=[m2.pk, m6.pk], is_active=True).count() == 2


# --- anchor households -------------------------------------------------------------------------------------------


def test_designating_and_ending_an_anchor_household_on_the_building_page(client_for, branch, demo,
                                                                         django_assert_max_num_queries):
    b4 = building(demo, "4")
    member = plain_member(demo, "4")
    neighbour = new_household(branch, demo, "4")
    client = client_for(branch)
    with django_assert_max_num_queries(24):
        html = client.get(reverse("org:building", args=[b4.pk])).content.decode()
    assert 'data-testid="designate-form"' in html and f'<option value="{member.pk}">' in html
    assert f'name="households" value="{neighbour.pk}"' in html  # the household nobody looks after is offered
    response = client.post(reverse("org:anchor_designate", args=[b4.pk]),
                           {"member": member.pk, "households": [neighbour.pk], "since": "2026-11-01"})
    assert response.status_code == 302
    anchor = AnchorHousehold.objects.get(household=member.resident.household, is_active=True)
    assert list(anchor.looked_after) == [neighbour]
    html = client.get(reverse("org:building", args=[b4.pk])).content.decode()
    assert html.count(f'data-anchor="{anchor.pk}"') == 2 and f'<option value="{member.pk}">' not in html

    response = client.post(reverse("org:anchor_end", args=[anchor.pk]), {"reason": "搬离"})
    assert response.status_code == 302
    anchor.refresh_from_db()
    assert not anchor.is_active and anchor.ended_by == branch
    html = client.get(reverse("org:building", args=[b4.pk])).content.decode()
    assert f'data-unit="{neighbour.unit_id}" data-uncovered="1"' in html
    assert AuditEvent.objects.filter(action="org.anchor_ended", target_id=str(anchor.pk)).exists()


def test_bad_designation_and_ending_input_names_the_field(client_for, branch, demo):
    b4 = building(demo, "4")
    client = _en(client_for(branch))
    response = client.post(reverse("org:anchor_designate", args=[b4.pk]), {"member": ""})
    assert response.status_code == 400 and _field_error(response.content.decode(), "member")
    taken = AnchorHousehold.objects.filter(is_active=True, building=b4)[0].looked_after.first()
    response = client.post(reverse("org:anchor_designate", args=[b4.pk]),
                           {"member": plain_member(demo, "4").pk, "households": [taken.pk]})
    assert response.status_code == 400 and _field_error(response.content.decode(), "households")
    anchor = AnchorHousehold.objects.filter(is_active=True, building=b4)[0]
    response = client.post(reverse("org:anchor_end", args=[anchor.pk]), {"reason": "x", "ended_on": "2000-01-01"})
    html = response.content.decode()
    assert response.status_code == 400 and _field_error(html, "ended_on") and "before the anchor household" in html
    anchor.refresh_from_db()
    assert anchor.is_active


def test_anchor_pages_need_scope_then_a_keeper_role(client_for, grid1, outsider, demo):
    b2, b7 = building(demo, "2"), building(demo, "7")
    m2 = plain_member(demo, "2")
    assert client_for(grid1).post(reverse("org:anchor_designate", args=[b2.pk]), {"member": m2.pk}).status_code \
        == 403
    assert client_for(grid1).post(reverse("org:anchor_designate", args=[b7.pk]), {}).status_code == 404
    assert client_for(outsider).post(reverse("org:anchor_designate", args=[b2.pk]), {}).status_code == 404
    a2 = AnchorHousehold.objects.filter(is_active=True, building=b2)[0]
    a7 = AnchorHousehold.objects.filter(is_active=True, building=b7)[0]
    assert client_for(grid1).post(reverse("org:anchor_end", args=[a2.pk]), {"reason": "x"}).status_code == 403
    assert client_for(grid1).post(reverse("org:anchor_end", args=[a7.pk]), {"reason": "x"}).status_code == 404
    assert client_for(outsider).post(reverse("org:anchor_end", args=[a2.pk]), {"reason": "x"}).status_code == 404
    assert 'data-testid="designate"' not in client_for(grid1).get(
        reverse("org:building", args=[b2.pk])).content.decode()
    assert AnchorHousehold.objects.filter(pk__in=[a2.pk, a7.pk], is_active=True).count() == 2


# --- teams -------------------------------------------------------------------------------------------------------


def test_creating_a_team(client_for, secretary, demo):
    other = place_create(actor=None, parent=demo.parent, kind=PlaceKind.COMPOUND, code="NEWT", name="新苑")
    client = _en(client_for(secretary))
    html = client.get(reverse("org:teams")).content.decode()
    assert 'data-testid="team-form"' in html and f'<option value="{other.pk}">新苑</option>' in html
    response = client.post(reverse("org:team_new"), {"compound": demo.pk, "kind": "red"})
    assert response.status_code == 400 and _field_error(response.content.decode(), "kind")
    response = client.post(reverse("org:team_new"), {"compound": other.pk, "kind": "purple"})
    assert response.status_code == 400 and _field_error(response.content.decode(), "kind")
    response = client.post(reverse("org:team_new"), {"compound": other.pk, "kind": "peacemaker", "name": "新苑和事佬"})
    team = StewardTeam.objects.get(compound=other, kind="peacemaker")
    assert response.status_code == 302 and response["Location"] == reverse("org:team", args=[team.pk])
    assert team.name == "新苑和事佬"
    assert AuditEvent.objects.filter(action="org.team_created", target_id=str(team.pk), actor=secretary).exists()


def test_creating_a_team_needs_scope_then_a_keeper_role(client_for, grid1, outsider, demo):
    # a grid worker's scope touches the compound (they see its teams), but their role does not keep them: 403, as
    # in the API (POST /api/v1/org/teams/)
    assert client_for(grid1).post(reverse("org:team_new"), {"compound": demo.pk, "kind": "red"}).status_code == 403
    assert client_for(outsider).post(reverse("org:team_new"), {"compound": demo.pk, "kind": "red"}).status_code \
        == 404
    assert client_for(_steward()).post(reverse("org:team_new"), {"compound": demo.pk, "kind": "red"}).status_code \
        == 403
    assert 'data-testid="team-form"' not in client_for(grid1).get(reverse("org:teams")).content.decode()


def test_changing_a_members_buildings_with_htmx(client_for, branch, demo, teams, django_assert_max_num_queries):
    user = user_create(actor=branch, username="org-page-steward", password="x-steward-2", display_name="物业 小吴")
    team = teams[TeamKind.PROPERTY]
    b5, b6 = building(demo, "5"), building(demo, "6")
    member = services.team_member_add(actor=branch, team=team, user=user, buildings=[b5])
    client = client_for(branch)
    with django_assert_max_num_queries(16):
        html = client.get(reverse("org:team", args=[team.pk])).content.decode()
    assert 'data-testid="coverage"' in html and html.count("data-building=") == 10
    assert 'data-testid="member-buildings"' in html
    response = client.post(reverse("org:member_buildings", args=[member.pk]), {"buildings": [b6.pk]},
                           headers={"HX-Request": "true"})
    row = response.content.decode()
    assert response.status_code == 200 and "<html" not in row and f'id="member-{member.pk}"' in row
    assert b6.name in row.split('data-testid="covers"')[1].split("<details")[0]
    assert set(RoleAssignment.objects.filter(user=user, ended_at__isnull=True).values_list("place", flat=True)) \
        == {b6.pk}
    assert client.post(reverse("org:member_buildings", args=[member.pk]), {"buildings": []}).status_code == 302
    assert RoleAssignment.objects.get(user=user, ended_at__isnull=True, role=Role.PROPERTY_STEWARD).place == demo


def test_bad_buildings_and_scope_for_a_members_buildings(client_for, branch, grid1, outsider, teams, demo):
    member = StewardTeamMember.objects.filter(team=teams[TeamKind.PROPERTY], left_on__isnull=True).first()
    url = reverse("org:member_buildings", args=[member.pk])
    response = _en(client_for(branch)).post(url, {"buildings": [demo.pk]})
    html = response.content.decode()
    assert response.status_code == 400 and _field_error(html, "buildings") and "valid choice" in html
    assert client_for(grid1).post(url, {"buildings": []}).status_code == 403
    assert client_for(outsider).post(url, {"buildings": []}).status_code == 404
