"""Writes for Open311: issuing and revoking keys. Filing a case goes through :mod:`linli.cases.services`."""

import secrets

from django.db import transaction
from django.utils import timezone

from linli.core.audit import audit
from linli.open311.models import Open311Key


@transaction.atomic
def open311_key_issue(*, actor, user, name: str, key: str | None = None) -> tuple[Open311Key, str]:
    """A new key filing as ``user``; returns the row and the key (shown once). ``key`` lets the demo keep its own."""
    key = key or secrets.token_urlsafe(24)
    row = Open311Key.objects.create(name=name, user=user, key_hash=Open311Key.hash_key(key), prefix=key[:8])
    audit(actor=actor, action="open311.key_issued", target=row, data={"user": user.username, "name": name})
    return row, key


@transaction.atomic
def open311_key_revoke(*, actor, key: Open311Key) -> Open311Key:
    key.revoked_at = timezone.now()
    key.save(update_fields=["revoked_at"])
    audit(actor=actor, action="open311.key_revoked", target=key)
    return key


def open311_key_authenticate(key: str) -> Open311Key | None:
    """The live key matching ``key`` whose user is active, or None."""
    return Open311Key.find_live(key)


def ensure_open311_demo(*, path) -> str:
    """The demo's Open311 key, filing as the branch secretary (kept across runs while it is still valid, read back
    from the credentials file at ``path``); called from :func:`linli.core.demo.ensure_demo`."""
    import json

    from linli.accounts.models import User

    previous = ""
    if path.exists():
        try:
            previous = json.loads(path.read_text()).get("open311_api_key", "")
        except ValueError:
            previous = ""
    if previous and open311_key_authenticate(previous) is not None:
        return previous
    return open311_key_issue(actor=None, user=User.objects.get(username="branch"), name="demo")[1]
