"""Every write to the register. Keyword-only, atomic, audited; nothing is ever deleted.

Imports and the demo loader call these same functions, so that a row entered by hand, imported from Excel or
generated for the demo obeys the same rules.
"""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.utils.translation import gettext as _

from linli.core import idnumbers
from linli.core.audit import audit
from linli.core.errors import ApplicationError
from linli.places.models import (
    KIND_ORDER,
    Grid,
    Household,
    IdType,
    Merchant,
    Occupancy,
    Place,
    PlaceKind,
    Resident,
    ResidentTag,
    UnitUse,
)

#: Which kinds may hang under which (a shop unit may sit directly under its building).
ALLOWED_PARENTS = {
    PlaceKind.CITY: {None},
    PlaceKind.DISTRICT: {PlaceKind.CITY},
    PlaceKind.STREET: {PlaceKind.DISTRICT},
    PlaceKind.COMMUNITY: {PlaceKind.STREET},
    PlaceKind.COMPOUND: {PlaceKind.COMMUNITY},
    PlaceKind.BUILDING: {PlaceKind.COMPOUND},
    PlaceKind.ENTRANCE: {PlaceKind.BUILDING},
    PlaceKind.UNIT: {PlaceKind.ENTRANCE, PlaceKind.BUILDING},
}


def build_place(*, parent: Place | None, kind: str, code: str, name: str, **attrs) -> Place:
    """An unsaved place with its path, depth and compound worked out; checks the tree's rules."""
    code = (code or "").strip()
    if not code or "/" in code:
        raise ApplicationError(_("A code is required and may not contain “/”."), field="code")
    parent_kind = parent.kind if parent else None
    if parent_kind not in ALLOWED_PARENTS[kind]:
        raise ApplicationError(
            _("A %(kind)s cannot be placed under a %(parent)s.")
            % {"kind": PlaceKind(kind).label, "parent": PlaceKind(parent_kind).label if parent_kind else "—"},
            field="parent",
        )
    place = Place(
        parent=parent,
        kind=kind,
        code=code,
        name=(name or code).strip(),
        path=f"{parent.path if parent else ''}{code}/",
        depth=parent.depth + 1 if parent else 0,
        **attrs,
    )
    if kind == PlaceKind.COMPOUND:
        place.compound = None  # set to itself after saving (as is a building's ``building``)
    elif parent is not None and KIND_ORDER.index(kind) > KIND_ORDER.index(PlaceKind.COMPOUND):
        place.compound_id = parent.pk if parent.kind == PlaceKind.COMPOUND else parent.compound_id
    if parent is not None and parent.kind in (PlaceKind.BUILDING, PlaceKind.ENTRANCE):
        place.building_id = parent.pk if parent.kind == PlaceKind.BUILDING else parent.building_id
    if kind == PlaceKind.UNIT and not place.occupancy:
        place.occupancy = Occupancy.SHOP if place.use == UnitUse.SHOP else Occupancy.VACANT
    return place


@transaction.atomic
def place_create(*, actor, parent: Place | None, kind: str, code: str, name: str = "", **attrs) -> Place:
    """Add a node to the place tree under ``parent``."""
    if parent is not None and Place.objects.filter(parent=parent, code=code.strip()).exists():
        raise ApplicationError(_("“%(code)s” already exists here.") % {"code": code}, field="code")
    place = build_place(parent=parent, kind=kind, code=code, name=name, **attrs)
    place.save()
    if kind == PlaceKind.COMPOUND:
        place.compound = place
        place.save(update_fields=["compound"])
    elif kind == PlaceKind.BUILDING:
        place.building = place
        place.save(update_fields=["building"])
    audit(actor=actor, action="place.created", target=place, place_path=place.path, data={"kind": kind})
    return place


def _check_unit(unit: Place) -> None:
    if unit.kind != PlaceKind.UNIT:
        raise ApplicationError(_("Households live in units, not in a %(kind)s.") % {"kind": unit.get_kind_display()})


def check_household_move_in(*, unit: Place, occupancy: str) -> None:
    """The rules of a moving-in, checked without writing (shared by :func:`household_move_in` and the import)."""
    _check_unit(unit)
    if unit.use == UnitUse.SHOP:
        raise ApplicationError(_("A shop unit holds merchants, not households."), field="unit")
    if occupancy not in (Occupancy.OWNER_OCCUPIED, Occupancy.RENTED):
        raise ApplicationError(_("A household is either owner-occupied or renting."), field="occupancy")
    if Household.objects.filter(unit=unit, is_current=True).exists():
        raise ApplicationError(
            _("Unit %(unit)s already has a household; record its moving out first.") % {"unit": unit.name},
            field="unit",
        )


@transaction.atomic
def household_move_in(
    *, actor, unit: Place, occupancy: str, started_on: dt.date | None = None, note: str = ""
) -> Household:
    """A household moves into a unit (an owner's family or a tenancy); the unit must not have one already."""
    _check_unit(unit)
    unit = Place.objects.select_for_update().get(pk=unit.pk)
    check_household_move_in(unit=unit, occupancy=occupancy)
    household = Household.objects.create(
        unit=unit, path=unit.path, occupancy=occupancy, started_on=started_on, note=note
    )
    unit.occupancy = occupancy
    unit.save(update_fields=["occupancy"])
    audit(actor=actor, action="household.moved_in", target=household, place_path=unit.path,
          data={"occupancy": occupancy})
    return household


@transaction.atomic
def household_move_out(*, actor, household: Household, ended_on: dt.date) -> Household:
    """The household leaves: it and its residents stay in the history, the unit becomes vacant."""
    household = Household.objects.select_for_update().get(pk=household.pk)
    if not household.is_current:
        raise ApplicationError(_("This household has already moved out."))
    if household.started_on and ended_on < household.started_on:
        raise ApplicationError(_("The moving-out date is before the moving-in date."), field="ended_on")
    household.is_current = False
    household.ended_on = ended_on
    household.save(update_fields=["is_current", "ended_on"])
    household.residents.filter(is_current=True).update(is_current=False, moved_out_on=ended_on)
    Place.objects.filter(pk=household.unit_id).update(occupancy=Occupancy.VACANT)
    audit(actor=actor, action="household.moved_out", target=household, place_path=household.path,
          data={"ended_on": ended_on.isoformat()})
    return household


def build_resident(
    *,
    household: Household,
    name: str,
    gender: str,
    relation: str,
    registration: str,
    birth_date: dt.date | None = None,
    id_type: str = IdType.RESIDENT_ID,
    id_number: str = "",
    phone: str = "",
    moved_in_on: dt.date | None = None,
) -> Resident:
    """An unsaved, validated resident of ``household`` (shared by the service, the import and the demo)."""
    name = (name or "").strip()
    if not name:
        raise ApplicationError(_("The name is required."), field="name")
    id_number = idnumbers.normalise(id_number)
    if id_number and id_type == IdType.RESIDENT_ID:
        if not idnumbers.is_valid(id_number):
            raise ApplicationError(
                _("“%(value)s” is not a valid resident ID number (18 characters with a correct check digit).")
                % {"value": id_number},
                field="id_number",
            )
        born = idnumbers.birth_date(id_number)
        if birth_date and birth_date != born:
            raise ApplicationError(_("The date of birth does not match the ID number."), field="birth_date")
        birth_date = born
    phone = (phone or "").strip().replace(" ", "").replace("-", "")
    if phone and not (phone.isdigit() and len(phone) == 11 and phone.startswith("1")):
        raise ApplicationError(
            _("“%(value)s” is not a mobile phone number (11 digits starting with 1).") % {"value": phone},
            field="phone",
        )
    resident = Resident(
        household=household,
        unit_id=household.unit_id,
        path=household.path,
        name=name,
        gender=gender,
        birth_date=birth_date,
        id_type=id_type,
        relation=relation,
        registration=registration,
        moved_in_on=moved_in_on or household.started_on,
        is_current=household.is_current,
    )
    resident.set_id_number(id_number)
    resident.set_phone(phone)
    return resident


def check_id_number_free(id_number: str, *, exclude_pk: int | None = None) -> None:
    """One person, one current record: an ID number may belong to one current resident only."""
    if not id_number:
        return
    from linli.core.crypto import keyed_hash

    clash = Resident.objects.filter(id_number_hash=keyed_hash(id_number), is_current=True)
    if exclude_pk:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise ApplicationError(_("A current resident with this ID number is already registered."), field="id_number")


@transaction.atomic
def resident_add(*, actor, household: Household, tags: Iterable[str] = (), **fields) -> Resident:
    """Register a person as living in ``household``."""
    if not household.is_current:
        raise ApplicationError(_("This household has moved out; nobody can be added to it."))
    resident = build_resident(household=household, **fields)
    check_id_number_free(fields.get("id_number", ""))
    resident.save()
    ResidentTag.objects.bulk_create([ResidentTag(resident=resident, tag=t) for t in sorted(set(tags))])
    audit(actor=actor, action="resident.added", target=resident, place_path=resident.path)
    return resident


@transaction.atomic
def resident_move_out(*, actor, resident: Resident, moved_out_on: dt.date) -> Resident:
    """A person leaves the household; the record stays, with the date."""
    resident = Resident.objects.select_for_update().get(pk=resident.pk)
    if not resident.is_current:
        raise ApplicationError(_("This resident has already moved out."))
    if resident.moved_in_on and moved_out_on < resident.moved_in_on:
        raise ApplicationError(_("The moving-out date is before the moving-in date."), field="moved_out_on")
    resident.is_current = False
    resident.moved_out_on = moved_out_on
    resident.save(update_fields=["is_current", "moved_out_on", "updated_at"])
    audit(actor=actor, action="resident.moved_out", target=resident, place_path=resident.path)
    return resident


def build_merchant(*, unit: Place, name: str, trade: str, licence_number: str = "", contact_name: str = "",
                   contact_phone: str = "", opened_on: dt.date | None = None) -> Merchant:
    """An unsaved, validated merchant of a shop unit (shared by :func:`merchant_register` and the import)."""
    if unit.kind != PlaceKind.UNIT or unit.use != UnitUse.SHOP:
        raise ApplicationError(_("Merchants trade from shop units."), field="unit")
    if not (name or "").strip():
        raise ApplicationError(_("The name is required."), field="name")
    merchant = Merchant(unit=unit, path=unit.path, name=name.strip(), trade=trade.strip(),
                        licence_number=licence_number.strip(), contact_name=contact_name.strip(), opened_on=opened_on)
    merchant.set_contact_phone(contact_phone)
    return merchant


@transaction.atomic
def merchant_register(*, actor, unit: Place, name: str, trade: str, licence_number: str = "",
                      contact_name: str = "", contact_phone: str = "", opened_on: dt.date | None = None) -> Merchant:
    """A business opens in a shop unit."""
    merchant = build_merchant(unit=unit, name=name, trade=trade, licence_number=licence_number,
                              contact_name=contact_name, contact_phone=contact_phone, opened_on=opened_on)
    merchant.save()
    audit(actor=actor, action="merchant.registered", target=merchant, place_path=merchant.path)
    return merchant


@transaction.atomic
def grid_create(*, actor, compound: Place, number: int, name: str, buildings: Iterable[Place], worker=None) -> Grid:
    """A grid of a compound: its buildings and the grid worker who looks after them."""
    buildings = list(buildings)
    if any(b.compound_id != compound.pk or b.kind != PlaceKind.BUILDING for b in buildings):
        raise ApplicationError(_("A grid is made of buildings of its own compound."), field="buildings")
    grid = Grid.objects.create(compound=compound, number=number, name=name, worker=worker)
    grid.buildings.set(buildings)
    audit(actor=actor, action="grid.created", target=grid, place_path=compound.path,
          data={"buildings": [b.code for b in buildings]})
    return grid
