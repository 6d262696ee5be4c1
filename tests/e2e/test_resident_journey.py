"""A resident on a 360 px phone signs in with a text code, sees their household, and nothing of a neighbour's."""

import re

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _latest_code(phone: str) -> str:
    from linli.core.crypto import decrypt
    from linli.notify.models import OutboundMessage

    for message in OutboundMessage.objects.filter(kind="sign_in_code").order_by("-id"):
        if decrypt(message.to_encrypted) == phone:
            return re.search(r"\b(\d{6})\b", message.body).group(1)
    raise AssertionError("no sign-in code in the outbox")


def test_resident_signs_in_with_a_code_and_sees_only_their_household(page_at):
    from linli.accounts.demo import demo_resident
    from linli.core.crypto import decrypt
    from linli.places.demo import demo_compound
    from linli.places.models import Resident

    compound = demo_compound()
    me, neighbour = demo_resident(compound, "2"), demo_resident(compound, "7")
    phone = decrypt(me.phone_encrypted)

    page = page_at(360, 740)
    refused = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)
    page.goto("/me/")  # not signed in: sent to the phone sign-in
    assert "/me/sign-in/" in page.url
    page.fill("#phone", phone)
    page.get_by_role("button", name=re.compile("发送验证码|Send me a code")).click()
    page.wait_for_url("**/me/sign-in/code/")
    assert me.phone_masked in page.locator('[data-testid="code-sent"]').inner_text()
    page.fill("#code", _latest_code(phone))
    page.locator("button[type=submit]").first.click()
    page.wait_for_url("**/me/")

    assert page.locator('[data-testid="my-unit"]').inner_text() == me.unit.name
    members = page.locator('[data-testid="member"]')
    household = list(Resident.objects.filter(household=me.household).order_by("-is_current", "id"))
    assert members.count() == len(household)
    assert me.name in page.locator('[data-testid="held-about-me"]').inner_text()
    # Phone first: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    html = page.content()
    assert decrypt(me.phone_encrypted) not in html
    for other in Resident.objects.filter(household=neighbour.household):
        assert other.name not in html

    # The neighbour's unit page, staff pages and the API are closed to a resident account.
    response = page.goto(f"/places/units/{neighbour.unit_id}/")
    assert response.status == 404
    assert neighbour.name not in page.content()
    assert page.goto(f"/places/residents/{neighbour.pk}/").status == 404
    assert page.goto("/places/residents/").status == 404
    assert page.goto(f"/api/v1/residents/{neighbour.pk}/").status == 403
    page.goto("/")
    assert page.url.endswith("/me/")
    assert not refused, refused  # nothing the pages do is blocked by the Content-Security-Policy

    # Their own reports: the one where the handler has a question for them is answered from the phone, and goes
    # back to the handler with the clock running again.
    from linli.cases.models import Case, State

    asked = Case.objects.get(reporter_user__resident_links__resident=me, state=State.WAITING_REPORTER)
    question = asked.events.get(action="ask_reporter").note
    page.goto("/me/cases/")
    page.locator(f'a[href="/me/cases/{asked.pk}/"]').first.click()
    page.wait_for_url(f"**/me/cases/{asked.pk}/")
    assert question in page.locator('[data-testid="timeline"]').inner_text()
    assert "答复" in page.locator('[data-testid="next-step"]').inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.locator('[data-testid="answer-form"] textarea').fill("明天上午在家，请九点以后来。")
    page.locator('[data-testid="answer-form"] button[type=submit]').click()
    page.wait_for_selector('[data-testid="state"][data-state="in_progress"]')
    assert "明天上午在家" in page.locator('[data-testid="timeline"] [data-action="answer"]').inner_text()
    assert page.locator('[data-testid="answer-form"]').count() == 0
    asked.refresh_from_db()
    assert asked.state == State.IN_PROGRESS and asked.paused_at is None
