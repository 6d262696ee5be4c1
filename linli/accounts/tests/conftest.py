"""Fixtures for accounts: residents of the two grids, resident accounts, staff with a verified second factor."""

import pyotp
import pytest

from linli.core import crypto


def _resident(demo, building_code):
    from linli.accounts.demo import demo_resident

    return demo_resident(demo, building_code)


@pytest.fixture
def resident_a(demo):
    """A current resident of building 2 (grid 1) with a mobile number, in a household of two or more."""
    return _resident(demo, "2")


@pytest.fixture
def resident_b(demo):
    """A current resident of building 7 (grid 2): resident_a's neighbour in the other grid."""
    return _resident(demo, "7")


@pytest.fixture
def phone_of():
    return lambda resident: crypto.decrypt(resident.phone_encrypted)


@pytest.fixture
def resident_user():
    """``resident_user(resident)``: the resident's own account (linked as if by phone)."""
    from linli.accounts.models import LinkMethod
    from linli.accounts.services import resident_account_for

    return lambda resident: resident_account_for(resident=resident, method=LinkMethod.PHONE)


@pytest.fixture
def totp_for():
    """``totp_for(user)``: enrol and confirm an authenticator for ``user``; returns its ``pyotp.TOTP``."""
    from django.utils import timezone

    from linli.accounts.models import TotpDevice

    def make(user):
        secret = pyotp.random_base32()
        TotpDevice.objects.update_or_create(user=user, defaults={
            "secret_encrypted": crypto.encrypt(secret), "confirmed_at": timezone.now(), "last_used_step": 0})
        return pyotp.TOTP(secret)

    return make


@pytest.fixture
def verified_client(client, totp_for):
    """``verified_client(user)``: a client signed in as ``user`` whose session passed a two-factor check."""
    from django.urls import reverse

    def make(user):
        totp = totp_for(user)
        client.force_login(user)
        response = client.post(reverse("accounts:two_factor_verify"), {"code": totp.now(), "next": "/"})
        assert response.status_code == 302, response.content[:500]
        return client

    return make


@pytest.fixture
def staff_user(demo):
    """``staff_user(role, username)``: a new staff member holding ``role`` at the demo compound."""
    from linli.accounts.services import role_grant, user_create

    def make(role, username=None):
        user = user_create(actor=None, username=username or f"t_{role}", password="a-long-test-password-1")
        role_grant(actor=None, user=user, role=role, place=demo)
        return user

    return make
