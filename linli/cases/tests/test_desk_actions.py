"""The staff desk's action forms as a person uses them: what was typed survives a refusal, errors name their field,
a verification can be recorded, a change that takes the case away lands somewhere useful, and each person hears of
a step in words meant for them."""

import re

import pytest
from django.urls import reverse
from django.utils.timezone import localtime

from linli.cases import services
from linli.cases.models import State
from linli.notify.models import Notification

pytestmark = pytest.mark.django_db


def test_a_refused_action_keeps_what_was_typed_and_names_the_field(client_for, steward, in_progress):
    case = in_progress()
    client = client_for(steward)
    response = client.post(reverse("cases:transition", args=[case.pk, "request_postpone"]),
                           {"version": case.version, "workdays": "9999", "note": "等待电梯厂家配件"})
    html = response.content.decode()
    assert response.status_code == 400
    errors = re.search(r'data-testid="form-errors">(.*?)</div>\s*(?:<h2|<details)', html, re.S).group(1)
    assert "工作日：" in errors  # the field is named, not only "ensure this value…"
    card = re.search(r'<details class="card mb-2" data-action="request_postpone" open>(.*?)</details>', html, re.S)
    assert card, "the refused action's card stays open"
    assert "等待电梯厂家配件</textarea>" in card.group(1) and 'value="9999"' in card.group(1)
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS


def test_more_time_shows_how_much_and_the_approver_starts_from_the_request(client_for, steward, branch, in_progress):
    case = in_progress()
    client_for(steward).post(reverse("cases:transition", args=[case.pk, "request_postpone"]),
                             {"version": case.version, "workdays": "4", "note": "等待电梯厂家配件"})
    case.refresh_from_db()
    page = client_for(branch).get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "4 个工作日" in page  # on the request in the timeline
    approve = re.search(r'data-action="approve_postpone".*?</details>', page, re.S).group(0)
    assert 'name="workdays" id="workdays-approve_postpone" value="4"' in approve
    client_for(branch).post(reverse("cases:transition", args=[case.pk, "approve_postpone"]),
                            {"version": case.version, "workdays": "4"})
    case.refresh_from_db()
    told = Notification.objects.filter(recipient=steward, kind="cases.approve_postpone").get()
    assert "批准延期" in told.title  # not just "in progress", which a refusal would say too
    assert "延长 4 个工作日" in told.body and localtime(case.resolution_due_at).strftime("%Y-%m-%d") in told.body


def test_a_verification_on_the_spot_is_recorded_and_a_refused_one_keeps_the_note(client_for, grid1, steward,
                                                                                 new_case):
    case = new_case(channel="patrol", reporter_name="")  # found on a patrol: staff verify it
    services.case_transition(actor=grid1, case=case, action="dispatch", role="property_steward", assignee=steward)
    case.refresh_from_db()
    services.case_transition(actor=steward, case=case, action="start")
    services.case_transition(actor=steward, case=case, action="resolve", note="已清理")
    case.refresh_from_db()
    client = client_for(grid1)
    page = client.get(reverse("cases:detail", args=[case.pk])).content.decode()
    verify = re.search(r'data-testid="verify">(.*?)</form>', page, re.S).group(1)
    assert verify.count('type="radio" name="passed"') == 2  # a real choice of solved / not solved
    response = client.post(reverse("cases:verify", args=[case.pk]), {"version": case.version, "note": "已复查"})
    html = response.content.decode()
    assert response.status_code == 400 and "请选择是否已解决" in html and "已复查</textarea>" in html
    response = client.post(reverse("cases:verify", args=[case.pk]),
                           {"version": case.version, "passed": "1", "note": "已复查"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.CLOSED


def test_escalating_out_of_ones_sight_lands_on_the_queue_with_a_word(client_for, steward, in_progress):
    case = in_progress()
    response = client_for(steward).post(reverse("cases:transition", args=[case.pk, "escalate"]),
                                        {"version": case.version, "note": "需要社区协调"}, follow=True)
    case.refresh_from_db()
    assert case.state == State.ESCALATED
    assert response.status_code == 200 and response.redirect_chain[-1][0] == reverse("cases:queue")
    assert f"工单 {case.number} 已不在您的处理范围内" in response.content.decode()


def test_staff_hear_the_result_and_only_the_reporter_is_asked_to_rate(client, resident_account, branch, steward,
                                                                      reported_case):
    user, resident = resident_account("2")
    case = reported_case("2", actor=None, place=resident.unit, reporter=resident, reporter_user=user,
                         channel="resident_app")
    for action in ("accept", "dispatch"):
        case = services.case_transition(actor=branch, case=case, action=action, note="ok")
    case = services.case_transition(actor=steward, case=case, action="start")
    services.case_transition(actor=steward, case=case, action="resolve", note="更换了单元门禁读卡器")
    to_reporter = Notification.objects.get(recipient=user, kind="cases.resolve", title__contains=case.number)
    # every message names the case in words, then what was done; the reporter alone is asked to rate it
    assert to_reporter.body.splitlines() == [case.title, "更换了单元门禁读卡器", "您满意吗？请评价处置结果。"]
    to_staff = Notification.objects.filter(kind="cases.resolve", title__contains=case.number).exclude(recipient=user)
    assert to_staff.exists() and all(n.body == f"{case.title}\n更换了单元门禁读卡器" for n in to_staff)


def test_asking_the_reporter_without_a_question_asks_for_the_question(client_for, steward, in_progress):
    case = in_progress()
    response = client_for(steward).post(reverse("cases:transition", args=[case.pk, "ask_reporter"]),
                                        {"version": case.version, "note": " "})
    assert response.status_code == 400 and "请写下要问反映人的问题" in response.content.decode()


def test_a_note_for_staff_only_is_kept_from_the_reporter_but_not_the_step(client, client_for, residents_own_case,
                                                                          branch, steward):
    user, _resident, case = residents_own_case("accept")
    desk = client_for(branch)
    page = desk.get(reverse("cases:detail", args=[case.pk])).content.decode()
    card = re.search(r'data-action="dispatch".*?</details>', page, re.S).group(0)
    assert 'name="note_internal"' in card and "仅工作人员可见" in card  # the dispatcher may keep the note among staff
    response = desk.post(reverse("cases:transition", args=[case.pk, "dispatch"]),
                         {"version": case.version, "level": "compound", "role": "property_steward",
                          "assignee": steward.pk, "note": "该户多次投诉，注意沟通方式", "note_internal": "1"})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.DISPATCHED
    # Staff read the note, marked as theirs alone; the handler is told it.
    staff_page = desk.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert "该户多次投诉" in staff_page and 'data-testid="staff-only"' in staff_page
    assert Notification.objects.get(recipient=steward, kind="cases.dispatch",
                                    title__contains=case.number).body == f"{case.title}\n该户多次投诉，注意沟通方式"
    # The reporter sees the step and hears of it — without the note.
    told = Notification.objects.get(recipient=user, kind="cases.dispatch", title__contains=case.number)
    assert case.number in told.title and told.body == case.title
    client.force_login(user)
    mine = client.get(reverse("mycases:detail", args=[case.pk])).content.decode()
    assert 'data-action="dispatch"' in mine and "该户多次投诉" not in mine
    assert "该户多次投诉" not in client.get(reverse("mymessages:list")).content.decode()


def test_a_note_the_reporter_may_read_still_reaches_them(client, residents_own_case, branch, steward):
    user, _resident, case = residents_own_case("accept")
    services.case_transition(actor=branch, case=case, action="dispatch", assignee=steward, role="property_steward",
                             note="物业今天下午上门")
    told = Notification.objects.get(recipient=user, kind="cases.dispatch", title__contains=case.number)
    assert told.body == f"{case.title}\n物业今天下午上门"
    client.force_login(user)
    assert "物业今天下午上门" in client.get(reverse("mycases:detail", args=[case.pk])).content.decode()


def test_neighbours_who_said_me_too_hear_of_each_step_but_not_staff_notes_nor_the_rating_request(
        client, residents_own_case, resident_account, branch, steward):
    _user, _resident, case = residents_own_case("accept")
    neighbour, neighbour_resident = resident_account("4")
    gone, gone_resident = resident_account("3")
    services.case_me_too(actor=neighbour, case=case, resident=neighbour_resident)
    services.case_me_too(actor=gone, case=case, resident=gone_resident)
    case.refresh_from_db()
    services.case_me_too_withdraw(actor=gone, case=case, resident=gone_resident)
    case.refresh_from_db()
    case = services.case_transition(actor=branch, case=case, action="dispatch", assignee=steward,
                                    role="property_steward", note="该户多次投诉", note_internal=True)
    case = services.case_transition(actor=steward, case=case, action="start", note="明天上午上门")
    services.case_transition(actor=steward, case=case, action="resolve", note="已更换水管")
    told = {n.kind: n for n in Notification.objects.filter(recipient=neighbour, title__contains=case.number)}
    assert set(told) == {"cases.dispatch", "cases.start", "cases.resolve"}
    assert told["cases.dispatch"].body == case.title and told["cases.start"].body == f"{case.title}\n明天上午上门"
    assert told["cases.resolve"].body == f"{case.title}\n已更换水管"  # the result, not "please rate it": only the
    # reporter rates
    assert told["cases.start"].url == reverse("mycases:detail", args=[case.pk])
    assert not Notification.objects.filter(recipient=gone, title__contains=case.number).exists()
    client.force_login(neighbour)
    assert client.get(told["cases.start"].url).status_code == 200  # the link opens their page of the case


def test_a_note_added_to_a_case_reaches_the_reporter_unless_kept_among_staff(client, client_for, residents_own_case,
                                                                             branch):
    user, _resident, case = residents_own_case("accept")
    desk = client_for(branch)
    page = desk.get(reverse("cases:detail", args=[case.pk])).content.decode()
    assert 'name="note_internal" value="1" id="comment-internal">' in page  # unticked: shown, as on every step
    desk.post(reverse("cases:comment", args=[case.pk]), {"note": "已联系物业，周三上门"})
    desk.post(reverse("cases:comment", args=[case.pk]), {"note": "物业经理电话未接", "note_internal": "1"})
    client.force_login(user)
    mine = client.get(reverse("mycases:detail", args=[case.pk])).content.decode()
    assert "已联系物业，周三上门" in mine and "物业经理电话未接" not in mine
    desk = client_for(branch)  # the same test client, signed in as staff again
    assert "物业经理电话未接" in desk.get(reverse("cases:detail", args=[case.pk])).content.decode()


def test_the_staff_timeline_marks_staff_only_comments_and_names_a_merged_case(client_for, branch, reported_case):
    case = reported_case("2", actor=branch)
    duplicate = reported_case("2", actor=branch, description="二楼楼道漏水，和上面同一处")
    desk = client_for(branch)
    desk.post(reverse("cases:comment", args=[case.pk]), {"note": "住户情绪激动，注意沟通", "note_internal": "1"})
    desk.post(reverse("cases:comment", args=[case.pk]), {"note": "明早物业上门"})
    services.case_transition(actor=branch, case=duplicate, action="merge", into=case, note="同一处漏水")
    page = desk.get(reverse("cases:detail", args=[case.pk])).content.decode()
    notes = re.findall(r'data-testid="note">(.*?)</div>', page, re.S)
    internal = next(n for n in notes if "住户情绪激动" in n)
    public = next(n for n in notes if "明早物业上门" in n)
    assert 'data-testid="staff-only"' in internal and 'data-testid="staff-only"' not in public
    assert f"工单 {duplicate.number} 已合并到本工单" in page


def test_a_refusal_in_the_services_words_is_not_prefixed_with_the_fields_name(client_for, grid1, reported_case):
    case = reported_case("1")
    response = client_for(grid1).post(reverse("cases:transition", args=[case.pk, "reject"]),
                                      {"version": case.version, "note": " "})
    html = response.content.decode()
    assert response.status_code == 400 and "不予受理" in html
    assert not re.search(r"备注：\s*(请|写)", html)  # "Note: Write a note: why …?" said the field twice


def test_a_note_and_a_granted_postponement_are_confirmed_in_words(client_for, branch, steward, in_progress):
    case = in_progress()
    services.case_transition(actor=steward, case=case, action="request_postpone", workdays=3, note="等配件")
    case.refresh_from_db()
    desk = client_for(branch)
    added = desk.post(reverse("cases:comment", args=[case.pk]), {"note": "已催配件", "note_internal": "1"},
                      follow=True).content.decode()
    assert "已添加说明（仅工作人员可见）" in added
    granted = desk.post(reverse("cases:transition", args=[case.pk, "approve_postpone"]),
                        {"version": case.version, "workdays": 3}, follow=True).content.decode()
    case.refresh_from_db()
    assert f"办结期限延至 {localtime(case.resolution_due_at):%Y-%m-%d}" in granted


def test_a_returned_case_says_it_is_back_with_the_dispatcher(client_for, branch, steward, in_progress):
    case = in_progress()
    services.case_transition(actor=steward, case=case, action="return", note="不是物业的事")
    case.refresh_from_db()
    page = client_for(branch).get(reverse("cases:detail", args=[case.pk])).content.decode()
    shown = re.search(r'data-testid="returned">(.*?)</span>', page, re.S).group(1)
    assert "已退回" in shown and "物管家退回" in shown.replace(" ", "")
