"""Password sign-in for staff, refused while the username or the client address is locked out."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from linli.accounts.models import AttemptKind
from linli.accounts.ratelimit import attempt_begin, attempt_succeeded


class LockoutModelBackend(ModelBackend):
    """Django's model backend behind a lock-out: 5 failed sign-ins in 15 minutes, by username or by address, lock
    both for 15 minutes (PermissionDenied stops every backend; Django then signals a failed sign-in).

    The attempt is counted before the password is checked (``linli.accounts.ratelimit``): ten guesses sent at
    once get five checks, not ten. ``request.linli_locked`` tells the sign-in form to say why it refused."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if not username or password is None:
            return None
        ip = request.META.get("REMOTE_ADDR") if request is not None else None
        attempt = attempt_begin(kind=AttemptKind.PASSWORD, username=username, ip=ip)
        if attempt is None:
            if request is not None:
                request.linli_locked = True
            raise PermissionDenied
        user = super().authenticate(request, username=username, password=password, **kwargs)
        if user is not None:
            attempt_succeeded(attempt)
        return user
