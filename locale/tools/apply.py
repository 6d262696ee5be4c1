"""Fill untranslated entries of .po files from a Python dict file: apply.py DICT.py FILE.po… (a maintainer's tool)."""

import runpy
import sys

import polib

table = runpy.run_path(sys.argv[1])
ZH, PLURALS = table["ZH"], table.get("PLURALS", {})
for path in sys.argv[2:]:
    po = polib.pofile(path)
    po.metadata.update({"Language": "zh_Hans", "Plural-Forms": "nplurals=1; plural=0;",
                        "Content-Type": "text/plain; charset=UTF-8"})
    for e in po:
        if "fuzzy" in e.flags:
            e.flags.remove("fuzzy")
            e.msgstr = ""
            e.msgstr_plural = dict.fromkeys(e.msgstr_plural, "") if e.msgid_plural else {}
        if e.msgid_plural and not any(e.msgstr_plural.values()) and e.msgid in PLURALS:
            e.msgstr_plural = {0: PLURALS[e.msgid]}
        elif not e.msgid_plural and not e.msgstr and e.msgid in ZH:
            e.msgstr = ZH[e.msgid]
    po.save()
    print(path, "untranslated:", [e.msgid for e in po.untranslated_entries()])
