"""Signing a Django test client in without the forms — for the test suite and the benchmarks, never for pages."""

from django.utils import timezone


def signed_in(client, user):
    """``client`` signed in as ``user`` past every sign-in step: the password (``force_login``) and, where the
    user's roles or their own choice need it, the two-factor code. The two-factor rule itself is tested through
    the real forms (``linli/accounts/tests/test_two_factor.py``); other tests and the benchmarks only need a
    usable session."""
    from linli.accounts.permissions import TWO_FACTOR_SESSION_KEY
    from linli.accounts.two_factor import PENDING_KEY, step_for_unverified

    client.force_login(user)
    session = client.session
    fresh = type(user).objects.get(pk=user.pk)  # its roles as they are now, not as cached on ``user``
    if not fresh.is_resident and step_for_unverified(fresh, session) is not None:
        session[TWO_FACTOR_SESSION_KEY] = timezone.now().isoformat()  # as a passed code step leaves it
        session.pop(PENDING_KEY, None)
        session.save()
    return client
