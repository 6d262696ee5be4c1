"""Rate limits and lock-outs that hold when two requests arrive at once.

A limit is a check ("fewer than 5 failures in 15 minutes?") followed by a record (this attempt). Two requests that
run the check at the same moment both see the old count and both pass, unless the check and the record are one
step. :func:`hold` makes them one: inside the caller's transaction it locks one row per key (the phone, the
username, the client address) and keeps it locked until the transaction ends, so a second request for the same key
waits, then counts the first one's record.

- PostgreSQL: the ``UPDATE`` of the key's row takes a row lock; a new key's ``INSERT`` waits on the unique index for
  the first inserter to commit, fails, and then waits on the row like any other.
- SQLite: the ``UPDATE`` takes the database's write lock (held from ``BEGIN IMMEDIATE`` in our settings anyway), so
  writers are serialised and the check always sees the committed records of the others.

Sign-in attempts are counted *before* the password or code is checked: :func:`attempt_begin` records the attempt as
a failure under the lock and :func:`attempt_succeeded` turns it into a success afterwards. So the slow part (Argon2,
a TOTP comparison) runs outside the lock and still no parallel guess slips past the limit.
"""

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone

from linli.accounts.models import RateLimitKey, SignInAttempt, SignInCode
from linli.core.crypto import keyed_hash

LOCKOUT_FAILURES = 5
LOCKOUT_WINDOW = dt.timedelta(minutes=15)


def hold(*keys: str) -> None:
    """Lock the rows of ``keys`` (e.g. ``"code:phone:<hash>"``) until the current transaction ends. Must be called
    inside ``transaction.atomic``; keys are locked in a fixed order, so two holders never deadlock."""
    assert transaction.get_connection().in_atomic_block, "hold() needs a transaction"
    now = timezone.now()
    for key in sorted({keyed_hash(f"ratelimit:{k}") for k in keys if k}):
        if RateLimitKey.objects.filter(key=key).update(touched_at=now):
            continue
        try:
            with transaction.atomic():  # a savepoint: a lost race to insert leaves the caller's transaction usable
                RateLimitKey.objects.create(key=key, touched_at=now)
        except IntegrityError:
            # Another request inserted it first (and has committed, or the insert would still be waiting): lock it.
            RateLimitKey.objects.filter(key=key).update(touched_at=now)


#: A key untouched this long locks nothing anyone waits for (the longest window counted is an hour).
KEY_IDLE = dt.timedelta(days=1)


def keys_prune(now: dt.datetime | None = None) -> int:
    """Delete the rate-limit key rows untouched for :data:`KEY_IDLE` (one per phone, username and client address
    ever seen: without this the table only grows); returns how many. Run by the periodic sweep. A request that
    arrives for a pruned key inserts it again, as for a new key."""
    cutoff = (now or timezone.now()) - KEY_IDLE
    return RateLimitKey.objects.filter(touched_at__lt=cutoff).delete()[0]


def attempt_record(*, kind: str, username: str = "", ip: str | None = None, succeeded: bool) -> SignInAttempt:
    """Record an attempt for lock-out and rate limits."""
    return SignInAttempt.objects.create(kind=kind, username=username[:150], ip_address=ip or None,
                                        succeeded=succeeded)


def is_locked_out(*, kind: str, username: str = "", ip: str | None = None,
                  failures: int = LOCKOUT_FAILURES) -> bool:
    """True after ``failures`` failed attempts of ``kind`` within 15 minutes, by username or by client address."""
    recent = SignInAttempt.objects.filter(kind=kind, succeeded=False, created_at__gte=timezone.now() - LOCKOUT_WINDOW)
    if username and recent.filter(username=username).count() >= failures:
        return True
    return bool(ip) and recent.filter(ip_address=ip).count() >= failures


def attempt_begin(*, kind: str, username: str = "", ip: str | None = None, failures: int = LOCKOUT_FAILURES,
                  by_address: bool = True) -> SignInAttempt | None:
    """Count one attempt of ``kind`` before checking it: None when the username (or, with ``by_address``, the
    client address) is locked out, else the attempt's row, recorded as a failure until :func:`attempt_succeeded`.

    Its own transaction (a savepoint when the caller has one): the attempt stays counted even when the caller
    then raises. An attempt while locked out is counted too, so hammering a locked account keeps it locked.
    """
    check_ip = ip if by_address else None
    with transaction.atomic():
        hold(f"{kind}:user:{username}" if username else "", f"{kind}:ip:{check_ip}" if check_ip else "")
        locked = is_locked_out(kind=kind, username=username, ip=check_ip, failures=failures)
        row = attempt_record(kind=kind, username=username, ip=ip, succeeded=False)
    return None if locked else row


def attempt_succeeded(attempt: SignInAttempt) -> None:
    """The attempt counted by :func:`attempt_begin` passed: it no longer counts towards a lock-out."""
    SignInAttempt.objects.filter(pk=attempt.pk).update(succeeded=True)


#: How long the rows that rate limits count are kept. The longest window counted is an hour; a month leaves time to
#: look into a lock-out someone complains of. After that they are deleted: who tried to sign in, from which address,
#: is personal data, and the audit trail keeps its own record of every attempt.
LEDGER_KEEP = dt.timedelta(days=30)


def ledger_prune(now: dt.datetime | None = None) -> int:
    """Delete the sign-in attempts and phone sign-in codes older than :data:`LEDGER_KEEP`; returns how many rows.
    Run by the periodic sweep (without it both tables only grow, a row per attempt and per code asked for)."""
    cutoff = (now or timezone.now()) - LEDGER_KEEP
    attempts = SignInAttempt.objects.filter(created_at__lt=cutoff).delete()[0]
    return attempts + SignInCode.objects.filter(created_at__lt=cutoff).delete()[0]
