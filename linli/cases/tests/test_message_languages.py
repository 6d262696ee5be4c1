"""Messages are read in the reader's language, not in the language of whoever made the change (or of the worker)."""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import translation

from linli.cases import services
from linli.cases.tasks import cases_sweep
from linli.notify.models import Notification, OutboundMessage

pytestmark = pytest.mark.django_db


def _page(client, name: str, lang: str) -> str:
    return client.get(reverse(name), {"lang": lang}).content.decode()


def test_a_step_taken_in_english_reaches_a_chinese_reader_in_chinese_and_an_english_one_in_english(
        client, residents_own_case, branch, steward):
    user, _resident, case = residents_own_case("accept")
    with translation.override("en"):  # the secretary's desk is in English
        case = services.case_transition(actor=branch, case=case, action="dispatch", assignee=steward,
                                        note="Steward Li will come at 3 pm")
        services.case_transition(actor=steward, case=case, action="start")
    client.force_login(user)
    chinese = _page(client, "mymessages:list", "zh-hans")
    assert f"工单 {case.number}：已派遣" in chinese and "Dispatched" not in chinese
    assert "Steward Li will come at 3 pm" in chinese  # what a person typed stays as typed
    english = _page(client, "mymessages:list", "en")
    assert f"Case {case.number}: Dispatched" in english and "已派遣" not in english
    # Staff told of the step read it in theirs too.
    client.force_login(steward)
    assert f"工单 {case.number}" in _page(client, "notify:inbox", "zh-hans")


def test_the_request_to_rate_a_result_follows_the_readers_language(client, residents_own_case, branch):
    user, _resident, case = residents_own_case("accept", "dispatch", "start")
    with translation.override("zh-hans"):
        services.case_transition(actor=branch, case=case, action="resolve", note="已更换水管")
    client.force_login(user)
    assert "Are you satisfied? Please rate it." in _page(client, "mymessages:list", "en")
    assert "您满意吗？请评价" in _page(client, "mymessages:list", "zh-hans")


def test_the_sweeps_reminders_are_read_in_english_though_the_worker_writes_in_chinese(client_for, new_case,
                                                                                       steward):
    case = new_case(building=1)
    services.case_transition(actor=case.owner, case=case, action="dispatch", role="property_steward",
                             assignee=steward)
    case.refresh_from_db()
    services.case_transition(actor=steward, case=case, action="start")
    case.refresh_from_db()
    with translation.override("zh-hans"):  # the worker's language: the site's own
        assert cases_sweep(now=case.resolution_due_at + dt.timedelta(minutes=5))["escalated"] >= 1
    told = Notification.objects.filter(kind="cases.overdue", title__contains=case.number).first()
    assert told is not None and "超期" in told.title  # stored in the site's language…
    english = _page(client_for(told.recipient), "notify:inbox", "en")
    assert f"Case {case.number} was overdue and has been escalated." in english  # …read in the reader's
    assert "超期" not in english


def test_a_text_to_a_reporter_without_an_account_is_in_the_sites_language(new_case, steward):
    case = new_case(building=1, reporter_phone="13900001111")
    with translation.override("en"):
        services.case_transition(actor=case.owner, case=case, action="dispatch", role="property_steward",
                                 assignee=steward)
    text = OutboundMessage.objects.filter(kind="cases.dispatch").latest("id")
    assert f"工单 {case.number}：已派遣" in text.body


def test_a_message_kept_before_messages_had_their_languages_shows_as_it_was_sent(client, steward):
    Notification.objects.create(recipient=steward, kind="cases.old", title="旧消息标题", body="旧消息正文")
    client.force_login(steward)
    page = _page(client, "notify:inbox", "en")
    assert "旧消息标题" in page and "旧消息正文" in page
