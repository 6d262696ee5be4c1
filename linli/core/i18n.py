"""Words written now and read later, each reader in their own language.

A message stored as text is fixed in the language of the moment it was written: the actor's, or the worker's
default. Who reads it may read the other one. So a message is composed *lazily* (:func:`lazy_format`: the template
and its values translated only when turned into text) and then rendered once per language the site speaks
(:func:`in_each_language`); the reader's page picks theirs.
"""

from django.conf import settings
from django.utils import translation
from django.utils.functional import lazy


def _format(template, params: dict) -> str:
    text = str(template)
    return text % {key: str(value) for key, value in params.items()} if params else text


_lazy_format = lazy(_format, str)


def lazy_format(template, **params):
    """``template % params`` made when read, in the language active then: ``template`` (a ``gettext_lazy``) and every
    value that is itself lazy (a state's label, another :func:`lazy_format`) are translated at that moment."""
    return _lazy_format(template, params)


def lazy_call(function, *args, **kwargs):
    """``function(*args, **kwargs)`` called when read, in the language active then (a text one of our functions
    writes in the active language, such as a case's title for its reader)."""
    return lazy(lambda: function(*args, **kwargs), str)()


def in_each_language(**texts) -> dict[str, dict[str, str]]:
    """Each of ``texts`` (lazy or plain) rendered in every language of the site, stripped; empty ones left out::

        {"zh-hans": {"title": "…", "body": "…"}, "en": {"title": "…", "body": "…"}}
    """
    rendered = {}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            rendered[code] = {key: text for key, value in texts.items() if value and (text := str(value).strip())}
    return rendered


def pick_language(texts: dict, language: str | None = None) -> dict[str, str]:
    """The renders of :func:`in_each_language` for ``language`` (default: the active one), falling back to the site's
    own language and then to any; ``{}`` when there are none."""
    if not texts:
        return {}
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    return texts.get(language) or texts.get(settings.LANGUAGE_CODE) or next(iter(texts.values()))
