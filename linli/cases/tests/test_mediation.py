"""Disputes go to a peacemaker: parties, sessions, the outcome, the agreement PDF, referral when it fails."""

import datetime as dt
import re

import pytest

from linli.accounts.models import Role
from linli.cases import services
from linli.cases.models import MediationOutcome, Referral, State
from linli.core.errors import ApplicationError
from linli.places.models import Resident

pytestmark = pytest.mark.django_db


@pytest.fixture
def dispute(new_case, peacemaker, unit_of):
    case = new_case(code="neighbour", building=2, description="楼上漏水到楼下，双方就赔偿有争议")
    assert case.assigned_role == Role.PEACEMAKER
    services.case_transition(actor=case.owner, case=case, action="dispatch")
    services.case_transition(actor=peacemaker, case=case, action="start")
    return case


def _parties(unit_of):
    a = Resident.objects.filter(unit=unit_of(2), is_current=True).first()
    b = Resident.objects.filter(path__startswith=unit_of(3).path, is_current=True).first()
    return [{"resident": a, "side": "楼下"}, {"resident": b, "side": "楼上"}]


def test_an_agreed_mediation_resolves_the_case_prints_and_is_followed_up(dispute, peacemaker, unit_of):
    mediation = services.mediation_start(actor=peacemaker, case=dispute, peacemaker=peacemaker,
                                         parties=_parties(unit_of))
    services.mediation_session_add(actor=peacemaker, mediation=mediation, notes="双方陈述，初步达成意向")
    services.mediation_conclude(actor=peacemaker, mediation=mediation, outcome=MediationOutcome.AGREED,
                                agreement_text="楼上于七日内修复并赔偿500元。")
    dispute.refresh_from_db()
    mediation.refresh_from_db()
    assert dispute.state == State.RESOLVED
    assert mediation.follow_up_due - mediation.concluded_at.date() in (dt.timedelta(days=30), dt.timedelta(days=31))
    html = services.mediation_agreement_html(mediation=mediation)
    assert "楼上于七日内修复并赔偿500元。" in html and dispute.number in html
    pdf = services.mediation_agreement_pdf(mediation=mediation)
    assert pdf.startswith(b"%PDF")
    from django.utils import timezone

    from linli.cases.tasks import cases_sweep
    from linli.notify.models import Notification

    later = timezone.now() + dt.timedelta(days=32)
    assert cases_sweep(now=later)["mediation_follow_ups"] >= 1
    cases_sweep(now=later)
    assert Notification.objects.filter(recipient=peacemaker, kind="cases.mediation_follow_up",
                                       title__contains=dispute.number).count() == 1
    services.mediation_follow_up(actor=peacemaker, mediation=mediation, note="回访：已修复，双方满意")
    assert mediation.followed_up_at is not None


def test_a_failed_mediation_is_referred_onward(dispute, peacemaker, unit_of):
    mediation = services.mediation_start(actor=peacemaker, case=dispute, peacemaker=peacemaker,
                                         parties=_parties(unit_of))
    with pytest.raises(ApplicationError) as err:
        services.mediation_conclude(actor=peacemaker, mediation=mediation, outcome=MediationOutcome.FAILED)
    assert err.value.field == "referred_to"
    services.mediation_conclude(actor=peacemaker, mediation=mediation, outcome=MediationOutcome.FAILED,
                                referred_to=Referral.PEOPLES_MEDIATION)
    dispute.refresh_from_db()
    assert dispute.state == State.REFERRED and dispute.referred_to == Referral.PEOPLES_MEDIATION
    with pytest.raises(ApplicationError):
        services.mediation_agreement_pdf(mediation=mediation)


def test_mediation_needs_a_dispute_two_parties_and_a_peacemaker(dispute, new_case, peacemaker, steward, unit_of):
    with pytest.raises(ApplicationError) as err:
        services.mediation_start(actor=peacemaker, case=new_case(), peacemaker=peacemaker, parties=_parties(unit_of))
    assert err.value.field == "case"
    with pytest.raises(ApplicationError) as err:
        services.mediation_start(actor=peacemaker, case=dispute, peacemaker=peacemaker,
                                 parties=_parties(unit_of)[:1])
    assert err.value.field == "parties"
    with pytest.raises(ApplicationError) as err:
        services.mediation_start(actor=peacemaker, case=dispute, peacemaker=steward, parties=_parties(unit_of))
    assert err.value.field == "peacemaker"


def test_a_dispute_sent_to_mediation_from_the_triage_desk_goes_to_the_peacemaker_who_can_conclude_it(
        new_case, grid1, peacemaker, unit_of):
    """The grid worker who entered the dispute starts its mediation: the case is dispatched to the chosen peacemaker
    in the same step, and the peacemaker, after a session, concludes it — without anyone pressing "start"."""
    case = new_case(code="neighbour", building=2, description="装修噪音引发争执")
    assert case.state == State.ACCEPTED and case.owner == grid1
    mediation = services.mediation_start(actor=grid1, case=case, peacemaker=peacemaker, parties=_parties(unit_of))
    case.refresh_from_db()
    assert (case.state, case.assignee, case.assigned_role) == (State.DISPATCHED, peacemaker, Role.PEACEMAKER)
    services.mediation_session_add(actor=peacemaker, mediation=mediation, notes="双方同意限定施工时间")
    services.mediation_conclude(actor=peacemaker, mediation=mediation, outcome=MediationOutcome.AGREED,
                                agreement_text="工作日 8:00-18:00 施工")
    case.refresh_from_db()
    assert case.state == State.RESOLVED
    steps = [(e.action, e.actor_id) for e in case.events.order_by("at", "id")]
    assert ("dispatch", grid1.pk) in steps and ("start", peacemaker.pk) in steps
    assert steps[-1] == ("resolve", peacemaker.pk)


def test_a_peacemaker_cannot_take_a_dispute_off_the_triage_desk_by_starting_a_mediation(client_for, new_case,
                                                                                        peacemaker, unit_of):
    case = new_case(code="neighbour", building=2)
    assert case.state == State.ACCEPTED
    with pytest.raises(ApplicationError) as err:
        services.mediation_start(actor=peacemaker, case=case, peacemaker=peacemaker, parties=_parties(unit_of))
    assert err.value.field == "case" and not hasattr(case.__class__.objects.get(pk=case.pk), "mediation")
    page = client_for(peacemaker).get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/{case.pk}/mediation/" not in page  # no button leading to that refusal
    services.case_transition(actor=case.owner, case=case, action="dispatch", role=Role.PEACEMAKER,
                             assignee=peacemaker)
    page = client_for(peacemaker).get(f"/cases/{case.pk}/").content.decode()
    assert f"/cases/{case.pk}/mediation/" in page  # in their hands: theirs to mediate


def test_the_notes_linli_writes_for_a_mediation_read_in_the_readers_language(client_for, new_case, grid1,
                                                                              peacemaker, unit_of):
    from django.urls import reverse

    case = new_case(code="neighbour", building=2, description="装修噪音引发争执")
    mediation = services.mediation_start(actor=grid1, case=case, peacemaker=peacemaker, parties=_parties(unit_of))
    services.mediation_session_add(actor=peacemaker, mediation=mediation, notes="双方同意限定施工时间")
    services.mediation_conclude(actor=peacemaker, mediation=mediation, outcome=MediationOutcome.AGREED,
                                agreement_text="工作日 8:00-18:00 施工")
    desk = client_for(grid1)
    english = desk.get(reverse("cases:detail", args=[case.pk]), {"lang": "en"}).content.decode()
    assert "To mediation." in english and "Mediation reached an agreement." in english
    assert "转交调解" not in english and "调解达成协议" not in english
    chinese = desk.get(reverse("cases:detail", args=[case.pk]), {"lang": "zh-hans"}).content.decode()
    assert "转交调解" in chinese and "调解达成协议" in chinese


def test_the_mediation_page_and_agreement_use_chinese_punctuation_in_chinese(client_for, dispute, peacemaker,
                                                                              unit_of):
    from django.urls import reverse
    from django.utils import translation

    mediation = services.mediation_start(actor=peacemaker, case=dispute, peacemaker=peacemaker,
                                         parties=_parties(unit_of))
    services.mediation_session_add(actor=peacemaker, mediation=mediation, notes="双方同意")
    services.mediation_conclude(actor=peacemaker, mediation=mediation, outcome=MediationOutcome.AGREED,
                                agreement_text="晚八点后不施工")
    page = client_for(peacemaker).get(reverse("cases:mediation", args=[mediation.pk]),
                                      {"lang": "zh-hans"}).content.decode()
    assert "调解员：" in page or "和事佬：" in page
    with translation.override("zh-hans"):
        html = services.mediation_agreement_html(mediation=mediation)
    assert "：</strong>" in html and ":</strong>" not in html and not re.search(r"\d{4}-\d{2}-\d{2}\.</p>", html)
