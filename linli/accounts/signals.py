"""Sign-ins, successful and failed, go to the audit trail (the attempt ledger for lock-out is written by the
backend, before the password is checked); a sign-in starts the session's clocks and, with two-factor on, its code
step."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from linli.accounts.models import User
from linli.accounts.services import user_place_path
from linli.accounts.two_factor import mark_pending_at_sign_in
from linli.core.audit import audit
from linli.core.security import mark_signed_in


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in, dispatch_uid="linli_audit_sign_in")
def audit_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        mark_signed_in(request.session)  # the idle timeout and the session's age count from the sign-in
        if not user.is_resident:
            mark_pending_at_sign_in(request.session, user)  # two-factor on: a code before anything else
    if request is None or "REMOTE_ADDR" not in request.META:
        return  # not a sign-in from a client (a test's force_login, a script)
    method = getattr(request, "linli_sign_in_method", "password")
    audit(actor=user, action="sign_in.succeeded", target=user, place_path=user_place_path(user),
          data={"method": method})


@receiver(user_login_failed, dispatch_uid="linli_audit_sign_in_failed")
def audit_sign_in_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username", "") or ""  # the attempt was counted by the backend
    user = User.objects.filter(username=username).first() if username else None
    audit(actor=None, action="sign_in.failed", target=user, place_path=user_place_path(user),
          data={"method": "password", "username": username[:150]})
