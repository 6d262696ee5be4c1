"""Rate limits and lock-outs when two requests arrive at once (``linli.accounts.ratelimit``).

Each test makes the worst interleaving happen on purpose instead of hoping for it: request A runs in one thread
and keeps its transaction open right after its check-and-record; request B starts in a second thread meanwhile.
Without the lock, B's check would not see A's uncommitted record and would pass too.

- PostgreSQL: B waits on the lock (the test sees it still running), then, once A commits, counts A's record and
  is refused — exactly what two web processes do.
- SQLite allows one writer at a time: B cannot even start writing while A's transaction is open. The in-memory
  test database reports that at once ("database table is locked") where a file database would wait and then
  refuse like PostgreSQL; either way B never passes the limit.

On both, the test asserts what a person would notice: one code recorded, not two; a right password refused while
the account is locked; one use of a two-factor code. ``transaction=True``: threads need committed data, so these
tests make their own rows and need nothing of the demo.
"""

import threading

import pytest
from django.contrib.auth import authenticate
from django.db import OperationalError, connection, transaction
from django.test import RequestFactory

from linli.accounts import services
from linli.accounts.models import SignInAttempt, SignInCode
from linli.core.crypto import keyed_hash
from linli.core.errors import ApplicationError

pytestmark = pytest.mark.django_db(transaction=True)

POSTGRES = connection.vendor == "postgresql"


def _in_thread(fn):
    """Run ``fn`` in a thread with its own database connection; returns the thread and a dict for the outcome."""
    outcome = {}

    def run():
        try:
            outcome["value"] = fn()
        except Exception as exc:  # noqa: BLE001  (the test inspects it)
            outcome["error"] = exc
        finally:
            from django.db import connection as thread_connection

            thread_connection.close()

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread, outcome


def _race(first, second):
    """A runs ``first`` inside a transaction kept open until B (``second``) has had a second to get through;
    returns (A's outcome, B's outcome, whether B was still waiting when A committed)."""
    inside, release = threading.Event(), threading.Event()

    def a():
        with transaction.atomic():
            value = first()
            inside.set()
            release.wait(10)
        return value

    thread_a, outcome_a = _in_thread(a)
    assert inside.wait(10), outcome_a
    thread_b, outcome_b = _in_thread(second)
    thread_b.join(1.0)
    b_waited = thread_b.is_alive()
    release.set()
    thread_a.join(10)
    thread_b.join(10)
    assert not thread_a.is_alive() and not thread_b.is_alive()
    assert "error" not in outcome_a, outcome_a
    return outcome_a, outcome_b, b_waited


def _refused(outcome, code=None) -> bool:
    """B was refused: by the limit itself, or (SQLite) by the database keeping a second writer out."""
    error = outcome.get("error")
    if isinstance(error, ApplicationError):
        return code is None or error.code == code
    return not POSTGRES and isinstance(error, OperationalError) and "locked" in str(error)


def test_two_code_requests_at_once_for_one_number_record_one_code():
    phone = "13900000001"  # not in the register: the limit applies all the same (no text is sent)
    ask = lambda: services.signin_code_request(phone=phone, ip="10.1.1.1")  # noqa: E731
    _a, b, b_waited = _race(ask, ask)
    assert _refused(b, "rate_limited"), b
    if POSTGRES:
        assert b_waited  # B waited for A's lock, then counted A's code
    assert SignInCode.objects.filter(phone_hash=keyed_hash(phone)).count() == 1


def test_a_password_guess_racing_the_fifth_failure_is_locked_out_even_with_the_right_password():
    from linli.accounts.services import user_create

    user_create(actor=None, username="t_race", password="a-long-test-password-1")
    for _i in range(4):
        services.attempt_record(kind="password", username="t_race", ip="10.2.2.2", succeeded=False)
    request = lambda: RequestFactory().post("/accounts/login/", REMOTE_ADDR="10.2.2.3")  # noqa: E731
    wrong = lambda: authenticate(request(), username="t_race", password="wrong-password")  # noqa: E731
    right = lambda: authenticate(request(), username="t_race", password="a-long-test-password-1")  # noqa: E731
    a, b, b_waited = _race(wrong, right)
    assert a["value"] is None  # the fifth failure
    # B came while A's guess was being checked: it counts A's failure and is refused, right password or not.
    if POSTGRES:
        assert b_waited and b == {"value": None}
    else:
        assert b.get("value") is None and (b == {"value": None} or _refused(b))
    assert SignInAttempt.objects.filter(username="t_race", succeeded=True).count() == 0


def test_one_two_factor_code_sent_twice_at_once_is_accepted_once():
    import pyotp

    from linli.accounts.services import totp_device_install, user_create

    user = user_create(actor=None, username="t_race2", password="a-long-test-password-1")
    secret = pyotp.random_base32()
    totp_device_install(actor=None, user=user, secret=secret)
    code = pyotp.TOTP(secret).now()
    check = lambda: services.totp_check(user=user, code=code)  # noqa: E731
    _a, b, b_waited = _race(check, check)
    assert _refused(b), b
    if POSTGRES:
        assert b_waited
    assert SignInAttempt.objects.filter(username="t_race2", kind="totp", succeeded=True).count() == 1
