"""Journeys through the register in Chromium: a secretary at a desk, a grid worker on a phone."""

import re

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_secretary_checks_the_overview_opens_a_building_and_finds_a_resident(page_at):
    from linli.core import crypto
    from linli.places.models import Resident

    page = page_at(1280)
    # The secretary may reveal personal numbers: after the password, a code from the authenticator.
    assert sign_in(page, "secretary")
    # One compound in reach: the overview opens on it, in Chinese.
    assert page.locator('[data-testid="compound-name"]').inner_text() == "龙泽书苑"
    figures = {
        key: page.locator(f'[data-figure="{key}"] .value').inner_text()
        for key in ("buildings", "units", "resident_households", "rented_units", "merchants", "grids", "area_m2")
    }
    assert figures == {"buildings": "10", "units": "875", "resident_households": "724", "rented_units": "276",
                       "merchants": "75", "grids": "2", "area_m2": "50,491"}
    assert "山海社区" in page.locator('[data-testid="trail"]').inner_text()

    with page.expect_navigation():  # the page the click leads to, loaded
        page.get_by_role("link", name="3号楼", exact=True).first.click()
    assert page.locator(".bgrid .floor").count() == 15
    with page.expect_navigation():  # the page the click leads to, loaded
        page.locator(".bgrid .cell[data-occupancy=owner_occupied]").first.click()
    assert page.locator('[data-testid="household"]').count() >= 1

    resident = Resident.objects.filter(is_current=True).exclude(phone_encrypted="").order_by("id")[40]
    page.goto("/places/residents/")
    page.fill("#q", crypto.decrypt(resident.phone_encrypted))
    page.keyboard.press("Enter")
    # The results are swapped in by htmx: wait until the list holds the one match (the unfiltered page has 50).
    expect(page.locator('[data-testid="residents"] tbody tr')).to_have_count(1)
    expect(page.locator('[data-testid="residents"]')).to_contain_text(resident.name)
    with page.expect_navigation():  # the page the click leads to, loaded
        page.get_by_role("link", name=resident.name).click()
    assert resident.phone_masked in page.content()


def test_grid_worker_on_a_phone_sees_only_their_grid_and_can_switch_to_english(page_at):
    page = page_at(360, 740)
    missing = []  # every asset a page asks for is served
    page.on("response", lambda r: missing.append((r.status, r.url)) if r.status >= 400 else None)
    assert not sign_in(page, "grid1")  # a grid worker may not reveal: the password alone
    assert page.locator('[data-figure="buildings"] .value').inner_text() == "5"
    # Nothing is wider than the phone except the building grid, which scrolls inside its box.
    assert page.evaluate("document.documentElement.scrollWidth") <= 360
    page.goto("/places/grids/")
    assert page.locator('[data-testid="grid"]').count() == 1
    with page.expect_navigation():  # the page the click leads to, loaded
        page.get_by_role("button", name="English").click()
    assert page.get_by_role("heading", name="Grids").is_visible()
    assert missing == []
    page.goto("/places/residents/?q=" + "王")
    text = page.locator('[data-testid="residents"]').inner_text()
    units = re.findall(r"\b(\d+)-\d+-\d+\b", text)
    assert units and all(u in {"1", "2", "3", "4", "5"} for u in units)
