"""Security headers: a Content-Security-Policy without inline scripts, and a few companions.

Every script Linli runs is a file served from ``/static/`` (htmx, Bootstrap, ECharts, our own), so ``script-src
'self'`` holds; htmx is told not to inject its indicator styles (``<meta name="htmx-config">`` in base.html).
Styles allow ``'unsafe-inline'`` because Bootstrap's components and a few progress bars set ``style`` attributes;
that lets a page be restyled, not run code. Override the policy with ``LINLI_CSP`` in settings.
"""

import time

from django.conf import settings
from django.contrib.auth import logout
from django.utils.cache import add_never_cache_headers

DEFAULT_CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "font-src 'self' data:",
    "connect-src 'self'",
    "object-src 'none'",
    "base-uri 'self'",
    "form-action 'self'",
    "frame-ancestors 'none'",
])


class SecurityHeadersMiddleware:
    """Adds Content-Security-Policy, Referrer-Policy and Permissions-Policy to every response, and keeps what a
    signed-in person sees out of every cache (``Cache-Control: no-store``, unless the view chose its own policy).

    Why no-store: those pages hold personal data, and a phone is often shared — a page kept by the browser comes
    back with the Back button after the person has signed out or acted on it (a "me too" withdrawn, a report sent:
    sending the old form again made a second case)."""

    def __init__(self, get_response):
        self.get_response = get_response
        self.policy = getattr(settings, "LINLI_CSP", DEFAULT_CSP)

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", self.policy)
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "Cache-Control" not in response.headers:
            add_never_cache_headers(response)
        return response


#: The session key holding when the signed-in person was last seen (seconds since the epoch, rounded to a minute).
SEEN_KEY = "linli_seen"
#: The session key holding when the person signed in (seconds since the epoch).
SIGNED_IN_KEY = "linli_signed_in"


def mark_signed_in(session) -> None:
    """Start a session's clocks: the idle timeout and the absolute age both count from the sign-in."""
    now = int(time.time())
    session[SEEN_KEY] = now
    session[SIGNED_IN_KEY] = now


class IdleTimeoutMiddleware:
    """Signs out a session idle for longer than ``LINLI_SESSION_IDLE_SECONDS`` (30 minutes by default), and any
    session older than ``SESSION_COOKIE_AGE`` (8 hours) since its sign-in, however active — staff and residents
    alike (every session with a signed-in user).

    The last-seen time is written at most once a minute, so an active session costs no database write per request
    (``SESSION_SAVE_EVERY_REQUEST`` would). That write also pushes the stored session's expiry forward, which is why
    the absolute age is checked here from the sign-in time and not left to ``SESSION_COOKIE_AGE`` alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response
        self.idle = int(getattr(settings, "LINLI_SESSION_IDLE_SECONDS", 30 * 60))
        self.max_age = int(settings.SESSION_COOKIE_AGE)

    def __call__(self, request):
        session = getattr(request, "session", None)
        if session is not None and "_auth_user_id" in session:
            now = int(time.time())
            seen = session.get(SEEN_KEY)
            signed_in = session.get(SIGNED_IN_KEY)
            if (seen is not None and now - seen > self.idle) or (signed_in is not None
                                                                  and now - signed_in > self.max_age):
                logout(request)  # flushes the session; the request goes on signed out
            else:
                if signed_in is None:  # a session from before this rule: its age counts from now
                    session[SIGNED_IN_KEY] = now
                if seen is None or now - seen >= 60:
                    session[SEEN_KEY] = now
        return self.get_response(request)
