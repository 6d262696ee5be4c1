"""The JSON API root at ``/api/v1/``: authentication, the error format, the OpenAPI document; mounts each app's router.

Authentication: ``Authorization: Bearer <token>`` (tokens from :func:`linli.accounts.services.token_issue`), or a
signed-in browser session so that the interactive docs (``/api/v1/docs``) work for staff who are signed in.

Every error has one shape::

    {"detail": "<translated message>", "code": "<machine code>", "field": "<field or null>"}

and a validation error (422) adds ``errors``, the list of every bad parameter. Messages follow the request's
language (``Accept-Language`` or ``?lang=``; see :class:`linli.core.middleware.LanguageMiddleware`).
"""

import logging

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.security import HttpBearer, django_auth

from linli.accounts.services import token_authenticate
from linli.cases.api import router as cases_router
from linli.core.errors import ApplicationError
from linli.org.api import router as org_router
from linli.places.api import router as places_router

logger = logging.getLogger(__name__)


class BearerToken(HttpBearer):
    """``Authorization: Bearer <token>`` → the token's user (an unknown, revoked or inactive one → nobody)."""

    def authenticate(self, request: HttpRequest, token: str):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


bearer = BearerToken()

api = NinjaAPI(
    title="Linli API",
    version="1",
    description=(
        "The register of Linli, always within the caller's scope. Authenticate with `Authorization: Bearer <token>` "
        "(or a signed-in session). Lists take `limit` (default 50, at most 500) and `offset` and answer "
        '`{"items": [...], "count": N, "count_exact": true}` (counting stops at 10 000: past it `count_exact` is '
        "false). Every error answers "
        '`{"detail": "<translated message>", "code": "<machine code>", "field": "<field or null>"}`; '
        "`Accept-Language` or `?lang=` chooses the language (zh-hans by default, en)."
    ),
    auth=[bearer, django_auth],
    docs_url="/docs",
    openapi_url="/openapi.json",
)


def error_response(
    request: HttpRequest, *, status: int, detail: str, code: str, field: str | None = None, **extra
) -> HttpResponse:
    """The one shape of every error the API answers."""
    return api.create_response(request, {"detail": str(detail), "code": code, "field": field, **extra}, status=status)


@api.exception_handler(ApplicationError)
def on_application_error(request: HttpRequest, exc: ApplicationError) -> HttpResponse:
    return error_response(request, status=400, detail=exc.message, code=exc.code, field=exc.field)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return error_response(request, status=404, detail=_("Not found."), code="not_found")


def _field_name(loc) -> str | None:
    """The parameter an error is about: the last name in pydantic's location (``("query", "limit")`` → limit)."""
    names = [str(part) for part in loc if not isinstance(part, int)]
    names = names[1:] if len(names) > 1 else names  # drop the source (query, path, body…)
    return ".".join(names) or None


@api.exception_handler(ValidationError)
def on_validation_error(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    errors = [
        {"field": _field_name(e.get("loc", ())), "code": e.get("type", "invalid"), "message": e.get("msg", "")}
        for e in exc.errors
    ]
    field = errors[0]["field"] if errors else None
    if field:
        detail = _("The value of the parameter “%(field)s” is not valid.") % {"field": field}
    else:
        detail = _("The request is not valid.")
    return error_response(request, status=422, detail=detail, code="invalid", field=field, errors=errors)


@api.exception_handler(AuthenticationError)
def on_authentication_error(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    response = error_response(
        request,
        status=401,
        detail=_("Authentication required: send “Authorization: Bearer <token>” with a valid token, or sign in."),
        code="not_authenticated",
    )
    response["WWW-Authenticate"] = 'Bearer realm="linli"'
    return response


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    """Other errors ninja raises: a failed CSRF check on a session (403), throttling (429)…"""
    known = {
        403: ("forbidden", _("You do not have permission to do this.")),
        429: ("throttled", _("Too many requests; try again later.")),
    }
    code, detail = known.get(exc.status_code, ("error", str(exc)))
    return error_response(request, status=exc.status_code, detail=detail, code=code)


@api.exception_handler(Exception)
def on_unexpected_error(request: HttpRequest, exc: Exception) -> HttpResponse:
    logger.exception("API error on %s %s", request.method, request.path, exc_info=exc)
    return error_response(request, status=500, detail=_("Server error."), code="server_error")


# Cases first: Django tries the API's paths in this order, and a report is the API's hottest call.
api.add_router("/", cases_router)
api.add_router("", places_router)
api.add_router("/org/", org_router)
