"""Writes for accounts: users, roles at a place node, API tokens. Each is audited."""

import secrets

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from linli.accounts.models import ApiToken, Role, RoleAssignment, User
from linli.core.audit import audit
from linli.core.errors import ApplicationError
from linli.places.models import Grid, Place, PlaceKind

#: The kind of node each role is held at.
ROLE_PLACE_KINDS = {
    Role.CITY_ADMIN: {PlaceKind.CITY},
    Role.STREET_OFFICER: {PlaceKind.STREET, PlaceKind.DISTRICT},
    Role.COMMUNITY_SECRETARY: {PlaceKind.COMMUNITY},
    Role.COMMUNITY_STAFF: {PlaceKind.COMMUNITY},
    Role.SOCIAL_WORKER: {PlaceKind.COMMUNITY, PlaceKind.COMPOUND},
    Role.BRANCH_SECRETARY: {PlaceKind.COMPOUND},
    Role.BRANCH_ASSISTANT: {PlaceKind.COMPOUND},
    Role.GRID_WORKER: {PlaceKind.COMPOUND},
    Role.PROPERTY_STEWARD: {PlaceKind.COMPOUND, PlaceKind.BUILDING},
    Role.PEACEMAKER: {PlaceKind.COMPOUND, PlaceKind.BUILDING},
    Role.RED_STEWARD: {PlaceKind.COMPOUND, PlaceKind.BUILDING},
    Role.GROUP_LEADER: {PlaceKind.BUILDING},
}


@transaction.atomic
def user_create(*, actor, username: str, password: str, display_name: str = "") -> User:
    """A staff account with a password (hashed with Argon2)."""
    if User.objects.filter(username=username).exists():
        raise ApplicationError(_("The username “%(name)s” is taken.") % {"name": username}, field="username")
    user = User(username=username, display_name=display_name)
    user.set_password(password)
    user.save()
    audit(actor=actor, action="user.created", target=user)
    return user


@transaction.atomic
def role_grant(*, actor, user: User, role: str, place: Place, grid: Grid | None = None) -> RoleAssignment:
    """Give ``user`` a role at ``place`` (and, for a grid worker, a grid of that compound)."""
    if place.kind not in ROLE_PLACE_KINDS[role]:
        raise ApplicationError(
            _("The role %(role)s is held at a %(kinds)s.")
            % {"role": Role(role).label, "kinds": " / ".join(PlaceKind(k).label for k in ROLE_PLACE_KINDS[role])},
            field="place",
        )
    if role == Role.GRID_WORKER and (grid is None or grid.compound_id != place.pk):
        raise ApplicationError(_("A grid worker's role names a grid of the compound."), field="grid")
    assignment = RoleAssignment.objects.create(user=user, role=role, place=place, grid=grid)
    audit(actor=actor, action="role.granted", target=assignment, place_path=place.path,
          data={"user": user.username, "role": role, "grid": grid.pk if grid else None})
    return assignment


@transaction.atomic
def token_issue(*, actor, user: User, name: str) -> tuple[ApiToken, str]:
    """A new API token; returns the row and the token itself, which is not stored and cannot be shown again."""
    key = "lnl_" + secrets.token_urlsafe(32)
    token = ApiToken.objects.create(user=user, name=name, key_hash=ApiToken.hash_key(key), prefix=key[4:12])
    audit(actor=actor, action="api_token.issued", target=token, data={"user": user.username})
    return token, key


def token_authenticate(key: str) -> User | None:
    """The active user owning an unrevoked token, or None. Marks the token used (at most once a minute)."""
    if not key:
        return None
    token = (
        ApiToken.objects.select_related("user")
        .filter(key_hash=ApiToken.hash_key(key), revoked_at__isnull=True, user__is_active=True)
        .first()
    )
    if token is None:
        return None
    now = timezone.now()
    if token.last_used_at is None or (now - token.last_used_at).total_seconds() > 60:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user
