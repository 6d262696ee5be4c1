"""Mainland resident ID numbers (GB 11643-1999): 18 characters, the last a check digit (0–9 or X)."""

import datetime as dt
import re

_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
_CHECK = "10X98765432"
_PATTERN = re.compile(r"^\d{17}[\dX]$")


def check_digit(first17: str) -> str:
    """The ISO 7064 MOD 11-2 check character for the first 17 digits."""
    total = sum(int(d) * w for d, w in zip(first17, _WEIGHTS, strict=True))
    return _CHECK[total % 11]


def normalise(value: str) -> str:
    return (value or "").strip().upper()


def is_valid(value: str) -> bool:
    """True when the number has 18 characters, a real birth date and the right check digit."""
    value = normalise(value)
    if not _PATTERN.match(value):
        return False
    try:
        dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        return False
    return check_digit(value[:17]) == value[17]


def birth_date(value: str) -> dt.date | None:
    value = normalise(value)
    if not is_valid(value):
        return None
    return dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))


def make(region: str, born: dt.date, sequence: int) -> str:
    """Build a valid number (used by the demo generator and tests): region (6 digits), birth date, sequence."""
    first17 = f"{region}{born:%Y%m%d}{sequence % 1000:03d}"
    return first17 + check_digit(first17)
