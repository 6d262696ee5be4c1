"""Excel export of the register, and the blank templates that imports are made from.

An export has the template's columns (so it can be read back), holds only what the user's scope reaches (through
the selectors), and shows ID and phone numbers masked: it reads the stored ``*_masked`` fields and never decrypts.
It is written with openpyxl's write-only mode from querysets read in chunks, so a big export needs bounded memory.
"""

import datetime as dt
import io
import tempfile
from collections.abc import Iterator

from django.utils.translation import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.comments import Comment
from openpyxl.styles import Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation

from linli.accounts.permissions import visible_tags
from linli.core import idnumbers
from linli.core.audit import audit
from linli.places import selectors
from linli.places.imports import (
    COLUMNS,
    GENDER,
    ID_TYPE,
    OCCUPANCY,
    REGISTRATION,
    RELATION,
    USE,
    date,
    tag_labels,
)
from linli.places.models import (
    Gender,
    IdType,
    ImportKind,
    Occupancy,
    Place,
    PlaceKind,
    Registration,
    Relation,
    Tag,
    UnitUse,
)

CHUNK = 2000
HEADER_FONT = Font(bold=True)
HEADER_FILL = PatternFill("solid", fgColor="FCE4D6")


def _entrance_code(unit: Place) -> str:
    return unit.parent.code if unit.parent.kind == PlaceKind.ENTRANCE else ""


def _address(unit: Place) -> list:
    return [unit.building.code, _entrance_code(unit), unit.code]


def _rows(kind: str, *, user, compound: Place) -> Iterator[list]:
    """The rows of an export, in the order of the template's columns."""
    inside = {"path__startswith": compound.path}
    if kind == ImportKind.BUILDINGS:
        for b in selectors.building_list(user=user, compound=compound).iterator(chunk_size=CHUNK):
            yield [b.code, b.name, b.floors]
    elif kind == ImportKind.UNITS:
        units = selectors.unit_list(user=user).filter(**inside).select_related("parent", "building")
        for u in units.iterator(chunk_size=CHUNK):
            yield [*_address(u), u.floor, USE.label(u.use), u.area_m2]
    elif kind == ImportKind.HOUSEHOLDS:
        households = selectors.household_list(user=user).filter(**inside).select_related("unit__parent",
                                                                                           "unit__building")
        for h in households.iterator(chunk_size=CHUNK):
            yield [*_address(h.unit), OCCUPANCY.label(h.occupancy), h.started_on, h.note]
    elif kind == ImportKind.RESIDENTS:
        residents = selectors.resident_search(user=user).filter(**inside).select_related("unit__parent",
                                                                                          "unit__building")
        for r in residents.iterator(chunk_size=CHUNK):
            yield [*_address(r.unit), r.name, GENDER.label(r.gender), r.birth_date, ID_TYPE.label(r.id_type),
                   r.id_number_masked, r.phone_masked, RELATION.label(r.relation),
                   REGISTRATION.label(r.registration), r.moved_in_on,
                   tag_labels(visible_tags(user, r.tag_values))]  # health tags: only for roles allowed
    elif kind == ImportKind.MERCHANTS:
        merchants = selectors.merchant_list(user=user).filter(**inside).select_related("unit__building")
        for m in merchants.iterator(chunk_size=CHUNK):
            yield [m.unit.building.code, m.unit.code, m.name, m.trade, m.licence_number, m.contact_name,
                   m.contact_phone_masked, m.opened_on]


def _cell(ws, value):
    """Text that looks like a formula stays text (no formula injection from names or notes)."""
    if isinstance(value, str) and value.startswith("="):
        cell = WriteOnlyCell(ws, value=value)
        cell.data_type = "s"
        return cell
    return value


def _size_columns(ws, kind: str) -> None:
    for i, column in enumerate(COLUMNS[kind], start=1):
        ws.column_dimensions[get_column_letter(i)].width = column.width + 4


def export_register(*, user, compound: Place, kind: str):
    """Write the export to a temporary file; returns ``(file positioned at 0, number of rows)``. Audited."""
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(str(ImportKind(kind).label)[:31])
    _size_columns(ws, kind)
    ws.freeze_panes = "A2"
    header = []
    for column in COLUMNS[kind]:
        cell = WriteOnlyCell(ws, value=column.header)
        cell.font = HEADER_FONT
        header.append(cell)
    ws.append(header)
    count = 0
    for values in _rows(kind, user=user, compound=compound):
        ws.append([_cell(ws, v) for v in values])
        count += 1
    out = tempfile.TemporaryFile()  # noqa: SIM115 (handed to the response, which closes it)
    wb.save(out)
    out.seek(0)
    audit(actor=user, action="register.exported", target=compound, place_path=compound.path,
          data={"kind": kind, "rows": count, "masked": True})
    return out, count


# --- templates -----------------------------------------------------------------------------------------------------


def _examples(kind: str) -> list[list]:
    born = dt.date(1956, 3, 7)
    if kind == ImportKind.BUILDINGS:
        return [["11", "11号楼", 18]]
    if kind == ImportKind.UNITS:
        return [["11", "1", "1502", 15, USE.label(UnitUse.DWELLING), 89.5],
                ["11", "", "S01", 1, USE.label(UnitUse.SHOP), 45]]
    if kind == ImportKind.HOUSEHOLDS:
        return [["11", "1", "1502", OCCUPANCY.label(Occupancy.RENTED), dt.date(2024, 3, 1), ""]]
    if kind == ImportKind.RESIDENTS:
        return [["11", "1", "1502", "王秀英", GENDER.label(Gender.FEMALE), born, ID_TYPE.label(IdType.RESIDENT_ID),
                 idnumbers.make("370212", born, 24), "13800000000", RELATION.label(Relation.HEAD),
                 REGISTRATION.label(Registration.REGISTERED), dt.date(2014, 5, 1),
                 tag_labels([Tag.LIVING_ALONE, Tag.CHRONIC_ILLNESS])]]
    return [["11", "S01", "邻家便利店", "便利店", "91370212MA00000000", "李强", "13900000000", dt.date(2020, 6, 1)]]


def _hint(column) -> str:
    parts = [_("Required.") if column.required else _("Optional.")]
    if column.choice is not None:
        parts.append(_("One of: %(choices)s.") % {"choices": "、".join(column.choice.labels())})
    if column.key == "entrance_code":
        parts.append(_("Leave blank for a shop that opens directly from the building."))
    if column.key == "tags":
        parts.append(_("Separate several with “、” or commas."))
    if column.parse is date:
        parts.append(_("A date such as 2024-03-01."))
    return " ".join(parts)


def template_workbook(kind: str) -> bytes:
    """The blank template of ``kind``: headers (with a note on each), lists for choice columns, an example sheet."""
    columns = COLUMNS[kind]
    wb = Workbook()
    ws = wb.active
    ws.title = str(ImportKind(kind).label)[:31]
    example = wb.create_sheet(_("Example")[:31])
    for sheet in (ws, example):
        for i, column in enumerate(columns, start=1):
            cell = sheet.cell(row=1, column=i, value=column.header)
            cell.font = HEADER_FONT
            cell.fill = HEADER_FILL
            letter = get_column_letter(i)
            sheet.column_dimensions[letter].width = column.width + 4
        sheet.freeze_panes = "A2"
    for i, column in enumerate(columns, start=1):
        ws.cell(row=1, column=i).comment = Comment(_hint(column), "Linli", width=260, height=110)
        letter = get_column_letter(i)
        if column.text:  # codes, ID and phone numbers stay text: Excel would drop leading zeros and digits
            ws.column_dimensions[letter].number_format = "@"
        if column.choice is not None:
            choices = ",".join(column.choice.labels())
            validation = DataValidation(type="list", formula1=f'"{choices}"',
                                        allow_blank=True, showErrorMessage=False)
            validation.add(f"{letter}2:{letter}5000")
            ws.add_data_validation(validation)
    for values in _examples(kind):
        example.append(values)
    for row in example.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
