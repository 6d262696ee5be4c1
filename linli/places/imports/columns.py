"""The columns of each template (a stable key, the header, the label used in messages, how a cell is read) and the
reader of an uploaded sheet, which checks its header row against them."""

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.places.imports.cells import (
    GENDER,
    ID_TYPE,
    OCCUPANCY,
    REGISTRATION,
    RELATION,
    USE,
    CellError,
    Choice,
    ImportFileError,
    area,
    date,
    integer,
    is_blank,
    normalise,
    personal_number,
    tags,
    text,
)
from linli.places.models import Household, ImportKind, Merchant, Place, Resident


def _field_length(model, name: str) -> int:
    return model._meta.get_field(name).max_length


CODE = text(_field_length(Place, "code"))


# --- columns -------------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """One column of a template: a stable ``key``, the header (Chinese, English in brackets), the translatable
    ``label`` used in messages, and how a cell is read."""

    key: str
    header: str
    label: Promise
    parse: Callable[[Any], Any]
    required: bool = False
    choice: Choice | None = None
    text: bool = False  # formatted as text in templates (codes and numbers that are not quantities)
    width: int = 14

    def names(self) -> set[str]:
        """The header texts accepted for this column: the whole header, its Chinese or English part, or the key."""
        chinese, _sep, english = self.header.partition("(")
        return {normalise(self.header), normalise(chinese), normalise(english.rstrip(")")), normalise(self.key)}

    def empty(self) -> Any:
        return [] if self.parse is tags else "" if self.text or isinstance(self.parse, Choice) else None


def _col(key, header, label, parse, **kw) -> Column:
    return Column(key=key, header=header, label=label, parse=parse, **kw)


BUILDING_CODE = _col("building_code", "楼栋编号 (building code)", gettext_lazy("Building code"), CODE,
                     required=True, text=True)
ENTRANCE_CODE = _col("entrance_code", "单元编号 (entrance code)", gettext_lazy("Entrance code"), CODE, text=True)
UNIT_CODE = _col("unit_code", "房号 (unit code)", gettext_lazy("Unit code"), CODE, required=True, text=True)
ADDRESS = [BUILDING_CODE, ENTRANCE_CODE, UNIT_CODE]

COLUMNS: dict[str, list[Column]] = {
    ImportKind.BUILDINGS: [
        BUILDING_CODE,
        _col("name", "楼栋名称 (name)", gettext_lazy("Name"), text(_field_length(Place, "name")), text=True, width=18),
        _col("floors", "层数 (floors)", gettext_lazy("Floors"), integer(1, 200)),
    ],
    ImportKind.UNITS: [
        *ADDRESS,
        _col("floor", "楼层 (floor)", gettext_lazy("Floor"), integer(-10, 200)),
        _col("use", "用途 (use)", gettext_lazy("Use"), USE, required=True, choice=USE),
        _col("area_m2", "面积㎡ (area m²)", gettext_lazy("Area (m²)"), area),
    ],
    ImportKind.HOUSEHOLDS: [
        *ADDRESS,
        _col("occupancy", "居住情况 (occupancy)", gettext_lazy("Occupancy"), OCCUPANCY, required=True,
             choice=OCCUPANCY),
        _col("started_on", "入住日期 (moved-in date)", gettext_lazy("Moved-in date"), date),
        _col("note", "备注 (note)", gettext_lazy("Note"), text(_field_length(Household, "note")), text=True,
             width=24),
    ],
    ImportKind.RESIDENTS: [
        *ADDRESS,
        _col("name", "姓名 (name)", gettext_lazy("Full name"), text(_field_length(Resident, "name")), required=True,
             text=True),
        _col("gender", "性别 (gender)", gettext_lazy("Gender"), GENDER, required=True, choice=GENDER, width=8),
        _col("birth_date", "出生日期 (date of birth)", gettext_lazy("Date of birth"), date),
        _col("id_type", "证件类型 (ID type)", gettext_lazy("ID type"), ID_TYPE, choice=ID_TYPE, width=18),
        _col("id_number", "证件号码 (ID number)", gettext_lazy("ID number"), personal_number(32), text=True,
             width=22),
        _col("phone", "手机号码 (mobile phone)", gettext_lazy("Mobile phone"), personal_number(20), text=True,
             width=16),
        _col("relation", "与户主关系 (relation to head)", gettext_lazy("Relation to head"), RELATION,
             required=True, choice=RELATION),
        _col("registration", "户籍类型 (registration)", gettext_lazy("Registration"), REGISTRATION,
             required=True, choice=REGISTRATION),
        _col("moved_in_on", "入住日期 (moved-in date)", gettext_lazy("Moved-in date"), date),
        _col("tags", "标签 (tags)", gettext_lazy("Tags"), tags, width=24),
    ],
    ImportKind.MERCHANTS: [
        BUILDING_CODE,
        _col("unit_code", "商铺房号 (unit code)", gettext_lazy("Unit code"), CODE, required=True, text=True),
        _col("name", "商户名称 (name)", gettext_lazy("Name"), text(_field_length(Merchant, "name")), required=True,
             text=True, width=20),
        _col("trade", "行业 (trade)", gettext_lazy("Trade"), text(_field_length(Merchant, "trade")), required=True,
             text=True),
        _col("licence_number", "营业执照号 (licence number)", gettext_lazy("Licence number"),
             text(_field_length(Merchant, "licence_number")), text=True, width=22),
        _col("contact_name", "联系人 (contact)", gettext_lazy("Contact"),
             text(_field_length(Merchant, "contact_name")), text=True),
        _col("contact_phone", "联系电话 (contact phone)", gettext_lazy("Contact phone"), personal_number(20),
             text=True, width=16),
        _col("opened_on", "开业日期 (opened date)", gettext_lazy("Opened date"), date),
    ],
}


def column_label(kind: str, key: str | None) -> str:
    for column in COLUMNS[kind]:
        if column.key == key:
            return str(column.label)
    return ""


# --- reading a workbook --------------------------------------------------------------------------------------------

NOT_XLSX = gettext_lazy("This file is not an Excel workbook (.xlsx). Open it in Excel or WPS, save it as "
                        "“Excel workbook (*.xlsx)” and upload it again.")


class Sheet:
    """The first sheet of an uploaded workbook, opened read-only; the header row checked against the template.

    ``rows()`` yields ``(row number, values by key, cell problems)`` for every row that is not blank.
    """

    def __init__(self, fileobj, kind: str):
        import openpyxl

        self.kind = kind
        self.columns = COLUMNS[kind]
        head = fileobj.read(8)
        fileobj.seek(0)
        if not head:
            raise ImportFileError(_("The file is empty."))
        if head.startswith(b"\xd0\xcf\x11\xe0"):
            raise ImportFileError(_("This is an old Excel 97–2003 file (.xls). Open it in Excel or WPS, save it as "
                                    "“Excel workbook (*.xlsx)” and upload it again."))
        if not head.startswith(b"PK"):
            raise ImportFileError(str(NOT_XLSX))
        try:
            self.workbook = openpyxl.load_workbook(fileobj, read_only=True, data_only=True)
            self.worksheet = self.workbook.worksheets[0]
            self._rows = self.worksheet.iter_rows(values_only=True)
            header = next(self._rows, None)
        except Exception:  # a broken or foreign zip fails in many ways (BadZipFile, KeyError, XML errors…)
            raise ImportFileError(str(NOT_XLSX)) from None
        if header is None or all(is_blank(v) for v in header):
            self.workbook.close()
            raise ImportFileError(_("The first sheet is empty: the first row must hold the template’s headers."))
        try:
            self.index = self._match(header)
        except ImportFileError:
            self.workbook.close()
            raise

    def _match(self, header: tuple) -> dict[str, int]:
        names = {normalise(v): i for i, v in reversed(list(enumerate(header))) if not is_blank(v)}
        index, missing = {}, []
        for column in self.columns:
            found = [names[n] for n in column.names() if n in names]
            if found:
                index[column.key] = min(found)
            else:
                missing.append(column.header)
        if missing:
            raise ImportFileError(
                _("The first row does not match the template for %(kind)s; missing columns: %(columns)s. Download "
                  "the template and copy your data into it.")
                % {"kind": ImportKind(self.kind).label, "columns": "、".join(missing)}
            )
        return index

    @property
    def estimated_rows(self) -> int | None:
        """The data rows the sheet says it has (blank rows included; unknown for some writers)."""
        try:
            max_row = self.worksheet.max_row
        except (TypeError, ValueError):
            return None
        return max(max_row - 1, 0) if max_row else None

    def rows(self) -> Iterator[tuple[int, dict[str, Any], list[tuple[str, str]]]]:
        for number, values in enumerate(self._rows, start=2):
            raw = {key: values[i] if i < len(values) else None for key, i in self.index.items()}
            if all(is_blank(v) for v in raw.values()):
                continue
            data, problems = {}, []
            for column in self.columns:
                value = raw[column.key]
                if is_blank(value):
                    if column.required:
                        problems.append((column.key, _("A value is required.")))
                    data[column.key] = column.empty()
                    continue
                try:
                    data[column.key] = column.parse(value)
                except CellError as e:
                    problems.append((column.key, str(e)))
            yield number, data, problems

    def close(self) -> None:
        self.workbook.close()
