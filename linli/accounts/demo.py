"""The demo's resident side: an invitation code for every dwelling, and one resident account.

Returns the ``residents`` entry of ``var/demo-credentials.json``: two residents of different grids with their
(synthetic) mobile numbers and their households' invitation codes, so that a person can try both ways in.
"""

from linli.accounts.models import LinkMethod
from linli.accounts.services import invitations_ensure, resident_account_for
from linli.core.crypto import decrypt
from linli.places.models import Place, PlaceKind, Resident, UnitUse

#: Buildings of the two demo residents: building 2 is in grid 1, building 7 in grid 2.
DEMO_RESIDENT_BUILDINGS = ["2", "7"]


def demo_resident(compound: Place, building_code: str) -> Resident | None:
    """The demo's resident of a building: the first current one with a mobile number, in a household of two or
    more (so the household page shows a family)."""
    candidates = (Resident.objects.filter(unit__compound=compound, unit__building__code=building_code,
                                          unit__use=UnitUse.DWELLING, is_current=True, household__is_current=True)
                  .exclude(phone_encrypted="").select_related("unit").order_by("id"))
    for resident in candidates[:50]:
        if Resident.objects.filter(household_id=resident.household_id, is_current=True).count() >= 2:
            return resident
    return candidates.first()


def ensure_accounts_demo(compound: Place) -> list[dict]:
    units = list(Place.objects.filter(compound=compound, kind=PlaceKind.UNIT, use=UnitUse.DWELLING))
    invitations_ensure(actor=None, units=units)
    rows = []
    for i, code in enumerate(DEMO_RESIDENT_BUILDINGS):
        resident = demo_resident(compound, code)
        if resident is None:
            continue
        if i == 0:  # one account exists already (linked by phone); the other household is left to claim
            resident_account_for(resident=resident, method=LinkMethod.PHONE)
        invitation = resident.unit.invitation_codes.filter(used_at__isnull=True, revoked_at__isnull=True).first()
        rows.append({"name": resident.name, "phone": decrypt(resident.phone_encrypted), "unit": resident.unit.name,
                     "invitation_code": invitation.code if invitation else ""})
    return rows
