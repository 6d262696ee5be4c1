"""Per request: the signed-in person's roles loaded once; resident accounts kept in their portal; staff kept at the
two-factor step until they pass it."""

from urllib.parse import urlencode

from django.db.models import prefetch_related_objects
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _

from linli.accounts import services
from linli.accounts import two_factor as gate

#: What a resident account may open besides its portal.
RESIDENT_ALLOWED = ("/me/", "/accounts/logout/", "/i18n/", "/static/", "/favicon", "/photos/")


class ResidentAreaMiddleware:
    """Staff: their role assignments are loaded in one query and shared by the permission checks and the page
    header (``user.role_assignments.all()``) for the rest of the request. A staff session that owes its two-factor
    step (:func:`linli.accounts.gate.step_required`) reaches nothing but that step.

    Residents: a signed-in resident asking for a staff page is sent to ``/me/`` (from the home page) or answered
    404 (any other page) and 403 from the API. Scope already hides everything from them — they hold no role — this
    is the second lock on the door."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            if not getattr(user, "is_resident", False):
                prefetch_related_objects([user], "role_assignments")
                step = gate.step_required(request)
                request.linli_two_factor_step = step  # the page header hides the menu until it is passed
                if step is not None and not request.path.startswith(gate.ALLOWED) \
                        and not _has_live_bearer_token(request):
                    return _to_two_factor_step(request, step)
            else:
                path = request.path
                if not path.startswith(RESIDENT_ALLOWED):
                    if path == "/" or path.startswith("/accounts/login"):
                        return redirect("me:home")
                    if path.startswith("/api/"):
                        return JsonResponse({"detail": "Forbidden", "code": "forbidden", "field": None},
                                            status=403)
                    raise Http404
        return self.get_response(request)


def _has_live_bearer_token(request) -> bool:
    """An API call carrying a valid token acts as the token's user (a separate credential, which never reveals
    personal data), whatever session cookie comes with it; an invalid token falls back to the session: gated."""
    if not request.path.startswith("/api/"):
        return False
    scheme, _sep, key = request.headers.get("Authorization", "").partition(" ")
    return scheme.lower() == "bearer" and services.token_authenticate(key.strip()) is not None


def _to_two_factor_step(request, step: str):
    """Pages: a redirect to the code (or enrolment) page, coming back here after it; HTMX: the same, told with
    ``HX-Redirect``; the API: 403 in its error shape."""
    if request.path.startswith("/api/"):
        return JsonResponse({"detail": _("Two-factor sign-in required: enter a code from your authenticator app."),
                             "code": "two_factor_required", "field": None}, status=403)
    url = reverse("accounts:two_factor_verify" if step == gate.VERIFY else "accounts:two_factor")
    if request.method == "GET" and not request.headers.get("HX-Request"):
        url += "?" + urlencode({"next": request.get_full_path()})
    if request.headers.get("HX-Request"):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)
