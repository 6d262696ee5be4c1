"""Background work of the register: running an Excel import.

An import is all-or-nothing. Pass 1 reads every row and checks it (progress is saved every ~200 rows, outside any
transaction, so that the job page can show it); if any row has a problem the job fails with the row-by-row report
and nothing is written. Otherwise pass 2 reads the file again and checks and writes every row inside ONE
transaction: a failure half-way (or a register changed by someone else meanwhile) leaves nothing behind.
"""

import logging

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_tasks import task

from linli.core.audit import audit
from linli.places.imports import (
    IMPORTERS,
    MAX_REPORTED_ERRORS,
    ImportFileError,
    RowError,
    Sheet,
    column_label,
    report_line,
    too_big_message,
)
from linli.places.models import ImportJob, ImportStatus

logger = logging.getLogger(__name__)

#: Save the progress of pass 1 every this many rows.
PROGRESS_EVERY = 200


class ImportFailed(Exception):
    """Stop the job: ``report`` is its list of report lines."""

    def __init__(self, report: list[dict]):
        super().__init__(report)
        self.report = report


def _save(job: ImportJob, **fields) -> None:
    for name, value in fields.items():
        setattr(job, name, value)
    ImportJob.objects.filter(pk=job.pk).update(**fields)


def _file_problem(message: str) -> ImportFailed:
    return ImportFailed([report_line(None, "", message)])


def _row_problems(job: ImportJob, row: int, error: RowError) -> list[dict]:
    return [report_line(row, column_label(job.kind, key), message) for key, message in error.problems]


def _open(job: ImportJob, fileobj) -> Sheet:
    try:
        return Sheet(fileobj, job.kind)
    except ImportFileError as e:
        raise _file_problem(e.message) from None


def _check_all(job: ImportJob) -> int:
    """Pass 1: check every row; returns the number of rows, or raises ImportFailed with the report."""
    if job.file.size > settings.LINLI_IMPORT_MAX_BYTES:
        raise _file_problem(too_big_message(job.file.size))
    report: list[dict] = []
    problems = 0
    count = 0
    with job.file.open("rb") as fileobj:
        sheet = _open(job, fileobj)
        try:
            _save(job, total_rows=sheet.estimated_rows)
            importer = IMPORTERS[job.kind](compound=job.compound, actor=job.created_by)
            for row, data, cell_problems in sheet.rows():
                count += 1
                if count > settings.LINLI_IMPORT_MAX_ROWS:
                    raise _file_problem(
                        _("The file has more than %(max)s rows; split it into smaller files.")
                        % {"max": settings.LINLI_IMPORT_MAX_ROWS}
                    )
                try:
                    importer.check_row(row, data, cell_problems)
                except RowError as e:
                    lines = _row_problems(job, row, e)
                    problems += len(lines)
                    report.extend(lines[: max(MAX_REPORTED_ERRORS - len(report), 0)])
                if count % PROGRESS_EVERY == 0:
                    _save(job, processed_rows=count)
        finally:
            sheet.close()
    if count == 0:
        raise _file_problem(_("The sheet has headers but no data rows."))
    _save(job, processed_rows=count, total_rows=count)
    if problems > len(report):
        report.append(report_line(None, "", _("… and %(count)s more problems.") % {"count": problems - len(report)}))
    if report:
        raise ImportFailed(report)
    return count


def _write_all(job: ImportJob, count: int) -> int:
    """Pass 2: check and write every row in one transaction; returns the number of records created."""
    _save(job, status=ImportStatus.WRITING)
    with job.file.open("rb") as fileobj, transaction.atomic():
        sheet = _open(job, fileobj)
        try:
            importer = IMPORTERS[job.kind](compound=job.compound, actor=job.created_by)
            for row, data, cell_problems in sheet.rows():
                try:
                    plan = importer.check_row(row, data, cell_problems)
                except RowError as e:  # the register changed since pass 1: give up, writing nothing
                    raise ImportFailed(_row_problems(job, row, e)) from None
                importer.add(plan)
            importer.flush()
        finally:
            sheet.close()
        audit(actor=job.created_by, action="register.imported", target=job, place_path=job.compound.path,
              data={"kind": job.kind, "rows": count, "file": job.original_filename, **importer.summary()})
    return importer.created


@task()
def run_import(job_id: int) -> None:
    """Run the import ``job_id``: check every row, then write all of them or nothing."""
    # Claim the job, so that a job enqueued twice still runs once.
    if not ImportJob.objects.filter(pk=job_id, status=ImportStatus.QUEUED).update(status=ImportStatus.VALIDATING):
        return
    job = ImportJob.objects.select_related("compound", "created_by").get(pk=job_id)
    with translation.override(job.language):
        try:
            count = _check_all(job)
            created = _write_all(job, count)
        except ImportFailed as e:
            _save(job, status=ImportStatus.FAILED, errors=e.report, finished_at=timezone.now())
        except Exception:
            logger.exception("Import job %s failed", job.pk)
            message = _("An unexpected error stopped the import; nothing was written. Try again, or tell your "
                        "administrator (import %(id)s).") % {"id": job.pk}
            _save(job, status=ImportStatus.FAILED, errors=[report_line(None, "", message)],
                  finished_at=timezone.now())
        else:
            _save(job, status=ImportStatus.DONE, created_count=created, finished_at=timezone.now())
        finally:
            # The workbook holds personal numbers in plain text: it is not kept once the job has run.
            if job.file:
                job.file.delete(save=False)
                ImportJob.objects.filter(pk=job.pk).update(file="")
