"""Case pages: residents on a phone (/me/cases/), staff at a desk (/cases/) — within scope, bounded queries, clear
errors for bad input, stale forms refused."""

import datetime as dt
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils.timezone import localtime

from linli.accounts.models import User
from linli.cases.models import Case, Rating, State

pytestmark = pytest.mark.django_db


def _report(client, category, **extra):
    data = {"category": category.pk, "description": "厨房水管漏水，楼下天花板在滴水", "where": "unit", "spot": "",
            "location_note": "", **extra}
    return client.post(reverse("mycases:report"), data)


# --- residents -------------------------------------------------------------------------------------------------------

def test_resident_reports_a_leak_with_a_photo_and_follows_it(client, resident_account, leak_category, jpeg):
    user, resident = resident_account("2")
    client.force_login(user)
    assert client.get(reverse("mycases:report")).status_code == 200
    response = _report(client, leak_category, photos=[jpeg()], anonymous="on")
    case = Case.objects.filter(reporter_user=user).latest("id")
    assert response.status_code == 302 and response["Location"] == reverse("mycases:detail", args=[case.pk])
    assert case.place == resident.unit and case.anonymous and case.attachments.count() == 1
    page = client.get(reverse("mycases:detail", args=[case.pk])).content.decode()
    assert case.number in page and 'data-action="submit"' in page
    assert case.number in client.get(reverse("mycases:list")).content.decode()


@pytest.mark.parametrize("problem", ["seven", "too_big", "not_an_image"])
def test_bad_photos_are_refused_clearly_and_nothing_is_written(client, resident_account, leak_category, jpeg,
                                                               problem):
    user, _resident = resident_account("2")
    client.force_login(user)
    photos = {
        "seven": [jpeg(f"p{i}.jpg") for i in range(7)],
        "too_big": [SimpleUploadedFile("big.jpg", b"\xff\xd8\xff" + b"0" * (6 * 1024 * 1024), "image/jpeg")],
        "not_an_image": [SimpleUploadedFile("notes.jpg", b"just some text, not a photo", "image/jpeg")],
    }[problem]
    before = Case.objects.count()
    response = _report(client, leak_category, photos=photos)
    html = response.content.decode()
    assert response.status_code == 400
    assert 'data-field-error="photos"' in html
    assert Case.objects.count() == before


def test_a_case_needs_a_category_and_a_description(client, resident_account):
    user, _resident = resident_account("2")
    client.force_login(user)
    html = client.post(reverse("mycases:report"), {"where": "unit", "description": ""}).content.decode()
    assert 'data-field-error="category"' in html and 'data-field-error="description"' in html


def test_similar_cases_are_offered_and_me_too_is_counted(client, resident_account, reported_case, leak_category):
    user, resident = resident_account("2")
    other = reported_case("2", place=resident.unit.building)
    client.force_login(user)
    html = client.get(reverse("mycases:similar"), {"category": leak_category.pk, "where": "building"}).content.decode()
    assert other.title in html and reverse("mycases:me_too", args=[other.pk]) in html and "formaction" in html
    assert client.post(reverse("mycases:me_too", args=[other.pk])).status_code == 302
    other.refresh_from_db()
    assert other.me_too_count == 1
    assert other.number in client.get(reverse("mycases:list")).content.decode()
    # Offered again, it says it is counted, with no second "me too"; and their own report is a link to it.
    mine = reported_case("2", place=resident.unit, reporter=resident, reporter_user=user, channel="resident_app")
    html = client.get(reverse("mycases:similar"), {"category": leak_category.pk, "where": "building"}).content.decode()
    assert 'data-testid="joined"' in html and reverse("mycases:me_too", args=[other.pk]) not in html
    assert 'data-testid="yours"' in html and reverse("mycases:detail", args=[mine.pk]) in html
    assert reverse("mycases:me_too", args=[mine.pk]) not in html


def test_a_neighbour_whose_problem_has_gone_withdraws_their_me_too_and_may_say_it_again(
        client, client_for, resident_account, reported_case, leak_category, branch):
    from linli.cases.models import MeToo

    user, resident = resident_account("2")
    other = reported_case("2", place=resident.unit.building)
    client.force_login(user)
    client.post(reverse("mycases:me_too", args=[other.pk]))
    page = client.get(reverse("mycases:detail", args=[other.pk])).content.decode()
    assert 'data-testid="me-too-withdraw"' in page
    response = client.post(reverse("mycases:me_too_withdraw", args=[other.pk]))
    assert response.status_code == 302 and response.url == reverse("mycases:list")
    other.refresh_from_db()
    assert other.me_too_count == 0
    listed = client.get(reverse("mycases:list")).content.decode()
    assert "不再计入您" in listed and reverse("mycases:detail", args=[other.pk]) not in listed  # no longer theirs
    back = client.get(reverse("mycases:detail", args=[other.pk]), follow=True)  # the Back button, an old message
    assert back.redirect_chain[-1][0] == reverse("mycases:list") and "不再列在您的反映里" in back.content.decode()
    # Staff see that it was withdrawn; the row is kept.
    staff_page = client_for(branch).get(reverse("cases:detail", args=[other.pk])).content.decode()
    assert 'data-action="me_too_withdrawn"' in staff_page and "撤回" in staff_page
    assert MeToo.objects.filter(case=other, withdrawn_at__isnull=False).count() == 1
    # Offered again among similar cases, with "me too" again; said again, it counts again on the same row.
    client.force_login(user)
    html = client.get(reverse("mycases:similar"), {"category": leak_category.pk, "where": "building"}).content.decode()
    assert reverse("mycases:me_too", args=[other.pk]) in html
    client.post(reverse("mycases:me_too", args=[other.pk]))
    other.refresh_from_db()
    assert other.me_too_count == 1 and MeToo.objects.filter(case=other).count() == 1


def test_only_a_neighbour_who_joined_may_withdraw_and_only_while_the_case_is_open(client, resident_account,
                                                                                  residents_own_case, branch):
    from linli.cases import services

    reporter, _resident, case = residents_own_case("accept")
    client.force_login(reporter)  # who reported it has nothing to withdraw
    assert 'data-testid="me-too-withdraw"' not in client.get(
        reverse("mycases:detail", args=[case.pk])).content.decode()
    client.post(reverse("mycases:me_too_withdraw", args=[case.pk]))
    case.refresh_from_db()
    assert case.me_too_count == 0
    stranger, _ = resident_account("3")  # a neighbour who never joined it: not theirs at all
    client.force_login(stranger)
    assert client.post(reverse("mycases:me_too_withdraw", args=[case.pk])).status_code == 404
    neighbour, neighbour_resident = resident_account("4")
    services.case_me_too(actor=neighbour, case=case, resident=neighbour_resident)
    for action in ("dispatch", "start", "resolve", "close"):
        case = services.case_transition(actor=branch, case=case, action=action, note="ok")
    client.force_login(neighbour)
    assert 'data-testid="me-too-withdraw"' not in client.get(
        reverse("mycases:detail", args=[case.pk])).content.decode()
    client.post(reverse("mycases:me_too_withdraw", args=[case.pk]))
    case.refresh_from_db()
    assert case.me_too_count == 1  # a closed case keeps its count


def test_resident_rates_not_solved_needs_a_reason_then_reopens(client, residents_own_case):
    user, _resident, case = residents_own_case("accept", "dispatch", "start", "resolve")
    client.force_login(user)
    assert 'data-testid="rate-form"' in client.get(reverse("mycases:detail", args=[case.pk])).content.decode()
    client.post(reverse("mycases:rate", args=[case.pk]), {"rating": Rating.NOT_SATISFIED, "version": case.version})
    case.refresh_from_db()
    assert case.state == State.RESOLVED  # refused: no reason given
    client.post(reverse("mycases:rate", args=[case.pk]),
                {"rating": Rating.NOT_SATISFIED, "comment": "还在漏", "version": case.version})
    case.refresh_from_db()
    assert case.state == State.REOPENED and case.reopen_count == 1


def test_resident_answers_the_handlers_question_and_the_clock_runs_again(client, resident_account, branch, steward,
                                                                         reported_case, jpeg):
    from linli.cases.services import case_transition
    from linli.notify.models import Notification

    user, resident = resident_account("2")
    case = reported_case("2", actor=None, place=resident.unit, reporter=resident, reporter_user=user,
                         channel="resident_app")
    for action in ("accept", "dispatch"):
        case = case_transition(actor=branch, case=case, action=action, note="ok")
    case = case_transition(actor=steward, case=case, action="start")
    case = case_transition(actor=steward, case=case, action="ask_reporter", note="漏水的是冷水管还是暖气管？")
    due_while_waiting = case.resolution_due_at
    client.force_login(user)
    page = client.get(reverse("mycases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="answer-form"' in page
    question = re.search(r'data-testid="question".*?</div></div>', page, re.S).group(0)
    assert "漏水的是冷水管还是暖气管？" in question  # the question stands above the answer box
    assert "办理时限暂停计算" in page  # the next step says the clock waits for them
    # Told as "you", in their own messages and on the badge.
    asked = Notification.objects.get(recipient=user, kind="cases.ask_reporter", title__contains=case.number)
    assert asked.title == f"工单 {case.number}：有问题需要您答复" and "漏水的是冷水管还是暖气管？" in asked.body
    assert re.search(r'data-testid="state"[^>]*>等您答复<', page)
    # An empty answer is refused with a message naming the problem; nothing changes.
    response = client.post(reverse("mycases:answer", args=[case.pk]), {"note": " ", "version": case.version},
                           follow=True)
    assert "请填写您的答复" in response.content.decode()
    case.refresh_from_db()
    assert case.state == State.WAITING_REPORTER
    response = client.post(reverse("mycases:answer", args=[case.pk]),
                           {"note": "是暖气管，阀门在厨房水槽下面", "version": case.version, "photos": [jpeg()]})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS and case.paused_at is None
    assert case.resolution_due_at >= due_while_waiting  # the pause moved the deadline on, never back
    event = case.events.order_by("-id").first()
    assert (event.action, event.actor_id, event.note) == ("answer", user.pk, "是暖气管，阀门在厨房水槽下面")
    assert event.attachments.count() == 1
    assert Notification.objects.filter(recipient=steward, kind="cases.answer").exists()  # the handler is told
    assert not Notification.objects.filter(recipient=user, kind="cases.answer").exists()  # not the one who wrote
    page = client.get(reverse("mycases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="answer-form"' not in page and 'data-action="answer"' in page
    # Answering again (a stale page, a double tap) is refused clearly and changes nothing.
    response = client.post(reverse("mycases:answer", args=[case.pk]), {"note": "再说一遍", "version": case.version - 1},
                           follow=True)
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS and case.events.filter(action="answer").count() == 1
    assert response.status_code == 400 and 'class="alert' in response.content.decode()


def test_the_reporter_is_told_of_each_step_in_messages_that_lead_to_their_own_page(client, resident_account, branch,
                                                                                  steward, reported_case):
    from linli.cases.services import case_transition

    user, resident = resident_account("2")
    case = reported_case("2", actor=None, place=resident.unit, reporter=resident, reporter_user=user,
                         channel="resident_app")
    case = case_transition(actor=branch, case=case, action="accept")
    case = case_transition(actor=branch, case=case, action="dispatch", assignee=steward)
    client.force_login(user)
    home = client.get(reverse("me:home")).content.decode()
    unread = int(re.search(r'data-testid="unread">(\d+)<', home).group(1))
    assert unread >= 2  # accepted, dispatched
    page = client.get(reverse("mymessages:list")).content.decode()
    assert 'class="navbar-nav' not in page  # the resident's layout, not the staff menu
    mine = reverse("mycases:detail", args=[case.pk])
    assert f'href="{mine}"' in page and f'href="{reverse("cases:detail", args=[case.pk])}"' not in page
    assert case.number in page
    assert client.get(mine).status_code == 200  # the link works for them
    client.post(reverse("mymessages:mark_read"), {"all": "1"})
    assert 'data-testid="unread"' not in client.get(reverse("me:home")).content.decode()
    assert client.get(reverse("notify:inbox")).status_code == 404  # the staff inbox is not theirs
    # Staff told of the same step keep their own link.
    client.force_login(steward)
    assert f'href="{reverse("cases:detail", args=[case.pk])}"' in client.get(reverse("notify:inbox")).content.decode()
    assert client.get(reverse("mymessages:list")).status_code == 404  # and the residents' pages are not staff's


def test_only_the_reporter_answers_and_only_while_asked(client, resident_account, branch, steward, reported_case):
    from linli.cases.services import case_transition

    user, resident = resident_account("2")
    neighbour, _other = resident_account("2")
    case = reported_case("2", actor=None, place=resident.unit, reporter=resident, reporter_user=user,
                         channel="resident_app")
    for action in ("accept", "dispatch"):
        case = case_transition(actor=branch, case=case, action=action, note="ok")
    case = case_transition(actor=steward, case=case, action="start")
    client.force_login(user)
    assert 'data-testid="answer-form"' not in client.get(reverse("mycases:detail", args=[case.pk])).content.decode()
    response = client.post(reverse("mycases:answer", args=[case.pk]), {"note": "没人问我", "version": case.version},
                           follow=True)
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS and not case.events.filter(action="answer").exists()
    assert 'class="alert' in response.content.decode()
    case = case_transition(actor=steward, case=case, action="ask_reporter", note="请问几点在家？")
    if neighbour.pk != user.pk:
        client.force_login(neighbour)
        assert client.post(reverse("mycases:answer", args=[case.pk]), {"note": "我来答"}).status_code == 404
    client.force_login(steward)  # staff have no resident pages
    assert client.post(reverse("mycases:answer", args=[case.pk]), {"note": "我来答"}).status_code in (403, 404)
    case.refresh_from_db()
    assert case.state == State.WAITING_REPORTER


def test_the_reporter_sees_what_happens_next(client, resident_account, branch, steward, reported_case):
    from linli.cases.services import case_transition

    user, resident = resident_account("2")
    case = reported_case("2", actor=None, place=resident.unit, reporter=resident, reporter_user=user,
                         channel="resident_app")
    client.force_login(user)

    def next_step():
        page = client.get(reverse("mycases:detail", args=[case.pk])).content.decode()
        return re.search(r'data-testid="next-step"[^>]*>(.*?)</div>', page, re.S).group(1)

    assert "等待受理" in next_step() and localtime(case.response_due_at).strftime("%Y-%m-%d") in next_step()
    case = case_transition(actor=branch, case=case, action="accept")
    case = case_transition(actor=branch, case=case, action="dispatch", assignee=steward)
    text = next_step()
    assert case.get_assigned_role_display() in text and case.get_level_display() in text
    assert localtime(case.resolution_due_at).strftime("%Y-%m-%d") in text
    assert steward.username not in text and str(steward) not in text  # a role, never a member of staff by name
    case = case_transition(actor=steward, case=case, action="start")
    case = case_transition(actor=steward, case=case, action="resolve", note="换了阀门")
    assert "请在下方告诉我们您的问题是否已解决" in next_step()


def test_resident_cannot_open_someone_elses_case_nor_staff_pages(client, resident_account, reported_case):
    user, _resident = resident_account("2")
    case = reported_case("3")
    client.force_login(user)
    assert client.get(reverse("mycases:detail", args=[case.pk])).status_code == 404
    assert client.post(reverse("mycases:rate", args=[case.pk]), {"rating": "satisfied"}).status_code == 404
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code in (403, 404)


def test_staff_have_no_resident_pages(client_for, grid1):
    assert client_for(grid1).get(reverse("mycases:report")).status_code == 403


# --- staff -----------------------------------------------------------------------------------------------------------

def test_queue_lists_cases_in_scope_with_bounded_queries(client_for, grid1, reported_case,
                                                         django_assert_max_num_queries):
    mine = [reported_case("2") for _ in range(3)]
    theirs = reported_case("7")
    client = client_for(grid1)
    # The bar: at most 10 queries (the tab counters are one conditional aggregate).
    with django_assert_max_num_queries(10):
        html = client.get(reverse("cases:queue_named", args=["new"])).content.decode()
    assert all(c.number in html for c in mine)
    assert theirs.number not in html
    for _ in range(10):
        reported_case("2")
    with django_assert_max_num_queries(10):
        client.get(reverse("cases:queue_named", args=["new"]))


def test_the_queue_tabs_speak_the_language_of_each_request(client_for, grid1):
    client = client_for(grid1)
    for query, label, other in (("", "待受理", "To triage"), ("?lang=en", "To triage", "待受理"),
                                ("?lang=zh-hans", "待受理", "To triage")):
        page = client.get(reverse("cases:queue") + query).content.decode()
        tabs = re.search(r'<ul class="nav nav-tabs.*?</ul>', page, re.S).group(0)
        assert label in tabs and other not in tabs, query


def test_out_of_scope_case_answers_404_on_every_staff_view(client_for, grid1, reported_case):
    case = reported_case("6")
    client = client_for(grid1)
    assert client.get(reverse("cases:detail", args=[case.pk])).status_code == 404
    assert client.post(reverse("cases:transition", args=[case.pk, "accept"]),
                       {"version": case.version}).status_code == 404
    assert client.post(reverse("cases:verify", args=[case.pk]), {"version": 1, "passed": "1"}).status_code == 404
    assert client.post(reverse("cases:comment", args=[case.pk]), {"note": "x"}).status_code == 404
    assert client.get(reverse("cases:mediation_start", args=[case.pk])).status_code == 404
    client.post(reverse("cases:bulk"), {"action": "accept", "case": [case.pk]})
    case.refresh_from_db()
    assert case.state == State.SUBMITTED


def test_grid_worker_accepts_and_dispatches_steward_resolves_with_photo(client, grid1, reported_case, jpeg):
    case = reported_case("2")
    client.force_login(grid1)
    detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-action="accept"' in detail and 'data-action="reject"' in detail
    client.post(reverse("cases:transition", args=[case.pk, "accept"]), {"version": case.version})
    case.refresh_from_db()
    assert case.state == State.ACCEPTED and case.owner == grid1
    steward = User.objects.get(username="steward1")
    # The handlers to dispatch to are grouped by role: the steward under the steward's role.
    detail = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    group = re.search(r'<optgroup label="物管家" data-role="property_steward">(.*?)</optgroup>', detail).group(1)
    assert f'<option value="{steward.pk}">' in group and f'<option value="{grid1.pk}">' not in group
    client.post(reverse("cases:transition", args=[case.pk, "dispatch"]),
                {"version": case.version, "level": "compound", "role": "property_steward", "assignee": steward.pk})
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.assignee == steward
    client.force_login(steward)
    client.post(reverse("cases:transition", args=[case.pk, "start"]), {"version": case.version})
    case.refresh_from_db()
    response = client.post(reverse("cases:transition", args=[case.pk, "resolve"]), {"version": case.version})
    assert response.status_code == 400 and 'data-field-error="note"' in response.content.decode()
    client.post(reverse("cases:transition", args=[case.pk, "resolve"]),
                {"version": case.version, "note": "换了阀门", "photos": [jpeg()]})
    case.refresh_from_db()
    assert case.state == State.RESOLVED and case.attachments.count() == 1


def test_a_stale_form_is_refused_with_what_happened(client_for, grid1, reported_case):
    case = reported_case("2")
    client = client_for(grid1)
    client.post(reverse("cases:transition", args=[case.pk, "accept"]), {"version": case.version})
    response = client.post(reverse("cases:transition", args=[case.pk, "reject"]),
                           {"version": case.version, "note": "重复"}, follow=True)
    case.refresh_from_db()
    assert case.state == State.ACCEPTED
    assert str(grid1) in response.content.decode()


def test_staff_enter_a_case_on_behalf_of_a_resident(client_for, grid1, demo, leak_category):
    from linli.places.tests.factories import building, unit_in

    unit = unit_in(demo, "3")
    client = client_for(grid1)
    assert client.get(reverse("cases:new")).status_code == 200
    response = client.post(reverse("cases:new"), {
        "channel": "phone", "category": leak_category.pk, "description": "电话反映：卫生间漏水",
        "building": building(demo, "3").pk, "unit": unit.name, "reporter_name": "李阿姨",
        "reporter_phone": "13800001111"})
    case = Case.objects.filter(place=unit).latest("id")
    assert response.status_code == 302
    assert case.state == State.ACCEPTED and case.reporter_phone_masked and "13800001111" not in str(
        client.get(reverse("cases:detail", args=[case.pk])).content.decode())
    bad = client.post(reverse("cases:new"), {"channel": "phone", "category": leak_category.pk,
                                             "description": "电话反映：漏水", "building": building(demo, "3").pk})
    assert 'data-field-error="reporter_name"' in bad.content.decode()
    # A unit of the area under the wrong building: said so, not "no such unit in your area".
    wrong = client.post(reverse("cases:new"), {
        "channel": "phone", "category": leak_category.pk, "description": "电话反映：卫生间漏水",
        "building": building(demo, "2").pk, "unit": unit.name, "reporter_name": "李阿姨"}).content.decode()
    assert f"房屋 {unit.name} 不在" in wrong and "请核对楼栋或房号" in wrong
    out = client.post(reverse("cases:new"), {"channel": "patrol", "category": leak_category.pk,
                                             "description": "巡查发现漏水", "building": building(demo, "8").pk})
    assert out.status_code == 404


def test_bulk_accept(client_for, branch, reported_case):
    cases = [reported_case("2"), reported_case("8")]
    response = client_for(branch).post(reverse("cases:bulk"), {"action": "accept", "case": [c.pk for c in cases]})
    assert response.status_code == 302
    assert {c.state for c in Case.objects.filter(pk__in=[c.pk for c in cases])} == {State.ACCEPTED}


def test_routing_rules_and_deadlines_are_for_supervisors(client_for, branch, grid1, demo, leak_category):
    from linli.cases.models import DeadlinePolicy, RoutingRule

    assert client_for(grid1).get(reverse("cases:routing")).status_code == 403
    assert client_for(grid1).get(reverse("cases:deadlines")).status_code == 403
    client = client_for(branch)
    assert client.get(reverse("cases:routing")).status_code == 200
    client.post(reverse("cases:routing"), {"category": leak_category.pk, "place": demo.pk, "level": "compound",
                                           "role": "property_steward"})
    assert RoutingRule.objects.filter(category=leak_category, place=demo, is_active=True).exists()
    bad = client.post(reverse("cases:deadlines"), {"place": demo.pk, "category": leak_category.pk,
                                                   "priority": "normal", "response_hours": 0,
                                                   "resolution_workdays": 3})
    assert bad.status_code == 400 and 'data-field-error="response_hours"' in bad.content.decode()
    client.post(reverse("cases:deadlines"), {"place": demo.pk, "category": leak_category.pk, "priority": "normal",
                                             "response_hours": 12, "resolution_workdays": 3})
    assert DeadlinePolicy.objects.get(category=leak_category, priority="normal", place=demo).response_hours == 12


def test_deadlines_page_says_where_each_figure_comes_from_and_keeps_to_the_area(client_for, branch, demo,
                                                                              leak_category):
    from linli.cases.models import DeadlinePolicy
    from linli.places.models import Place, PlaceKind

    client = client_for(branch)
    page = client.get(reverse("cases:deadlines"))
    assert page.status_code == 200
    body = page.content.decode()
    assert "Everywhere (the default)" not in body and "全部地区（默认）" not in body  # not a city administrator
    saved = client.post(reverse("cases:deadlines"), {"place": demo.pk, "category": leak_category.pk,
                                                     "priority": "urgent", "response_hours": 3,
                                                     "resolution_workdays": 1})
    assert saved.status_code == 302
    page = client.get(saved.url).content.decode()
    in_force = page[page.index('data-testid="deadlines-in-force"'):page.index('data-testid="deadlines"')]
    assert f"{demo.name} (" in in_force  # the row of the compound's own figure names the compound
    other = Place.objects.create(kind=PlaceKind.COMPOUND, parent=demo.parent, code="OT", name="别的小区",
                                 path=f"{demo.parent.path}OT/", depth=demo.depth)
    body = {"category": leak_category.pk, "priority": "normal", "response_hours": 5, "resolution_workdays": 2}
    assert client.post(reverse("cases:deadlines"), {**body, "place": other.pk}).status_code == 404
    assert client.post(reverse("cases:deadlines"), {**body, "place": demo.parent.pk}).status_code == 404
    assert client.post(reverse("cases:deadlines"), {**body, "place": ""}).status_code == 403
    assert not DeadlinePolicy.objects.filter(response_hours=5).exists()


def test_mediation_pages(client_for, branch, grid2, reported_case):
    from linli.cases.models import Category

    dispute = Category.objects.filter(is_dispute=True).first() or Category.objects.create(
        code="noise", name_zh="噪音纠纷", name_en="Noise dispute", is_dispute=True)
    case = reported_case("2", category=dispute, description="楼上装修噪音，多次沟通无果")
    peacemaker = User.objects.get(username="peacemaker1")
    client = client_for(branch)
    assert client_for(grid2).get(reverse("cases:mediation_start", args=[case.pk])).status_code == 404
    client = client_for(branch)
    client.post(reverse("cases:mediation_start", args=[case.pk]),
                {"peacemaker": peacemaker.pk, "parties": "张三, 楼上\n李四，楼下"})  # either comma
    mediation = case.__class__.objects.get(pk=case.pk).mediation
    assert mediation.case.state == "dispatched" and mediation.case.assignee == peacemaker  # sent with it
    assert [(p.name, p.side) for p in mediation.parties.order_by("id")] == [("张三", "楼上"), ("李四", "楼下")]
    url = reverse("cases:mediation", args=[mediation.pk])
    assert client_for(grid2).get(url).status_code == 404
    client = client_for(peacemaker)
    client.post(url, {"step": "session", "notes": "双方同意晚八点后停工"})
    client.post(url, {"step": "conclude", "outcome": "agreed", "agreement_text": "晚八点后不施工"})
    mediation.refresh_from_db()
    assert mediation.outcome == "agreed" and mediation.sessions.count() == 1
    timeline = client_for(branch).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "交由调解员开始调解" in timeline and "进行了一次调解会谈" in timeline  # not two bare "mediation" lines
    pdf = client.get(reverse("cases:mediation_agreement", args=[mediation.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] in ("application/pdf", "text/html; charset=utf-8")


def test_holiday_schedule_is_entered_by_the_community_and_moves_deadlines(client_for, secretary, branch, grid1,
                                                                          client):
    import datetime as dt

    from linli.cases.models import WorkdayOverride
    from linli.core.workdays import is_workday

    url = reverse("cases:calendar")
    assert client.get(url).status_code == 302  # anonymous → sign in
    assert client_for(grid1).get(url).status_code == 403
    # A compound's branch secretary reads the schedule but cannot change it for every other compound.
    compound_desk = client_for(branch)
    page = compound_desk.get(url).content.decode()
    assert 'data-testid="workday-read-only"' in page and 'data-testid="workday-form"' not in page
    assert compound_desk.post(url, {"date": "2027-02-08", "is_workday": "0"}).status_code == 403
    assert not WorkdayOverride.objects.filter(date=dt.date(2027, 2, 8)).exists()
    staff = client_for(secretary)
    page = staff.get(url).content.decode()
    assert 'data-testid="workday-form"' in page
    assert "2027" in page  # next year's schedule is not in the package: the page says so
    assert is_workday(dt.date(2027, 2, 8)) is True  # a Monday, by the fallback
    response = staff.post(url, {"date": "2027-02-08", "is_workday": "0", "note": "春节"})
    assert response.status_code == 302
    assert WorkdayOverride.objects.filter(date=dt.date(2027, 2, 8), is_workday=False).exists()
    assert is_workday(dt.date(2027, 2, 8)) is False
    bad = staff.post(url, {"date": "", "is_workday": "0"})
    assert bad.status_code == 400 and 'data-field-error="date"' in bad.content.decode()


def test_a_routing_rule_names_only_a_handler_of_the_supervisors_area(client_for, branch, demo, leak_category,
                                                                      django_user_model):
    from linli.cases.models import RoutingRule

    outsider = django_user_model.objects.create_user(username="outsider", password="x" * 12)
    response = client_for(branch).post(reverse("cases:routing"), {
        "category": leak_category.pk, "place": demo.pk, "level": "compound", "role": "property_steward",
        "handler": outsider.pk})
    assert response.status_code == 400 and 'data-field-error="handler"' in response.content.decode()
    assert not RoutingRule.objects.filter(handler=outsider).exists()
    # The handler is picked by name and role from the people of the area, never typed as an account number; the
    # buildings come in the order people count them.
    page = client_for(branch).get(reverse("cases:routing")).content.decode()
    handlers = re.search(r'<select name="handler".*?</select>', page, re.S).group(0)
    steward = django_user_model.objects.get(username="steward1")
    assert f'value="{steward.pk}"' in handlers and "物管家" in handlers and f'value="{outsider.pk}"' not in handlers
    places = re.search(r'<select name="place".*?</select>', page, re.S).group(0)
    assert places.index(">2号楼<") < places.index(">10号楼<")


def test_deadlines_page_query_count_is_bounded(client_for, secretary, demo, django_assert_max_num_queries):
    from linli.cases.models import Category, DeadlinePolicy, Priority

    client = client_for(secretary)
    client.get(reverse("cases:deadlines"))
    for category in Category.objects.all():  # a figure at the community and at the compound for every category
        for place in (demo.parent, demo):
            DeadlinePolicy.objects.create(category=category, priority=Priority.NORMAL, place=place, path=place.path,
                                          response_hours=8, resolution_workdays=4)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("cases:deadlines"))
    assert response.status_code == 200 and response.content.decode().count('data-testid="source"') >= 3


def test_an_empty_post_is_bad_input_on_every_case_form(client, client_for, resident_account, branch, demo,
                                                       leak_category):
    """A form sent empty (a broken client, a double submit that lost its body) answers 400 with the fields named,
    and writes nothing — the same as any other form with errors."""
    user, _resident = resident_account("2")
    client.force_login(user)
    before = Case.objects.count()
    resident_page = client.post(reverse("mycases:report"), {})
    assert resident_page.status_code == 400 and 'data-field-error="category"' in resident_page.content.decode()
    desk = client_for(branch)
    case = Case.objects.filter(path__startswith=demo.path).first()  # the demo's year of history
    assert case is not None
    for url in [reverse("cases:new"), reverse("cases:routing"), reverse("cases:deadlines")]:
        response = desk.post(url, {})
        assert response.status_code == 400, url
        assert "data-field-error" in response.content.decode(), url
    response = desk.post(reverse("cases:mediation_start", args=[case.pk]), {})
    assert response.status_code == 400 and "data-field-error" in response.content.decode()
    assert Case.objects.count() == before


def test_a_tab_is_searched_by_number_unit_or_words_and_by_state(client_for, grid1, reported_case):
    leak = reported_case("2", description="厨房水管爆裂，水流到楼道")
    other = reported_case("3", description="楼道灯不亮")
    client = client_for(grid1)
    url = reverse("cases:queue_named", args=["all"])

    def numbers(query):
        page = client.get(url, query).content.decode()
        return set(re.findall(r">(LZ-\d{4}-\d{6})<", page))

    assert {leak.number, other.number} <= numbers({})
    assert leak.number in numbers({"q": "水管爆裂"}) and other.number not in numbers({"q": "水管爆裂"})
    assert numbers({"q": leak.number}) == {leak.number}
    assert leak.place.name in leak.title and leak.number in numbers({"q": leak.place.name})
    assert leak.number in numbers({"state": leak.state}) and not numbers({"q": leak.number, "state": "closed"})
    page = client.get(url, {"q": "水管爆裂", "state": "nonsense"}).content.decode()  # an unknown state: ignored
    assert leak.number in page and 'value="水管爆裂"' in page  # the search stays in the box


def test_the_queue_offers_what_each_role_can_do_and_marks_late_responses(client_for, steward, branch, grid1, new_case):
    import datetime as dt

    from django.utils import timezone

    case = new_case()  # accepted by grid1, not dispatched
    Case.objects.filter(pk=case.pk).update(response_due_at=timezone.now() - dt.timedelta(hours=1))
    grid_page = client_for(grid1).get(reverse("cases:queue_named", args=["all"])).content.decode()
    row = re.search(rf"<tr[^>]*>(?:(?!</tr>).)*{case.number}.*?</tr>", grid_page, re.S).group(0)
    assert 'data-testid="response-overdue"' in row
    bulk = re.search(r'data-testid="bulk-bar".*?</select>', grid_page, re.S).group(0)
    assert 'value="accept"' in bulk and 'value="approve_postpone"' not in bulk  # not a supervisor
    assert 'data-testid="settings-routing"' not in grid_page
    steward_page = client_for(steward).get(reverse("cases:queue_named", args=["all"])).content.decode()
    assert 'data-testid="bulk-bar"' not in steward_page and 'name="case"' not in steward_page  # nothing to do in bulk
    branch_page = client_for(branch).get(reverse("cases:queue_named", args=["all"])).content.decode()
    assert 'value="approve_postpone"' in branch_page and reverse("cases:routing") in branch_page
    assert reverse("cases:deadlines") in branch_page and reverse("cases:calendar") in branch_page
    detail = client_for(grid1).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="response-overdue"' in detail


def test_the_case_page_says_when_the_clock_waits_for_the_reporter(client_for, steward, in_progress):
    from linli.cases import services

    case = in_progress()
    services.case_transition(actor=steward, case=case, action="ask_reporter", note="请问几点在家？")
    page = client_for(steward).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="paused"' in page and "暂停计时" in page


def test_a_deadline_or_a_holiday_entered_by_mistake_can_be_taken_back(client_for, secretary, branch, grid1, demo,
                                                                      leak_category):
    import datetime as dt

    from linli.cases.models import DeadlinePolicy, WorkdayOverride
    from linli.core.models import AuditEvent

    mine = DeadlinePolicy.objects.create(category=leak_category, priority="normal", place=demo, path=demo.path,
                                         response_hours=200, resolution_workdays=1)
    above = DeadlinePolicy.objects.create(category=leak_category, priority="normal", place=demo.parent,
                                          path=demo.parent.path, response_hours=8, resolution_workdays=4)
    client = client_for(branch)
    page = client.get(reverse("cases:deadlines")).content.decode()
    assert page.count('data-testid="remove-deadline"') == 1  # their own; the community's is not theirs to remove
    # Nor by a hand-made request: refused, kept.
    client.post(reverse("cases:deadlines"), {"remove": above.pk})
    assert DeadlinePolicy.objects.filter(pk=above.pk).exists()
    response = client.post(reverse("cases:deadlines"), {"remove": mine.pk}, follow=True)
    assert not DeadlinePolicy.objects.filter(pk=mine.pk).exists()
    assert "上级设定的时限重新适用" in response.content.decode()
    assert AuditEvent.objects.filter(action="cases.deadline_removed", data__response_hours=200).exists()
    assert client.post(reverse("cases:deadlines"), {"remove": "999999999"}).status_code == 404
    assert client.post(reverse("cases:deadlines"), {"remove": "x"}).status_code == 404

    WorkdayOverride.objects.create(date=dt.date(2020, 1, 1), is_workday=True, note="录错了")
    calendar = reverse("cases:calendar")
    assert client_for(branch).post(calendar, {"remove": "2020-01-01"}).status_code == 403  # not theirs to edit
    assert 'data-testid="remove-day"' in client_for(secretary).get(calendar).content.decode()
    response = client_for(secretary).post(calendar, {"remove": "2020-01-01"}, follow=True)
    assert not WorkdayOverride.objects.filter(date=dt.date(2020, 1, 1)).exists()
    assert "2020-01-01" in response.content.decode()
    assert client_for(secretary).post(calendar, {"remove": "not a date"}).status_code == 404
    assert client_for(grid1).post(calendar, {"remove": "2020-01-01"}).status_code == 403


def test_me_too_from_the_report_form_keeps_what_was_written(client, resident_account, reported_case, leak_category,
                                                            jpeg):
    user, resident = resident_account("2")
    other = reported_case("2", place=resident.unit.building)
    client.force_login(user)
    response = client.post(reverse("mycases:me_too", args=[other.pk]), {
        "category": leak_category.pk, "description": "晚上十点以后最严重，楼道里都是水", "where": "building",
        "photos": [jpeg()]})
    assert response.status_code == 302
    other.refresh_from_db()
    assert other.me_too_count == 1
    added = other.events.get(action="comment")
    assert added.note == "晚上十点以后最严重，楼道里都是水" and added.public and added.attachments.count() == 1
    listed = client.get(reverse("mycases:list")).content.decode()
    row = re.search(rf"<li[^>]*>(?:(?!</li>).)*{other.number}.*?</li>", listed, re.S).group(0)
    assert 'data-testid="joined"' in row  # in their list, marked as one they joined


def test_a_rating_is_shown_and_a_refused_one_keeps_what_was_chosen(client, client_for, branch, residents_own_case):
    user, _resident, case = residents_own_case("accept", "dispatch", "start", "resolve")
    client.force_login(user)
    refused = client.post(reverse("mycases:rate", args=[case.pk]),
                          {"rating": Rating.NOT_SATISFIED, "comment": " ", "version": case.version})
    html = refused.content.decode()
    assert refused.status_code == 400 and re.search(r'value="not_satisfied"[^>]*checked', html)
    assert "请说明哪里没有解决" in html
    client.post(reverse("mycases:rate", args=[case.pk]),
                {"rating": Rating.BASIC, "comment": "还可以", "version": case.version})
    page = client.get(reverse("mycases:detail", args=[case.pk])).content.decode()
    assert re.search(r'data-testid="rating">基本满意<', page)
    staff_page = client_for(branch).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert re.search(r'data-testid="rating">基本满意<', staff_page)


def test_each_action_says_who_will_read_its_note(client_for, steward, in_progress):
    case = in_progress()
    page = client_for(steward).get(reverse("cases:detail", args=[case.pk])).content.decode()
    resolve = re.search(r'data-action="resolve".*?</details>', page, re.S).group(0)
    postpone = re.search(r'data-action="request_postpone".*?</details>', page, re.S).group(0)
    # A public step's note reaches the reporter unless kept among staff; a step only staff see keeps it there.
    assert 'name="note_internal"' in resolve and "反映人能看到这一步，看不到说明" in resolve
    assert 'name="note_internal"' not in postpone and "这条说明仅工作人员可见。" in postpone


def test_a_title_linli_wrote_reads_in_the_readers_language_and_a_typed_one_as_typed(client_for, branch, demo,
                                                                                     new_case):
    from linli.cases.models import Spot
    from linli.places.tests.factories import building

    case = new_case(place=building(demo, "2"), spot=Spot.STAIRWELL, actor=branch)
    typed = new_case(actor=branch, title="三楼东户门口漏水")
    client = client_for(branch)
    english = client.get(reverse("cases:queue_named", args=["all"]), {"lang": "en"}).content.decode()
    assert f"{case.category.name_en} · {case.place.name} Stairwell / corridor" in english
    assert typed.title == "三楼东户门口漏水" and typed.title in english  # typed by a person: left as it is
    page = client.get(reverse("cases:detail", args=[case.pk]), {"lang": "zh-hans"}).content.decode()
    assert f"<h1 class=\"h4\">{case.title}</h1>" in page  # in Chinese, the stored title itself


def test_similar_cases_with_a_category_that_is_not_a_number_list_all_nearby(client, resident_account, reported_case):
    user, resident = resident_account("2")
    other = reported_case("2", place=resident.unit.building)
    client.force_login(user)
    response = client.get(reverse("mycases:similar"), {"category": "abc", "where": "building"})
    assert response.status_code == 200 and other.title in response.content.decode()


def test_a_refused_me_too_keeps_the_report_form_as_it_was(client, resident_account, reported_case, leak_category):
    user, resident = resident_account("2")
    other = reported_case("2", place=resident.unit.building)
    client.force_login(user)
    not_a_photo = SimpleUploadedFile("notes.txt", b"just words", content_type="image/jpeg")
    response = client.post(reverse("mycases:me_too", args=[other.pk]), {
        "category": leak_category.pk, "description": "晚上十点以后最严重", "where": "building", "location_note": "3楼",
        "photos": [not_a_photo]})
    html = response.content.decode()
    # The form again, with what they typed, what was wrong, the similar cases and a word about the photos.
    assert response.status_code == 400 and "晚上十点以后最严重" in html and 'value="3楼"' in html
    assert 'data-field-error="photos"' in html and "不是 JPEG、PNG 或 WebP 格式的照片" in html
    assert 'data-testid="photos-again"' in html and reverse("mycases:me_too", args=[other.pk]) in html
    assert 'data-field-error="description"' not in html  # the report itself was not sent: nothing else is wrong
    other.refresh_from_db()
    assert other.me_too_count == 0
    # Said without the bad file, it counts and shows the case joined.
    response = client.post(reverse("mycases:me_too", args=[other.pk]), {"description": "晚上十点以后最严重"})
    assert response.status_code == 302 and response.url == reverse("mycases:detail", args=[other.pk])


def test_a_report_sent_again_is_the_same_case(client, resident_account, leak_category):
    user, _resident = resident_account("2")
    client.force_login(user)
    data = {"category": leak_category.pk, "description": "卫生间天花板滴水", "where": "unit"}
    before = Case.objects.filter(reporter_user=user).count()
    first = client.post(reverse("mycases:report"), {**data, "idempotency_key": "k1"})
    # The Back button brings the form again with a new key (the browser kept the words, not the hidden field).
    again = client.post(reverse("mycases:report"), {**data, "idempotency_key": "k2"}, follow=True)
    assert Case.objects.filter(reporter_user=user).count() == before + 1
    assert again.redirect_chain[-1][0] == first.url and "这条反映您已经提交过了" in again.content.decode()
    # Other words are another report.
    client.post(reverse("mycases:report"), {**data, "description": "厨房也在滴水", "idempotency_key": "k3"})
    assert Case.objects.filter(reporter_user=user).count() == before + 2


def test_a_spot_of_the_building_is_kept_and_narrows_the_similar_cases(client, resident_account, reported_case,
                                                                     leak_category):
    from linli.cases.models import Spot

    user, resident = resident_account("2")
    lift = reported_case("2", place=resident.unit.building, spot=Spot.LIFT)
    stairs = reported_case("2", place=resident.unit.building, spot=Spot.STAIRWELL)
    client.force_login(user)
    html = client.get(reverse("mycases:similar"), {"category": leak_category.pk, "where": "building",
                                                   "spot": Spot.LIFT}).content.decode()
    assert lift.title in html and stairs.title not in html
    response = client.post(reverse("mycases:report"), {"category": leak_category.pk, "where": "building",
                                                       "spot": Spot.LIFT, "description": "电梯井里有水"})
    case = Case.objects.get(reporter_user=user, description="电梯井里有水")
    assert response.status_code == 302 and case.spot == Spot.LIFT and case.title.endswith("电梯")
    # A home has no spot: one chosen and then "my home" picked is not kept.
    client.post(reverse("mycases:report"), {"category": leak_category.pk, "where": "unit", "spot": Spot.LIFT,
                                            "description": "家里也有水"})
    assert Case.objects.get(reporter_user=user, description="家里也有水").spot == ""


def test_the_similar_cases_are_looked_up_without_the_words_typed(client, resident_account):
    user, _resident = resident_account("2")
    client.force_login(user)
    form = re.search(r"<form[^>]*report-form[^>]*>", client.get(reverse("mycases:report")).content.decode(), re.S)
    assert 'hx-params="category,where,spot"' in form.group(0)


def test_withdrawing_twice_says_it_is_already_withdrawn(client, resident_account, reported_case):
    user, resident = resident_account("2")
    other = reported_case("2", place=resident.unit.building)
    client.force_login(user)
    client.post(reverse("mycases:me_too", args=[other.pk]))
    client.post(reverse("mycases:me_too_withdraw", args=[other.pk]))
    again = client.post(reverse("mycases:me_too_withdraw", args=[other.pk]), follow=True)  # an old page sent again
    assert again.status_code == 200 and "不再列在您的反映里" in again.content.decode()


def test_the_reporter_is_told_plainly_when_a_deadline_has_passed(client, residents_own_case):
    from django.utils import timezone

    user, _resident, case = residents_own_case()
    client.force_login(user)
    Case.objects.filter(pk=case.pk).update(response_due_at=timezone.now() - dt.timedelta(hours=2))
    page = client.get(reverse("mycases:detail", args=[case.pk])).content.decode()
    assert 'data-testid="late"' in page and "现已超时" in page and "有人会在" not in page


def test_settings_pages_offer_switch_off_and_remove_only_where_the_supervisor_may(client_for, branch, secretary,
                                                                                 demo, leak_category):
    from linli.cases import services

    community = demo.parent
    services.deadline_policy_set(actor=secretary, category=leak_category, priority="normal", response_hours=6,
                                 resolution_workdays=3, place=community)
    services.deadline_policy_set(actor=branch, category=leak_category, priority="urgent", response_hours=2,
                                 resolution_workdays=1, place=demo)
    page = client_for(branch).get(reverse("cases:deadlines")).content.decode()
    table = page[page.index('data-testid="deadlines"'):]
    rows = re.findall(r"<tr>.*?</tr>", table, re.S)
    community_row = next(r for r in rows if f"{community.name} (" in r)
    own_row = next(r for r in rows if f"{demo.name} (" in r)
    assert 'data-testid="remove-deadline"' in own_row and 'data-testid="remove-deadline"' not in community_row


def test_the_deadlines_set_list_priorities_in_their_own_order(client_for, branch, demo, leak_category):
    from linli.cases import services

    for priority in ("emergency", "normal", "urgent"):
        services.deadline_policy_set(actor=branch, category=leak_category, priority=priority, response_hours=2,
                                     resolution_workdays=1, place=demo)
    page = client_for(branch).get(reverse("cases:deadlines"), {"lang": "en"}).content.decode()
    table = page[page.index('data-testid="deadlines"'):]
    assert table.index("Normal") < table.index("Urgent") < table.index("Emergency")
