from django import template

from linli.cases import photo_links, workflow

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return workflow.action_label(action)


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)


@register.filter
def photo_url(attachment) -> str:
    """A signed, short-lived link to a case's photo (:mod:`linli.cases.photo_links`)."""
    return photo_links.photo_url(attachment)
