"""``manage.py check`` warnings about account security that settings alone cannot enforce."""

from django.conf import settings
from django.core.checks import Warning, register

LOCAL_HOSTS = {"127.0.0.1", "localhost", "testserver", "[::1]", "::1"}


@register("security")
def insecure_cookies_on_a_served_host(app_configs=None, **kwargs):
    """Session cookies without Secure, outside DEBUG, on a host other than this machine: the demo's defaults on a
    server. Sign-in sessions would then travel in clear text (``LINLI_HTTPS=1`` behind HTTPS fixes it)."""
    if settings.DEBUG or settings.SESSION_COOKIE_SECURE:
        return []
    served = [h for h in settings.ALLOWED_HOSTS if h not in LOCAL_HOSTS]
    if not served:
        return []
    return [Warning(
        f"Session and CSRF cookies are not Secure while Linli answers to {', '.join(served)}.",
        hint="Serve Linli over HTTPS and set LINLI_HTTPS=1 (Secure cookies, HSTS, redirect to HTTPS).",
        id="linli.W001",
    )]
