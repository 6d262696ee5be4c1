"""Reading cells: text, codes, numbers, dates, personal numbers and choice columns, each with a translated message
when a cell cannot be read."""

import datetime as dt
import re
from collections.abc import Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from django.db import models
from django.utils import translation
from django.utils.translation import gettext as _

from linli.places.models import Gender, IdType, Occupancy, Registration, Relation, Tag, UnitUse


class ImportFileError(Exception):
    """The file as a whole cannot be imported (not a workbook, wrong headers, too big…); ``message`` is translated."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


class CellError(Exception):
    """A cell could not be read; ``message`` is translated."""


class RowError(Exception):
    """A row cannot be imported: ``problems`` is a list of (column key or ``None``, translated message)."""

    def __init__(self, problems: list[tuple[str | None, str]]):
        super().__init__(problems)
        self.problems = problems


# --- reading cells -------------------------------------------------------------------------------------------------


def normalise(value: Any) -> str:
    """Case, spaces and full-width brackets do not matter when matching headers and choice labels."""
    text = str(value).strip().lower().replace("（", "(").replace("）", ")").replace("：", ":")
    return re.sub(r"\s+", "", text).rstrip("*")


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def as_text(value: Any) -> str:
    """A cell as text: ``101`` and ``101.0`` (how Excel stores a number typed as a code) both read "101"."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def text(max_length: int) -> Callable[[Any], str]:
    def parse(value: Any) -> str:
        result = as_text(value)
        if len(result) > max_length:
            raise CellError(
                _("At most %(max)s characters (this has %(length)s).") % {"max": max_length, "length": len(result)}
            )
        return result

    return parse


def integer(low: int, high: int) -> Callable[[Any], int]:
    def parse(value: Any) -> int:
        if isinstance(value, int) and not isinstance(value, bool):
            number = value
        elif isinstance(value, float) and value.is_integer():
            number = int(value)
        elif isinstance(value, str) and re.fullmatch(r"[+-]?\d+", value.strip()):
            number = int(value.strip())
        else:
            raise CellError(_("“%(value)s” is not a whole number.") % {"value": as_text(value)})
        if not low <= number <= high:
            raise CellError(_("Must be between %(low)s and %(high)s.") % {"low": low, "high": high})
        return number

    return parse


def area(value: Any) -> Decimal:
    raw = value
    if isinstance(value, str):
        value = re.sub(r"(㎡|m²|m2|平方米|平米)$", "", value.strip(), flags=re.IGNORECASE).strip()
    try:
        number = Decimal(str(value)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise CellError(_("“%(value)s” is not a number.") % {"value": as_text(raw)}) from None
    if not Decimal(0) < number < Decimal(10**9):
        raise CellError(_("“%(value)s” is not a plausible area in m².") % {"value": as_text(raw)})
    return number


_DATE = re.compile(r"(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?")


def date(value: Any) -> dt.date:
    if isinstance(value, dt.datetime):
        result = value.date()
    elif isinstance(value, dt.date):
        result = value
    else:
        match = _DATE.fullmatch(as_text(value))
        try:
            result = dt.date(*(int(g) for g in match.groups())) if match else None
        except ValueError:
            result = None
        if result is None:
            raise CellError(_("“%(value)s” is not a date (write it as 2024-03-01).") % {"value": as_text(value)})
    if not 1900 <= result.year <= 2100:
        raise CellError(_("“%(value)s” is not a plausible date.") % {"value": result.isoformat()})
    return result


def personal_number(max_length: int) -> Callable[[Any], str]:
    """An ID or phone number. A long number that Excel stored as a number has lost digits: say so."""

    def parse(value: Any) -> str:
        if isinstance(value, float) and (not value.is_integer() or abs(value) >= 1e15):
            raise CellError(
                _("This number was stored by Excel as a number and has lost digits; format the column as text "
                  "and type it again.")
            )
        return text(max_length)(value).replace(" ", "")

    return parse


class Choice:
    """A choice column: accepts the stored value, the English label, the label in the current language and the
    usual Chinese words (``aliases``)."""

    def __init__(self, choices: type[models.TextChoices], aliases: dict[str, tuple[str, ...]],
                 values: list[str] | None = None):
        self.choices = choices
        self.values = values or list(choices.values)
        self.aliases = aliases
        self._tables: dict[str, dict[str, str]] = {}

    def _table(self) -> dict[str, str]:
        language = translation.get_language() or ""
        if language not in self._tables:
            table: dict[str, str] = {}
            for value in self.values:
                label = self.choices(value).label
                names = [value, *self.aliases.get(value, ())]
                for lang in ("en", "zh-hans"):
                    with translation.override(lang):
                        names.append(str(label))
                names.append(str(label))
                for name in names:
                    table.setdefault(normalise(name), value)
            self._tables[language] = table
        return self._tables[language]

    def label(self, value: str) -> str:
        return str(self.choices(value).label) if value else ""

    def labels(self) -> list[str]:
        return [self.label(v) for v in self.values]

    def lookup(self, value: Any) -> str | None:
        return self._table().get(normalise(as_text(value)))

    def __call__(self, value: Any) -> str:
        found = self.lookup(value)
        if found is None:
            raise CellError(_("“%(value)s” is not one of: %(choices)s.")
                            % {"value": as_text(value), "choices": "、".join(self.labels())})
        return found


USE = Choice(UnitUse, {UnitUse.DWELLING: ("住宅", "居住"), UnitUse.SHOP: ("商铺", "商业", "门面", "底商")})
OCCUPANCY = Choice(
    Occupancy,
    {Occupancy.OWNER_OCCUPIED: ("自住", "业主自住"), Occupancy.RENTED: ("出租", "租住")},
    values=[Occupancy.OWNER_OCCUPIED, Occupancy.RENTED],
)
GENDER = Choice(Gender, {Gender.MALE: ("男", "male"), Gender.FEMALE: ("女", "female")})
ID_TYPE = Choice(IdType, {
    IdType.RESIDENT_ID: ("居民身份证", "身份证"),
    IdType.PASSPORT: ("护照",),
    IdType.HK_MACAO: ("港澳居民来往内地通行证", "港澳通行证", "回乡证"),
    IdType.TAIWAN: ("台湾居民来往大陆通行证", "台胞证"),
    IdType.FOREIGN_PR: ("外国人永久居留身份证", "外国人永久居留证"),
    IdType.OTHER: ("其他",),
})
RELATION = Choice(Relation, {
    Relation.HEAD: ("户主", "本人"),
    Relation.SPOUSE: ("配偶", "妻子", "丈夫"),
    Relation.CHILD: ("子女", "儿子", "女儿"),
    Relation.PARENT: ("父母", "父亲", "母亲"),
    Relation.GRANDCHILD: ("孙子女", "孙子", "孙女", "外孙", "外孙女"),
    Relation.SIBLING: ("兄弟姐妹", "兄弟", "姐妹"),
    Relation.TENANT: ("租户", "租客", "合租"),
    Relation.OTHER: ("其他",),
})
REGISTRATION = Choice(Registration, {
    Registration.REGISTERED: ("户籍", "户籍人口", "registered"),
    Registration.FLOATING: ("流动", "流动人口", "floating"),
})
TAG = Choice(Tag, {
    Tag.LIVING_ALONE: ("独居",),
    Tag.DISABLED: ("残疾", "残疾人"),
    Tag.CHRONIC_ILLNESS: ("慢性病", "慢病"),
    Tag.PARTY_IN_SERVICE: ("在职党员",),
    Tag.PARTY_RETIRED: ("退休党员",),
    Tag.PARTY_STUDENT: ("学生党员",),
    Tag.VETERAN: ("退役军人",),
    Tag.LOW_INCOME: ("低收入", "低保"),
})


def tags(value: Any) -> list[str]:
    """Tags separated by commas, 、 or semicolons, each a code or a label."""
    found = []
    for part in re.split(r"[,，、;；\n]+", as_text(value)):
        if part.strip():
            tag = TAG.lookup(part)
            if tag is None:
                raise CellError(
                    _("Unknown tag “%(value)s”; use: %(choices)s.") % {"value": part.strip(),
                                                                      "choices": "、".join(TAG.labels())}
                )
            found.append(tag)
    return sorted(set(found))


def tag_labels(values: list[str]) -> str:
    separator = "、" if (translation.get_language() or "").startswith("zh") else ", "
    return separator.join(TAG.label(v) for v in values)
