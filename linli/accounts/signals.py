"""Sign-ins, successful and failed, go to the audit trail and to the attempt ledger (for lock-out)."""

from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.dispatch import receiver

from linli.accounts.models import AttemptKind, User
from linli.accounts.services import attempt_record, user_place_path
from linli.core.audit import audit
from linli.core.security import mark_seen


def _ip(request) -> str | None:
    return request.META.get("REMOTE_ADDR") if request is not None else None


@receiver(user_logged_in, dispatch_uid="linli_audit_sign_in")
def audit_sign_in(sender, request, user, **kwargs):
    if request is not None and hasattr(request, "session"):
        mark_seen(request.session)  # the idle timeout counts from the sign-in
    if request is None or "REMOTE_ADDR" not in request.META:
        return  # not a sign-in from a client (a test's force_login, a script)
    method = getattr(request, "linli_sign_in_method", "password") if request is not None else "password"
    if method == "password":
        attempt_record(kind=AttemptKind.PASSWORD, username=user.username, ip=_ip(request), succeeded=True)
    audit(actor=user, action="sign_in.succeeded", target=user, place_path=user_place_path(user),
          data={"method": method})


@receiver(user_login_failed, dispatch_uid="linli_audit_sign_in_failed")
def audit_sign_in_failed(sender, credentials, request=None, **kwargs):
    username = (credentials or {}).get("username", "") or ""
    attempt_record(kind=AttemptKind.PASSWORD, username=username, ip=_ip(request), succeeded=False)
    user = User.objects.filter(username=username).first() if username else None
    audit(actor=None, action="sign_in.failed", target=user, place_path=user_place_path(user),
          data={"method": "password", "username": username[:150]})
