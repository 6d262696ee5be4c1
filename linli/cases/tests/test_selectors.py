"""Scope (a handler sees only what is routed to their level and place) and bounded queue queries."""

import pytest
from django.db.models import Q
from django.http import Http404

from linli.accounts.models import User
from linli.cases import selectors, services
from linli.cases.models import Case, State
from linli.cases.selectors import queues

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
    # Theirs: what they reported on their phone, and what staff entered for them from a call or a visit.
    resident = services.resident_of(user)
    entered = new_case(building=2, place=resident.unit, reporter=resident, reporter_name="")
    listed = list(selectors.resident_cases(user=user))
    assert mine in listed and entered in listed and other not in listed
    assert set(listed) == set(Case.objects.filter(Q(reporter_user=user) | Q(reporter=resident)))


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
            # What a queue shows (the page and the API): category, place, handler — not the owner or the reporter.
            shown = [(c.category.name, c.place.name, c.assignee, c.number) for c in rows]
            assert len(shown) == len(rows)
    assert Case.objects.filter(state=State.CLOSED).count() > 100  # the demo's history is there


def test_timeline_is_two_queries(new_case, django_assert_max_num_queries):
    case = new_case()
    with django_assert_max_num_queries(2):
        events = selectors.case_timeline(case=case)
        for e in events:
            (e.actor, list(e.attachments.all()))
    assert [e.action for e in events] == ["submit", "accept"]


def test_all_is_counted_up_to_a_cap_and_the_work_queues_exactly(branch, monkeypatch, client):
    """A street's or a city's whole history is not counted on every queue page: "all" stops at the cap ("3+" here;
    the pager's own cap is the next test); the work queues (open cases) are counted exactly, as before."""
    from django.urls import reverse

    from linli.accounts.testing import signed_in

    user = _fresh(branch)
    exact = selectors.queue_counts(user=user)
    assert isinstance(exact["all"], int) and exact["all"] > 3
    monkeypatch.setattr(queues, "ALL_COUNT_CAP", 3)  # where the badges count
    capped = selectors.queue_counts(user=_fresh(branch))
    assert capped["all"] == "3+"
    assert {k: v for k, v in capped.items() if k != "all"} == {k: v for k, v in exact.items() if k != "all"}
    signed_in(client, branch)
    page = client.get(reverse("cases:queue_named", args=["all"]), {"lang": "en"}).content.decode()
    assert ">3+</span>" in page  # the tab's badge


def test_a_capped_pager_counts_no_further_than_its_cap_and_says_there_is_more(branch):
    from linli.core.pagination import CappedPaginator

    everything = selectors.case_list(user=_fresh(branch)).order_by("id")
    total = everything.count()
    assert total > 5
    pager = CappedPaginator(everything, 2, cap=5)
    assert (pager.count, pager.num_pages, pager.capped) == (5, 3, True)
    assert [c.pk for c in pager.page(3)] == [c.pk for c in everything[4:5]]
    whole = CappedPaginator(everything, 2, cap=total)
    assert (whole.count, whole.capped) == (total, False)


def test_counting_part_of_a_queue_first_gives_the_answer_of_counting_it_whole(branch, grid1):
    """The queue pager and the "all" badge count the cases of the user's widest area first, and stop there once
    past the cap (one statement): the answer must be the one counting the whole queue gives, for every cap."""
    from linli.core.pagination import count_up_to

    for user in (_fresh(branch), _fresh(grid1)):
        for name in selectors.QUEUES:
            whole = selectors.case_queue(user=user, queue=name)
            part = selectors.queue_part(user=user, queue=name)
            assert part is not None
            assert set(part.values_list("pk", flat=True)) <= set(whole.values_list("pk", flat=True))
            n = whole.count()
            for cap in sorted({0, 1, max(n - 1, 0), n, n + 5}):
                assert count_up_to(whole, cap, part=part) == count_up_to(whole, cap) == min(n, cap + 1), (name, cap)
