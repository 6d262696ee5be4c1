"""Response templates: supervisors keep ready-made texts for the steps of a case; a case offers those of its place."""

import re

import pytest
from django.urls import reverse

from linli.cases import services
from linli.cases.models import ResponseTemplate, State
from linli.core.errors import ApplicationError
from linli.core.models import AuditEvent

pytestmark = pytest.mark.django_db


def _offered(page: str, action: str) -> list[str]:
    card = re.search(rf'data-action="{action}".*?</details>', page, re.S).group(0)
    picker = re.search(r'<select[^>]*name="response".*?</select>', card, re.S)
    return re.findall(r'<option value="\d+"[^>]*>([^<]*)</option>', picker.group(0)) if picker else []


def test_a_supervisor_keeps_texts_for_their_own_area_only(branch, demo, other_compound, city_admin, building_of):
    kept = services.response_template_save(actor=branch, place=demo, action="reject", title="重复反映",
                                           text="该问题已有工单在处理，请关注原工单进展。")
    assert kept.path == demo.path and AuditEvent.objects.filter(action="cases.response_template_create").exists()
    for place, field in ((other_compound, "place"), (None, "place")):  # another compound; everywhere
        with pytest.raises(ApplicationError) as refused:
            services.response_template_save(actor=branch, place=place, action="reject", title="x", text="y")
        assert refused.value.field == field and refused.value.code == "forbidden"
    for kwargs, field in (({"action": "fly"}, "action"), ({"title": " "}, "title"), ({"text": ""}, "text"),
                          ({"title": "长" * 65}, "title"), ({"place": building_of(1)}, "place")):
        values = {"action": "reject", "title": "重复", "text": "内容", "place": demo, **kwargs}
        with pytest.raises(ApplicationError) as refused:
            services.response_template_save(actor=branch, **values)
        assert refused.value.field == field
    assert ResponseTemplate.objects.filter(title="重复").count() == 0  # nothing half-written
    everywhere = services.response_template_save(actor=city_admin, action="resolve", title="全市通用", text="已处理。")
    assert everywhere.place is None and everywhere.path == ""


def test_a_case_offers_the_texts_of_its_place_and_category(client_for, grid1, branch, demo, other_compound, category,
                                                         reported_case):
    water = category("water")
    services.response_template_save(actor=branch, place=demo, action="reject", title="本小区·不归物业",
                                    text="该问题不归物业处理，请联系供水公司。")
    services.response_template_save(actor=branch, place=demo, action="reject", title="本小区·只限电梯",
                                    text="电梯问题请直接联系维保单位。", category=category("lift"))
    services.response_template_save(actor=None, place=other_compound, action="reject", title="别的小区的",
                                    text="别处的说法")
    case = reported_case("2", category=water)
    page = client_for(grid1).get(reverse("cases:detail", args=[case.pk])).content.decode()
    offered = _offered(page, "reject")
    assert "本小区·不归物业" in offered and "不属于小区处理范围" in offered  # the compound's and the demo's default
    assert "本小区·只限电梯" not in offered and "别的小区的" not in offered
    assert 'data-fills="note-reject"' in page


def test_a_text_chosen_without_the_script_is_sent_as_the_note(client_for, grid1, branch, demo, reported_case):
    template = services.response_template_save(actor=branch, place=demo, action="reject", title="不归物业",
                                               text="该问题不归物业处理，请联系供水公司。")
    case = reported_case("2")
    response = client_for(grid1).post(reverse("cases:transition", args=[case.pk, "reject"]),
                                      {"version": case.version, "note": "", "response": template.pk})
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.state == State.REJECTED
    assert case.events.get(action="reject").note == "该问题不归物业处理，请联系供水公司。"


def test_the_settings_page_adds_changes_and_switches_off_texts(client_for, branch, demo):
    client = client_for(branch)
    page = client.get(reverse("cases:responses")).content.decode()
    assert 'data-testid="template-form"' in page and "已受理" in page  # the demo's texts of everywhere, read only
    everywhere = ResponseTemplate.objects.filter(place__isnull=True).first()
    assert f'name="off" value="{everywhere.pk}"' not in page
    refused = client.post(reverse("cases:responses"), {"place": demo.pk, "action": "reject", "title": "",
                                                       "text": "内容"})
    assert refused.status_code == 400 and 'data-field-error="title"' in refused.content.decode()
    assert client.post(reverse("cases:responses"), {"place": demo.pk, "action": "reject", "title": "不归物业",
                                                    "text": "请联系供水公司。"}).status_code == 302
    kept = ResponseTemplate.objects.get(title="不归物业")
    form = client.get(reverse("cases:responses"), {"edit": kept.pk}).content.decode()
    assert "请联系供水公司。</textarea>" in form and f'value="{kept.pk}"' in form
    client.post(reverse("cases:responses"), {"template": kept.pk, "place": demo.pk, "action": "reject",
                                             "title": "不归物业", "text": "请拨打供水公司热线。"})
    kept.refresh_from_db()
    assert kept.text == "请拨打供水公司热线。" and ResponseTemplate.objects.filter(title="不归物业").count() == 1
    client.post(reverse("cases:responses"), {"off": kept.pk})
    kept.refresh_from_db()
    assert not kept.is_active
    listed = client.get(reverse("cases:responses")).content.decode()
    offered = re.search(r'data-testid="templates".*?</table>', listed, re.S).group(0)
    assert "“不归物业”已停用" in listed and f'data-template="{kept.pk}"' not in offered
    assert f'name="on" value="{kept.pk}"' in listed  # kept among the switched-off texts, to be switched on again
    client.post(reverse("cases:responses"), {"on": kept.pk})
    kept.refresh_from_db()
    assert kept.is_active


def test_texts_out_of_reach_answer_404_and_non_supervisors_403(client_for, branch, grid1, other_compound,
                                                                city_admin):
    elsewhere = services.response_template_save(actor=None, place=other_compound, action="reject", title="别处",
                                                text="别处的说法")
    client = client_for(branch)
    assert client.get(reverse("cases:responses"), {"edit": elsewhere.pk}).status_code == 404
    assert client.post(reverse("cases:responses"), {"off": elsewhere.pk}).status_code == 404
    assert client.post(reverse("cases:responses"), {"template": elsewhere.pk, "place": "", "action": "reject",
                                                    "title": "改", "text": "改"}).status_code in (400, 404)
    everywhere = services.response_template_save(actor=city_admin, action="resolve", title="全市", text="已处理。")
    assert client.get(reverse("cases:responses"), {"edit": everywhere.pk}).status_code == 403  # read only to them
    elsewhere.refresh_from_db()
    everywhere.refresh_from_db()
    assert (elsewhere.text, elsewhere.is_active, everywhere.is_active) == ("别处的说法", True, True)
    assert client_for(grid1).get(reverse("cases:responses")).status_code == 403
