"""Every read of the register, always within the user's scope (see :mod:`linli.core.scope`)."""

import datetime as dt
from dataclasses import dataclass

from django.db.models import Count, Exists, OuterRef, Prefetch, Q, QuerySet
from django.db.models.functions import Length
from django.http import Http404
from django.utils import timezone

from linli.core import crypto
from linli.core.db import CompiledQuery, fields_with, instance_from
from linli.core.scope import get_in_scope_or_404, in_scope, scope_paths, scope_q, touches
from linli.places.models import (
    CARE_TAGS,
    Grid,
    Household,
    Merchant,
    Occupancy,
    Place,
    PlaceKind,
    Resident,
    ResidentTag,
    UnitUse,
)

#: The figures of a compound, each documented in docs/register.md. Keys are the API's keys.
OCCUPIED = [Occupancy.OWNER_OCCUPIED, Occupancy.RENTED]


def _dwelling(**extra) -> dict:
    return {"kind": PlaceKind.UNIT, "use": UnitUse.DWELLING, **extra}


#: Each figure as the lookups a place must match to be counted (docs/register.md says the same in words).
FIGURE_LOOKUPS = {
    "buildings": {"kind": PlaceKind.BUILDING},
    "units": _dwelling(),
    "resident_households": _dwelling(occupancy__in=OCCUPIED),
    "owner_occupied_units": _dwelling(occupancy=Occupancy.OWNER_OCCUPIED),
    "rented_units": _dwelling(occupancy=Occupancy.RENTED),
    "vacant_units": _dwelling(occupancy=Occupancy.VACANT),
    "shop_units": {"kind": PlaceKind.UNIT, "use": UnitUse.SHOP},
}


def figure_q(key: str, through: str = "") -> Q:
    """The filter of one figure, on places themselves or ``through`` a relation (e.g. a building's members)."""
    prefix = f"{through}__" if through else ""
    return Q(**{prefix + lookup: value for lookup, value in FIGURE_LOOKUPS[key].items()})


PLACE_FIGURES = {key: figure_q(key) for key in FIGURE_LOOKUPS}


def eighty_cutoff(today: dt.date | None = None) -> dt.date:
    """Born on or before this date → aged 80 or more today."""
    today = today or timezone.localdate()
    try:
        return today.replace(year=today.year - 80)
    except ValueError:  # 29 February
        return today.replace(year=today.year - 80, day=28)


def care_q(today: dt.date | None = None) -> Q:
    """Residents on the care roster: aged 80+, living alone, disabled or chronically ill."""
    tagged = ResidentTag.objects.filter(resident=OuterRef("pk"), tag__in=CARE_TAGS)
    return Q(birth_date__lte=eighty_cutoff(today)) | Q(Exists(tagged))


# --- compounds ---------------------------------------------------------------------------------------------------


def compound_list(*, user) -> QuerySet[Place]:
    """Compounds the user works in: inside their scope, or containing part of it (a grid worker's compound)."""
    paths = scope_paths(user)
    if not paths:
        return Place.objects.none()
    inside = scope_q(user)
    # A compound containing a scope path: the scope path starts with the compound's path. Compounds sit at a fixed
    # depth, so the ancestors of each scope path are known without a walk.
    containing = Q()
    for p in paths:
        parts = p.strip("/").split("/")
        containing |= Q(path__in=["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)])
    return Place.objects.filter(kind=PlaceKind.COMPOUND).filter(inside | containing).order_by("path")


def get_compound_for_user(*, user, pk: int) -> Place:
    compound = Place.objects.filter(kind=PlaceKind.COMPOUND, pk=pk).select_related("parent__parent__parent").first()
    if compound is None or not touches(user, compound.path):
        raise Http404
    return compound


def compound_figures(*, user, compounds: list[Place]) -> dict[int, dict]:
    """The register's figures for each compound, restricted to the user's scope: three grouped queries in all."""
    ids = [c.pk for c in compounds]
    figures = {c.pk: {"area_m2": c.area_m2, "built_year": c.built_year} for c in compounds}
    rows = (
        Place.objects.filter(compound_id__in=ids)
        .filter(scope_q(user))
        .values("compound_id")
        .annotate(**{k: Count("pk", filter=q) for k, q in PLACE_FIGURES.items()})
    )
    for row in rows:
        figures[row.pop("compound_id")].update(row)
    merchants = (
        Merchant.objects.filter(unit__compound_id__in=ids, is_active=True)
        .filter(scope_q(user))
        .values("unit__compound_id")
        .annotate(n=Count("pk"))
    )
    residents = (
        Resident.objects.filter(unit__compound_id__in=ids, is_current=True)
        .filter(scope_q(user))
        .values("unit__compound_id")
        .annotate(n=Count("pk"), care=Count("pk", filter=care_q()))
    )
    grids = Grid.objects.filter(compound_id__in=ids).filter(
        Exists(Place.objects.filter(grid_memberships=OuterRef("pk")).filter(scope_q(user)))
    ).values("compound_id").annotate(n=Count("pk"))
    for c in compounds:
        f = figures[c.pk]
        for key in PLACE_FIGURES:
            f.setdefault(key, 0)
        f.update(merchants=0, residents=0, care_roster=0, grids=0)
    for row in merchants:
        figures[row["unit__compound_id"]]["merchants"] = row["n"]
    for row in residents:
        figures[row["unit__compound_id"]].update(residents=row["n"], care_roster=row["care"])
    for row in grids:
        figures[row["compound_id"]]["grids"] = row["n"]
    return figures


def ancestors(place: Place) -> list[Place]:
    """The chain from the root down to ``place``'s parent, in one query (by the codes in its path)."""
    parts = place.path.strip("/").split("/")[:-1]
    paths = ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    return list(Place.objects.filter(path__in=paths).order_by("depth"))


def ancestors_of(places: list[Place]) -> dict[int, list[Place]]:
    """:func:`ancestors` for many places at once, by place pk: one query however many places."""
    chains: dict[int, list[str]] = {}
    for place in places:
        parts = place.path.strip("/").split("/")[:-1]
        chains[place.pk] = ["/".join(parts[:i]) + "/" for i in range(1, len(parts) + 1)]
    wanted = {p for paths in chains.values() for p in paths}
    by_path = {p.path: p for p in Place.objects.filter(path__in=wanted)} if wanted else {}
    return {pk: [by_path[p] for p in paths if p in by_path] for pk, paths in chains.items()}


# --- buildings and units -----------------------------------------------------------------------------------------


def building_list(*, user, compound: Place | None = None) -> QuerySet[Place]:
    qs = Place.objects.filter(kind=PlaceKind.BUILDING).filter(scope_q(user))
    if compound is not None:
        qs = qs.filter(compound=compound)
    members = "building_members"
    figures = {key: Count(members, filter=figure_q(key, members)) for key in FIGURE_LOOKUPS if key != "buildings"}
    return qs.annotate(**figures).order_by("compound_id", Length("code"), "code")


def get_building_for_user(*, user, pk: int) -> Place:
    return get_in_scope_or_404(Place.objects.filter(kind=PlaceKind.BUILDING), user, pk=pk)


@dataclass
class FloorRow:
    floor: int
    groups: list[tuple[Place | None, list[Place]]]  # (entrance or None for shops, units on this floor)


def building_grid(*, building: Place) -> tuple[list[FloorRow], dict[str, int]]:
    """The building as floors × units, top floor first, grouped by entrance; and counts by occupancy. Two queries."""
    entrances = list(Place.objects.filter(parent=building, kind=PlaceKind.ENTRANCE).order_by("code"))
    units = Place.objects.filter(path__startswith=building.path, kind=PlaceKind.UNIT).order_by("floor", "code")
    by_floor: dict[int, dict[int | None, list[Place]]] = {}
    counts = {o.value: 0 for o in Occupancy}
    for unit in units:
        parent_key = unit.parent_id if unit.parent_id != building.pk else None
        by_floor.setdefault(unit.floor or 0, {}).setdefault(parent_key, []).append(unit)
        counts[unit.occupancy] = counts.get(unit.occupancy, 0) + 1
    order = [None] + [e.pk for e in entrances]
    entrance_by_pk = {e.pk: e for e in entrances}
    rows = []
    for floor in sorted(by_floor, reverse=True):
        groups = [(entrance_by_pk.get(k), by_floor[floor][k]) for k in order if k in by_floor[floor]]
        rows.append(FloorRow(floor=floor, groups=groups))
    return rows, counts


def unit_list(*, user, building: Place | None = None, occupancy: str = "", use: str = "") -> QuerySet[Place]:
    qs = Place.objects.filter(kind=PlaceKind.UNIT).filter(scope_q(user))
    if building is not None:
        qs = qs.filter(path__startswith=building.path)
    if occupancy:
        qs = qs.filter(occupancy=occupancy)
    if use:
        qs = qs.filter(use=use)
    return qs.order_by("path")


#: A place with its compound by key, compiled once per process: every report reads one (see :mod:`linli.core.db`).
_PLACE_WITH_COMPOUND = CompiledQuery(
    lambda pk: Place.objects.filter(pk=pk).values_list(*fields_with(Place, related=("compound",))), -7_300_000_002)


def get_place_for_user(*, user, pk: int) -> Place:
    """Any place in the user's scope, with its compound loaded (where a case is reported), or 404."""
    rows = _PLACE_WITH_COMPOUND.rows(pk) if 0 < pk < 2**63 else []  # beyond a key's range: none such, not a 500
    place = instance_from(Place, rows[0], related=("compound",)) if rows else None
    if place is None or not in_scope(user, place.path):
        raise Http404
    return place


def get_unit_for_user(*, user, pk: int) -> Place:
    return get_in_scope_or_404(Place.objects.filter(kind=PlaceKind.UNIT), user, pk=pk)


def unit_households(*, unit: Place) -> list[Household]:
    """A unit's households, current first, each with its residents (movers-out included) and their tags."""
    residents = Resident.objects.order_by("-is_current", "id").prefetch_related("tags")
    return list(
        Household.objects.filter(unit=unit)
        .order_by("-is_current", "-started_on", "-id")
        .prefetch_related(Prefetch("residents", queryset=residents))
    )


# --- households, residents, merchants, grids ---------------------------------------------------------------------


def household_list(*, user, building: Place | None = None, occupancy: str = "", current: bool | None = True):
    qs = Household.objects.filter(scope_q(user)).select_related("unit")
    if building is not None:
        qs = qs.filter(path__startswith=building.path)
    if occupancy:
        qs = qs.filter(occupancy=occupancy)
    if current is not None:
        qs = qs.filter(is_current=current)
    return qs.annotate(resident_count=Count("residents", filter=Q(residents__is_current=True))).order_by("path", "id")


def get_household_for_user(*, user, pk: int) -> Household:
    return get_in_scope_or_404(Household.objects.select_related("unit"), user, pk=pk)


def resident_search(
    *, user, q: str = "", tag: str = "", building: Place | None = None, current: bool | None = True
) -> QuerySet[Resident]:
    """Residents in scope, found by name (part of it), mobile phone or ID number (exact, through the keyed hash)."""
    qs = Resident.objects.filter(scope_q(user)).select_related("unit").prefetch_related("tags")
    q = (q or "").strip()
    if q:
        compact = q.replace(" ", "").replace("-", "")
        if compact.isdigit() and len(compact) == 11:
            qs = qs.filter(phone_hash=crypto.keyed_hash(compact))
        elif len(compact) == 18 and compact[:17].isdigit():
            qs = qs.filter(id_number_hash=crypto.keyed_hash(compact))
        else:  # a name, or another kind of ID document's number
            qs = qs.filter(Q(name__icontains=q) | Q(id_number_hash=crypto.keyed_hash(compact)))
    if tag == "aged_80_plus":
        qs = qs.filter(birth_date__lte=eighty_cutoff())
    elif tag == "care":
        qs = qs.filter(care_q())
    elif tag:
        qs = qs.filter(tags__tag=tag)
    if building is not None:
        qs = qs.filter(path__startswith=building.path)
    if current is not None:
        qs = qs.filter(is_current=current)
    return qs.order_by("path", "id")


def get_resident_for_user(*, user, pk: int) -> Resident:
    return get_in_scope_or_404(Resident.objects.select_related("unit", "household").prefetch_related("tags"),
                               user, pk=pk)


def merchant_list(*, user, q: str = "", trade: str = "", active: bool | None = True) -> QuerySet[Merchant]:
    qs = Merchant.objects.filter(scope_q(user)).select_related("unit__parent")
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(licence_number__iexact=q.strip()))
    if trade:
        qs = qs.filter(trade=trade)
    if active is not None:
        qs = qs.filter(is_active=active)
    return qs.order_by("path", "name")


def get_merchant_for_user(*, user, pk: int) -> Merchant:
    return get_in_scope_or_404(Merchant.objects.select_related("unit"), user, pk=pk)


def grid_list(*, user) -> list[Grid]:
    """Grids that hold at least one building in the user's scope, with their buildings and worker."""
    visible = Place.objects.filter(grid_memberships=OuterRef("pk")).filter(scope_q(user))
    return list(
        Grid.objects.filter(Exists(visible))
        .select_related("worker", "compound")
        .prefetch_related(Prefetch("buildings", queryset=Place.objects.order_by(Length("code"), "code")))
        .order_by("compound__path", "number")
    )


def merchant_trades(*, user) -> list[str]:
    """The trades of the merchants in scope, for the filter."""
    trades = Merchant.objects.filter(scope_q(user), is_active=True).values_list("trade", flat=True)
    return list(trades.distinct().order_by("trade"))
