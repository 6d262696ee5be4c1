"""Photos of a report that fails leave no file behind in MEDIA_ROOT: every photo is checked before anything is
written, and the files written by an attempt that then fails are deleted again."""

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.storage import FileSystemStorage

from linli.cases import services
from linli.cases.models import Case, CaseAttachment, State
from linli.core.errors import ApplicationError

pytestmark = pytest.mark.django_db


def _files() -> list[Path]:
    root = Path(settings.MEDIA_ROOT)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def test_a_report_refused_for_a_bad_photo_writes_no_file(new_case, photo):
    before = Case.objects.count()
    with pytest.raises(ApplicationError) as err:
        new_case(photos=[photo("JPEG"), photo("PNG", name="b.png"), photo(name="evil.jpg", data=b"<?php 1;")])
    assert err.value.field == "photos"
    assert Case.objects.count() == before
    assert _files() == []


def test_a_report_that_fails_after_its_first_photo_was_written_removes_that_file(new_case, photo, monkeypatch):
    """The disk fails on the second photo (full, gone): the case is rolled back, and so is the first photo's file."""
    real_save, calls = FileSystemStorage._save, []

    def failing_second_save(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("No space left on device")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", failing_second_save)
    before = Case.objects.count()
    with pytest.raises(OSError):
        new_case(photos=[photo("JPEG"), photo("PNG", name="b.png")])
    assert len(calls) == 2  # the first file was written before the failure
    assert Case.objects.count() == before and _files() == []


def test_a_failed_transition_with_photos_leaves_no_file(in_progress, steward, photo, monkeypatch):
    case = in_progress()
    real_save, calls = FileSystemStorage._save, []

    def failing_second_save(self, name, content):
        calls.append(name)
        if len(calls) == 2:
            raise OSError("No space left on device")
        return real_save(self, name, content)

    monkeypatch.setattr(FileSystemStorage, "_save", failing_second_save)
    with pytest.raises(OSError):
        services.case_transition(actor=steward, case=case, action="resolve", note="修好了",
                                 photos=[photo("JPEG"), photo("PNG", name="b.png")])
    case.refresh_from_db()
    assert case.state == State.IN_PROGRESS and not CaseAttachment.objects.filter(case=case).exists()
    assert _files() == []


def test_a_report_that_succeeds_keeps_its_files(new_case, photo):
    case = new_case(photos=[photo("JPEG")])
    assert [Path(settings.MEDIA_ROOT, a.image.name) for a in case.attachments.all()] == _files()


@pytest.mark.skipif(__import__("django.db").db.connection.vendor != "postgresql",
                    reason="only PostgreSQL's intake checks the settings it holds at the write")
def test_a_report_with_a_photo_made_again_after_a_settings_change_keeps_one_file(new_case, photo):
    """Another process changed a setting: the first write is refused whole and the report is made again — its photo
    read again from the start, and the first attempt's file removed."""
    from linli.cases.models import SettingsVersion
    from linli.cases.services import config

    new_case()  # this process now holds the settings
    SettingsVersion.objects.update_or_create(pk=1, defaults={"token": "changed-elsewhere"})
    case = new_case(photos=[photo("JPEG")])
    assert config.held().token == "changed-elsewhere"  # the settings were read again
    assert case.attachments.count() == 1
    assert [Path(settings.MEDIA_ROOT, a.image.name) for a in case.attachments.all()] == _files()
