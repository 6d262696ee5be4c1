"""Test fixtures shared by the whole suite.

The demo compound is loaded once into the test database (SQLite, or PostgreSQL when ``DATABASE_URL`` says so) and
every test runs inside a transaction that is rolled back, so tests can rely on the demo's figures. The demo staff —
``secretary`` (community), ``branch`` (compound), ``grid1`` and ``grid2`` (one grid each) — are the alice/bob of
the scope tests.
"""

import os

import pytest

os.environ.setdefault("LINLI_TASKS", "immediate")


def pytest_configure(config):
    # pytest-django has loaded the settings before this file runs, so the variable above came too late for them.
    from django.conf import settings

    if os.environ["LINLI_TASKS"] == "immediate":
        settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings

    from linli.core.demo import ensure_demo

    settings.VAR_DIR = tmp_path_factory.mktemp("var")
    with django_db_blocker.unblock():
        ensure_demo()


@pytest.fixture
def demo(db):
    """The demo compound."""
    from linli.places.demo import demo_compound

    return demo_compound()


def _user(username):
    from linli.accounts.models import User

    return User.objects.get(username=username)


@pytest.fixture
def secretary(db):
    return _user("secretary")


@pytest.fixture
def branch(db):
    return _user("branch")


@pytest.fixture
def grid1(db):
    return _user("grid1")


@pytest.fixture
def grid2(db):
    return _user("grid2")


@pytest.fixture
def client_for(client):
    """``client_for(user)``: a test client signed in as ``user``."""

    def make(user):
        client.force_login(user)
        return client

    return make


@pytest.fixture
def api_token():
    """``api_token(user)``: a fresh bearer token for ``user``."""
    from linli.accounts.services import token_issue

    def make(user):
        return token_issue(actor=None, user=user, name="test")[1]

    return make


# --- browser journeys: run them when a Chromium is here, say loudly when not ------------------------------------

_left_out: list[str] = []


def pytest_collection_modifyitems(config, items):
    from tests.e2e.conftest import CHROMIUM

    if CHROMIUM:
        return
    if os.environ.get("LINLI_REQUIRE_BROWSER") == "1":
        raise pytest.UsageError("LINLI_REQUIRE_BROWSER=1 but no Chromium was found (install Debian's chromium).")
    kept, dropped = [], []
    for item in items:
        (dropped if item.get_closest_marker("browser") else kept).append(item)
    if dropped:
        _left_out.extend(i.nodeid for i in dropped)
        config.hook.pytest_deselected(items=dropped)
        items[:] = kept


def pytest_terminal_summary(terminalreporter):
    if _left_out:
        terminalreporter.write_sep("!", "BROWSER JOURNEYS LEFT OUT", red=True, bold=True)
        terminalreporter.write_line(
            f"No Chromium found (/usr/bin/chromium or LINLI_CHROMIUM): {len(_left_out)} browser journeys did not "
            "run. Install Debian's chromium package to run them.",
            red=True,
        )
