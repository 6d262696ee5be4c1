import datetime as dt

from django import template
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _

from linli.cases import photo_links, workflow

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


#: What Linli writes on a timeline by itself (its sweep, in the language the worker runs in), said again in the
#: reader's language from the event's data. Events written before the data held the deadline keep their note.
_SYSTEM_NOTES = {
    "response_reminded_at": gettext_noop("Case %(number)s needs a response by %(time)s."),
    "resolution_reminded_at": gettext_noop("Case %(number)s is due by %(time)s."),
}


@register.filter
def event_note(event) -> str:
    """An event's note; for one Linli wrote itself, in the reader's language."""
    if event.actor_id is not None:
        return event.note
    data = event.data or {}
    kind = data.get("kind")
    if kind in _SYSTEM_NOTES and data.get("due"):
        due = timezone.localtime(dt.datetime.fromisoformat(data["due"]))
        return gettext(_SYSTEM_NOTES[kind]) % {"number": event.case.number, "time": due.strftime("%m-%d %H:%M")}
    if kind == "overdue":
        return gettext("Overdue.")
    if kind == "mediation_follow_up":
        return gettext("The follow-up visit is due.")
    if event.action == "escalate":  # only the sweep escalates as Linli itself
        return gettext("Overdue: escalated one level automatically.")
    if event.action == "follow_up_call":
        return gettext("No rating within 3 days: a follow-up call is due.")
    return event.note


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
    """:func:`linli.cases.services.intake.title_for_reader` (the category and spot in the reader's language)."""
    from linli.cases.services.intake import title_for_reader

    return title_for_reader(case)
