from django import template
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
