"""When a staff session must pass two-factor sign-in before anything else.

Two rules, checked on every request of a signed-in staff member (``ResidentAreaMiddleware``):

- a role that may reveal personal data (:func:`linli.accounts.permissions.may_reveal`) needs a session verified
  with a TOTP code — with an authenticator enrolled, the code step; without one, enrolment. Checked per request
  from the roles already loaded for it, so a role granted to someone already signed in takes effect at their next
  request;
- anyone who turned two-factor sign-in on gives a code after the password: the sign-in marks the session
  *pending* (:data:`PENDING_KEY`) until the code is given, whatever the role.

Until then the session reaches only :data:`ALLOWED` (the two-factor pages, sign-out, the language switch, static
files); pages redirect to the step, HTMX requests are told to, and the API answers 403 ``two_factor_required``.
API bearer tokens are not sessions and are not gated: the API never reveals personal data (docs/security.md).
"""

from django.utils import timezone

from linli.accounts.permissions import TWO_FACTOR_SESSION_KEY, may_reveal, two_factor_verified
from linli.accounts.services import has_totp

#: Set at sign-in for a user with a confirmed authenticator; cleared by a verified code.
PENDING_KEY = "linli_2fa_pending"

#: What a session waiting for its two-factor step may open.
ALLOWED = ("/accounts/two-factor/", "/accounts/logout/", "/i18n/", "/static/", "/favicon")

VERIFY = "verify"
ENROL = "enrol"


def mark_pending_at_sign_in(session, user) -> None:
    """At sign-in: a user with two-factor on must give a code before the session is usable."""
    session.pop(TWO_FACTOR_SESSION_KEY, None)
    if has_totp(user):
        session[PENDING_KEY] = True


def mark_verified(request) -> None:
    """The session passed a TOTP check. A new session key: the session is worth more now (no fixation)."""
    request.session.cycle_key()
    request.session[TWO_FACTOR_SESSION_KEY] = timezone.now().isoformat()
    request.session.pop(PENDING_KEY, None)


def step_required(request) -> str | None:
    """:data:`VERIFY` or :data:`ENROL` when this request's session must pass two-factor sign-in first, else None."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or getattr(user, "is_resident", False):
        return None
    if two_factor_verified(request):
        return None
    return step_for_unverified(user, request.session)


def step_for_unverified(user, session) -> str | None:
    """The step a staff ``user`` owes in ``session``, which has not passed a TOTP check."""
    if session.get(PENDING_KEY):
        return VERIFY
    if may_reveal(user):
        return VERIFY if has_totp(user) else ENROL
    return None
