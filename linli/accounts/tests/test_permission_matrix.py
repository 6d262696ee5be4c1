"""The permission matrix (docs/permissions.md) is the map in linli/accounts/permissions.py, and every role × every
view and endpoint behaves as it says: in scope 200 (or 403 without the permission), out of scope 404."""

import datetime as dt
from pathlib import Path

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from linli.accounts.models import Role
from linli.accounts.permissions import (
    ENDPOINTS,
    ROLE_PERMISSIONS,
    TWO_FACTOR_SESSION_KEY,
    endpoints_markdown,
    matrix_markdown,
)
from linli.core.audit import audit
from linli.places.models import Grid, Occupancy, Place, PlaceKind, UnitUse
from linli.places.services import household_move_in, place_create, resident_add
from linli.places.tests.factories import building, resident_in

pytestmark = pytest.mark.django_db

DOC = Path(settings.BASE_DIR) / "docs" / "permissions.md"


def test_every_role_has_a_row():
    assert set(ROLE_PERMISSIONS) == set(Role)


def test_the_document_is_the_map():
    text = DOC.read_text()
    assert matrix_markdown() in text, "docs/permissions.md: regenerate the role table from matrix_markdown()"
    assert endpoints_markdown() in text, "docs/permissions.md: regenerate the endpoint table"


# --- generated: every role × every endpoint, in and out of scope -------------------------------------------------


def _elsewhere():
    """A second tree the demo's staff do not reach: a city with one compound, building, unit and resident."""
    node = None
    for kind, code in [(PlaceKind.CITY, "ZZCITY"), (PlaceKind.DISTRICT, "ZZD"), (PlaceKind.STREET, "ZZS"),
                       (PlaceKind.COMMUNITY, "ZZC"), (PlaceKind.COMPOUND, "ZZY"), (PlaceKind.BUILDING, "1")]:
        node = place_create(actor=None, parent=node, kind=kind, code=code, name=f"外地{code}")
    b = node
    unit = place_create(actor=None, parent=b, kind=PlaceKind.UNIT, code="101", name="1-101", floor=1,
                        use=UnitUse.DWELLING)
    household = household_move_in(actor=None, unit=unit, occupancy=Occupancy.OWNER_OCCUPIED,
                                  started_on=dt.date(2020, 1, 1))
    resident = resident_add(actor=None, household=household, name="外地居民甲", gender="F", relation="head",
                            registration="registered", phone="13900009999")
    audit(actor=None, action="test.elsewhere", target=resident, place_path=resident.path)
    return {"building": b, "unit": unit, "resident": resident}


def _holder(role, demo):
    """A user holding ``role`` at the demo, as low in the tree as the role allows (building 2 is in grid 1)."""
    from linli.accounts.services import role_grant, user_create

    user = user_create(actor=None, username=f"m_{role}", password="a-long-test-password-1")
    community = demo.parent
    at = {
        Role.CITY_ADMIN: community.parent.parent.parent,
        Role.STREET_OFFICER: community.parent,
        Role.COMMUNITY_SECRETARY: community,
        Role.COMMUNITY_STAFF: community,
        Role.SOCIAL_WORKER: demo,
        Role.GROUP_LEADER: building(demo, "2"),
    }.get(role, demo)
    grid = Grid.objects.get(compound=demo, number=1) if role == Role.GRID_WORKER else None
    role_grant(actor=None, user=user, role=role, place=at, grid=grid)
    return user


def _inside(demo):
    resident = resident_in(demo, "2")
    audit(actor=None, action="test.inside", target=resident, place_path=resident.path)
    return {"building": building(demo, "2"), "unit": resident.unit, "resident": resident}


def _request(client, name, method, obj):
    if name.startswith("api:"):
        path = name[4:]
        url = "/api/v1/" + (path.replace("{id}", str(obj.pk)) if obj is not None else path) + "/"
        return client.get(url)
    url = reverse(name) if obj is None else reverse(name, args=[obj.pk])
    return client.post(url) if method == "POST" else client.get(url)


CASES = [(role.value, name) for role in Role for name, *_rest in ENDPOINTS]


@pytest.mark.parametrize(("role", "name"), CASES)
def test_role_on_endpoint_in_and_out_of_scope(client, demo, role, name):
    _name, method, kind, perm = next(e for e in ENDPOINTS if e[0] == name)
    allowed = perm in ROLE_PERMISSIONS[role]
    user = _holder(role, demo)
    inside, outside = _inside(demo), _elsewhere()
    client.force_login(user)
    session = client.session
    session[TWO_FACTOR_SESSION_KEY] = timezone.now().isoformat()  # the reveal also needs a verified session
    session.save()

    if kind == "list":
        response = _request(client, name, method, None)
        if not allowed:
            assert response.status_code == 403
            return
        assert response.status_code == 200
        body = response.content.decode()
        if name == "audit:list":
            assert "test.inside" in body and "test.elsewhere" not in body
        elif name.startswith("api:"):
            ids = {item["id"] for item in client.get("/api/v1/residents/", {"q": "外地居民"}).json()["items"]}
            assert outside["resident"].pk not in ids
            ids = {item["id"] for item in client.get("/api/v1/residents/", {"q": inside["resident"].name})
                   .json()["items"]}
            assert inside["resident"].pk in ids
        else:
            url = reverse(name)
            assert outside["resident"].name not in client.get(url, {"q": "外地居民"}).content.decode()
            assert inside["resident"].name in client.get(url, {"q": inside["resident"].name}).content.decode()
        return

    response = _request(client, name, method, inside[kind])
    expected = (302 if method == "POST" and name.endswith("reissue") else 200) if allowed else 403
    assert response.status_code == expected, (role, name, response.status_code)
    response = _request(client, name, method, outside[kind])
    assert response.status_code == 404, (role, name, "out of scope", response.status_code)


@pytest.mark.parametrize("name", [e[0] for e in ENDPOINTS])
def test_resident_accounts_get_nothing(client, demo, resident_a, resident_user, name):
    _name, method, kind, _perm = next(e for e in ENDPOINTS if e[0] == name)
    client.force_login(resident_user(resident_a))
    inside = _inside(demo)
    obj = None if kind == "list" else inside[kind]
    assert _request(client, name, method, obj).status_code in (403, 404)


def test_an_unknown_object_is_404_like_an_out_of_scope_one(client_for, secretary):
    assert client_for(secretary).get(reverse("places:resident", args=[987654321])).status_code == 404
    assert Place.objects.filter(pk=987654321).count() == 0
