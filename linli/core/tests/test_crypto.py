"""Personal data at rest: encrypted, findable by keyed hash, masked, and re-encryptable under a new key."""

import pytest
from cryptography.fernet import Fernet
from django.core.management import call_command
from django.db import connection

from linli.core import crypto, idnumbers
from linli.places.models import Resident


def test_masks():
    assert crypto.mask_id_number("370212198001011234") == "370212********1234"
    assert crypto.mask_phone("13812345678") == "138****5678"
    assert crypto.mask_phone("") == ""


def test_keyed_hash_is_stable_and_normalised():
    assert crypto.keyed_hash("37021219800101123x") == crypto.keyed_hash(" 37021219800101123X ")
    assert crypto.keyed_hash("13812345678") != crypto.keyed_hash("13812345679")
    assert "13812345678" not in crypto.keyed_hash("13812345678")


@pytest.mark.parametrize(
    "number,valid",
    [
        (idnumbers.make("370212", __import__("datetime").date(1950, 3, 9), 17), True),
        ("11010519491231002X", True),  # the standard's own example
        ("110105194912310021", False),  # wrong check digit
        ("11010519491331002X", False),  # month 13
        ("1101051949123100", False),  # too short
    ],
)
def test_gb11643_check_digit(number, valid):
    assert idnumbers.is_valid(number) is valid


@pytest.mark.django_db
def test_raw_columns_hold_no_plaintext():
    resident = Resident.objects.exclude(phone_encrypted="").first()
    phone = crypto.decrypt(resident.phone_encrypted)
    id_number = crypto.decrypt(resident.id_number_encrypted)
    with connection.cursor() as cursor:
        cursor.execute("SELECT * FROM places_resident WHERE id = %s", [resident.pk])
        raw = " ".join(str(v) for v in cursor.fetchone())
    assert phone not in raw and id_number not in raw
    assert resident.phone_masked in raw  # the masked form is stored for display


@pytest.mark.django_db
def test_key_rotation_reencrypts_everything(settings):
    resident = Resident.objects.exclude(phone_encrypted="").first()
    phone = crypto.decrypt(resident.phone_encrypted)
    old_keys = list(settings.LINLI_DATA_KEYS)
    new_key = Fernet.generate_key().decode()
    settings.LINLI_DATA_KEYS = [new_key, *old_keys]
    call_command("rotate_data_keys", stdout=open("/dev/null", "w"))  # noqa: SIM115
    # Readable with the new key alone: the old one can be dropped.
    settings.LINLI_DATA_KEYS = [new_key]
    resident.refresh_from_db()
    assert crypto.decrypt(resident.phone_encrypted) == phone
    settings.LINLI_DATA_KEYS = old_keys
