"""What each role may do — defined here once. ``docs/permissions.md`` is checked against this map by
``linli/accounts/tests/test_permission_matrix.py``.

Permissions say *what* a role may do; *where* is always the role's scope (the subtree of the place node it is held
at, or its grid): no permission reaches outside the scope.
"""

from linli.accounts.models import Role

#: Every staff role may read the register of its scope (masked personal numbers).
VIEW_REGISTER = "view_register"
#: See the plaintext ID and phone numbers of a resident (needs a TOTP-verified session; every reveal is audited).
REVEAL_PERSONAL_DATA = "reveal_personal_data"
#: See the sensitive tags (chronic illness, disabled): those who organise care visits.
VIEW_SENSITIVE_TAGS = "view_sensitive_tags"
#: Read the audit trail of the scope.
VIEW_AUDIT = "view_audit"
#: Print the households' invitation cards.
ISSUE_INVITATIONS = "issue_invitations"

PERMISSIONS = [VIEW_REGISTER, REVEAL_PERSONAL_DATA, VIEW_SENSITIVE_TAGS, VIEW_AUDIT, ISSUE_INVITATIONS]

_ALL_STAFF = {VIEW_REGISTER}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.CITY_ADMIN: _ALL_STAFF | {VIEW_AUDIT},
    Role.STREET_OFFICER: _ALL_STAFF,
    Role.COMMUNITY_SECRETARY: _ALL_STAFF | {REVEAL_PERSONAL_DATA, VIEW_SENSITIVE_TAGS, VIEW_AUDIT, ISSUE_INVITATIONS},
    Role.COMMUNITY_STAFF: _ALL_STAFF | {VIEW_SENSITIVE_TAGS, ISSUE_INVITATIONS},
    Role.SOCIAL_WORKER: _ALL_STAFF | {VIEW_SENSITIVE_TAGS},
    Role.BRANCH_SECRETARY: _ALL_STAFF | {REVEAL_PERSONAL_DATA, VIEW_SENSITIVE_TAGS, VIEW_AUDIT, ISSUE_INVITATIONS},
    Role.BRANCH_ASSISTANT: _ALL_STAFF | {ISSUE_INVITATIONS},
    Role.GRID_WORKER: _ALL_STAFF | {VIEW_SENSITIVE_TAGS, ISSUE_INVITATIONS},
    Role.PROPERTY_STEWARD: _ALL_STAFF,
    Role.PEACEMAKER: _ALL_STAFF,
    Role.RED_STEWARD: _ALL_STAFF,
    Role.GROUP_LEADER: _ALL_STAFF,
}

#: Every view and endpoint that reads or writes the register's people, with the permission it needs and the kind
#: of object it is scoped by: ``(url name, method, object kind, permission)``. An object outside the caller's scope
#: answers 404 whatever the role (the scope is checked first); in scope, a role without the permission gets 403.
#: ``list`` endpoints answer 200 and list only what is in scope.
ENDPOINTS = [
    ("places:building", "GET", "building", VIEW_REGISTER),
    ("places:unit", "GET", "unit", VIEW_REGISTER),
    ("places:resident", "GET", "resident", VIEW_REGISTER),
    ("places:residents", "GET", "list", VIEW_REGISTER),
    ("places:resident_reveal", "POST", "resident", REVEAL_PERSONAL_DATA),
    ("accounts:invitation_print", "GET", "building", ISSUE_INVITATIONS),
    ("accounts:invitation_reissue", "POST", "unit", ISSUE_INVITATIONS),
    ("audit:list", "GET", "list", VIEW_AUDIT),
    ("api:buildings/{id}", "GET", "building", VIEW_REGISTER),
    ("api:units/{id}", "GET", "unit", VIEW_REGISTER),
    ("api:residents/{id}", "GET", "resident", VIEW_REGISTER),
    ("api:residents", "GET", "list", VIEW_REGISTER),
]

#: Tags shown only to roles holding :data:`VIEW_SENSITIVE_TAGS` (health and disability).
SENSITIVE_TAGS = ["chronic_illness", "disabled"]


def user_permissions(user) -> set[str]:
    """The permissions of ``user``'s current roles (one query, cached on the user object). Residents: none."""
    if user is None or not user.is_authenticated or not user.is_active or getattr(user, "is_resident", False):
        return set()
    cached = getattr(user, "_linli_permissions", None)
    if cached is not None:
        return cached
    # ``all()``: loaded once per request by ResidentAreaMiddleware (and shared with the page header).
    perms: set[str] = set()
    for assignment in user.role_assignments.all():
        if assignment.ended_at is None:
            perms |= ROLE_PERMISSIONS.get(assignment.role, set())
    user._linli_permissions = perms
    return perms


def has_perm(user, permission: str) -> bool:
    return permission in user_permissions(user)


def may_reveal(user) -> bool:
    return has_perm(user, REVEAL_PERSONAL_DATA)


def may_see_sensitive_tags(user) -> bool:
    return has_perm(user, VIEW_SENSITIVE_TAGS)


def visible_tags(user, tags):
    """``tags`` (codes or ResidentTag rows) without the sensitive ones unless the user may see them."""
    if may_see_sensitive_tags(user):
        return list(tags)
    return [t for t in tags if getattr(t, "tag", t) not in SENSITIVE_TAGS]


#: The session key set once the signed-in person has entered a code from their authenticator app.
TWO_FACTOR_SESSION_KEY = "linli_2fa_verified_at"


def two_factor_verified(request) -> bool:
    """True when this session passed a TOTP check (needed before any reveal of personal numbers)."""
    return bool(request.session.get(TWO_FACTOR_SESSION_KEY))


def matrix_markdown() -> str:
    """The role × permission table of ``docs/permissions.md`` (the test keeps the document equal to this)."""
    from linli.accounts.models import Role

    lines = ["| role | " + " | ".join(f"`{p}`" for p in PERMISSIONS) + " |",
             "|---|" + "---|" * len(PERMISSIONS)]
    for role in Role:
        perms = ROLE_PERMISSIONS.get(role, set())
        lines.append(f"| `{role.value}` | " + " | ".join("✓" if p in perms else "—" for p in PERMISSIONS) + " |")
    lines.append("| resident (own account) | " + " | ".join("—" for _p in PERMISSIONS) + " |")
    return "\n".join(lines)


def endpoints_markdown() -> str:
    """The endpoint table of ``docs/permissions.md``."""
    lines = ["| view or endpoint | method | scoped by | needs |", "|---|---|---|---|"]
    for name, method, kind, perm in ENDPOINTS:
        lines.append(f"| `{name}` | {method} | {kind} | `{perm}` |")
    return "\n".join(lines)
