"""A case's title: the one Linli writes when the reporter gives none ("category · where"), kept in the register's
language, and the same title shown in the reader's language.

Pure functions of the case's category, place and spot, used by the intake (the stored title), by notifications
(rendered in each reader's language) and by the pages (a template filter)."""

from django.utils import translation

from linli.cases.models import Case
from linli.places.models import Place, PlaceKind


def stored_title(category_name_zh: str, place: Place, spot: str) -> str:
    """The stored title, in the register's language (Chinese) whatever the language of the person reporting: the
    category's Chinese name, and the spot's label read in Chinese (not in the request's language)."""
    if not spot:
        return title_words(category_name_zh, place, spot)
    with translation.override("zh-hans"):
        return title_words(category_name_zh, place, spot)


def title_words(category_name: str, place: Place, spot: str) -> str:
    """"Category · where", the spot's label in the active language."""
    where = place.name
    if spot:
        label = str(dict(Case._meta.get_field("spot").choices).get(spot))
        # a spot of the compound needs no compound name; a building's stairwell needs the building's
        where = label if place.kind == PlaceKind.COMPOUND else f"{place.name} {label}"
    return f"{category_name} · {where}"[:120]


def title_for_reader(case: Case) -> str:
    """A case's title in the reader's language when Linli wrote it (category · where — the register's own names of
    places stay as they are); a title someone typed, as typed."""
    if case.title != stored_title(case.category.name_zh, case.place, case.spot):
        return case.title
    return title_words(case.category.name, case.place, case.spot)
