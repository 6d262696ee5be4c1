"""Request-wide concerns: the interface language and the client address for the audit trail."""

from django.conf import settings
from django.utils import translation

from linli.core.audit import reset_request_ip, set_request_ip

SUPPORTED = {code for code, _name in settings.LANGUAGES}


class LanguageMiddleware:
    """Simplified Chinese unless the person chose otherwise.

    Pages ignore the browser's Accept-Language on purpose: a resident's phone set to English must still see the
    compound in Chinese unless they switch. The choice is a cookie (set by Django's ``set_language`` view) or
    ``?lang=``. API clients (``/api/``, ``/open311/``) may ask with Accept-Language.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        lang = request.GET.get("lang") or request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if lang not in SUPPORTED and request.path.startswith(("/api/", "/open311/")):
            lang = translation.get_language_from_request(request)
        if lang not in SUPPORTED:
            lang = settings.LANGUAGE_CODE
        translation.activate(lang)
        request.LANGUAGE_CODE = lang
        token = set_request_ip(request.META.get("REMOTE_ADDR"))
        try:
            response = self.get_response(request)
        finally:
            reset_request_ip(token)
        response.headers.setdefault("Content-Language", lang)
        if request.GET.get("lang") in SUPPORTED:
            response.set_cookie(settings.LANGUAGE_COOKIE_NAME, lang, samesite="Lax", max_age=365 * 24 * 3600)
        return response
