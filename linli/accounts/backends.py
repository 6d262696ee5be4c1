"""Password sign-in for staff, refused while the username or the client address is locked out."""

from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied

from linli.accounts.models import AttemptKind
from linli.accounts.services import is_locked_out


class LockoutModelBackend(ModelBackend):
    """Django's model backend behind a lock-out: 5 failed sign-ins in 15 minutes, by username or by address, lock
    both for 15 minutes (PermissionDenied stops every backend; Django then signals a failed sign-in)."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        ip = request.META.get("REMOTE_ADDR") if request is not None else None
        if username and is_locked_out(kind=AttemptKind.PASSWORD, username=username, ip=ip):
            raise PermissionDenied
        return super().authenticate(request, username=username, password=password, **kwargs)
