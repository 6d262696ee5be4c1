"""The organisation over JSON at /api/v1/org/: each endpoint answers in scope (200/201), out of scope 404, to a role
that does not keep the organisation 403, and to bad input 400/422 naming the field; lists in a bounded number of
queries whatever the page size."""

import json

import pytest

from linli.accounts.models import Role, RoleAssignment, User
from linli.accounts.services import user_create
from linli.core.models import AuditEvent
from linli.org.models import (
    AnchorCoverage,
    AnchorHousehold,
    OrgKind,
    PartyMembership,
    PartyOrganisation,
    StewardTeam,
    StewardTeamMember,
    TeamKind,
)
from linli.org.tests.factories import anchor_in, new_household, non_member, plain_member
from linli.places.models import PlaceKind
from linli.places.services import place_create
from linli.places.tests.factories import building

pytestmark = pytest.mark.django_db
API = "/api/v1/org/"


@pytest.fixture
def api(client, api_token):
    """``api(user, "get", "teams/", limit=3)`` or ``api(user, "post", "teams/", {...})``: a bearer-token call."""
    tokens = {}

    def call(user, method, path, body=None, **params):
        if user.pk not in tokens:
            call.token(user)
        headers = {"Authorization": f"Bearer {tokens[user.pk]}", "Accept-Language": "en"}
        if method == "get":
            return client.get(API + path, params, headers=headers)
        return getattr(client, method)(API + path, data=json.dumps(body or {}), content_type="application/json",
                                       headers=headers)

    def token(user):  # issue it before a query count starts
        tokens[user.pk] = api_token(user)

    call.token = token
    return call


def ok(response, status=200) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:600])
    return response.json()


def error(response, status: int, field: str | None = None, code: str | None = None) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:600])
    body = response.json()
    assert {"detail", "code", "field"} <= set(body) and body["detail"]
    if field is not None:
        assert body["field"] == field, body
    if code is not None:
        assert body["code"] == code, body
    return body


def test_every_endpoint_needs_authentication(client, demo):
    for path in ("organisations/", "memberships/", "anchor-households/", "teams/"):
        assert client.get(API + path).status_code == 401
    assert client.post(API + "teams/", data="{}", content_type="application/json").status_code == 401


# --- the tree ----------------------------------------------------------------------------------------------------


def test_the_tree_is_the_callers_part_with_counts(api, branch, grid1, outsider, demo, django_assert_max_num_queries):
    api.token(branch)
    with django_assert_max_num_queries(6):  # token, roles, the chain, two counts — whatever the size
        body = ok(api(branch, "get", "organisations/", limit=500))
    kinds = [o["kind"] for o in body["items"]]
    assert body["count"] == 12 and kinds[:2] == ["committee", "branch"] and kinds.count("group") == 10
    by_id = {o["id"]: o for o in body["items"]}
    branch_row = next(o for o in body["items"] if o["kind"] == "branch")
    assert branch_row["members"] == PartyMembership.objects.filter(is_active=True, organisation__place=demo).count()
    assert branch_row["secretary"]["name"] == str(User.objects.get(username="branch"))
    assert all(by_id[o["parent_id"]]["depth"] == o["depth"] - 1 for o in body["items"] if o["parent_id"])
    group = next(o for o in body["items"] if o["kind"] == "group")
    assert group["leader"]["id"] == PartyOrganisation.objects.get(pk=group["id"]).leader_id

    grid_body = ok(api(grid1, "get", "organisations/", limit=500))
    assert [o["kind"] for o in grid_body["items"]].count("group") == 5
    # Another compound's secretary shares only the community's committee.
    assert [o["kind"] for o in ok(api(outsider, "get", "organisations/"))["items"]] == ["committee"]


def test_one_organisation_in_and_out_of_scope(api, grid1, outsider, demo):
    g2 = PartyOrganisation.objects.get(kind=OrgKind.GROUP, place=building(demo, "2"))
    g6 = PartyOrganisation.objects.get(kind=OrgKind.GROUP, place=building(demo, "6"))
    branch_org = PartyOrganisation.objects.get(kind=OrgKind.BRANCH, place=demo)
    assert ok(api(grid1, "get", f"organisations/{g2.pk}/"))["name"] == g2.name
    assert ok(api(grid1, "get", f"organisations/{branch_org.pk}/"))["kind"] == "branch"  # above their grid
    error(api(grid1, "get", f"organisations/{g6.pk}/"), 404, code="not_found")
    error(api(outsider, "get", f"organisations/{branch_org.pk}/"), 404)
    error(api(grid1, "get", "organisations/999999/"), 404)


def test_creating_a_group_and_naming_its_leader(api, branch, grid1, outsider, demo):
    b11 = place_create(actor=branch, parent=demo, kind=PlaceKind.BUILDING, code="11", name="11号楼", floors=6)
    error(api(grid1, "post", "organisations/", {"kind": "group", "place_id": b11.pk}), 404)  # not in their grid
    error(api(outsider, "post", "organisations/", {"kind": "group", "place_id": b11.pk}), 404)
    error(api(branch, "post", "organisations/", {"kind": "cell", "place_id": b11.pk}), 422, field="payload.kind")
    error(api(branch, "post", "organisations/", {"kind": "branch", "place_id": b11.pk}), 400, field="place")
    error(api(branch, "post", "organisations/", {"kind": "group", "place_id": b11.pk,
                                                 "secretary_username": "nobody-at-all"}), 400,
          field="secretary_username")
    body = ok(api(branch, "post", "organisations/", {"kind": "group", "place_id": b11.pk}), 201)
    assert body["parent_id"] == PartyOrganisation.objects.get(kind=OrgKind.BRANCH, place=demo).pk
    assert body["name"].startswith("11号楼") and body["leader"] is None
    assert AuditEvent.objects.filter(action="org.organisation_created", target_id=str(body["id"]),
                                     actor=branch).exists()
    error(api(branch, "post", "organisations/", {"kind": "group", "place_id": b11.pk}), 400, field="place")

    g2 = PartyOrganisation.objects.get(kind=OrgKind.GROUP, place=building(demo, "2"))
    member = PartyMembership.objects.filter(is_active=True, path__startswith=building(demo, "2").path) \
        .exclude(resident_id=g2.leader_id)[0]
    error(api(grid1, "post", f"organisations/{g2.pk}/leadership/", {"leader_id": member.resident_id}), 403,
          code="forbidden")
    error(api(branch, "post", f"organisations/{g2.pk}/leadership/", {"leader_id": non_member(demo, "2").pk}),
          400, field="leader")
    error(api(branch, "post", f"organisations/{g2.pk}/leadership/", {"leader_id": "x"}), 422, field="payload.leader_id")
    body = ok(api(branch, "post", f"organisations/{g2.pk}/leadership/", {"leader_id": member.resident_id}))
    assert body["leader"] == {"id": member.resident_id, "name": member.resident.name}


# --- memberships -------------------------------------------------------------------------------------------------


def test_membership_list_filters_and_query_count(api, branch, grid1, demo, django_assert_max_num_queries):
    api.token(branch)
    with django_assert_max_num_queries(7):  # token (+ last used), roles, scope places, count, page
        body = ok(api(branch, "get", "memberships/", limit=500))
    assert body["count"] == PartyMembership.objects.filter(is_active=True, path__startswith=demo.path).count()
    b3 = building(demo, "3")
    narrowed = ok(api(branch, "get", "memberships/", building=b3.pk, status="retired", limit=500))
    assert narrowed["count"] == PartyMembership.objects.filter(is_active=True, path__startswith=b3.path,
                                                               status="retired").count()
    assert {m["building_id"] for m in narrowed["items"]} == {b3.pk}
    error(api(branch, "get", "memberships/", status="honorary"), 422, field="status")
    error(api(grid1, "get", "memberships/", building=building(demo, "6").pk), 404)
    grid_body = ok(api(grid1, "get", "memberships/", limit=500))
    assert grid_body["count"] == PartyMembership.objects.filter(is_active=True, path__regex=r"LZSY/[1-5]/").count()


def test_membership_detail_in_and_out_of_scope(api, grid1, demo):
    m2 = PartyMembership.objects.filter(is_active=True, path__startswith=building(demo, "2").path)[0]
    m6 = PartyMembership.objects.filter(is_active=True, path__startswith=building(demo, "6").path)[0]
    body = ok(api(grid1, "get", f"memberships/{m2.pk}/"))
    assert body["resident_name"] == m2.resident.name and body["is_active"] is True
    error(api(grid1, "get", f"memberships/{m6.pk}/"), 404)


def test_registering_and_ending_a_membership(api, branch, grid1, demo):
    resident = non_member(demo, "4")
    error(api(grid1, "post", "memberships/", {"resident_id": resident.pk, "status": "retired"}), 403)
    error(api(grid1, "post", "memberships/", {"resident_id": non_member(demo, "8").pk, "status": "retired"}), 404)
    error(api(branch, "post", "memberships/", {"resident_id": resident.pk, "status": "retired",
                                               "dual_registration_unit": "某单位"}), 400,
          field="dual_registration_unit")
    error(api(branch, "post", "memberships/", {"resident_id": resident.pk, "status": "retired",
                                               "joined_on": "2001-02-30"}), 422, field="payload.joined_on")
    body = ok(api(branch, "post", "memberships/", {
        "resident_id": resident.pk, "status": "in_service", "joined_on": "2001-07-01",
        "dual_registration_unit": "崂山区人民医院", "reported_on": "2024-03-01"}), 201)
    assert body["group_id"] == PartyOrganisation.objects.get(kind=OrgKind.GROUP, place=building(demo, "4")).pk
    error(api(branch, "post", "memberships/", {"resident_id": resident.pk, "status": "retired"}), 400,
          field="resident")

    url = f"memberships/{body['id']}/end/"
    error(api(grid1, "post", url, {"reason": "迁出"}), 403)
    error(api(branch, "post", url, {"reason": " "}), 400, field="reason")
    error(api(branch, "post", url, {"reason": "迁出", "ended_on": "2999-01-01"}), 400, field="ended_on")
    error(api(branch, "post", url, {}), 422, field="payload.reason")
    ended = ok(api(branch, "post", url, {"reason": "组织关系转出", "ended_on": "2026-10-01"}))
    assert ended["is_active"] is False and ended["ended_on"] == "2026-10-01" and ended["ended_by"] == str(branch)
    assert ok(api(branch, "get", "memberships/", active="false"))["count"] >= 1
    error(api(branch, "post", url, {"reason": "again"}), 400, field="membership")


def test_ending_a_membership_out_of_scope_is_404(api, grid1, outsider, demo):
    m6 = PartyMembership.objects.filter(is_active=True, path__startswith=building(demo, "6").path)[0]
    error(api(grid1, "post", f"memberships/{m6.pk}/end/", {"reason": "x"}), 404)
    error(api(outsider, "post", f"memberships/{m6.pk}/end/", {"reason": "x"}), 404)
    m6.refresh_from_db()
    assert m6.is_active


# --- anchor households -------------------------------------------------------------------------------------------


def test_anchor_list_by_building_with_the_households_looked_after(api, branch, grid1, demo,
                                                                   django_assert_max_num_queries):
    b5 = building(demo, "5")
    api.token(branch)
    with django_assert_max_num_queries(8):  # token (+ last used), roles, building, count, page, coverage
        body = ok(api(branch, "get", "anchor-households/", building=b5.pk, limit=500))
    anchors = AnchorHousehold.objects.filter(is_active=True, building=b5)
    assert body["count"] == anchors.count()
    for row in body["items"]:
        expected = set(AnchorCoverage.objects.filter(anchor_id=row["id"], ended_on__isnull=True)
                       .values_list("household_id", flat=True))
        assert {h["id"] for h in row["looked_after"]} == expected and expected
    with django_assert_max_num_queries(8):
        everything = ok(api(branch, "get", "anchor-households/", limit=500))
    assert everything["count"] == AnchorHousehold.objects.filter(is_active=True, path__startswith=demo.path).count()
    error(api(grid1, "get", "anchor-households/", building=building(demo, "6").pk), 404)
    error(api(branch, "get", "anchor-households/", active="maybe"), 422, field="active")
    a6 = anchor_in(demo, "6")
    error(api(grid1, "get", f"anchor-households/{a6.pk}/"), 404)
    assert ok(api(branch, "get", f"anchor-households/{a6.pk}/"))["unit_name"] == a6.household.unit.name


def test_designating_twice_is_a_conflict_not_a_server_error(api, branch, grid1, demo):
    member = plain_member(demo, "4")
    neighbour = new_household(branch, demo, "4")
    error(api(grid1, "post", "anchor-households/", {"member_id": member.pk}), 403)
    error(api(branch, "post", "anchor-households/", {"member_id": member.pk, "looked_after": ["x"]}), 422,
          field="payload.looked_after")
    body = ok(api(branch, "post", "anchor-households/", {"member_id": member.pk, "looked_after": [neighbour.pk],
                                                         "since": "2026-11-01"}), 201)
    assert body["household_id"] == member.resident.household_id
    assert [h["id"] for h in body["looked_after"]] == [neighbour.pk]
    again = error(api(branch, "post", "anchor-households/", {"member_id": member.pk}), 400, field="member",
                  code="conflict")
    assert member.resident.unit.name in again["detail"]
    assert AnchorHousehold.objects.filter(household=member.resident.household, is_active=True).count() == 1


def test_designating_out_of_scope_is_404(api, grid1, branch, outsider, demo):
    member6 = plain_member(demo, "6")
    error(api(grid1, "post", "anchor-households/", {"member_id": member6.pk}), 404)
    error(api(outsider, "post", "anchor-households/", {"member_id": member6.pk}), 404)
    member3 = plain_member(demo, "4")
    far = new_household(branch, demo, "6")
    error(api(grid1, "post", "anchor-households/", {"member_id": member3.pk, "looked_after": [far.pk]}), 404)


def test_cover_uncover_and_end(api, branch, grid1, demo):
    b8 = building(demo, "8")
    first, second = AnchorHousehold.objects.filter(is_active=True, building=b8).order_by("id")[:2]
    household = new_household(branch, demo, "8")
    error(api(grid1, "post", f"anchor-households/{first.pk}/cover/", {"households": [household.pk]}), 404)
    body = ok(api(branch, "post", f"anchor-households/{first.pk}/cover/", {"households": [household.pk]}))
    assert household.pk in {h["id"] for h in body["looked_after"]}
    clash = error(api(branch, "post", f"anchor-households/{second.pk}/cover/", {"households": [household.pk]}),
                  400, field="looked_after", code="conflict")
    assert household.unit.name in clash["detail"]
    elsewhere = anchor_in(demo, "9").looked_after.first()
    error(api(branch, "post", f"anchor-households/{first.pk}/cover/", {"households": [elsewhere.pk]}), 400,
          field="looked_after")
    error(api(branch, "post", f"anchor-households/{first.pk}/cover/", {"households": []}), 400, field="households")

    body = ok(api(branch, "post", f"anchor-households/{first.pk}/uncover/", {"households": [household.pk],
                                                                          "reason": "换人照看"}))
    assert household.pk not in {h["id"] for h in body["looked_after"]}
    assert AnchorCoverage.objects.filter(anchor=first, household=household, ended_on__isnull=False).exists()
    error(api(branch, "post", f"anchor-households/{first.pk}/uncover/", {"households": [household.pk]}), 400,
          field="households")

    error(api(branch, "post", f"anchor-households/{first.pk}/end/", {"reason": ""}), 400, field="reason")
    body = ok(api(branch, "post", f"anchor-households/{first.pk}/end/", {"reason": "搬离本楼"}))
    assert body["is_active"] is False and body["looked_after"] == [] and body["end_reason"] == "搬离本楼"
    error(api(branch, "post", f"anchor-households/{first.pk}/end/", {"reason": "again"}), 400, field="anchor")


def test_a_grid_worker_reads_but_may_not_change_anchors_of_their_grid(api, grid1, demo):
    a2 = anchor_in(demo, "2")
    assert ok(api(grid1, "get", f"anchor-households/{a2.pk}/"))["id"] == a2.pk
    error(api(grid1, "post", f"anchor-households/{a2.pk}/end/", {"reason": "x"}), 403, code="forbidden")
    error(api(grid1, "post", f"anchor-households/{a2.pk}/uncover/",
              {"households": [a2.looked_after.first().pk]}), 403)


def test_a_group_leader_runs_the_anchors_of_their_building_only(api, demo):
    from linli.accounts.services import role_grant

    leader = user_create(actor=None, username="org-api-leader4", password="x-leader-4")
    role_grant(actor=None, user=leader, role=Role.GROUP_LEADER, place=building(demo, "4"))
    a4 = anchor_in(demo, "4")
    first = a4.looked_after.order_by("pk").first()
    assert ok(api(leader, "post", f"anchor-households/{a4.pk}/uncover/", {"households": [first.pk]}))
    error(api(leader, "post", f"anchor-households/{anchor_in(demo, '5').pk}/end/", {"reason": "x"}), 404)


# --- teams -------------------------------------------------------------------------------------------------------


def test_team_list_and_detail(api, branch, grid1, outsider, teams, django_assert_max_num_queries):
    api.token(branch)
    with django_assert_max_num_queries(6):
        body = ok(api(branch, "get", "teams/"))
    assert {t["kind"] for t in body["items"]} == {"red", "property", "peacemaker", "representatives"}
    red = teams[TeamKind.RED]
    row = next(t for t in body["items"] if t["id"] == red.pk)
    assert row["current_members"] == red.members.filter(left_on__isnull=True).count()
    api.token(grid1)
    with django_assert_max_num_queries(10):  # the roster and its buildings in two, whatever its size
        detail = ok(api(grid1, "get", f"teams/{red.pk}/"))
    assert len(detail["current"]) == row["current_members"] and len(detail["buildings"]) == 10
    captain = StewardTeamMember.objects.get(team=red, user__username="redsteward1")
    assert all(captain.pk in b["members"] for b in detail["buildings"])  # the captain covers the whole compound
    assert ok(api(outsider, "get", "teams/"))["count"] == 0
    error(api(outsider, "get", f"teams/{red.pk}/"), 404)


def test_creating_a_team_for_a_new_compound(api, secretary, branch, outsider, demo):
    other = place_create(actor=None, parent=demo.parent, kind=PlaceKind.COMPOUND, code="NEWC", name="新小区")
    error(api(branch, "post", "teams/", {"compound_id": other.pk, "kind": "red"}), 404)  # not their compound
    error(api(branch, "post", "teams/", {"compound_id": demo.pk, "kind": "red"}), 400, field="kind")  # has one
    error(api(secretary, "post", "teams/", {"compound_id": other.pk, "kind": "blue"}), 422, field="payload.kind")
    body = ok(api(secretary, "post", "teams/", {"compound_id": other.pk, "kind": "property",
                                                "name": "新小区物管家"}), 201)
    assert body["name"] == "新小区物管家" and body["current"] == [] and body["buildings"] == []
    assert StewardTeam.objects.filter(compound=other, kind="property").exists()


def test_adding_moving_and_removing_a_member(api, branch, grid1, outsider, demo, teams):
    user = user_create(actor=branch, username="org-api-steward", password="x-steward-1", display_name="物业 小钱")
    team = teams[TeamKind.PROPERTY]
    b1, b2 = building(demo, "1"), building(demo, "2")
    error(api(grid1, "post", f"teams/{team.pk}/members/", {"username": user.username}), 403)
    error(api(outsider, "post", f"teams/{team.pk}/members/", {"username": user.username}), 404)
    error(api(branch, "post", f"teams/{team.pk}/members/", {"username": user.username, "building_ids": [demo.pk]}),
          400, field="building_ids")
    error(api(branch, "post", f"teams/{team.pk}/members/", {}), 400, field="display_name")
    body = ok(api(branch, "post", f"teams/{team.pk}/members/", {"username": user.username, "duty": "维修",
                                                                  "building_ids": [b1.pk]}), 201)
    assert body["display_name"] == "物业 小钱" and [b["id"] for b in body["buildings"]] == [b1.pk]
    assert RoleAssignment.objects.filter(user=user, role=Role.PROPERTY_STEWARD, place=b1, ended_at__isnull=True)

    url = f"team-members/{body['id']}/buildings/"
    error(api(grid1, "put", url, {"building_ids": [b2.pk]}), 403)
    error(api(outsider, "put", url, {"building_ids": [b2.pk]}), 404)
    error(api(branch, "put", url, {}), 422, field="payload.building_ids")
    moved = ok(api(branch, "put", url, {"building_ids": [b2.pk]}))
    assert [b["id"] for b in moved["buildings"]] == [b2.pk]
    assert set(RoleAssignment.objects.filter(user=user, ended_at__isnull=True).values_list("place", flat=True)) \
        == {b2.pk}

    url = f"team-members/{body['id']}/remove/"
    error(api(grid1, "post", url, {}), 403)
    error(api(branch, "post", url, {"left_on": "1999-01-01"}), 400, field="left_on")
    left = ok(api(branch, "post", url, {"reason": "调岗"}))
    assert left["left_on"] and left["removed_by"] == str(branch)
    assert not RoleAssignment.objects.filter(user=user, ended_at__isnull=True).exists()
    error(api(branch, "post", url, {}), 400, field="member")


def test_error_messages_follow_the_language(api, client, api_token, branch, demo):
    member = plain_member(demo, "2")
    url = f"memberships/{member.pk}/end/"
    headers = {"Authorization": f"Bearer {api_token(branch)}"}
    zh = client.post(API + url, data=json.dumps({"reason": ""}), content_type="application/json", headers=headers)
    assert zh.status_code == 400 and zh.json()["field"] == "reason"
    assert "原因" in zh.json()["detail"]
    en = api(branch, "post", url, {"reason": ""}).json()["detail"]
    assert en.startswith("Reason")


def test_the_openapi_document_lists_the_organisations_paths(client, db):
    paths = {p for p in client.get("/api/v1/openapi.json").json()["paths"] if p.startswith(API)}
    assert paths == {API + p for p in (
        "organisations/", "organisations/{org_id}/", "organisations/{org_id}/leadership/",
        "memberships/", "memberships/{membership_id}/", "memberships/{membership_id}/end/",
        "anchor-households/", "anchor-households/{anchor_id}/", "anchor-households/{anchor_id}/end/",
        "anchor-households/{anchor_id}/cover/", "anchor-households/{anchor_id}/uncover/",
        "teams/", "teams/{team_id}/", "teams/{team_id}/members/",
        "team-members/{member_id}/remove/", "team-members/{member_id}/buildings/",
    )}
