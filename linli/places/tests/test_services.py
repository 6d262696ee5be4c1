"""The register's rules, as the services enforce them."""

import datetime as dt

import pytest

from linli.core import idnumbers
from linli.core.errors import ApplicationError
from linli.core.models import AuditEvent
from linli.places import selectors
from linli.places.models import Household, Occupancy, Place, PlaceKind, Relation, Resident
from linli.places.services import household_move_in, household_move_out, place_create, resident_add
from linli.places.tests.factories import building, unit_in

pytestmark = pytest.mark.django_db


def test_tree_rules_and_paths(branch, demo):
    b = place_create(actor=branch, parent=demo, kind=PlaceKind.BUILDING, code="11", name="11号楼", floors=6)
    e = place_create(actor=branch, parent=b, kind=PlaceKind.ENTRANCE, code="1", name="1单元")
    u = place_create(actor=branch, parent=e, kind=PlaceKind.UNIT, code="101", name="11-1-101", floor=1,
                     use="dwelling")
    assert u.path == demo.path + "11/1/101/" and u.compound_id == demo.pk and u.building_id == b.pk
    assert u.occupancy == Occupancy.VACANT
    with pytest.raises(ApplicationError):
        place_create(actor=branch, parent=demo, kind=PlaceKind.UNIT, code="x", name="x")  # unit under a compound
    with pytest.raises(ApplicationError):
        place_create(actor=branch, parent=demo, kind=PlaceKind.BUILDING, code="11", name="dup")
    with pytest.raises(ApplicationError):
        place_create(actor=branch, parent=demo, kind=PlaceKind.BUILDING, code="a/b", name="slash")


def test_subtree_is_one_prefix_query(demo, django_assert_num_queries):
    b1 = building(demo, "1")
    with django_assert_num_queries(1):
        n = Place.objects.filter(path__startswith=b1.path, kind=PlaceKind.UNIT).count()
    assert n == 60 + 15


def test_move_in_and_out_keep_occupancy_and_history(branch, demo):
    unit = unit_in(demo, "9", occupancy=Occupancy.VACANT)
    before = selectors.compound_figures(user=branch, compounds=[demo])[demo.pk]
    household = household_move_in(actor=branch, unit=unit, occupancy=Occupancy.RENTED,
                                  started_on=dt.date(2026, 3, 1))
    resident = resident_add(actor=branch, household=household, name="测试租户", gender="F",
                            relation=Relation.HEAD, registration="floating",
                            id_number=idnumbers.make("370212", dt.date(1999, 5, 6), 1))
    assert resident.birth_date == dt.date(1999, 5, 6)  # from the ID number
    after = selectors.compound_figures(user=branch, compounds=[demo])[demo.pk]
    assert after["rented_units"] == before["rented_units"] + 1
    assert after["vacant_units"] == before["vacant_units"] - 1
    with pytest.raises(ApplicationError):
        household_move_in(actor=branch, unit=unit, occupancy=Occupancy.OWNER_OCCUPIED)
    household_move_out(actor=branch, household=household, ended_on=dt.date(2026, 10, 1))
    resident.refresh_from_db()
    assert not resident.is_current and resident.moved_out_on == dt.date(2026, 10, 1)
    assert Household.objects.filter(pk=household.pk).exists()
    unit.refresh_from_db()
    assert unit.occupancy == Occupancy.VACANT
    actions = set(AuditEvent.objects.filter(place_path=unit.path).values_list("action", flat=True))
    assert {"household.moved_in", "resident.added", "household.moved_out"} <= actions


@pytest.mark.parametrize(
    "field,value,message_part",
    [
        ("id_number", "370212199905060000", "ID"),
        ("phone", "12345", "mobile"),
        ("name", "  ", "name"),
    ],
)
def test_bad_resident_input_is_refused_with_the_field_named(branch, demo, field, value, message_part):
    household = Household.objects.filter(is_current=True, path__startswith=demo.path).first()
    count = Resident.objects.count()
    data = {"name": "张三", "gender": "M", "relation": Relation.CHILD, "registration": "registered", field: value}
    with pytest.raises(ApplicationError) as error:
        resident_add(actor=branch, household=household, **data)
    assert error.value.field == field
    assert Resident.objects.count() == count


def test_same_id_number_cannot_be_registered_twice(branch, demo):
    resident = Resident.objects.filter(is_current=True, path__startswith=demo.path).exclude(id_number_hash="").first()
    from linli.core import crypto

    household = Household.objects.filter(is_current=True).exclude(pk=resident.household_id).first()
    with pytest.raises(ApplicationError):
        resident_add(actor=branch, household=household, name="冒名", gender="M", relation=Relation.OTHER,
                     registration="floating", id_number=crypto.decrypt(resident.id_number_encrypted))


def test_demo_reproduces_the_seed(branch, demo):
    f = selectors.compound_figures(user=branch, compounds=[demo])[demo.pk]
    assert (f["buildings"], f["units"], f["resident_households"], f["rented_units"], f["merchants"], f["grids"]) == (
        10, 875, 724, 276, 75, 2)
    assert f["care_roster"] >= 310
    floors = sorted(Place.objects.filter(compound=demo, kind=PlaceKind.BUILDING).values_list("floors", flat=True))
    assert floors[0] >= 12 and floors[-1] <= 16
    party = Resident.objects.filter(is_current=True, tags__tag__startswith="party_").distinct().count()
    assert party >= 60
