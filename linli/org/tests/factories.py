"""What the organisation's tests look up in the demo compound, written once for all of them."""

import datetime as dt

import pytest

from linli.core.errors import ApplicationError
from linli.org.models import AnchorHousehold, PartyMembership
from linli.places.models import Household, Occupancy, Resident
from linli.places.services import household_move_in
from linli.places.tests.factories import building, unit_in


def non_member(demo, code: str) -> Resident:
    """A current adult resident of building ``code`` who is not a party member."""
    return (Resident.objects.filter(unit__building=building(demo, code), is_current=True,
                                    birth_date__lte=dt.date(1980, 1, 1))
            .exclude(party_memberships__is_active=True).order_by("id").first())


def plain_member(demo, code: str) -> PartyMembership:
    """An active member of building ``code`` whose household is neither an anchor nor one of a red steward."""
    anchors = AnchorHousehold.objects.filter(is_active=True).values("household_id")
    return (PartyMembership.objects.filter(is_active=True, path__startswith=building(demo, code).path,
                                           resident__is_current=True)
            .exclude(resident__household__in=anchors).exclude(resident__team_memberships__isnull=False)
            .order_by("id").first())


def new_household(actor, demo, code: str) -> Household:
    """A household moving into a vacant unit of building ``code`` (looked after by nobody yet)."""
    unit = unit_in(demo, code, occupancy=Occupancy.VACANT)
    return household_move_in(actor=actor, unit=unit, occupancy=Occupancy.RENTED, started_on=dt.date(2026, 9, 1))


def anchor_in(demo, code: str) -> AnchorHousehold:
    """The first active anchor household of building ``code``."""
    return AnchorHousehold.objects.filter(is_active=True, building=building(demo, code)).order_by("id")[0]


def refusal(fn, **kwargs) -> ApplicationError:
    """The ApplicationError ``fn(**kwargs)`` raises (the test fails if it raises none)."""
    with pytest.raises(ApplicationError) as info:
        fn(**kwargs)
    return info.value
