"""The JSON API at /api/v1/: token auth, the error shape, the register's figures, paging, filters, masking, scope."""

import json

import pytest

from linli.core import crypto
from linli.places.models import Household, Merchant, Occupancy, Place, PlaceKind, Resident, UnitUse

API = "/api/v1/"
LIST_ENDPOINTS = ["compounds/", "buildings/", "units/", "households/", "residents/", "merchants/"]
DEMO_FIGURES = {
    "buildings": 10,
    "units": 875,
    "resident_households": 724,
    "rented_units": 276,
    "merchants": 75,
    "grids": 2,
    "area_m2": 50491,
    "built_year": 2013,
}
ERROR_KEYS = {"detail", "code", "field"}


@pytest.fixture
def call(client, api_token):
    """``call(user, "residents/", limit=3)``: a GET as ``user`` with a bearer token (one token per user)."""
    tokens = {}

    def get(user, path, headers=None, **params):
        if user.pk not in tokens:
            tokens[user.pk] = api_token(user)
        all_headers = {"Authorization": f"Bearer {tokens[user.pk]}", **(headers or {})}
        return client.get(API + path, params, headers=all_headers)

    return get


def ok(response) -> dict:
    assert response.status_code == 200, (response.status_code, response.content[:500])
    return response.json()


def assert_error(response, status: int, code: str) -> dict:
    assert response.status_code == status, (response.status_code, response.content[:500])
    assert response["Content-Type"].startswith("application/json")
    body = response.json()
    assert set(body) >= ERROR_KEYS, body
    assert body["code"] == code
    assert isinstance(body["detail"], str) and body["detail"]
    return body


def all_items(call, user, path, **params) -> list[dict]:
    """Every item of a list endpoint, walking the pages."""
    items, offset = [], 0
    while True:
        body = ok(call(user, path, limit=500, offset=offset, **params))
        items += body["items"]
        offset += 500
        if offset >= body["count"]:
            assert len(items) == body["count"]
            return items


def building(demo, code: str) -> Place:
    return Place.objects.get(compound=demo, kind=PlaceKind.BUILDING, code=code)


def building_ids(demo, codes: list[str]) -> set[int]:
    buildings = Place.objects.filter(compound=demo, kind=PlaceKind.BUILDING, code__in=codes)
    return set(buildings.values_list("pk", flat=True))


@pytest.fixture
def grid1_buildings(demo) -> set[int]:
    return building_ids(demo, ["1", "2", "3", "4", "5"])


@pytest.fixture
def grid2_buildings(demo) -> set[int]:
    return building_ids(demo, ["6", "7", "8", "9", "10"])


# --- authentication and errors -----------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LIST_ENDPOINTS)
def test_no_token_is_401(client, demo, path):
    body = assert_error(client.get(API + path), 401, "not_authenticated")
    assert body["field"] is None


@pytest.mark.parametrize(
    "header", ["Bearer lnl_not-a-real-token", "Bearer ", "Token lnl_whatever", "Basic Zm9vOmJhcg=="]
)
def test_bad_token_is_401(client, demo, header):
    response = client.get(API + "compounds/", headers={"Authorization": header})
    assert_error(response, 401, "not_authenticated")
    assert response["WWW-Authenticate"].startswith("Bearer")


def test_revoked_token_and_inactive_user_are_401(client, demo, branch, api_token):
    from django.utils import timezone

    from linli.accounts.models import ApiToken

    key = api_token(branch)
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get(API + "compounds/", headers=headers).status_code == 200
    ApiToken.objects.filter(key_hash=ApiToken.hash_key(key)).update(revoked_at=timezone.now())
    assert_error(client.get(API + "compounds/", headers=headers), 401, "not_authenticated")

    key = api_token(branch)
    branch.is_active = False
    branch.save()
    assert_error(client.get(API + "compounds/", headers={"Authorization": f"Bearer {key}"}), 401, "not_authenticated")


def test_signed_in_session_works_for_the_docs(client_for, branch, demo):
    client = client_for(branch)
    body = ok(client.get(API + "compounds/"))
    assert body["count"] == 1
    assert client.get(API + "docs").status_code == 200


def test_user_without_a_role_sees_nothing(call, demo, django_user_model, grid2_buildings):
    nobody = django_user_model.objects.create(username="nobody")
    for path in LIST_ENDPOINTS:
        assert ok(call(nobody, path)) == {"items": [], "count": 0, "count_exact": True}
    assert_error(call(nobody, f"buildings/{min(grid2_buildings)}/"), 404, "not_found")


def test_error_messages_are_chinese_by_default_and_english_on_request(client, call, demo, grid1, grid2_buildings):
    zh = client.get(API + "compounds/").json()["detail"]
    en = client.get(API + "compounds/", headers={"Accept-Language": "en"}).json()["detail"]
    assert "Authorization: Bearer" in zh and "身份验证" in zh
    assert en.startswith("Authentication required")

    path = f"buildings/{min(grid2_buildings)}/"
    assert call(grid1, path).json()["detail"] == "未找到。"
    assert call(grid1, path, headers={"Accept-Language": "en"}).json()["detail"] == "Not found."
    assert call(grid1, path, headers={"Accept-Language": "en-GB,en;q=0.9"}).json()["detail"] == "Not found."
    # ?lang= wins over Accept-Language (and is remembered in a cookie, as on the pages).
    assert client.get(API + "compounds/", {"lang": "en"}, headers={"Accept-Language": "zh-hans"}).json()["detail"] == en


def test_validation_error_names_the_first_bad_parameter(call, branch, demo):
    body = assert_error(call(branch, "residents/", limit="many", tag="nonsense"), 422, "invalid")
    assert body["field"] == "tag" or body["field"] == "limit"
    assert {e["field"] for e in body["errors"]} == {"limit", "tag"}
    assert all(e["message"] and e["code"] for e in body["errors"])
    assert f"“{body['field']}”" in body["detail"]

    body = assert_error(call(branch, "units/", occupancy="empty", headers={"Accept-Language": "en"}), 422, "invalid")
    assert body["field"] == "occupancy"
    assert body["detail"] == "The value of the parameter “occupancy” is not valid."
    body = assert_error(call(branch, "units/", occupancy="empty"), 422, "invalid")
    assert body["detail"] == "参数“occupancy”的值无效。"


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 501}, {"offset": -1}])
def test_paging_bounds(call, branch, demo, params):
    body = assert_error(call(branch, "units/", **params), 422, "invalid")
    assert body["field"] == next(iter(params))


def test_application_error_has_the_same_shape(rf):
    from linli.api.api import on_application_error
    from linli.core.errors import ApplicationError

    response = on_application_error(rf.get("/api/v1/x"), ApplicationError("Bad thing.", field="name", code="taken"))
    assert response.status_code == 400
    assert json.loads(response.content) == {"detail": "Bad thing.", "code": "taken", "field": "name"}


# --- OpenAPI ------------------------------------------------------------------------------------------------------


def test_openapi_document_lists_every_path(client, db):
    response = client.get(API + "openapi.json")
    assert response.status_code == 200
    document = json.loads(response.content)
    assert document["info"]["title"] == "Linli API"
    assert document["info"]["version"] == "1"
    expected = {API + path for path in LIST_ENDPOINTS} | {
        f"{API}{path}{{{name}_id}}/"
        for path, name in zip(
            LIST_ENDPOINTS, ["compound", "building", "unit", "household", "resident", "merchant"], strict=True
        )
    }
    # The register's paths, and the closed loop's (linli/cases/api.py).
    expected |= {API + "cases/", API + "cases/{case_id}/", API + "cases/{case_id}/{action}/"}
    # The organisation's paths under org/ are listed by linli/org/tests/test_api.py.
    expected |= {path for path in document["paths"] if path.startswith(API + "org/")}
    assert set(document["paths"]) == expected
    schemes = document["components"]["securitySchemes"]
    assert any(s.get("scheme") == "bearer" for s in schemes.values())
    for item in document["paths"].values():
        for operation in item.values():
            assert operation["security"]


# --- compounds and their figures ---------------------------------------------------------------------------------


@pytest.mark.parametrize("username", ["branch", "secretary"])
def test_compound_figures_for_the_whole_compound(call, demo, username, request):
    user = request.getfixturevalue(username)
    body = ok(call(user, "compounds/"))
    assert body["count"] == 1
    compound = body["items"][0]
    assert {k: compound[k] for k in DEMO_FIGURES} == DEMO_FIGURES
    assert compound["id"] == demo.pk
    assert compound["name"] == "龙泽书苑"
    assert compound["path_names"] == ["青岛市", "崂山区", "沙子口街道", "山海社区"]
    assert compound["owner_occupied_units"] + compound["rented_units"] == compound["resident_households"]
    assert compound["vacant_units"] == 875 - 724
    assert compound["shop_units"] == 75
    assert compound["residents"] == Resident.objects.filter(is_current=True, unit__compound=demo).count()
    assert 0 < compound["care_roster"] < compound["residents"]
    assert ok(call(user, f"compounds/{demo.pk}/")) == compound


def test_compound_figures_for_a_grid_worker_are_their_grids(call, demo, grid1, grid2, grid1_buildings):
    one = ok(call(grid1, "compounds/"))["items"][0]
    dwellings = Place.objects.filter(building__in=grid1_buildings, kind=PlaceKind.UNIT, use=UnitUse.DWELLING)
    assert one["buildings"] == 5
    assert one["grids"] == 1
    assert one["units"] == dwellings.count()
    assert one["resident_households"] == dwellings.filter(occupancy__in=["owner_occupied", "rented"]).count()
    assert one["rented_units"] == dwellings.filter(occupancy=Occupancy.RENTED).count()
    assert one["merchants"] == 75
    assert one["area_m2"] == 50491 and one["built_year"] == 2013

    two = ok(call(grid2, f"compounds/{demo.pk}/"))
    assert two["buildings"] == 5 and two["grids"] == 1 and two["merchants"] == 0
    assert one["units"] + two["units"] == 875
    assert one["rented_units"] + two["rented_units"] == 276


def test_compound_out_of_scope_is_404(call, demo, secretary, grid1, branch):
    from linli.places.services import place_create

    other = place_create(actor=None, parent=demo.parent, kind=PlaceKind.COMPOUND, code="OTHER", name="别的小区")
    assert ok(call(secretary, f"compounds/{other.pk}/"))["buildings"] == 0
    assert ok(call(secretary, "compounds/"))["count"] == 2
    for user in (grid1, branch):
        assert_error(call(user, f"compounds/{other.pk}/"), 404, "not_found")
        assert [c["id"] for c in ok(call(user, "compounds/"))["items"]] == [demo.pk]
        assert_error(call(user, "buildings/", compound=other.pk), 404, "not_found")
    assert_error(call(secretary, "compounds/999999999/"), 404, "not_found")


# --- paging and filters ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", LIST_ENDPOINTS[1:])
def test_lists_paginate(call, branch, demo, path):
    first = ok(call(branch, path))
    assert first["count"] > 5
    assert len(first["items"]) == min(50, first["count"])
    page = ok(call(branch, path, limit=3, offset=2))
    assert page["count"] == first["count"]
    assert [i["id"] for i in page["items"]] == [i["id"] for i in first["items"][2:5]]
    last = ok(call(branch, path, limit=10, offset=first["count"] - 1))
    assert len(last["items"]) == 1
    assert ok(call(branch, path, offset=first["count"]))["items"] == []


def test_compounds_paginate(call, demo, secretary):
    from linli.places.services import place_create

    place_create(actor=None, parent=demo.parent, kind=PlaceKind.COMPOUND, code="OTHER", name="别的小区")
    both = ok(call(secretary, "compounds/"))
    assert both["count"] == 2
    second = ok(call(secretary, "compounds/", limit=1, offset=1))
    assert second["count"] == 2 and second["items"] == both["items"][1:]


def test_building_filters(call, branch, demo):
    assert ok(call(branch, "buildings/"))["count"] == 10
    body = ok(call(branch, "buildings/", compound=demo.pk))
    assert body["count"] == 10
    one = next(b for b in body["items"] if b["code"] == "1")
    assert one["units"] + one["shop_units"] == Place.objects.filter(building_id=one["id"], kind=PlaceKind.UNIT).count()
    assert one["shop_units"] == 15
    assert sum(b["units"] for b in body["items"]) == 875
    assert sum(b["rented_units"] for b in body["items"]) == 276
    assert ok(call(branch, f"buildings/{one['id']}/")) == one


def test_unit_filters(call, branch, demo):
    total = ok(call(branch, "units/"))["count"]
    assert total == 875 + 75
    b1 = building(demo, "1")
    in_b1 = all_items(call, branch, "units/", building=b1.pk)
    assert 0 < len(in_b1) < total
    assert {u["building_id"] for u in in_b1} == {b1.pk}
    rented = ok(call(branch, "units/", occupancy="rented", limit=500))
    assert rented["count"] == 276 and {u["occupancy"] for u in rented["items"]} == {"rented"}
    shops = ok(call(branch, "units/", use="shop", limit=500))
    assert shops["count"] == 75 and {u["use"] for u in shops["items"]} == {"shop"}
    both = ok(call(branch, "units/", building=b1.pk, use="shop"))
    assert both["count"] == 15
    unit = in_b1[0]
    assert ok(call(branch, f"units/{unit['id']}/")) == unit
    assert set(unit) == {"id", "code", "name", "floor", "use", "occupancy", "area_m2", "building_id"}


def test_household_filters(call, branch, demo):
    current = ok(call(branch, "households/"))
    assert current["count"] == 724
    former = ok(call(branch, "households/", current="false"))
    assert former["count"] == Household.objects.filter(is_current=False).count() > 0
    assert not any(h["is_current"] for h in former["items"])
    assert ok(call(branch, "households/", current="all"))["count"] == current["count"] + former["count"]
    assert ok(call(branch, "households/", occupancy="rented"))["count"] == 276
    b1 = building(demo, "1")
    in_b1 = all_items(call, branch, "households/", building=b1.pk)
    assert 0 < len(in_b1) < 724 and {h["building_id"] for h in in_b1} == {b1.pk}
    household = in_b1[0]
    assert household["resident_count"] == Resident.objects.filter(household_id=household["id"], is_current=True).count()
    assert ok(call(branch, f"households/{household['id']}/")) == household


def test_resident_filters(call, branch, demo):
    current = ok(call(branch, "residents/"))
    assert current["count"] == Resident.objects.filter(is_current=True).count()
    former = ok(call(branch, "residents/", current="false"))
    assert 0 < former["count"] < current["count"]
    assert ok(call(branch, "residents/", current="all"))["count"] == current["count"] + former["count"]

    alone = all_items(call, branch, "residents/", tag="living_alone")
    assert 0 < len(alone) < current["count"]
    assert all("living_alone" in r["tags"] for r in alone)
    elders = all_items(call, branch, "residents/", tag="aged_80_plus")
    assert elders and all(r["age"] >= 80 for r in elders)
    care = ok(call(branch, "residents/", tag="care"))["count"]
    assert care == ok(call(branch, f"compounds/{demo.pk}/"))["care_roster"]

    b1 = building(demo, "1")
    in_b1 = ok(call(branch, "residents/", building=b1.pk, limit=500))
    assert 0 < in_b1["count"] < current["count"] and {r["building_id"] for r in in_b1["items"]} == {b1.pk}

    resident = Resident.objects.filter(is_current=True).exclude(phone_encrypted="").first()
    surname = resident.name[0]
    by_name = all_items(call, branch, "residents/", q=surname)
    assert resident.pk in {r["id"] for r in by_name} and all(surname in r["name"] for r in by_name)


def test_resident_search_by_exact_phone_and_id_number(call, branch, demo):
    resident = Resident.objects.filter(is_current=True).exclude(phone_encrypted="").first()
    phone = crypto.decrypt(resident.phone_encrypted)
    id_number = crypto.decrypt(resident.id_number_encrypted)
    for q in (phone, id_number, f"{phone[:3]} {phone[3:7]} {phone[7:]}"):
        response = call(branch, "residents/", q=q)
        body = ok(response)
        assert [r["id"] for r in body["items"]] == [resident.pk]
        assert phone not in response.content.decode() and id_number not in response.content.decode()
    item = body["items"][0]
    assert item["phone_masked"] == resident.phone_masked == crypto.mask_phone(phone)
    assert item["id_number_masked"] == resident.id_number_masked
    # Exact only: part of a number finds nobody.
    assert ok(call(branch, "residents/", q=phone[:-1]))["count"] == 0
    assert ok(call(branch, "residents/", q=id_number[:-1]))["count"] == 0


def test_no_response_contains_a_decrypted_number(call, branch, demo):
    residents = {r.pk: r for r in Resident.objects.filter(unit__building__code__in=["1", "2"], unit__compound=demo)}
    merchants = {m.pk: m for m in Merchant.objects.all()}
    texts = [call(branch, "residents/", limit=500, current="all").content.decode()]
    shown = {item["id"] for item in json.loads(texts[0])["items"]}
    some = sorted(shown)[:5]
    texts += [call(branch, f"residents/{pk}/").content.decode() for pk in some]
    texts.append(call(branch, "merchants/", limit=500).content.decode())
    texts += [call(branch, f"merchants/{pk}/").content.decode() for pk in list(merchants)[:5]]
    secrets = [crypto.decrypt(r.phone_encrypted) for pk, r in residents.items() if pk in shown]
    secrets += [crypto.decrypt(r.id_number_encrypted) for pk, r in residents.items() if pk in shown]
    secrets += [crypto.decrypt(m.contact_phone_encrypted) for m in merchants.values()]
    secrets = [s for s in secrets if s]
    assert len(secrets) > 100
    for text in texts:
        assert "encrypted" not in text and "hash" not in text
        for secret in secrets:
            assert secret not in text


def test_resident_detail_fields(call, branch, demo):
    resident = Resident.objects.filter(is_current=True).exclude(phone_encrypted="").first()
    body = ok(call(branch, f"residents/{resident.pk}/"))
    assert body["name"] == resident.name
    assert body["unit_id"] == resident.unit_id and body["unit_name"] == resident.unit.name
    assert body["household_id"] == resident.household_id
    assert body["tags"] == sorted(resident.tag_values)
    assert body["phone_masked"].count("*") == 4 and body["id_number_masked"].count("*") == 8
    assert body["is_current"] is True


def test_merchant_filters(call, branch, demo):
    body = ok(call(branch, "merchants/", limit=500))
    assert body["count"] == 75
    trade = body["items"][0]["trade"]
    same = ok(call(branch, "merchants/", trade=trade, limit=500))
    assert 0 < same["count"] < 75 and {m["trade"] for m in same["items"]} == {trade}
    name = body["items"][0]["name"]
    found = ok(call(branch, "merchants/", q=name[:2], limit=500))
    assert 0 < found["count"] <= 75 and all(name[:2] in m["name"] for m in found["items"])
    licence = body["items"][0]["licence_number"]
    assert [m["id"] for m in ok(call(branch, "merchants/", q=licence))["items"]] == [body["items"][0]["id"]]
    assert ok(call(branch, "merchants/", active="false"))["count"] == 0
    Merchant.objects.filter(pk=body["items"][0]["id"]).update(is_active=False)
    assert ok(call(branch, "merchants/", active="false"))["count"] == 1
    assert ok(call(branch, "merchants/"))["count"] == 74
    assert ok(call(branch, "merchants/", active="all"))["count"] == 75
    merchant = body["items"][1]
    assert ok(call(branch, f"merchants/{merchant['id']}/")) == merchant
    assert merchant["contact_phone_masked"].count("*") == 4


# --- scope: a grid worker sees their grid only ---------------------------------------------------------------------


def _grid2_objects(demo):
    b6 = building(demo, "6")
    return {
        "buildings": b6,
        "units": Place.objects.filter(building=b6, kind=PlaceKind.UNIT).first(),
        "households": Household.objects.filter(unit__building=b6).first(),
        "residents": Resident.objects.filter(unit__building=b6).first(),
    }


@pytest.mark.parametrize("kind", ["buildings", "units", "households", "residents"])
def test_grid1_asking_for_an_object_of_grid2_gets_404(call, demo, grid1, grid2, kind):
    obj = _grid2_objects(demo)[kind]
    path = f"{kind}/{obj.pk}/"
    assert ok(call(grid2, path))["id"] == obj.pk
    body = assert_error(call(grid1, path), 404, "not_found")
    assert body == {"detail": "未找到。", "code": "not_found", "field": None}
    # The same answer as for an object that does not exist.
    assert call(grid1, f"{kind}/999999999/").json() == body


def test_grid2_asking_for_a_merchant_of_grid1_gets_404(call, demo, grid1, grid2):
    merchant = Merchant.objects.first()  # all the demo's shops are in grid 1
    path = f"merchants/{merchant.pk}/"
    assert ok(call(grid1, path))["id"] == merchant.pk
    assert_error(call(grid2, path), 404, "not_found")
    assert ok(call(grid2, "merchants/"))["count"] == 0


@pytest.mark.parametrize("path", ["units/", "households/", "residents/"])
def test_building_filter_of_another_grid_is_404(call, demo, grid1, path):
    assert_error(call(grid1, path, building=building(demo, "6").pk), 404, "not_found")


@pytest.mark.parametrize("path", LIST_ENDPOINTS[1:])
def test_grid1_lists_hold_nothing_of_grid2(call, demo, grid1, grid1_buildings, grid2_buildings, path):
    params = {"current": "all"} if path in ("households/", "residents/") else {}
    if path == "merchants/":
        params = {"active": "all"}
    items = all_items(call, grid1, path, **params)
    assert items
    key = "id" if path == "buildings/" else "building_id"
    seen = {item[key] for item in items}
    assert seen <= grid1_buildings
    assert not seen & grid2_buildings
    model = {"units/": Place, "households/": Household, "residents/": Resident, "merchants/": Merchant}.get(path)
    if model is Place:
        assert len(items) == Place.objects.filter(kind=PlaceKind.UNIT, building__in=grid1_buildings).count()
    elif model is not None:
        assert len(items) == model.objects.filter(unit__building__in=grid1_buildings).count()
    else:
        assert len(items) == 5


# --- bounded queries ---------------------------------------------------------------------------------------------


#: Queries a list may run: the token, the caller's scope (two for a grid worker), the count and the page, plus the
#: residents' tags, or the compounds' four figure queries and the names above them.
MAX_QUERIES = {"compounds/": 10, "residents/": 7}


@pytest.mark.parametrize("path", LIST_ENDPOINTS)
@pytest.mark.parametrize("username", ["branch", "grid1"])
def test_list_queries_are_bounded(call, demo, path, username, request, django_assert_max_num_queries):
    user = request.getfixturevalue(username)
    ok(call(user, path, limit=1))  # the token's first use is recorded: not part of the count
    params = {"current": "all"} if path in ("households/", "residents/") else {}
    with django_assert_max_num_queries(MAX_QUERIES.get(path, 6)) as small:
        ok(call(user, path, limit=2, **params))
    with django_assert_max_num_queries(MAX_QUERIES.get(path, 6)) as large:
        body = ok(call(user, path, limit=200, **params))
    assert len(body["items"]) == min(200, body["count"])
    assert len(large) == len(small)  # the same queries whatever the page size


@pytest.mark.parametrize("path", ["units/", "households/", "residents/"])
def test_filtered_list_queries_are_bounded(call, demo, branch, path, django_assert_max_num_queries):
    ok(call(branch, path, limit=1))
    with django_assert_max_num_queries(MAX_QUERIES.get(path, 6) + 1):  # + loading the building
        ok(call(branch, path, limit=200, building=building(demo, "2").pk))


def test_unexpected_error_answers_the_same_shape(call, branch, demo, monkeypatch):
    from linli.places import selectors

    def broken(**kwargs):
        raise RuntimeError("boom")

    monkeypatch.setattr(selectors, "unit_list", broken)
    body = assert_error(call(branch, "units/", headers={"Accept-Language": "en"}), 500, "server_error")
    assert body["detail"] == "Server error." and "boom" not in json.dumps(body)


def test_detail_paths_without_the_trailing_slash_redirect(call, branch, demo):
    unit = Place.objects.filter(compound=demo, kind=PlaceKind.UNIT).first()
    response = call(branch, f"units/{unit.pk}")
    assert response.status_code == 301
    assert response["Location"].endswith(f"/api/v1/units/{unit.pk}/")
