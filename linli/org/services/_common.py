"""What every organisation service shares: who may change the organisation, date checks, and turning a refusal of
the database (two people acting at once) into the same clear error a single person gets."""

import datetime as dt
from contextlib import contextmanager

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import Role
from linli.core.errors import ApplicationError
from linli.core.scope import in_scope
from linli.org.models import TeamKind
from linli.org.selectors import ORG_MANAGER_ROLES, can_manage

#: The staff role a user gets by joining a team (residents' representatives hold no staff role).
TEAM_ROLES = {
    TeamKind.RED: Role.RED_STEWARD,
    TeamKind.PROPERTY: Role.PROPERTY_STEWARD,
    TeamKind.PEACEMAKER: Role.PEACEMAKER,
}


def check_actor_reaches(actor, path: str, field: str, roles=ORG_MANAGER_ROLES) -> None:
    """A person acting (not the system: ``actor=None``) must reach the record they change and hold a role that
    keeps the organisation there (``ORG_MANAGER_ROLES``)."""
    if actor is None:
        return
    if not in_scope(actor, path):
        raise ApplicationError(_("This is outside the places you look after."), field=field, code="out_of_scope")
    if not can_manage(actor, path, frozenset(roles)):
        raise ApplicationError(_("Your role does not keep the party organisation or the teams here."), field=field,
                               code="forbidden")


def staff_user_named(username: str | None, field: str):
    """The active staff account that signs in as ``username`` (None for no name): a secretary to name, a user to
    add to a team. A resident's account or an unknown name is an error on ``field``."""
    from linli.accounts.models import User

    username = (username or "").strip()
    if not username:
        return None
    user = User.objects.filter(username=username, is_active=True, is_resident=False).first()
    if user is None:
        raise ApplicationError(_("User name: nobody signs in as “%(name)s”.") % {"name": username}, field=field)
    return user


def check_date(value: dt.date | None, field: str, label) -> None:
    if value is not None and value > timezone.localdate():
        raise ApplicationError(_("%(field)s cannot be in the future.") % {"field": label}, field=field)


def check_reason(reason: str, field: str = "reason") -> str:
    reason = (reason or "").strip()
    if not reason:
        raise ApplicationError(_("Reason: say why, for the record."), field=field)
    if len(reason) > 200:
        raise ApplicationError(_("Reason: at most 200 characters."), field=field)
    return reason


def actor_or_none(actor):
    """The user to store in a ``…_by`` column (the system acts as ``None``)."""
    return actor if getattr(actor, "pk", None) else None


@contextmanager
def refused_as(message: str, *, field: str):
    """Run a write in a savepoint; if the database refuses it (a unique constraint: someone else did the same a
    moment ago), raise ``message`` as an ApplicationError (code ``conflict``) instead of a server error."""
    try:
        with transaction.atomic():
            yield
    except IntegrityError as exc:
        raise ApplicationError(message, field=field, code="conflict") from exc
