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


def signed_in(client, user):
    """``client`` signed in as ``user`` past every sign-in step (see :func:`linli.accounts.testing.signed_in`)."""
    from linli.accounts.testing import signed_in as sign_in

    return sign_in(client, user)


@pytest.fixture
def client_for(client):
    """``client_for(user)``: a test client signed in as ``user`` (past the two-factor step where it applies)."""
    return lambda user: signed_in(client, user)


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


# --- cases pages, metrics and Open311 (linli/cases/views.py, linli/metrics, linli/open311) ------------------------


@pytest.fixture
def leak_category(db):
    """A "leaking pipe" category (the demo's when it has one)."""
    from linli.cases.models import Category

    return Category.objects.filter(code__in=["water", "leak"]).order_by("code").first() or Category.objects.create(
        code="leak", name_zh="漏水", name_en="Leak", sort_order=1)


@pytest.fixture
def resident_account(db, demo):
    """``resident_account(building_code)``: the account of a current resident of that building of the demo."""
    from linli.accounts.models import LinkMethod
    from linli.accounts.services import resident_account_for
    from linli.places.tests.factories import resident_in

    def make(building_code="2"):
        resident = resident_in(demo, building_code)
        return resident_account_for(resident=resident, method=LinkMethod.PHONE), resident

    return make


@pytest.fixture
def jpeg():
    """``jpeg(name)``: a small real JPEG upload."""
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    def make(name="photo.jpg"):
        out = io.BytesIO()
        Image.new("RGB", (32, 24), (200, 30, 30)).save(out, format="JPEG")
        return SimpleUploadedFile(name, out.getvalue(), content_type="image/jpeg")

    return make


@pytest.fixture
def reported_case(db, demo, leak_category):
    """``reported_case(building_code, actor=None, **fields)``: a case phoned in for a unit of that building (no
    actor: still to be triaged)."""
    from linli.cases.services import case_create
    from linli.places.tests.factories import unit_in

    def make(building_code="2", actor=None, **fields):
        fields.setdefault("description", "厨房水管漏水，地面全是水")
        fields.setdefault("reporter_name", "王先生")
        fields.setdefault("channel", "phone")
        return case_create(actor=actor, category=fields.pop("category", leak_category),
                           place=fields.pop("place", None) or unit_in(demo, building_code), **fields)

    return make
