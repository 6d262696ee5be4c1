"""Register pages: what staff see, within their scope only, in a bounded number of queries."""

import re

import pytest
from django.urls import reverse

from linli.core import crypto
from linli.places.models import Occupancy, PlaceKind, Resident
from linli.places.services import household_move_out, resident_move_out
from linli.places.tests.factories import building, resident_in, unit_in

pytestmark = pytest.mark.django_db


def test_building_page_draws_floors_by_units_coloured_by_occupancy(client_for, branch, demo):
    b1 = building(demo, "1")
    response = client_for(branch).get(reverse("places:building", args=[b1.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    # 16 floors: 15 of dwellings (2 entrances × 2 per floor) + a ground floor of 15 shops.
    assert html.count('class="floor"') == 16
    assert html.count('data-occupancy="shop"') == 15
    units = list(b1.building_members.filter(kind=PlaceKind.UNIT))
    for occ in (Occupancy.OWNER_OCCUPIED, Occupancy.RENTED, Occupancy.VACANT):
        assert html.count(f'data-occupancy="{occ}"') == sum(u.occupancy == occ for u in units)
    some_unit = units[0]
    assert reverse("places:unit", args=[some_unit.pk]) in html


def test_building_page_query_count_is_bounded(client_for, branch, demo, django_assert_max_num_queries):
    client = client_for(branch)
    with django_assert_max_num_queries(10):
        client.get(reverse("places:building", args=[building(demo, "7").pk]))


def test_unit_page_shows_household_residents_and_history(client_for, branch, demo):
    resident = resident_in(demo, "2")
    unit = resident.unit
    household = resident.household
    household_move_out(actor=branch, household=household, ended_on=household.started_on.replace(year=2026))
    response = client_for(branch).get(reverse("places:unit", args=[unit.pk]))
    html = response.content.decode()
    assert response.status_code == 200
    assert resident.name in html
    assert "Former household" in html or "原住户" in html
    assert "2026-" in html  # the moving-out date is shown
    unit.refresh_from_db()
    assert unit.occupancy == Occupancy.VACANT


def test_moved_out_resident_is_kept_and_found_under_moved_out(client_for, branch, demo):
    resident = resident_in(demo, "3")
    resident_move_out(actor=branch, resident=resident, moved_out_on=resident.moved_in_on.replace(year=2026))
    assert Resident.objects.filter(pk=resident.pk).exists()
    client = client_for(branch)
    current = client.get(reverse("places:residents"), {"q": resident.name}).content.decode()
    former = client.get(reverse("places:residents"), {"q": resident.name, "status": "former"}).content.decode()
    assert reverse("places:resident", args=[resident.pk]) not in current
    assert reverse("places:resident", args=[resident.pk]) in former


@pytest.mark.parametrize("how", ["name", "phone", "id_number"])
def test_resident_search_by_name_phone_or_id_number(client_for, branch, demo, how):
    resident = resident_in(demo, "8")
    query = {
        "name": resident.name,
        "phone": crypto.decrypt(resident.phone_encrypted),
        "id_number": crypto.decrypt(resident.id_number_encrypted),
    }[how]
    html = client_for(branch).get(reverse("places:residents"), {"q": query}).content.decode()
    results = html.split('data-testid="residents"')[1].split("</table>")[0]
    assert reverse("places:resident", args=[resident.pk]) in results
    # The results show masked numbers only (the search box keeps what was typed).
    assert crypto.decrypt(resident.phone_encrypted) not in results
    assert crypto.decrypt(resident.id_number_encrypted) not in results
    assert resident.phone_masked in results


def test_resident_search_by_tag_and_htmx_partial(client_for, branch):
    client = client_for(branch)
    response = client.get(reverse("places:residents"), {"tag": "living_alone"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert "<nav class=\"navbar" not in html  # a partial, not the whole page
    n = Resident.objects.filter(is_current=True, tags__tag="living_alone").count()
    assert n > 0 and f"{n}" in html


def test_resident_list_query_count_is_bounded(client_for, branch, django_assert_max_num_queries):
    client = client_for(branch)
    with django_assert_max_num_queries(12):
        client.get(reverse("places:residents"))


def test_merchants_and_grids_lists(client_for, branch, django_assert_max_num_queries):
    client = client_for(branch)
    with django_assert_max_num_queries(12):
        merchants = client.get(reverse("places:merchants")).content.decode()
    assert merchants.count("<tr>") == 51  # header + a page of 50 of the 75 merchants
    with django_assert_max_num_queries(12):
        grids = client.get(reverse("places:grids")).content.decode()
    assert "第一网格" in grids and "第二网格" in grids and "第一网格员 张丽" in grids


# --- scope: a grid worker of grid 1 sees nothing of grid 2 -------------------------------------------------------


def _grid2_objects(demo):
    b6 = building(demo, "6")
    return {
        "building": b6,
        "unit": unit_in(demo, "6"),
        "resident": resident_in(demo, "6"),
    }


@pytest.mark.parametrize("kind", ["building", "unit", "resident"])
def test_grid_worker_gets_404_for_another_grid(client_for, grid1, demo, kind):
    obj = _grid2_objects(demo)[kind]
    response = client_for(grid1).get(reverse(f"places:{kind}", args=[obj.pk]))
    assert response.status_code == 404


@pytest.mark.parametrize("kind", ["building", "unit", "resident"])
def test_grid_worker_sees_own_grid(client_for, grid1, demo, kind):
    obj = {"building": building(demo, "2"), "unit": unit_in(demo, "2"), "resident": resident_in(demo, "2")}[kind]
    assert client_for(grid1).get(reverse(f"places:{kind}", args=[obj.pk])).status_code == 200


def test_missing_objects_are_404_too(client_for, branch):
    for name in ("building", "unit", "resident"):
        assert client_for(branch).get(reverse(f"places:{name}", args=[999999])).status_code == 404


@pytest.mark.parametrize("how", ["name", "phone", "id_number"])
def test_grid_worker_search_does_not_find_another_grid(client_for, grid1, demo, how):
    other = resident_in(demo, "9")
    query = {
        "name": other.name,
        "phone": crypto.decrypt(other.phone_encrypted),
        "id_number": crypto.decrypt(other.id_number_encrypted),
    }[how]
    html = client_for(grid1).get(reverse("places:residents"), {"q": query}).content.decode()
    assert reverse("places:resident", args=[other.pk]) not in html


def test_grid_worker_filtering_by_another_grids_building_is_404(client_for, grid1, demo):
    response = client_for(grid1).get(reverse("places:residents"), {"building": building(demo, "6").pk})
    assert response.status_code == 404


def test_grid_worker_lists_hold_only_their_grid(client_for, grid1, grid2, demo):
    grids = client_for(grid1).get(reverse("places:grids")).content.decode()
    assert "第一网格" in grids and "第二网格" not in grids
    residents = client_for(grid1).get(reverse("places:residents"), {"status": "all"}).content.decode()
    unit_names = re.findall(r'href="/places/units/\d+/">([^<]+)</a>', residents)
    assert unit_names and all(name.split("-")[0] in {"1", "2", "3", "4", "5"} for name in unit_names)
    # All 75 shops are in grid 1's buildings: grid 2 sees no merchant.
    merchants = client_for(grid2).get(reverse("places:merchants")).content.decode()
    assert merchants.count("<tr>") == 2  # header + "no merchant matches"


def test_user_without_role_sees_nothing(client_for, django_user_model, demo):
    nobody = django_user_model.objects.create_user(username="nobody", password="x" * 12)
    client = client_for(nobody)
    assert client.get(reverse("places:building", args=[building(demo, "1").pk])).status_code == 404
    html = client.get(reverse("places:residents")).content.decode()
    assert "/places/residents/" in html and 'href="/places/residents/' not in html.split("<main")[1]


@pytest.mark.parametrize(
    "name,args",
    [("places:residents", []), ("places:merchants", []), ("places:grids", []), ("places:building", [1]),
     ("places:unit", [1]), ("places:resident", [1])],
)
def test_anonymous_is_sent_to_sign_in(client, name, args):
    response = client.get(reverse(name, args=args))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]
