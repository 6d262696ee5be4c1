"""Compile every ``locale/*/LC_MESSAGES/*.po`` (the project's and each app's) to ``.mo`` in pure Python (polib).

Django's ``compilemessages`` needs GNU gettext's ``msgfmt``; this does the same without a system package, so that
``make demo`` works on a machine with nothing but Python. A ``.mo`` newer than its ``.po`` is left alone.
"""

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Compile the translation catalogues (.po → .mo) without GNU gettext."

    def handle(self, *args, **options):
        compiled = 0
        app_locales = sorted(Path(settings.BASE_DIR, "linli").glob("*/locale"))
        for locale_dir in [*settings.LOCALE_PATHS, *app_locales]:
            for po_path in Path(locale_dir).glob("*/LC_MESSAGES/*.po"):
                mo_path = po_path.with_suffix(".mo")
                if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
                    continue
                try:
                    catalogue = polib.pofile(str(po_path))
                except OSError as exc:
                    raise CommandError(f"{po_path}: {exc}") from exc
                # GNU msgfmt refuses a msgid defined twice; polib would quietly keep one of them — and a string
                # appended for a new page would change the words of an old one. Refused here too.
                seen: set[tuple[str, str]] = set()
                for entry in catalogue:
                    key = (entry.msgctxt or "", entry.msgid)
                    if key in seen and not entry.obsolete:
                        raise CommandError(f"{po_path}:{entry.linenum}: “{entry.msgid}” is defined twice")
                    seen.add(key)
                catalogue.save_as_mofile(str(mo_path))
                compiled += 1
        if options["verbosity"] > 1:
            self.stdout.write(f"{compiled} catalogue(s) compiled")
