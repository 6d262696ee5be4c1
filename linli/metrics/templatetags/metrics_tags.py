from django import template
from django.utils.formats import number_format

register = template.Library()


@register.filter
def get_rate(rates: dict, key: str):
    return rates.get(key)


@register.filter
def percent(value) -> str:
    if value is None:
        return "—"
    return f"{number_format(round(100 * value, 1), 1)}%"
