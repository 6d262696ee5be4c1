"""The street officer's desk in Chromium at 1280 px: ``street1`` signs in and finds the cases queue with a tab per work
queue, each tab's badge telling how many cases it lists (the same number the database gives through
``linli.cases.selectors``, and the rows the tab shows across its pages, in the queue's order); "all" pages through the
street's history; a case opened from a list shows its timeline; a case filed by a resident of the street moves the
badges at the next load, and a case of another street is not found at all (404, the answer for a missing case).

Every figure is read from the database through the selectors while the journey runs, never written here: the demo's
year of cases is drawn afresh each day. "Overdue" depends on the clock, so what a page shows is compared with the
database read just before and just after it (a case may fall due between the two).
"""

import math
import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

#: The tabs as a Chinese-speaking officer reads them, in order (linli/cases/locale: the queues' labels).
TAB_LABELS = {
    "mine": "我的待办",
    "new": "待受理",
    "team": "本组",
    "overdue": "已超期",
    "awaiting_feedback": "待评价",
    "escalated": "上报到本级",
    "all": "全部",
}
WIDTH = 1280


def _in_db(officer) -> dict[str, list[str]]:
    """Each queue's case numbers in the queue's order, as the selectors give them to ``officer`` now."""
    from linli.cases import selectors

    return {
        name: list(selectors.case_queue(user=officer, queue=name).values_list("number", flat=True))
        for name in selectors.QUEUES
    }


def _badge_for(name: str, numbers: list[str]) -> str:
    """What a queue's badge says for these cases: the count; "all" stops counting at its cap ("1000+")."""
    from linli.cases.selectors import ALL_COUNT_CAP

    if name == "all" and len(numbers) > ALL_COUNT_CAP:
        return f"{ALL_COUNT_CAP}+"
    return str(len(numbers))


def _listed(name: str, numbers: list[str]) -> list[str]:
    """The rows a queue's pages list: all of them ("all" no further than its cap: past it a list is for filtering)."""
    from linli.cases.selectors import ALL_COUNT_CAP

    return numbers[:ALL_COUNT_CAP] if name == "all" else numbers


def _tabs(page) -> list[tuple[str, str, str]]:
    """The queue tabs as shown: (queue, label, badge)."""
    return [
        (
            tab.get_attribute("data-queue"),
            tab.evaluate("a => a.firstChild.textContent").strip(),
            tab.locator(".badge").inner_text().strip(),
        )
        for tab in page.locator("[data-testid=queues] a[data-queue]").all()
    ]


def _badges(page) -> dict[str, str]:
    return {name: badge for name, _label, badge in _tabs(page)}


def _page_rows(page) -> list[str]:
    """The case numbers listed on the page shown, top to bottom."""
    return page.locator("[data-testid=cases] tbody td a[href^='/cases/']").all_inner_texts()


def _all_pages(page) -> list[list[str]]:
    """The rows of every page of the tab shown, walking the pager's "next" link (first page first)."""
    pages = [_page_rows(page)]
    while True:
        following = page.locator(f".pagination a.page-link[href$='page={len(pages) + 1}']")
        if following.count() == 0:
            return pages
        with page.expect_navigation():
            following.click()
        expect(page.locator(".pagination .page-item.disabled")).to_contain_text(f"第 {len(pages) + 1} 页")
        pages.append(_page_rows(page))


def _open_tab(page, name: str) -> None:
    with page.expect_navigation():
        page.locator(f'[data-testid=queues] a[data-queue="{name}"]').click()
    assert page.url.endswith(f"/cases/queue/{name}/")
    expect(page.locator("[data-testid=queues] a.active")).to_have_attribute("data-queue", name)


def _check_tab(page, officer, name: str) -> list[str]:
    """Click the tab of queue ``name``: it lists exactly the queue's cases, in the queue's order, across its pages
    (50 a page), as many as its badge says. Returns the numbers listed."""
    before = _in_db(officer)
    _open_tab(page, name)
    badges = _badges(page)
    pages = _all_pages(page)
    after = _in_db(officer)
    listed = [number for rows in pages for number in rows]
    assert listed in (_listed(name, before[name]), _listed(name, after[name])), name
    assert len(set(listed)) == len(listed), name  # no case on two pages
    assert badges[name] in {_badge_for(name, before[name]), _badge_for(name, after[name])}, name
    if badges[name].isdigit():
        assert int(badges[name]) == len(listed), name
    assert len(pages) == max(1, math.ceil(len(listed) / 50)), name
    if not listed:
        expect(page.locator("[data-testid=cases] tbody")).to_have_text("该队列没有工单。")
    return listed


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= WIDTH


def _other_street_case():
    """A case of a compound in another street of the district — out of the officer's sight."""
    from linli.cases import services
    from linli.cases.models import Category, Channel
    from linli.places.demo import demo_compound
    from linli.places.models import PlaceKind
    from linli.places.services import place_create

    district = demo_compound().parent.parent.parent
    street = place_create(actor=None, parent=district, kind=PlaceKind.STREET, code="370212004", name="王哥庄街道")
    community = place_create(actor=None, parent=street, kind=PlaceKind.COMMUNITY, code="370212004001", name="港东社区")
    compound = place_create(actor=None, parent=community, kind=PlaceKind.COMPOUND, code="GDJY", name="港东家园")
    building = place_create(actor=None, parent=compound, kind=PlaceKind.BUILDING, code="1", name="1号楼", floors=6)
    case = services.case_create(
        actor=None,
        category=Category.objects.get(code="water"),
        place=building,
        description="楼顶水箱漏水，顶层住户家中进水",
        channel=Channel.PHONE,
        reporter_name="赵先生",
        reporter_phone="13900003333",
    )
    return case


def _resident_files_a_case():
    """A resident of building 3 of the demo compound reports noise from their own account (the street's case)."""
    from linli.accounts.models import LinkMethod
    from linli.accounts.services import resident_account_for
    from linli.cases import services
    from linli.cases.models import Category, Channel, State
    from linli.places.demo import demo_compound
    from linli.places.tests.factories import resident_in

    resident = resident_in(demo_compound(), "3")
    user = resident_account_for(resident=resident, method=LinkMethod.PHONE)
    case = services.case_create(
        actor=user,
        category=Category.objects.get(code="noise"),
        place=resident.unit,
        description="楼上每天夜里十二点后还在拖动家具",
        channel=Channel.RESIDENT_APP,
    )
    assert case.state == State.SUBMITTED
    return case


def test_a_street_officer_works_the_queues_of_the_street(page_at, demo_site):
    from linli.accounts.models import User
    from linli.cases import selectors
    from linli.cases.models import Case
    from linli.core.scope import scope_paths

    officer = User.objects.get(username="street1")
    page = page_at(WIDTH)
    sign_in(page, "street1")  # a street officer may not reveal personal data: the password alone

    # The cases desk: a tab per queue, in the workflow's order, each with its badge.
    before = _in_db(officer)
    page.goto("/cases/")
    expect(page.locator("[data-testid=queues] a.active")).to_have_attribute("data-queue", "mine")
    after = _in_db(officer)
    tabs = _tabs(page)
    assert [(name, label) for name, label, _badge in tabs] == list(TAB_LABELS.items())
    assert [name for name, _label, _badge in tabs] == selectors.QUEUES
    for name, _label, badge in tabs:
        assert badge in {_badge_for(name, before[name]), _badge_for(name, after[name])}, (name, badge)
    assert _fits(page)
    # Something to see in the journey below, whatever day the demo was drawn on.
    assert before["team"] and len(before["all"]) > 50

    # Each tab, clicked, lists exactly the cases of its queue, in its order, across its pages — as many as its badge.
    for name in selectors.QUEUES:
        _check_tab(page, officer, name)

    # "All" pages through the street's history: a second page of other cases, the pager saying where one is.
    _open_tab(page, "all")
    first = _page_rows(page)
    total_pages = math.ceil(len(_listed("all", _in_db(officer)["all"])) / 50)
    expect(page.locator(".pagination .page-item.disabled")).to_have_text(f"第 1 页，共 {total_pages} 页")
    with page.expect_navigation():
        page.locator(".pagination a.page-link[href$='page=2']").click()
    assert re.search(r"/cases/queue/all/\?page=2$", page.url)
    second = _page_rows(page)
    assert len(first) == 50 and second and not set(first) & set(second)
    expect(page.locator(".pagination .page-item.disabled")).to_have_text(f"第 2 页，共 {total_pages} 页")
    expect(page.locator(".pagination a.page-link[href$='page=1']")).to_have_text("上一页")

    # A case opened from "my team's" shows its page with its timeline, event by event.
    _open_tab(page, "team")
    row_link = page.locator("[data-testid=cases] tbody td a[href^='/cases/']").first
    number = row_link.inner_text().strip()
    with page.expect_navigation():
        row_link.click()
    case = selectors.case_list(user=officer).get(number=number)
    assert page.url.endswith(f"/cases/{case.pk}/")
    expect(page.locator(".breadcrumb-item.active")).to_have_text(number)
    expect(page.locator("h1")).to_have_text(case.title)
    expect(page.locator("[data-testid=state]")).to_have_attribute("data-state", case.state)
    events = [event.action for event in selectors.case_timeline(case=case)]
    assert events[0] == "submit"
    expect(page.locator("[data-testid=timeline] > li")).to_have_count(len(events))
    assert [item.get_attribute("data-action") for item in page.locator("[data-testid=timeline] > li").all()] == events
    assert _fits(page)

    # A resident of the street files a case and a case is filed in another street; the next load of the desk counts
    # the first — to triage, in the team's open cases, newest of all — and knows nothing of the second.
    page.goto("/cases/")
    shown = _badges(page)
    outside = _other_street_case()
    assert not any(outside.path.startswith(path) for path in scope_paths(officer))  # beyond every role of theirs
    filed = _resident_files_a_case()
    before = _in_db(officer)
    page.reload()
    after = _in_db(officer)
    badges = _badges(page)
    for name in selectors.QUEUES:
        assert badges[name] in {_badge_for(name, before[name]), _badge_for(name, after[name])}, name
    for name in ("new", "team", "all"):
        assert int(badges[name]) == int(shown[name]) + 1, (name, shown[name], badges[name])
    assert _check_tab(page, officer, "new")[-1] == filed.number  # the oldest first: the newest last
    assert filed.number in _check_tab(page, officer, "team")
    assert _check_tab(page, officer, "all")[0] == filed.number  # the newest first
    _open_tab(page, "all")
    assert _page_rows(page)[0] == filed.number and outside.number not in page.content()

    # The other street's case answers as a case that does not exist would: 404, nothing of it shown.
    missing = Case.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    response = page.goto(f"/cases/{outside.pk}/")
    assert response.status == 404
    assert outside.number not in page.content() and outside.description not in page.content()
    not_there = page.inner_text("body")
    response = page.goto(f"/cases/{missing}/")
    assert response.status == 404 and page.inner_text("body") == not_there
    # The street's own new case, by contrast, opens.
    response = page.goto(f"/cases/{filed.pk}/")
    assert response.status == 200
    expect(page.locator("[data-testid=timeline] > li")).to_have_count(1)
