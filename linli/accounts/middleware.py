"""Per request: the signed-in person's roles loaded once; resident accounts kept in their portal."""

from django.db.models import prefetch_related_objects
from django.http import Http404, JsonResponse
from django.shortcuts import redirect

#: What a resident account may open besides its portal.
RESIDENT_ALLOWED = ("/me/", "/accounts/logout/", "/i18n/", "/static/", "/favicon")


class ResidentAreaMiddleware:
    """Staff: their role assignments are loaded in one query and shared by the permission checks and the page
    header (``user.role_assignments.all()``) for the rest of the request.

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
