"""Fixtures of the cases tests (the UI engineer's tests in this folder may use them too).

The demo (loaded once per session) holds the categories, the routing rules, the handler users and a year of cases.
"""

import datetime as dt
import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from linli.accounts.models import Role, RoleAssignment, User
from linli.cases.models import Category, Channel
from linli.places.models import Place, PlaceKind, Resident


def _holder(role, path_startswith=""):
    ids = RoleAssignment.objects.filter(role=role, ended_at__isnull=True, place__path__startswith=path_startswith)
    return User.objects.filter(pk__in=ids.values("user_id")).order_by("id").first()


@pytest.fixture
def category(db):
    """``category("water")``."""
    return lambda code: Category.objects.get(code=code)


@pytest.fixture
def steward(demo):
    return _holder(Role.PROPERTY_STEWARD, demo.path)


@pytest.fixture
def peacemaker(demo):
    return _holder(Role.PEACEMAKER, demo.path)


@pytest.fixture
def community_staff(demo):
    return _holder(Role.COMMUNITY_STAFF, demo.parent.path)


@pytest.fixture
def street_officer(demo):
    return User.objects.get(username="street1")


@pytest.fixture
def leader(demo):
    """``leader(n)``: the party group leader of building n."""
    return lambda n: User.objects.get(username=f"leader{n}")


@pytest.fixture
def building_of(demo):
    return lambda code: Place.objects.get(parent=demo, code=str(code))


@pytest.fixture
def unit_of(demo):
    """``unit_of(n)``: a lived-in dwelling of building n."""
    def make(code):
        return (Place.objects.filter(path__startswith=f"{demo.path}{code}/", kind=PlaceKind.UNIT, use="dwelling")
                .exclude(occupancy="vacant").order_by("path").first())
    return make


@pytest.fixture
def resident_at(demo):
    """``resident_at(unit)``: a current resident of the unit with a phone number."""
    return lambda unit: Resident.objects.filter(unit=unit, is_current=True).exclude(phone_encrypted="").first()


@pytest.fixture
def resident_user(demo, unit_of, resident_at):
    """``resident_user(n)``: a resident account of building n, linked to the register."""
    from linli.accounts.models import LinkMethod
    from linli.accounts.services import resident_account_for

    return lambda n: resident_account_for(resident=resident_at(unit_of(n)), method=LinkMethod.PHONE)


@pytest.fixture
def new_case(demo, category, unit_of, grid1, grid2, branch):
    """``new_case(code="water", building=1, **kwargs)``: a case entered by the grid worker (accepted)."""
    from linli.cases.services import case_create

    def make(code="water", building=1, actor=None, **kwargs):
        place = kwargs.pop("place", None) or unit_of(building)
        actor = actor or (grid1 if int(building) <= 5 else grid2)
        kwargs.setdefault("channel", Channel.PHONE)
        kwargs.setdefault("reporter_name", "王先生")
        kwargs.setdefault("reporter_phone", "13900001111")
        return case_create(actor=actor, category=category(code), place=place,
                           description=kwargs.pop("description", "卫生间天花板渗水"), **kwargs)
    return make


@pytest.fixture
def in_progress(new_case, steward):
    """``in_progress(**kwargs)``: a new case (``new_case``'s arguments) dispatched to the property steward, who has
    started on it."""
    from linli.cases import services

    def make(**kwargs):
        case = new_case(**kwargs)
        services.case_transition(actor=case.owner, case=case, action="dispatch", role="property_steward",
                                 assignee=steward)
        case.refresh_from_db()
        services.case_transition(actor=steward, case=case, action="start")
        case.refresh_from_db()
        return case
    return make


def _image(fmt="JPEG", size=(40, 30), exif=True):
    from PIL import Image

    img = Image.new("RGB", size, (200, 50, 50))
    out = io.BytesIO()
    kwargs = {}
    if exif and fmt == "JPEG":
        ex = Image.Exif()
        ex[0x010F] = "TestCam"  # Make
        ex[0x8825] = {2: (36.0, 5.0, 0.0)}  # GPS
        kwargs["exif"] = ex
    img.save(out, format=fmt, **kwargs)
    return out.getvalue()


@pytest.fixture
def photo():
    """``photo(fmt="JPEG", name="p.jpg", exif=True)``: an uploaded image."""
    def make(fmt="JPEG", name="p.jpg", exif=True, data=None):
        body = data if data is not None else _image(fmt, exif=exif)
        return SimpleUploadedFile(name, body, content_type="image/jpeg")
    return make


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def at():
    """``at(2026, 2, 12, 10)``: an aware datetime in Asia/Shanghai."""
    from zoneinfo import ZoneInfo

    return lambda *a: dt.datetime(*a, tzinfo=ZoneInfo("Asia/Shanghai"))


@pytest.fixture
def residents_own_case(resident_account, reported_case, branch):
    """``residents_own_case(*actions)``: a case a resident of building 2 reported on their phone, taken through
    ``actions`` by the branch secretary; returns (their account, their resident record, the case)."""
    from linli.cases import services

    def make(*actions):
        user, resident = resident_account("2")
        case = reported_case("2", actor=None, place=resident.unit, reporter=resident, reporter_user=user,
                             channel="resident_app")
        for action in actions:
            case = services.case_transition(actor=branch, case=case, action=action, note="ok")
        return user, resident, case

    return make


@pytest.fixture
def other_compound(demo):
    """A second compound in the demo's community, with one building."""
    from linli.places.models import Place, PlaceKind

    community = demo.parent
    compound = Place.objects.create(kind=PlaceKind.COMPOUND, parent=community, code="OT", name="别的小区",
                                    path=f"{community.path}OT/", depth=community.depth + 1)
    Place.objects.filter(pk=compound.pk).update(compound=compound)
    compound.refresh_from_db()
    return compound


@pytest.fixture
def city_admin(demo):
    from linli.accounts.models import Role, User
    from linli.accounts.services import role_grant
    from linli.places.models import Place, PlaceKind

    user = User.objects.create_user(username="cityadmin", password="x-Long-passw0rd")
    role_grant(actor=None, user=user, role=Role.CITY_ADMIN, place=Place.objects.get(kind=PlaceKind.CITY))
    return user
