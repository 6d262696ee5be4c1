"""Cases over JSON: list, detail, create with an idempotency key, transitions (a stale version → 409), scope."""

import pytest

from linli.cases.models import Case, State

pytestmark = pytest.mark.django_db

API = "/api/v1/cases/"


def _auth(token):
    return {"HTTP_AUTHORIZATION": f"Bearer {token}"}


def test_create_is_idempotent_and_lands_accepted(client, api_token, grid1, demo, leak_category):
    from linli.places.tests.factories import unit_in

    headers = {**_auth(api_token(grid1)), "HTTP_IDEMPOTENCY_KEY": "call-0001"}
    body = {"category": leak_category.code, "place_id": unit_in(demo, "2").pk, "description": "来电：厨房漏水",
            "reporter_name": "王女士", "reporter_phone": "13700001234"}
    first = client.post(API, body, content_type="application/json", **headers)
    assert first.status_code == 201, first.content
    again = client.post(API, body, content_type="application/json", **headers)
    assert again.status_code == 200 and again.json()["id"] == first.json()["id"]
    data = first.json()
    assert data["state"] == State.ACCEPTED and "13700001234" not in str(data)
    assert Case.objects.filter(idempotency_key="call-0001").count() == 1


def test_bad_input_names_the_field(client, api_token, grid1, demo, leak_category):
    from linli.places.tests.factories import unit_in

    response = client.post(API, {"category": leak_category.code, "place_id": unit_in(demo, "2").pk,
                                 "description": "漏", "reporter_name": "王"}, content_type="application/json",
                           **_auth(api_token(grid1)))
    assert response.status_code == 400 and response.json()["field"] == "description"
    unknown = client.post(API, {"category": "nope", "place_id": unit_in(demo, "2").pk, "description": "漏水漏水漏水"},
                          content_type="application/json", **_auth(api_token(grid1)))
    assert unknown.status_code == 400 and unknown.json()["field"] == "category"


def test_out_of_scope_is_404_everywhere(client, api_token, grid1, demo, reported_case, leak_category):
    from linli.places.tests.factories import unit_in

    case = reported_case("7")
    auth = _auth(api_token(grid1))
    assert client.get(f"{API}{case.pk}/", **auth).status_code == 404
    assert client.post(f"{API}{case.pk}/accept/", {"version": case.version}, content_type="application/json",
                       **auth).status_code == 404
    assert client.post(API, {"category": leak_category.code, "place_id": unit_in(demo, "7").pk,
                             "description": "漏水漏水漏水", "reporter_name": "王"}, content_type="application/json",
                       **auth).status_code == 404
    listed = client.get(API, {"limit": 500}, **auth).json()
    assert case.number not in [c["number"] for c in listed["items"]]


def test_transitions_and_a_stale_version(client, api_token, grid1, reported_case):
    case = reported_case("2")
    auth = _auth(api_token(grid1))
    accepted = client.post(f"{API}{case.pk}/accept/", {"version": case.version}, content_type="application/json",
                           **auth)
    assert accepted.status_code == 200 and accepted.json()["state"] == State.ACCEPTED
    assert "dispatch" in accepted.json()["allowed_actions"]
    stale = client.post(f"{API}{case.pk}/reject/", {"version": case.version, "note": "x"},
                        content_type="application/json", **auth)
    assert stale.status_code == 409 and stale.json()["code"] == "stale"
    detail = client.get(f"{API}{case.pk}/", **auth).json()
    assert [e["action"] for e in detail["timeline"]] == ["submit", "accept"]


def test_list_query_count_is_bounded(client, api_token, branch, reported_case, django_assert_max_num_queries):
    for _ in range(5):
        reported_case("3")
    auth = _auth(api_token(branch))
    with django_assert_max_num_queries(10):
        response = client.get(API, {"queue": "new"}, **auth)
    assert response.status_code == 200 and response.json()["count"] >= 5


def test_a_dispatch_to_someone_without_the_role_names_nobody_and_changes_nothing(client, api_token, grid1,
                                                                                reported_case):
    """Trying account numbers must not tell a dispatcher who exists, or what anyone outside their area is called:
    an unknown account and one without the role get the same refusal, without a name, and the case stays put."""
    from linli.accounts.models import User

    case = reported_case("2", actor=grid1)  # entered by the grid worker: accepted, theirs to dispatch
    auth = _auth(api_token(grid1))
    outsider = User.objects.get(username="grid2")  # a real account, without the steward's role here
    unknown = User.objects.order_by("-pk").first().pk + 1000
    answers = []
    for assignee_id in (outsider.pk, unknown):
        response = client.post(f"{API}{case.pk}/dispatch/", {"version": case.version, "level": "compound",
                               "role": "property_steward", "assignee_id": assignee_id},
                               content_type="application/json", **auth)
        assert response.status_code == 400 and response.json()["field"] == "assignee"
        answers.append(response.json()["detail"])
    assert answers[0] == answers[1]
    assert outsider.username not in answers[0] and str(outsider) not in answers[0]
    case.refresh_from_db()
    assert case.state == State.ACCEPTED and case.assignee_id != outsider.pk


@pytest.mark.parametrize("username", ["branch", "street1"])
def test_a_long_list_is_counted_up_to_the_cap_and_says_so(client, api_token, monkeypatch, reported_case, username):
    """A street's whole history is not counted on every page: past the cap the count is the cap, ``count_exact`` is
    false, and the pages still go on — for a compound's staff and for a street officer (counted through the street's
    own cases first)."""
    from linli.accounts.models import User
    from linli.api import pagination

    cases = [reported_case("3") for _ in range(4)]
    auth = _auth(api_token(User.objects.get(username=username)))
    whole = client.get(API, {"queue": "all", "limit": 500}, **auth).json()
    assert whole["count_exact"] is True and whole["count"] == len(whole["items"]) >= 4
    monkeypatch.setattr(pagination, "COUNT_CAP", 2)
    capped = client.get(API, {"queue": "all", "limit": 2, "offset": 2}, **auth).json()
    assert (capped["count"], capped["count_exact"]) == (2, False)
    assert [c["id"] for c in capped["items"]] == [c["id"] for c in whole["items"][2:4]]  # paging goes past the cap
    exact = client.get(API, {"queue": "all", "q": cases[0].number}, **auth).json()  # a filter narrows it under the cap
    assert (exact["count"], exact["count_exact"], exact["items"][0]["id"]) == (1, True, cases[0].pk)


def test_a_transition_may_keep_its_note_among_staff(client, api_token, grid1, reported_case):
    case = reported_case("2")
    auth = _auth(api_token(grid1))
    accepted = client.post(f"{API}{case.pk}/accept/", {"version": case.version, "note": "多次来电",
                                                       "note_internal": True},
                           content_type="application/json", **auth)
    assert accepted.status_code == 200
    event = case.events.get(action="accept")
    assert event.public and event.note == "多次来电" and event.data["note_internal"] is True
