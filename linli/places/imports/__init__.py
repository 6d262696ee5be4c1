"""Excel import of the register: the columns of each list, how a cell is read, and how a row becomes records.

A row addresses places by their codes inside the compound (building, entrance — blank for shops that sit directly
under their building — and unit). Every rule of the register is checked by the same code the services use
(:func:`~linli.places.services.build_place`, :func:`~linli.places.services.build_resident`, …); this module only
reads cells and maps each :class:`~linli.core.errors.ApplicationError` to the column at fault.

The package: :mod:`.cells` reads cells, :mod:`.columns` holds each template's columns and the sheet reader,
:mod:`.importers` checks and writes rows; this module has the report lines and starts a job.
"""

from django.utils.translation import gettext as _

from linli.core.errors import ApplicationError
from linli.places.imports.cells import (
    GENDER,
    ID_TYPE,
    OCCUPANCY,
    REGISTRATION,
    RELATION,
    TAG,
    USE,
    CellError,
    Choice,
    ImportFileError,
    RowError,
    date,
    tag_labels,
)
from linli.places.imports.columns import COLUMNS, Column, Sheet, column_label
from linli.places.imports.importers import IMPORTERS, Importer
from linli.places.models import ImportJob, Place

__all__ = [
    "COLUMNS", "GENDER", "ID_TYPE", "IMPORTERS", "MAX_REPORTED_ERRORS", "OCCUPANCY", "REGISTRATION", "RELATION", "TAG",
    "USE", "CellError", "Choice", "Column", "ImportFileError", "Importer", "RowError", "Sheet", "column_label", "date",
    "import_start", "report_line", "tag_labels", "too_big_message",
]

#: At most this many problems are kept in a job's report (the rest are counted).
MAX_REPORTED_ERRORS = 1000


# --- the report ----------------------------------------------------------------------------------------------------


def report_line(row: int | None, column: str, message: str) -> dict:
    """One line of a job's report, e.g. "Row 5, “ID number”: … is not a valid resident ID number"."""
    if row and column:
        text_ = _("Row %(row)s, “%(column)s”: %(message)s") % {"row": row, "column": column, "message": message}
    elif row:
        text_ = _("Row %(row)s: %(message)s") % {"row": row, "message": message}
    else:
        text_ = message
    return {"row": row, "column": column, "message": text_}


def too_big_message(size: int) -> str:
    from django.conf import settings
    from django.template.defaultfilters import filesizeformat

    return _("The file is %(size)s; the largest file that can be imported is %(max)s.") % {
        "size": filesizeformat(size), "max": filesizeformat(settings.LINLI_IMPORT_MAX_BYTES)}


# --- starting a job ------------------------------------------------------------------------------------------------


def import_start(*, actor, compound: Place, kind: str, upload, language: str) -> ImportJob:
    """Save the uploaded workbook as a queued job; the worker runs it once the transaction has committed.

    The actor must hold ``import_register`` and reach the whole compound — checked here as well as in the view, so
    that no other caller (a command, a future API) can start an import the desk would refuse."""
    from django.db import transaction

    from linli.accounts.permissions import IMPORT_REGISTER, has_perm
    from linli.core.scope import in_scope
    from linli.places.tasks import run_import

    if not has_perm(actor, IMPORT_REGISTER) or not in_scope(actor, compound.path):
        raise ApplicationError(_("You may not import into the register of this compound."), code="forbidden")

    job = ImportJob.objects.create(
        compound=compound, created_by=actor, kind=kind, original_filename=upload.name[-255:], file=upload,
        language=language,
    )
    transaction.on_commit(lambda: run_import.enqueue(job.pk))
    return job
