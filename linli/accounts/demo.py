"""The demo's accounts: an invitation code for every dwelling and one resident account; two-factor devices with
published secrets for the demo staff who must use two-factor sign-in.

:func:`ensure_accounts_demo` returns the ``residents`` entry of ``var/demo-credentials.json``: two residents of
different grids with their (synthetic) mobile numbers and their households' invitation codes, so that a person can
try both ways in. :func:`ensure_demo_two_factor` adds ``totp_secret`` to the staff entries that need it.
"""

import base64
import hashlib
import hmac

from linli.accounts.models import LinkMethod, TotpDevice, User
from linli.accounts.permissions import may_reveal
from linli.accounts.services import invitations_ensure, resident_account_for, totp_device_install
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


# --- two-factor sign-in for the demo's staff ---------------------------------------------------------------------


def demo_totp_secret(username: str) -> str:
    """The demo's published TOTP secret for ``username``: the same on every install, derived from the name alone,
    so that a person trying the demo can add it to an authenticator app once. Public by construction — which is
    why only a device holding exactly this secret is a "demo device" (``manage.py totp_code`` prints codes for
    those and for nothing else)."""
    digest = hashlib.sha256(f"linli-demo-totp:{username}".encode()).digest()
    return base64.b32encode(digest[:20]).decode()


def is_demo_device(device: TotpDevice) -> bool:
    return device.confirmed_at is not None and hmac.compare_digest(
        decrypt(device.secret_encrypted), demo_totp_secret(device.user.username))


def ensure_demo_two_factor(entries: list[dict]) -> None:
    """Give each demo user whose roles may reveal personal data (and so must use two-factor sign-in) a device with
    the demo secret, and write the secret into their credentials entry (``totp_secret``). A device someone enrolled
    with their own authenticator is left alone (its entry says ``null``)."""
    for entry in entries:
        user = User.objects.get(username=entry["username"])
        if not may_reveal(user):
            continue
        device = TotpDevice.objects.filter(user=user).select_related("user").first()
        if device is None or device.confirmed_at is None:
            device = totp_device_install(actor=None, user=user, secret=demo_totp_secret(user.username))
        entry["totp_secret"] = demo_totp_secret(user.username) if is_demo_device(device) else None
