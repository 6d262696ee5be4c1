"""Importers: one per kind, checking a row against the compound's register with the services' own rules and
writing it. Each is used twice by :func:`linli.places.tasks.run_import`: once to check every row (``check_row``)
and, when no row failed, once more inside one transaction to check and write (``check_row``, ``add``, ``flush``)."""

import contextlib
from typing import Any

from django.utils.translation import gettext as _

from linli.core import idnumbers
from linli.core.crypto import keyed_hash
from linli.core.errors import ApplicationError
from linli.places import services
from linli.places.imports.cells import RowError
from linli.places.models import (
    Household,
    IdType,
    ImportKind,
    Merchant,
    Place,
    PlaceKind,
    Resident,
    ResidentTag,
)

#: Rows written per INSERT in the write pass.
BATCH = 500


# --- importers -----------------------------------------------------------------------------------------------------


class Importer:
    """Checks rows of one kind against the compound's register and writes them; see the module docstring."""

    kind: str

    def __init__(self, *, compound: Place, actor):
        self.compound = compound
        self.actor = actor
        self.seen: dict[Any, int] = {}
        self.created = 0
        self.buildings = {b.code: b for b in Place.objects.filter(parent=compound, kind=PlaceKind.BUILDING)}

    def _load_units(self) -> None:
        self.entrances = {
            (e.parent_id, e.code): e for e in Place.objects.filter(compound=self.compound, kind=PlaceKind.ENTRANCE)
        }
        self.units = {(u.parent_id, u.code): u for u in Place.objects.filter(compound=self.compound,
                                                                               kind=PlaceKind.UNIT)}

    # helpers ------------------------------------------------------------------------------------------------------
    @contextlib.contextmanager
    def columns(self, fields: dict[str, str], default: str | None = None):
        """Turn a service's ApplicationError into a row problem at the column its ``field`` names."""
        try:
            yield
        except ApplicationError as e:
            raise RowError([(fields.get(e.field or "", default), str(e.message))]) from None

    def once(self, key: Any, row: int, column: str) -> None:
        """The same thing may appear only once in a file."""
        first = self.seen.setdefault(key, row)
        if first != row:
            raise RowError([(column, _("Already given in row %(row)s of this file.") % {"row": first})])

    def building(self, data: dict) -> Place:
        building = self.buildings.get(data["building_code"])
        if building is None:
            raise RowError([("building_code", _("There is no building “%(code)s” in this compound.")
                             % {"code": data["building_code"]})])
        return building

    def unit(self, data: dict) -> Place:
        building = self.building(data)
        parent = building
        if data.get("entrance_code"):
            parent = self.entrances.get((building.pk, data["entrance_code"]))
            if parent is None:
                raise RowError([("entrance_code", _("Building %(building)s has no entrance “%(code)s”.")
                                 % {"building": building.name, "code": data["entrance_code"]})])
        unit = self.units.get((parent.pk, data["unit_code"]))
        if unit is None:
            raise RowError([("unit_code", _("There is no unit “%(code)s” in %(place)s.")
                             % {"code": data["unit_code"], "place": parent.name})])
        return unit

    # the protocol -------------------------------------------------------------------------------------------------
    def check_row(self, row: int, data: dict, problems: list[tuple[str, str]]) -> Any:
        if problems:
            raise RowError(problems)
        return self.check(row, data)

    def check(self, row: int, data: dict) -> Any:
        """Validate one row (raises :class:`RowError`); returns what ``add`` writes."""
        raise NotImplementedError

    def add(self, plan: Any) -> None:
        raise NotImplementedError

    def flush(self) -> None:
        """Write whatever ``add`` buffered."""

    def summary(self) -> dict:
        return {"created": self.created}


class BuildingImporter(Importer):
    kind = ImportKind.BUILDINGS

    def check(self, row, data):
        code = data["building_code"]
        self.once(code, row, "building_code")
        if code in self.buildings:
            raise RowError([("building_code", _("“%(code)s” already exists here.") % {"code": code})])
        with self.columns({"code": "building_code"}, default="building_code"):
            services.build_place(parent=self.compound, kind=PlaceKind.BUILDING, code=code, name=data["name"],
                                 floors=data["floors"])
        return data

    def add(self, plan):
        services.place_create(actor=self.actor, parent=self.compound, kind=PlaceKind.BUILDING,
                              code=plan["building_code"], name=plan["name"], floors=plan["floors"])
        self.created += 1


class UnitImporter(Importer):
    kind = ImportKind.UNITS

    def __init__(self, **kw):
        super().__init__(**kw)
        self._load_units()
        self.pending: list[Place] = []
        self.entrances_created = 0

    def check(self, row, data):
        building = self.building(data)
        entrance_code, code = data["entrance_code"], data["unit_code"]
        parent = building
        if entrance_code:
            parent = self.entrances.get((building.pk, entrance_code))
            if parent is None:  # a missing entrance is created (checked here, saved by ``add``)
                with self.columns({}, default="entrance_code"):
                    parent = services.build_place(parent=building, kind=PlaceKind.ENTRANCE, code=entrance_code,
                                                  name=f"{entrance_code}单元")
                self.entrances[(building.pk, entrance_code)] = parent
        self.once((building.pk, entrance_code, code), row, "unit_code")
        if parent.pk and (parent.pk, code) in self.units:
            raise RowError([("unit_code", _("“%(code)s” already exists here.") % {"code": code})])
        name = f"{building.code}-{entrance_code}-{code}" if entrance_code else f"{building.name} {code}"
        with self.columns({"code": "unit_code", "use": "use", "floor": "floor"}, default="unit_code"):
            return services.build_place(parent=parent, kind=PlaceKind.UNIT, code=code, name=name,
                                        floor=data["floor"], use=data["use"], area_m2=data["area_m2"])

    def add(self, unit):
        if unit.parent.pk is None:
            unit.parent.save()
            self.entrances_created += 1
        self.pending.append(unit)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self):
        Place.objects.bulk_create(self.pending)
        self.created += len(self.pending)
        self.pending = []

    def summary(self):
        return {"created": self.created, "entrances_created": self.entrances_created}


class HouseholdImporter(Importer):
    kind = ImportKind.HOUSEHOLDS

    def __init__(self, **kw):
        super().__init__(**kw)
        self._load_units()

    def check(self, row, data):
        unit = self.unit(data)
        self.once(unit.pk, row, "unit_code")
        with self.columns({"unit": "unit_code", "occupancy": "occupancy"}, default="unit_code"):
            services.check_household_move_in(unit=unit, occupancy=data["occupancy"])
        return unit, data

    def add(self, plan):
        unit, data = plan
        services.household_move_in(actor=self.actor, unit=unit, occupancy=data["occupancy"],
                                   started_on=data["started_on"], note=data["note"])
        self.created += 1


class ResidentImporter(Importer):
    kind = ImportKind.RESIDENTS
    FIELDS = {"name": "name", "gender": "gender", "birth_date": "birth_date", "id_type": "id_type",
              "id_number": "id_number", "phone": "phone", "relation": "relation", "registration": "registration",
              "moved_in_on": "moved_in_on"}

    def __init__(self, **kw):
        super().__init__(**kw)
        self._load_units()
        self.households = {
            h.unit_id: h for h in Household.objects.filter(unit__compound=self.compound, is_current=True)
        }
        self.pending: list[tuple[Resident, list[str]]] = []

    def check(self, row, data):
        unit = self.unit(data)
        household = self.households.get(unit.pk)
        if household is None:
            raise RowError([("unit_code", _("Unit %(unit)s has no current household; import the household first.")
                             % {"unit": unit.name})])
        with self.columns(self.FIELDS):
            resident = services.build_resident(
                household=household, name=data["name"], gender=data["gender"], relation=data["relation"],
                registration=data["registration"], birth_date=data["birth_date"],
                id_type=data["id_type"] or IdType.RESIDENT_ID, id_number=data["id_number"], phone=data["phone"],
                moved_in_on=data["moved_in_on"],
            )
        id_number = idnumbers.normalise(data["id_number"])
        if id_number:
            self.once(("id_number", keyed_hash(id_number)), row, "id_number")
            with self.columns(self.FIELDS):
                services.check_id_number_free(id_number)
        return resident, data["tags"]

    def add(self, plan):
        self.pending.append(plan)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self):
        residents = Resident.objects.bulk_create([r for r, _tags in self.pending])
        ResidentTag.objects.bulk_create(
            [ResidentTag(resident=r, tag=t) for r, (_r, ts) in zip(residents, self.pending, strict=True) for t in ts]
        )
        self.created += len(residents)
        self.pending = []


class MerchantImporter(Importer):
    kind = ImportKind.MERCHANTS

    def __init__(self, **kw):
        super().__init__(**kw)
        self._load_units()
        self.pending: list[Merchant] = []

    def check(self, row, data):
        building = self.building(data)
        unit = self.units.get((building.pk, data["unit_code"]))
        if unit is None:
            raise RowError([("unit_code", _("Building %(building)s has no shop unit “%(code)s”.")
                             % {"building": building.name, "code": data["unit_code"]})])
        with self.columns({"unit": "unit_code", "name": "name"}):
            return services.build_merchant(
                unit=unit, name=data["name"], trade=data["trade"], licence_number=data["licence_number"],
                contact_name=data["contact_name"], contact_phone=data["contact_phone"], opened_on=data["opened_on"],
            )

    def add(self, merchant):
        self.pending.append(merchant)
        if len(self.pending) >= BATCH:
            self.flush()

    def flush(self):
        Merchant.objects.bulk_create(self.pending)
        self.created += len(self.pending)
        self.pending = []


IMPORTERS: dict[str, type[Importer]] = {
    cls.kind: cls for cls in (BuildingImporter, UnitImporter, HouseholdImporter, ResidentImporter, MerchantImporter)
}
