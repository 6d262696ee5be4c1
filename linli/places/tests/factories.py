"""Lookups into the demo compound and small builders for tests."""

from linli.places.models import Place, PlaceKind, Resident, UnitUse


def building(compound, code: str) -> Place:
    return Place.objects.get(compound=compound, kind=PlaceKind.BUILDING, code=code)


def unit_in(compound, building_code: str, use: str = UnitUse.DWELLING, **filters) -> Place:
    b = building(compound, building_code)
    return Place.objects.filter(building=b, kind=PlaceKind.UNIT, use=use, **filters).order_by("path").first()


def resident_in(compound, building_code: str, **filters) -> Resident:
    b = building(compound, building_code)
    return (
        Resident.objects.filter(unit__building=b, is_current=True, **filters)
        .exclude(phone_encrypted="")
        .order_by("id")
        .first()
    )
