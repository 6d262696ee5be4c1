import datetime as dt

from django import template
from django.utils.translation import gettext_lazy as _

from linli.cases import photo_links, workflow
from linli.cases.notes import note_shown
from linli.cases.titles import title_for_reader

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return workflow.action_label(action)


#: The steps of a mediation as its timeline entries name them.
MEDIATION_STEPS = {"start": _("started with the peacemaker"), "session": _("a session held"),
                   "follow_up": _("follow-up visit")}


@register.filter
def mediation_step(step: str) -> str:
    return MEDIATION_STEPS.get(step, "")


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


@register.filter
def photo_url(attachment) -> str:
    """A signed, short-lived link to a case's photo (:mod:`linli.cases.photo_links`)."""
    return photo_links.photo_url(attachment)


@register.filter
def event_note(event) -> str:
    """An event's note; for one Linli wrote itself, in the reader's language (:mod:`linli.cases.notes`; the sweep's
    words are ``tasks.SWEEP_NOTES``; a reminder written before its event kept the deadline keeps its note)."""
    from linli.cases.tasks import SWEEP_NOTES, sweep_note

    data = event.data or {}
    shown = note_shown(data.get("note_key", ""))  # a note Linli wrote (mediation, a call), whoever acted
    if shown is not None:
        return shown
    if event.actor_id is not None:
        return event.note
    kind = data.get("kind") or event.action
    if kind not in SWEEP_NOTES:
        return event.note
    if kind.endswith("_reminded_at"):
        if not data.get("due"):
            return event.note
        return sweep_note(data.get("note", kind), number=event.case.number,
                          due=dt.datetime.fromisoformat(data["due"]))
    return sweep_note(kind)


@register.filter
def rating_label(value: str) -> str:
    """A feedback event's rating, in words (满意 / 基本满意 / 不满意)."""
    from linli.cases.models import Rating

    return Rating(value).label if value in Rating.values else ""


#: A state's badge colour on the residents' pages: what waits for them stands out (older eyes, small screens).
_STATE_CLASS = {"waiting_reporter": "text-bg-warning", "resolved": "text-bg-info", "closed": "text-bg-success",
                "rejected": "text-bg-light border", "merged": "text-bg-light border", "referred": "text-bg-secondary"}


@register.filter
def state_class(state: str) -> str:
    return _STATE_CLASS.get(state, "text-bg-primary")


@register.filter
def case_title(case) -> str:
    """:func:`linli.cases.titles.title_for_reader` (the category and spot in the reader's language)."""
    return title_for_reader(case)


@register.filter
def labelled_errors(form) -> list[tuple[str, str]]:
    """:func:`linli.core.forms.labelled_errors`: a form's errors, each named by its field's label."""
    from linli.core.forms import labelled_errors as named

    return named(form)


@register.filter
def may_edit_settings_at(user, place) -> bool:
    """Whether ``user`` may change the settings held at ``place`` (routing rules, deadlines, response templates;
    None: everywhere) — the pages offer "switch off" and "remove" only there (the services refuse the rest)."""
    from linli.cases.services import may_keep_response_templates

    return may_keep_response_templates(user, place)


@register.simple_tag
def colon() -> str:
    """The colon after a label in the active language: full-width in Chinese ("调解员："), ": " otherwise."""
    from django.utils.translation import get_language

    return "：" if (get_language() or "").startswith("zh") else ": "


@register.simple_tag
def full_stop() -> str:
    """The full stop of the active language: "。" in Chinese, "." otherwise."""
    from django.utils.translation import get_language

    return "。" if (get_language() or "").startswith("zh") else "."
