"""Browser journeys in real Chromium: Debian's /usr/bin/chromium (or ``LINLI_CHROMIUM``), driven by Playwright.

Never a downloaded browser. Without a Chromium the journeys are left out and the run says so loudly; with
``LINLI_REQUIRE_BROWSER=1`` (set by ``.ci/run``) a missing Chromium fails the run instead.
"""

import os
import shutil

import pytest

CHROMIUM = os.environ.get("LINLI_CHROMIUM") or shutil.which("chromium") or (
    "/usr/bin/chromium" if os.path.exists("/usr/bin/chromium") else None
)
# Playwright's sync API runs an event loop in this thread; the ORM calls in fixtures are still synchronous.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"],
        )
        yield browser
        browser.close()


@pytest.fixture
def demo_site(live_server):
    """The live server with the demo loaded (live-server tests empty the database after each test)."""
    from linli.core.demo import ensure_demo

    ensure_demo()
    return live_server


@pytest.fixture
def page_at(browser, demo_site):
    """``page_at(width)``: a fresh page of the given viewport width, pointing at the live server."""
    contexts = []

    def make(width=1280, height=900):
        context = browser.new_context(viewport={"width": width, "height": height}, base_url=demo_site.url)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


def totp_code(username) -> str:
    """The demo account's current two-factor code, as a person walking through the demo gets it:
    ``manage.py totp_code <username>``."""
    import io

    from django.core.management import call_command

    out = io.StringIO()
    call_command("totp_code", username, stdout=out, stderr=io.StringIO())
    return out.getvalue().strip()


def sign_in(page, username, password="linli-demo-2024"):  # noqa: S107  (the demo password)
    """The staff sign-in: the password, then — for the roles that may reveal personal data (``secretary``,
    ``branch``) — the code from the authenticator, which the demo prints with ``manage.py totp_code``.
    Returns whether the code step was asked for."""
    page.goto("/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    with page.expect_navigation():
        page.click("button[type=submit]")
    if "/accounts/two-factor/verify/" not in page.url:
        return False
    page.fill("#code", totp_code(username))
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/accounts/two-factor/" not in page.url, page.content()[:2000]
    return True
