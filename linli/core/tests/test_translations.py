"""The translation catalogues: each string defined once (a string appended twice changed the words of another page)."""

from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError


def _catalogues():
    return sorted(Path(settings.BASE_DIR, "linli").glob("*/locale/*/LC_MESSAGES/*.po"))


def test_no_catalogue_defines_a_string_twice():
    for po in _catalogues():
        keys = [(e.msgctxt or "", e.msgid) for e in polib.pofile(str(po)) if not e.obsolete]
        assert len(keys) == len(set(keys)), f"{po}: {[k for k in set(keys) if keys.count(k) > 1]}"


def test_compiling_refuses_a_string_defined_twice(tmp_path, settings):
    po = tmp_path / "zh_Hans" / "LC_MESSAGES" / "django.po"
    po.parent.mkdir(parents=True)
    po.write_text('msgid ""\nmsgstr "Content-Type: text/plain; charset=UTF-8\\n"\n\n'
                  'msgid "Due"\nmsgstr "期限"\n\nmsgid "Due"\nmsgstr "应于"\n', encoding="utf-8")
    settings.LOCALE_PATHS = [tmp_path]
    with pytest.raises(CommandError, match="defined twice"):
        call_command("compile_translations")
    assert not po.with_suffix(".mo").exists()
