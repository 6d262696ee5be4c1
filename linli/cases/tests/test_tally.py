"""The open cases' tally (QueueTally) that staff above a compound read their badges from: kept by the database on
every write, it must give what counting the cases gives — for every queue, every wide role, at any time."""

import datetime as dt
import io

import pytest
from django.core.management import call_command
from django.utils import timezone

from linli.accounts.models import Role, User
from linli.cases import selectors, services
from linli.cases.models import Case, QueueTally, State
from linli.cases.selectors import queues

pytestmark = pytest.mark.django_db


def _fresh(user):
    return User.objects.get(pk=user.pk)  # no cached roles


def _counted(user, now, monkeypatch) -> dict:
    """The badges by counting the cases themselves (what staff within a compound get)."""
    with monkeypatch.context() as m:
        m.setattr(queues, "_tallied", lambda _user: False)
        return selectors.queue_counts(user=_fresh(user), now=now)


def _tally() -> dict[tuple, int]:
    sums: dict[tuple, int] = {}
    for row in QueueTally.objects.all():
        key = (row.area, row.state, row.level, row.assigned_role, row.assigned)
        sums[key] = sums.get(key, 0) + row.n
    return {k: n for k, n in sums.items() if n}


@pytest.fixture
def busy_area(new_case, steward, secretary, community_staff, resident_user, category, unit_of):
    """Cases in most open states and at every level of the demo's street, and one the community staff member
    reported beyond what their role reaches."""
    a = new_case(building=1)  # accepted, the grid worker's
    up = new_case(building=2)
    services.case_transition(actor=up.owner, case=up, action="dispatch")
    services.case_transition(actor=steward, case=up, action="escalate", note="需要社区协调")
    to_street = new_case(building=3)
    services.case_transition(actor=to_street.owner, case=to_street, action="dispatch")
    services.case_transition(actor=steward, case=to_street, action="escalate", note="需要社区协调")
    services.case_transition(actor=secretary, case=to_street, action="escalate", note="需要街道协调")
    postponed = new_case(building=4)
    services.case_transition(actor=postponed.owner, case=postponed, action="dispatch")
    services.case_transition(actor=steward, case=postponed, action="start")
    services.case_transition(actor=steward, case=postponed, action="request_postpone", note="等配件", workdays=3)
    waiting = new_case(building=5)
    services.case_transition(actor=waiting.owner, case=waiting, action="dispatch")
    services.case_transition(actor=steward, case=waiting, action="start")
    services.case_transition(actor=steward, case=waiting, action="ask_reporter", note="请提供照片")
    resolved = new_case(building=1)
    services.case_transition(actor=resolved.owner, case=resolved, action="dispatch")
    services.case_transition(actor=steward, case=resolved, action="start")
    services.case_transition(actor=steward, case=resolved, action="resolve", note="已修好")
    rejected = services.case_create(actor=resident_user(3), category=category("water"), place=unit_of(3),
                                    description="水管漏水")
    services.case_transition(actor=_first_receiver(rejected), case=rejected, action="reject", note="重复")
    reported = services.case_create(actor=resident_user(2), category=category("water"), place=unit_of(2),
                                    description="楼道灯坏了")
    Case.objects.filter(pk=a.pk).update(reporter_user=community_staff)  # theirs, not routed to their role
    return {"accepted": a, "escalated": up, "street": to_street, "postponed": postponed, "waiting": waiting,
            "resolved": resolved, "rejected": rejected, "submitted": reported}


def test_the_badges_of_staff_above_a_compound_are_what_counting_the_cases_gives(
        busy_area, street_officer, secretary, community_staff, monkeypatch):
    now = timezone.now()
    for user in (street_officer, secretary, community_staff):
        assert queues._tallied(_fresh(user)), user
        for when in (now, now + dt.timedelta(days=40)):  # "overdue" depends on the clock, the rest on the cases
            assert selectors.queue_counts(user=_fresh(user), now=when) == _counted(user, when, monkeypatch), user
    officer = selectors.queue_counts(user=_fresh(street_officer), now=now + dt.timedelta(days=40))
    assert officer["escalated"] >= 1 and officer["mine"] >= 1  # the case escalated to the street waits for them
    assert officer["new"] >= 1 and officer["awaiting_feedback"] >= 1 and officer["overdue"] >= 4
    staff = selectors.queue_counts(user=_fresh(community_staff), now=now)
    assert staff["team"] >= 2  # the escalated case, and the one they reported themselves


def test_a_badge_moves_with_the_case_at_once(busy_area, secretary, steward, monkeypatch):
    """The community secretary's "escalated" and "mine" change in the same moment the case does (no refresh)."""
    before = selectors.queue_counts(user=_fresh(secretary))
    case = busy_area["escalated"]
    case.refresh_from_db()
    services.case_transition(actor=secretary, case=case, action="dispatch", role=Role.COMMUNITY_STAFF)
    after = selectors.queue_counts(user=_fresh(secretary))
    assert after["escalated"] == before["escalated"] - 1
    assert after["team"] == before["team"]
    assert after == _counted(secretary, None, monkeypatch)


def test_the_tally_changes_only_when_a_queue_key_does(busy_area, resident_user):
    """A transition adds a row for the key the case leaves and one for the key it enters; a "me too" (or any
    change of another column) adds none; leaving the open states leaves no row behind it."""
    case = busy_area["submitted"]
    rows = QueueTally.objects.count()
    services.case_me_too(actor=resident_user(3), case=case)
    assert QueueTally.objects.count() == rows
    services.case_transition(actor=_first_receiver(case), case=case, action="accept")
    assert QueueTally.objects.count() == rows + 2
    assert list(QueueTally.objects.order_by("-id").values_list("state", "n")[:2]) == [
        (State.ACCEPTED, 1), (State.SUBMITTED, -1)]
    other = services.case_create(actor=resident_user(4), category=case.category, place=case.place,
                                 description="楼道灯又坏了")
    assert QueueTally.objects.count() == rows + 3
    services.case_transition(actor=_first_receiver(other), case=other, action="reject", note="不是本小区的事")
    assert QueueTally.objects.count() == rows + 4  # only the -1 of "submitted": rejected cases are not tallied
    assert QueueTally.objects.order_by("-id").values_list("state", "n").first() == (State.SUBMITTED, -1)


def _first_receiver(case):
    return services._receivers(case)[0]


def test_folding_and_rebuilding_change_nothing_but_the_rows(busy_area, street_officer):
    sums = _tally()
    badges = selectors.queue_counts(user=_fresh(street_officer))
    rows = QueueTally.objects.count()
    assert services.tally_compact() == len(sums) < rows
    assert _tally() == sums and selectors.queue_counts(user=_fresh(street_officer)) == badges
    assert QueueTally.objects.filter(n__lte=0).count() == 0  # one positive row per key
    QueueTally.objects.all().delete()
    assert services.tally_rebuild() == len(sums)
    assert _tally() == sums
    QueueTally.objects.filter(pk=QueueTally.objects.first().pk).update(n=999)  # a tally gone wrong, by hand
    out = io.StringIO()
    call_command("cases_tally_rebuild", stdout=out)
    assert out.getvalue().strip() == f"tally rows: {len(sums)}" and _tally() == sums


def test_a_tally_left_below_zero_by_emptying_the_tables_is_counted_again_after_migrating(busy_area, street_officer):
    """``flush`` empties the tables in no set order; on SQLite, deleting the cases after the tally leaves their −1
    rows. ``flush`` then sends ``post_migrate``, on which Linli counts the tally again if it is below zero."""
    from django.core.management.sql import emit_post_migrate_signal

    sums = _tally()
    badges = selectors.queue_counts(user=_fresh(street_officer))
    assert services.tally_repair() is False  # a sound tally is left alone
    some = Case.objects.filter(state=State.SUBMITTED).first()
    QueueTally.objects.create(area=some.compound.path, state=State.SUBMITTED, level=some.level,
                              assigned_role=some.assigned_role, assigned=False, n=-10_000)
    assert selectors.queue_counts(user=_fresh(street_officer)) != badges
    emit_post_migrate_signal(verbosity=0, interactive=False, db="default")
    assert _tally() == sums and selectors.queue_counts(user=_fresh(street_officer)) == badges


def test_the_sweep_folds_the_tally(busy_area):
    from linli.cases.tasks import cases_sweep

    rows = QueueTally.objects.count()
    cases_sweep()
    assert QueueTally.objects.count() < rows


def test_a_street_officers_badges_are_two_queries_whatever_the_caseload(busy_area, street_officer,
                                                                         django_assert_max_num_queries):
    user = _fresh(street_officer)
    selectors.queue_counts(user=user)  # the roles are read once per request
    with django_assert_max_num_queries(2):  # the tally with the own cases and the overdue, and "all"
        selectors.queue_counts(user=user)


def test_a_wide_queue_page_found_side_by_side_is_the_page_of_the_queue(busy_area, street_officer, secretary,
                                                                       community_staff, monkeypatch):
    """Staff above a compound get a page's rows from their area and their own cases found apart
    (selectors.queue_rows): the same rows in the same order as slicing the queue, on every page, for every queue."""
    later = timezone.now() + dt.timedelta(days=40)
    for user in (street_officer, secretary, community_staff):
        user = _fresh(user)
        for name in selectors.QUEUES:
            whole = [c.pk for c in selectors.case_queue(user=user, queue=name, now=later)]
            for bottom, top in ((0, 3), (2, 5), (0, len(whole) + 1), (max(len(whole) - 2, 0), len(whole))):
                rows = selectors.queue_rows(user=user, queue=name, bottom=bottom, top=top, now=later)
                assert [c.pk for c in rows] == whole[bottom:top], (user, name, bottom, top)
    staff = _fresh(community_staff)
    own = busy_area["accepted"]  # theirs by a column, beyond what their role reaches: found by the second side
    assert own.pk in [c.pk for c in selectors.queue_rows(user=staff, queue="team", bottom=0, top=50)]


def test_pages_side_by_side_hold_for_someone_working_above_and_within_a_compound(busy_area, community_staff, demo,
                                                                                  steward):
    """A community staff member who is also a compound's property steward: their badges are counted from the cases
    (the tally cannot tell a steward's building from the rest), their pages found side by side — the same rows."""
    from linli.accounts.services import role_grant

    role_grant(actor=None, user=community_staff, role=Role.PROPERTY_STEWARD, place=demo)
    user = _fresh(community_staff)
    assert queues._wide(user) and not queues._tallied(user)
    later = timezone.now() + dt.timedelta(days=40)
    for name in selectors.QUEUES:
        whole = [c.pk for c in selectors.case_queue(user=user, queue=name, now=later)]
        for bottom, top in ((0, 3), (1, len(whole) + 1)):
            rows = selectors.queue_rows(user=user, queue=name, bottom=bottom, top=top, now=later)
            assert [c.pk for c in rows] == whole[bottom:top], (name, bottom, top)


def test_the_queue_page_of_a_street_officer_lists_what_the_tab_counts(busy_area, street_officer, client):
    from django.urls import reverse

    from linli.accounts.testing import signed_in

    user = _fresh(street_officer)
    signed_in(client, street_officer)
    page = client.get(reverse("cases:queue_named", args=["team"]), {"lang": "en"})
    assert page.status_code == 200
    listed = {c.pk for c in page.context["page"].object_list}
    expected = [c.pk for c in selectors.case_queue(user=user, queue="team")[:50]]
    assert listed == set(expected) and len(listed) == min(50, selectors.queue_counts(user=user)["team"])
    assert busy_area["street"].number in page.content.decode()


def test_the_api_pages_a_street_officers_cases_as_the_list_orders_them(busy_area, street_officer, client, api_token):
    """The API finds a page of a street officer's cases side by side too: each page holds the list's items in its
    order, for the whole history ("all", newest first) and for a work queue."""
    token = api_token(street_officer)
    user = _fresh(street_officer)
    for queue in ("all", "team"):
        whole = [c.number for c in selectors.case_queue(user=user, queue=queue)]
        assert len(whole) > 7
        for offset in (0, 3, len(whole) - 2):
            got = client.get("/api/v1/cases/", {"queue": queue, "limit": 4, "offset": offset},
                             HTTP_AUTHORIZATION=f"Bearer {token}")
            assert got.status_code == 200
            assert [item["number"] for item in got.json()["items"]] == whole[offset:offset + 4], (queue, offset)
    assert client.get("/api/v1/cases/", {"queue": "nonsense"}, HTTP_AUTHORIZATION=f"Bearer {token}"
                      ).status_code == 404


def test_the_tally_triggers_survive_every_migration():
    """SQLite alters a column by rebuilding the table, which drops its triggers: a later migration that did so
    silently would stop the tally (migration 0013 drops an index by name for this reason)."""
    from django.db import connection

    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT tgname FROM pg_trigger WHERE tgrelid = 'cases_case'::regclass AND NOT tgisinternal")
        else:
            cursor.execute("SELECT name FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'cases_case'")
        names = {row[0] for row in cursor.fetchall()}
    assert {"cases_case_tally_insert", "cases_case_tally_update", "cases_case_tally_delete"} <= names
