"""The closed loop in Chromium: a resident reports a leaking pipe with a photo on a 360 px phone → the grid worker
accepts and dispatches → the property steward resolves it with a photo → the resident rates it → the dashboard
counts it.

The resident is signed in with a session made here (the equivalent of ``client.force_login``): the phone-code sign-in
is tested with the accounts app; this journey is about the case.
"""

import io

import pytest

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def _jpeg() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (64, 48), (40, 90, 200)).save(out, format="JPEG")
    return out.getvalue()


def _resident_session(page, live_url: str, neighbour_of=None):
    """Sign a resident of building 2 in by putting a session cookie into the page's browser context (a resident of
    another unit of the building with ``neighbour_of``)."""
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.contrib.sessions.backends.db import SessionStore

    from linli.accounts.models import LinkMethod
    from linli.accounts.services import resident_account_for
    from linli.places.demo import demo_compound
    from linli.places.tests.factories import resident_in

    resident = resident_in(demo_compound(), "2")
    if neighbour_of is not None:
        resident = type(resident).objects.filter(unit__building=neighbour_of.unit.building, is_current=True).exclude(
            unit=neighbour_of.unit).order_by("id").first()
    user = resident_account_for(resident=resident, method=LinkMethod.PHONE)
    session = SessionStore()
    session[SESSION_KEY] = str(user.pk)
    session[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    session[HASH_SESSION_KEY] = user.get_session_auth_hash()
    session.save()
    page.context.add_cookies([{"name": settings.SESSION_COOKIE_NAME, "value": session.session_key, "url": live_url}])
    return user, resident


def _photos_shown(page) -> int:
    """How many of the timeline's photos the browser has loaded and drawn (a broken image has no natural width)
    through their signed links — Django's test server also serves ``MEDIA_URL``, which neither ``make demo`` nor a
    deployment does, so a photo shown from there would hide a page that shows none to real users."""
    page.wait_for_load_state("load")
    return page.evaluate("[...document.querySelectorAll('[data-testid=timeline] img')]"
                         ".filter(i => new URL(i.src).pathname.startsWith('/photos/'))"
                         ".filter(i => i.complete && i.naturalWidth > 0).length")


def _act(page, action: str, note: str = "", photo: bytes | None = None):
    page.locator(f'details[data-action="{action}"] summary').click()
    if note:
        page.fill(f"#note-{action}", note)
    if photo:
        page.set_input_files(f"#photos-{action}", files=[{"name": "fixed.jpg", "mimeType": "image/jpeg",
                                                          "buffer": photo}])
    with page.expect_navigation():  # the page the click leads to, loaded
        page.locator(f'details[data-action="{action}"] button[type=submit]').click()


def test_a_leak_goes_round_the_closed_loop(page_at, demo_site):
    from django.utils import timezone

    from linli.accounts.models import User
    from linli.cases import services
    from linli.cases.models import Case, Category, Channel, MeToo, State
    from linli.places.models import Place

    category = Category.objects.filter(code__in=["water", "leak"]).order_by("code").first()
    steward = User.objects.get(username="steward1")

    # A resident, on a phone, reports the leak with a photo.
    phone = page_at(360, 740)
    user, resident = _resident_session(phone, demo_site.url)
    phone.goto("/me/cases/report/")
    phone.select_option("#id_category", str(category.pk))
    phone.fill("#id_description", "厨房水管漏水，楼下天花板在滴水")
    phone.set_input_files("#id_photos", files=[{"name": "leak.jpg", "mimeType": "image/jpeg", "buffer": _jpeg()}])
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    with phone.expect_navigation():  # the case's page, after the report is written
        phone.locator("[data-testid=send]").click()
    case = Case.objects.filter(reporter_user=user).latest("id")
    assert case.attachments.count() == 1 and case.place == resident.unit
    assert case.number in phone.content()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 360
    assert _photos_shown(phone) == 1  # the photo itself is shown, not a broken image

    # A neighbour about to report the same leak is shown it ("is it one of these?") and says "me too".
    neighbour = page_at(360, 740)
    _resident_session(neighbour, demo_site.url, neighbour_of=resident)
    neighbour.goto("/me/cases/report/")
    neighbour.check('input[name=where][value=building]')
    neighbour.select_option("#id_category", str(category.pk))
    neighbour.locator(f'[data-testid=similar] button[formaction="/me/cases/{case.pk}/me-too/"]').click()
    # counted, then shown the case they joined (the load state alone can be early)
    neighbour.wait_for_url(f"**/me/cases/{case.pk}/")
    assert neighbour.locator('[data-testid="me-too-withdraw"]').is_visible()
    case.refresh_from_db()
    assert case.me_too_count == 1

    # Another open leak in the building, taken by phone — one they have not joined (the demo's history, drawn
    # afresh each day, need not hold one).
    other_unit = Place.objects.filter(building_id=resident.unit.building_id, kind="unit").exclude(
        pk=resident.unit.pk).order_by("path").first()
    services.case_create(actor=User.objects.get(username="branch"), category=category, place=other_unit,
                         description="楼道水管接口渗水", channel=Channel.PHONE, reporter_name="李女士",
                         reporter_phone="13900002222")

    # Back on the form the case they joined says so, with no second "me too"; and Enter in a field (a phone
    # keyboard's "Go") sends their own report — not the first "me too" button of the list above it.
    neighbour.goto("/me/cases/report/")
    neighbour.check('input[name=where][value=building]')
    neighbour.select_option("#id_category", str(category.pk))
    neighbour.locator(f'[data-testid=similar] a[href="/me/cases/{case.pk}/"], [data-testid=similar] '
                      '[data-testid=joined]').first.wait_for()
    assert neighbour.locator(f'[data-testid=similar] button[formaction="/me/cases/{case.pk}/me-too/"]').count() == 0
    # Other open cases of the building are listed with their "me too" buttons — what Enter pressed before the fix.
    assert neighbour.locator("[data-testid=similar] [data-testid=me-too]").count() >= 1
    joined = MeToo.objects.count()
    neighbour.fill("#id_description", "楼道里也在滴水")
    with neighbour.expect_navigation():
        neighbour.press("#id_location_note", "Enter")
    own = Case.objects.latest("id")
    assert own.pk != case.pk and own.description == "楼道里也在滴水" and neighbour.url.endswith(f"/me/cases/{own.pk}/")
    case.refresh_from_db()
    assert case.me_too_count == 1 and MeToo.objects.count() == joined

    # The grid worker, on a phone too, accepts it and dispatches it to the property steward.
    worker = page_at(360, 740)
    sign_in(worker, "grid1")
    worker.goto(f"/cases/{case.pk}/")
    assert worker.evaluate("document.documentElement.scrollWidth") <= 360  # the case page fits the phone
    _act(worker, "accept")
    worker.locator('details[data-action="dispatch"] summary').click()
    dispatch = 'details[data-action="dispatch"]'
    worker.select_option(f"{dispatch} select[name=level]", "compound")
    worker.select_option(f"{dispatch} select[name=assignee]", str(steward.pk))  # the handler's role goes with them
    assert worker.input_value(f"{dispatch} select[name=role]") == "property_steward"
    offered = worker.eval_on_selector_all(f"{dispatch} select[name=assignee] optgroup:not([disabled])",
                                          "groups => groups.map(g => g.dataset.role)")
    assert offered == ["property_steward"]  # only the people holding the chosen role are offered
    with worker.expect_navigation():  # the page the click leads to, loaded
        worker.locator('details[data-action="dispatch"] button[type=submit]').click()
    case.refresh_from_db()
    assert case.state == State.DISPATCHED and case.assignee == steward

    # The steward takes it, fixes it and reports the result with a photo.
    desk = page_at(1280)
    sign_in(desk, "steward1")
    desk.goto(f"/cases/{case.pk}/")
    _act(desk, "start")
    resolve = 'details[data-action="resolve"]'
    desk.locator(f"{resolve} summary").click()
    desk.select_option(f"{resolve} select[name=response]", label="已修复")  # a ready-made text fills the note
    assert desk.input_value("#note-resolve") == "问题已处理完毕，请您确认是否满意。"
    desk.locator(f"{resolve} summary").click()
    _act(desk, "resolve", note="更换了厨房进水阀门，已不漏水", photo=_jpeg())
    case.refresh_from_db()
    assert case.state == State.RESOLVED and case.attachments.count() == 2

    # The resident sees the result on the timeline, with the steward's photo, and rates it.
    phone.goto(f"/me/cases/{case.pk}/")
    assert "更换了厨房进水阀门" in phone.content()
    assert _photos_shown(phone) == 2
    phone.check('input[name=rating][value=satisfied]')
    with phone.expect_navigation():  # the page the click leads to, loaded
        phone.locator("form[data-testid=rate-form] button[type=submit]").click()
    case.refresh_from_db()
    assert case.state == State.CLOSED and case.rating == "satisfied"

    # The dashboard counts it once the background sweep has refreshed the rollups (each minute under `make demo`).
    from django.core.management import call_command

    call_command("cases_sweep", stdout=io.StringIO())
    month_start = timezone.localtime().replace(day=1, hour=0, minute=0, second=0, microsecond=0)
    closed = Case.objects.filter(path__startswith=resident.unit.compound.path, state=State.CLOSED,
                                 created_at__gte=month_start).count()
    boss = page_at(1280)
    sign_in(boss, "branch")
    month = month_start.strftime("%Y-%m")
    boss.goto(f"/metrics/?start={month}&end={month}")
    assert boss.locator('[data-figure="closed"] .value').inner_text() == str(closed)
    assert boss.locator("#chart canvas").count() >= 1


def test_what_a_resident_types_survives_a_switch_of_language_and_the_spot_list_follows_the_place(page_at,
                                                                                               demo_site):
    phone = page_at(360, 740)
    _resident_session(phone, demo_site.url)
    phone.goto("/me/cases/report/")
    assert not phone.locator("[data-spot-field]").is_visible()  # "my home" has no spot
    phone.check("input[name=where][value=building]")
    assert phone.locator("[data-spot-field]").is_visible()  # the lift, the stairwell of the building
    phone.fill("#id_description", "楼下垃圾桶满了没人清")
    with phone.expect_navigation():
        phone.click("button[lang=en]")
    assert phone.locator("html").get_attribute("lang") == "en"
    assert phone.input_value("#id_description") == "楼下垃圾桶满了没人清"
