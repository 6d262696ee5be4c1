"""Scope (a handler sees only what is routed to their level and place) and bounded queue queries."""

import pytest
from django.http import Http404

from linli.accounts.models import User
from linli.cases import selectors, services
from linli.cases.models import Case, State

pytestmark = pytest.mark.django_db


def _fresh(user):
    return User.objects.get(pk=user.pk)  # no cached roles


def test_grid_workers_see_their_grid_only(new_case, grid1, grid2):
    case = new_case(building=1)
    assert selectors.get_case_for_user(user=_fresh(grid1), pk=case.pk) == case
    with pytest.raises(Http404):
        selectors.get_case_for_user(user=_fresh(grid2), pk=case.pk)


def test_supervisors_see_everything_in_scope(new_case, branch, secretary):
    case = new_case(building=7)
    assert selectors.get_case_for_user(user=branch, pk=case.pk)
    assert selectors.get_case_for_user(user=secretary, pk=case.pk)


def test_a_handler_sees_what_is_routed_to_their_role(new_case, steward, leader):
    water = new_case(code="water", building=1)  # → property steward
    noise = new_case(code="noise", building=1)  # → building 1's group leader
    assert selectors.get_case_for_user(user=_fresh(steward), pk=water.pk)
    with pytest.raises(Http404):
        selectors.get_case_for_user(user=_fresh(steward), pk=noise.pk)
    assert selectors.get_case_for_user(user=_fresh(leader(1)), pk=noise.pk)
    with pytest.raises(Http404):
        selectors.get_case_for_user(user=_fresh(leader(6)), pk=noise.pk)
    noise6 = new_case(code="noise", building=6)
    with pytest.raises(Http404):
        selectors.get_case_for_user(user=_fresh(leader(1)), pk=noise6.pk)


def test_the_community_sees_a_case_once_it_is_escalated_to_it(new_case, steward, community_staff):
    case = new_case(building=1)
    with pytest.raises(Http404):
        selectors.get_case_for_user(user=_fresh(community_staff), pk=case.pk)
    services.case_transition(actor=case.owner, case=case, action="dispatch")
    services.case_transition(actor=steward, case=case, action="escalate", note="需社区协调")
    assert selectors.get_case_for_user(user=_fresh(community_staff), pk=case.pk)
    assert case in selectors.case_queue(user=_fresh(community_staff), queue="escalated")


def test_a_resident_sees_their_own_cases_only(resident_user, new_case, category, unit_of):
    user = resident_user(2)
    mine = services.case_create(actor=user, category=category("water"), place=unit_of(2), description="厨房漏水了")
    other = new_case(building=2)
    assert selectors.get_case_for_user(user=user, pk=mine.pk) == mine
    with pytest.raises(Http404):
        selectors.get_case_for_user(user=user, pk=other.pk)
    assert list(selectors.resident_cases(user=user)) == [mine]


def test_queues(new_case, grid1, steward, branch):
    case = new_case(building=1)
    assert case in selectors.case_queue(user=_fresh(grid1), queue="mine")  # grid1 owns it, not dispatched
    services.case_transition(actor=grid1, case=case, action="dispatch")
    assert case in selectors.case_queue(user=_fresh(steward), queue="mine")
    assert case not in selectors.case_queue(user=_fresh(grid1), queue="mine")
    assert case in selectors.case_queue(user=branch, queue="team")
    with pytest.raises(Http404):
        selectors.case_queue(user=branch, queue="nonsense")


@pytest.mark.parametrize("queue", selectors.QUEUES)
def test_queue_queries_are_bounded(queue, branch, secretary, steward, django_assert_max_num_queries):
    for user in (_fresh(branch), _fresh(secretary), _fresh(steward)):
        with django_assert_max_num_queries(4):
            rows = list(selectors.case_queue(user=user, queue=queue)[:200])
            shown = [(c.category.name, c.place.name, c.assignee, c.owner, c.number) for c in rows]
            assert len(shown) == len(rows)
    assert Case.objects.filter(state=State.CLOSED).count() > 100  # the demo's history is there


def test_timeline_is_two_queries(new_case, django_assert_max_num_queries):
    case = new_case()
    with django_assert_max_num_queries(2):
        events = selectors.case_timeline(case=case)
        for e in events:
            (e.actor, list(e.attachments.all()))
    assert [e.action for e in events] == ["submit", "accept"]
