"""Notes Linli writes on a case's timeline itself, not a person's words ("To mediation."): kept by key with the
event (``data["note_key"]``) so that each reader reads them in their own language — the stored note is only the
language of whoever acted."""

from django.utils.translation import gettext, gettext_lazy, gettext_noop

NOTES = {
    "to_mediation": gettext_noop("To mediation."),
    "mediation_agreed": gettext_noop("Mediation reached an agreement."),
    "mediation_failed": gettext_noop("Mediation failed; referred onward."),
    "call_unreached": gettext_noop("Closed after a follow-up call: the reporter could not be reached."),
}


def note_lazy(key: str):
    """The note of ``key``, rendered in whichever language it is read in (messages to each reader)."""
    return gettext_lazy(NOTES[key])


def note_shown(key: str) -> str | None:
    """The note of ``key`` in the active language, or None for a key Linli does not know."""
    return gettext(NOTES[key]) if key in NOTES else None
