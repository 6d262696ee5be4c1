"""The register over JSON (mounted at ``/api/v1/`` by :mod:`linli.api.api`): compounds with their figures, buildings,
units, households, residents and merchants — always within the caller's scope, through the same selectors as the
pages. Out-of-scope and missing objects answer the same 404.

Personal numbers leave only masked (``id_number_masked``, ``phone_masked``, ``contact_phone_masked``): the API never
decrypts them.
"""

import datetime as dt
from typing import Literal

from django.http import Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja import Field, Query, Router, Schema
from ninja.errors import HttpError
from ninja.pagination import paginate

from linli.accounts.permissions import SENSITIVE_TAGS, may_see_sensitive_tags, visible_tags
from linli.api.pagination import Pagination
from linli.places import selectors
from linli.places.models import Household, Merchant, Occupancy, Place, Resident, Tag, UnitUse

router = Router(tags=["register"])

OccupancyFilter = Literal[tuple(Occupancy.values)]
UseFilter = Literal[tuple(UnitUse.values)]
#: Stored tags, plus the computed ones the resident search knows: aged 80+ and the care roster.
TagFilter = Literal[("aged_80_plus", "care", *Tag.values)]
#: ``true`` (the default) for current records only, ``false`` for former ones, ``all`` for both.
CurrentFilter = Literal["true", "false", "all"]
CURRENT = {"true": True, "false": False, "all": None}


def _user(request):
    return request.auth


def _building(request, building: int | None) -> Place | None:
    """The building filter: an id outside the caller's scope answers 404, like the building itself."""
    if building is None:
        return None
    return selectors.get_building_for_user(user=_user(request), pk=building)


# --- schemas -----------------------------------------------------------------------------------------------------


class CompoundOut(Schema):
    id: int
    code: str
    name: str
    path_names: list[str] = Field(description="The names of the places above the compound, from the city down.")
    buildings: int
    units: int = Field(description="Dwelling units.")
    resident_households: int = Field(description="Dwelling units lived in (owner-occupied or rented).")
    owner_occupied_units: int
    rented_units: int
    vacant_units: int
    shop_units: int
    merchants: int = Field(description="Merchants trading now.")
    residents: int = Field(description="Current residents.")
    care_roster: int = Field(description="Current residents aged 80+, living alone, disabled or chronically ill.")
    grids: int
    area_m2: float | None = Field(description="The compound's land area.")
    built_year: int | None


class BuildingOut(Schema):
    id: int
    code: str
    name: str
    floors: int | None
    compound_id: int | None
    units: int = Field(description="Dwelling units.")
    resident_households: int
    owner_occupied_units: int
    rented_units: int
    vacant_units: int
    shop_units: int


class UnitOut(Schema):
    id: int
    code: str
    name: str
    floor: int | None
    use: str
    occupancy: str
    area_m2: float | None
    building_id: int | None


class HouseholdOut(Schema):
    id: int
    unit_id: int
    unit_name: str
    building_id: int | None
    occupancy: str
    is_current: bool
    started_on: dt.date | None
    ended_on: dt.date | None
    resident_count: int = Field(description="Current residents of the household.")

    @staticmethod
    def resolve_unit_name(obj: Household) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_building_id(obj: Household) -> int | None:
        return obj.unit.building_id


def _age(birth_date: dt.date | None, today: dt.date) -> int | None:
    if birth_date is None:
        return None
    return today.year - birth_date.year - ((today.month, today.day) < (birth_date.month, birth_date.day))


class ResidentOut(Schema):
    id: int
    name: str
    gender: str
    birth_date: dt.date | None
    age: int | None
    id_type: str
    id_number_masked: str
    phone_masked: str
    relation: str
    registration: str
    tags: list[str]
    unit_id: int
    unit_name: str
    building_id: int | None
    household_id: int
    moved_in_on: dt.date | None
    moved_out_on: dt.date | None
    is_current: bool

    @staticmethod
    def resolve_age(obj: Resident) -> int | None:
        return _age(obj.birth_date, timezone.localdate())

    @staticmethod
    def resolve_tags(obj: Resident, context) -> list[str]:
        """Sensitive tags (health, disability) only for roles holding ``view_sensitive_tags``."""
        request = (context or {}).get("request")
        user = getattr(request, "auth", None) if request is not None else None
        return sorted(visible_tags(user, obj.tag_values))

    @staticmethod
    def resolve_unit_name(obj: Resident) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_building_id(obj: Resident) -> int | None:
        return obj.unit.building_id


class MerchantOut(Schema):
    id: int
    name: str
    trade: str
    licence_number: str
    contact_name: str
    contact_phone_masked: str
    unit_id: int
    unit_name: str
    building_id: int | None
    opened_on: dt.date | None
    closed_on: dt.date | None
    is_active: bool

    @staticmethod
    def resolve_unit_name(obj: Merchant) -> str:
        return obj.unit.name

    @staticmethod
    def resolve_building_id(obj: Merchant) -> int | None:
        return obj.unit.building_id


# --- compounds ---------------------------------------------------------------------------------------------------


def _compound_rows(user, compounds: list[Place]) -> list[dict]:
    """Compounds with their figures (within the user's scope) and the names above them: five queries in all."""
    figures = selectors.compound_figures(user=user, compounds=compounds)
    chains = selectors.ancestors_of(compounds)
    return [
        {
            "id": c.pk,
            "code": c.code,
            "name": c.name,
            "path_names": [p.name for p in chains[c.pk]],
            **figures[c.pk],
        }
        for c in compounds
    ]


class _CompoundsWithFigures:
    """The compound list as a sequence whose slices carry figures: the paginator counts it, then takes one page,
    and the figures are computed for that page only."""

    def __init__(self, user):
        self.user = user
        self.queryset = selectors.compound_list(user=user)

    def __len__(self) -> int:
        return self.queryset.count()

    def __getitem__(self, index: slice) -> list[dict]:
        return _compound_rows(self.user, list(self.queryset[index]))


@router.get("compounds/", response=list[CompoundOut], summary="Compounds with their figures")
@paginate(Pagination)
def compound_list(request):
    """The compounds the caller works in, each with the register's figures counted within the caller's scope
    (a grid worker sees their grid's part of the compound)."""
    return _CompoundsWithFigures(_user(request))


@router.get("compounds/{compound_id}/", response=CompoundOut, summary="One compound with its figures")
def compound_detail(request, compound_id: int):
    compound = selectors.get_compound_for_user(user=_user(request), pk=compound_id)
    return _compound_rows(_user(request), [compound])[0]


# --- buildings and units -----------------------------------------------------------------------------------------


@router.get("buildings/", response=list[BuildingOut], summary="Buildings with their figures")
@paginate(Pagination)
def building_list(request, compound: int | None = None):
    """Buildings in scope; ``compound`` narrows to one compound (an id outside the caller's scope → 404)."""
    user = _user(request)
    place = selectors.get_compound_for_user(user=user, pk=compound) if compound is not None else None
    return selectors.building_list(user=user, compound=place)


@router.get("buildings/{building_id}/", response=BuildingOut, summary="One building with its figures")
def building_detail(request, building_id: int):
    user = _user(request)
    building = selectors.get_building_for_user(user=user, pk=building_id)
    # The same row as in the list, with its figures.
    annotated = selectors.building_list(user=user).filter(pk=building.pk).first()
    if annotated is None:  # pragma: no cover - the building was just found in scope
        raise Http404
    return annotated


@router.get("units/", response=list[UnitOut], summary="Units")
@paginate(Pagination)
def unit_list(
    request, building: int | None = None, occupancy: OccupancyFilter | None = None, use: UseFilter | None = None
):
    """Units (dwellings and shops) in scope, narrowed by building, occupancy and use."""
    return selectors.unit_list(
        user=_user(request), building=_building(request, building), occupancy=occupancy or "", use=use or ""
    )


@router.get("units/{unit_id}/", response=UnitOut, summary="One unit")
def unit_detail(request, unit_id: int):
    return selectors.get_unit_for_user(user=_user(request), pk=unit_id)


# --- households, residents, merchants ----------------------------------------------------------------------------


@router.get("households/", response=list[HouseholdOut], summary="Households")
@paginate(Pagination)
def household_list(
    request,
    building: int | None = None,
    occupancy: OccupancyFilter | None = None,
    current: CurrentFilter = "true",
):
    """Households in scope: current ones unless ``current`` says ``false`` (moved out) or ``all``."""
    return selectors.household_list(
        user=_user(request),
        building=_building(request, building),
        occupancy=occupancy or "",
        current=CURRENT[current],
    )


@router.get("households/{household_id}/", response=HouseholdOut, summary="One household")
def household_detail(request, household_id: int):
    user = _user(request)
    household = selectors.get_household_for_user(user=user, pk=household_id)
    # The same row as in the list, with its resident count.
    annotated = selectors.household_list(user=user, current=None).filter(pk=household.pk).first()
    if annotated is None:  # pragma: no cover - the household was just found in scope
        raise Http404
    return annotated


@router.get("residents/", response=list[ResidentOut], summary="Residents")
@paginate(Pagination)
def resident_list(
    request,
    q: str = Query(
        "", description="A name (or part of it), or a whole mobile phone or ID number (exact match, never partial)."
    ),
    tag: TagFilter | None = None,
    building: int | None = None,
    current: CurrentFilter = "true",
):
    """Residents in scope, found by name, mobile phone or ID number and narrowed by tag and building. Phone and ID
    numbers are answered masked; the sensitive tags (health, disability) are neither shown nor searchable for roles
    that may not see them (403)."""
    if tag in SENSITIVE_TAGS and not may_see_sensitive_tags(_user(request)):
        raise HttpError(403, _("Your role may not see or search this tag."))
    return selectors.resident_search(
        user=_user(request), q=q, tag=tag or "", building=_building(request, building), current=CURRENT[current]
    )


@router.get("residents/{resident_id}/", response=ResidentOut, summary="One resident")
def resident_detail(request, resident_id: int):
    return selectors.get_resident_for_user(user=_user(request), pk=resident_id)


@router.get("merchants/", response=list[MerchantOut], summary="Merchants")
@paginate(Pagination)
def merchant_list(
    request,
    q: str = Query("", description="A name (or part of it) or a whole licence number."),
    trade: str = "",
    active: CurrentFilter = "true",
):
    """Merchants in scope: trading ones unless ``active`` says ``false`` (closed) or ``all``."""
    return selectors.merchant_list(user=_user(request), q=q.strip(), trade=trade, active=CURRENT[active])


@router.get("merchants/{merchant_id}/", response=MerchantOut, summary="One merchant")
def merchant_detail(request, merchant_id: int):
    return selectors.get_merchant_for_user(user=_user(request), pk=merchant_id)
