from django import template

from linli.cases import workflow

register = template.Library()


@register.filter
def action_label(action: str) -> str:
    return workflow.action_label(action)


@register.filter
def get_item(mapping: dict, key):
    return mapping.get(key)
