"""Personal data at rest: encryption (Fernet, rotatable), keyed hashes for exact search, and masking.

ID and phone numbers are stored three ways: encrypted (readable only with the data key), as an HMAC-SHA256 keyed
hash (so "find the resident with this ID number" is an indexed equality), and masked (what pages show by default).
Rotation: put the new key first in ``LINLI_DATA_KEYS`` and keep the old ones after it; ``manage.py rotate_data_keys``
re-encrypts every row with the newest key, after which the old keys can be dropped.
"""

import hashlib
import hmac
from functools import lru_cache

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings


@lru_cache(maxsize=4)
def _fernet(keys: tuple[str, ...]) -> MultiFernet:
    return MultiFernet([Fernet(k.encode()) for k in keys])


def fernet() -> MultiFernet:
    return _fernet(tuple(settings.LINLI_DATA_KEYS))


def encrypt(value: str) -> str:
    """Encrypt a non-empty string with the newest data key; empty stays empty."""
    if not value:
        return ""
    return fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    if not token:
        return ""
    return fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Re-encrypt a token with the newest key (decrypting with whichever key made it)."""
    if not token:
        return ""
    return fernet().rotate(token.encode()).decode()


def keyed_hash(value: str) -> str:
    """The HMAC of a normalised value: equal inputs give equal hashes, the hash reveals nothing without the key."""
    if not value:
        return ""
    normalised = value.strip().upper().replace(" ", "")
    return hmac.new(settings.LINLI_HASH_KEY.encode(), normalised.encode(), hashlib.sha256).hexdigest()


def mask_id_number(value: str) -> str:
    """``370212198001011234`` → ``370212********1234``: region and last four only."""
    if not value:
        return ""
    if len(value) <= 8:
        return value[:1] + "*" * (len(value) - 1)
    return value[:6] + "*" * (len(value) - 10) + value[-4:]


def mask_phone(value: str) -> str:
    """``13812345678`` → ``138****5678``."""
    if not value:
        return ""
    if len(value) < 7:
        return "*" * len(value)
    return value[:3] + "*" * (len(value) - 7) + value[-4:]
