"""What each role may do — defined here once. ``docs/permissions.md`` is checked against this map, and a test is
generated from it for every role × every view and endpoint, in scope and out of scope, by
``linli/accounts/tests/test_permission_matrix.py`` (which also fails when a URL is neither here nor in
:data:`NOT_IN_THE_MATRIX`).

Permissions say *what* a role may do; *where* is always the role's scope (the subtree of the place node it is held
at, or its grid): no permission reaches outside the scope.
"""

from typing import NamedTuple

from linli.accounts.models import Role

# --- the register ------------------------------------------------------------------------------------------------
#: Every staff role may read the register of its scope (masked personal numbers), the organisation's pages included.
VIEW_REGISTER = "view_register"
#: See the plaintext ID and phone numbers of a resident (needs a TOTP-verified session; every reveal is audited).
REVEAL_PERSONAL_DATA = "reveal_personal_data"
#: See the sensitive tags (chronic illness, disabled): those who organise care visits.
VIEW_SENSITIVE_TAGS = "view_sensitive_tags"
#: Read the audit trail of the scope.
VIEW_AUDIT = "view_audit"
#: Print the households' invitation cards.
ISSUE_INVITATIONS = "issue_invitations"
#: Import an Excel file into a compound's register (and read the import reports, which quote the rows).
IMPORT_REGISTER = "import_register"
#: Download a compound's register as Excel (masked numbers, audited): personal data leaving Linli in bulk.
EXPORT_REGISTER = "export_register"
#: Remove a colleague's authenticator and recovery codes when both are lost (checked in person; a reason, audited):
#: a staff member whose every role lies in the scope, never oneself. Those above the compounds, where the two-factor
#: roles (the secretaries) are answerable.
RESET_TWO_FACTOR = "reset_two_factor"
#: Read the outbox of texts "sent" by the console channel — sign-in codes included, so only in the offline demo.
READ_OUTBOX = "read_outbox"
# --- the organisation ----------------------------------------------------------------------------------------------
#: Change the organisation: teams and their members, party membership (held at the node or above, not via a grid).
MANAGE_ORG = "manage_org"
#: Give a household nobody looks after to an anchor household of its building.
ASSIGN_ANCHORS = "assign_anchors"
# --- the closed loop -----------------------------------------------------------------------------------------------
#: Open the case queues and the cases one may see, enter a case, comment; each action of the workflow has its own
#: guard on top (``linli/cases/workflow.py``).
WORK_CASES = "work_cases"
#: See every case of the scope, not only those routed to one's role (or that one reported, owns or handles).
VIEW_ALL_CASES = "view_all_cases"
#: Edit the routing rules and the deadlines of the scope; approve postponements.
SUPERVISE_CASES = "supervise_cases"
#: Enter the official holiday schedule. It is one table for everyone (the State Council's calendar is national), so
#: a compound's branch secretary must not change it for every other compound: a community's secretary and above.
EDIT_HOLIDAYS = "edit_holidays"
#: Read the metrics dashboard of the scope and download it.
VIEW_METRICS = "view_metrics"

PERMISSIONS = [VIEW_REGISTER, REVEAL_PERSONAL_DATA, VIEW_SENSITIVE_TAGS, VIEW_AUDIT, ISSUE_INVITATIONS,
               IMPORT_REGISTER, EXPORT_REGISTER, READ_OUTBOX, RESET_TWO_FACTOR, MANAGE_ORG, ASSIGN_ANCHORS, WORK_CASES,
               VIEW_ALL_CASES, SUPERVISE_CASES, EDIT_HOLIDAYS, VIEW_METRICS]

#: What every staff role may do.
_ALL_STAFF = {VIEW_REGISTER, WORK_CASES, VIEW_METRICS}
#: The desk that answers for a community's or a compound's register and its organisation.
_REGISTER_DESK = {ISSUE_INVITATIONS, IMPORT_REGISTER, EXPORT_REGISTER, MANAGE_ORG, ASSIGN_ANCHORS}
#: Those who supervise the closed loop (``linli.cases.workflow.SUPERVISOR_ROLES``).
_SUPERVISOR = {VIEW_ALL_CASES, SUPERVISE_CASES}

ROLE_PERMISSIONS: dict[str, set[str]] = {
    Role.CITY_ADMIN: _ALL_STAFF | _SUPERVISOR | {EDIT_HOLIDAYS, VIEW_AUDIT, READ_OUTBOX, MANAGE_ORG, ASSIGN_ANCHORS,
                                                 RESET_TWO_FACTOR},
    Role.STREET_OFFICER: _ALL_STAFF | _SUPERVISOR | {EDIT_HOLIDAYS, MANAGE_ORG, ASSIGN_ANCHORS, RESET_TWO_FACTOR},
    Role.COMMUNITY_SECRETARY: _ALL_STAFF | _SUPERVISOR | _REGISTER_DESK | {
        EDIT_HOLIDAYS, RESET_TWO_FACTOR, REVEAL_PERSONAL_DATA, VIEW_SENSITIVE_TAGS, VIEW_AUDIT, READ_OUTBOX},
    Role.COMMUNITY_STAFF: _ALL_STAFF | _REGISTER_DESK | {VIEW_SENSITIVE_TAGS},
    Role.SOCIAL_WORKER: _ALL_STAFF | {VIEW_SENSITIVE_TAGS},
    Role.BRANCH_SECRETARY: _ALL_STAFF | _SUPERVISOR | _REGISTER_DESK | {
        REVEAL_PERSONAL_DATA, VIEW_SENSITIVE_TAGS, VIEW_AUDIT, READ_OUTBOX},
    Role.BRANCH_ASSISTANT: _ALL_STAFF | (_REGISTER_DESK - {EXPORT_REGISTER}) | {VIEW_ALL_CASES},
    Role.GRID_WORKER: _ALL_STAFF | {VIEW_SENSITIVE_TAGS, ISSUE_INVITATIONS, VIEW_ALL_CASES},
    Role.PROPERTY_STEWARD: _ALL_STAFF,
    Role.PEACEMAKER: _ALL_STAFF,
    Role.RED_STEWARD: _ALL_STAFF,
    Role.GROUP_LEADER: _ALL_STAFF | {ASSIGN_ANCHORS},
}


class Endpoint(NamedTuple):
    """A view or API operation: its URL name (``namespace:name``), the method, what it is scoped by (a key of
    :data:`SCOPES`) and the permission it needs."""

    name: str
    method: str
    scope: str
    permission: str


#: What a view or endpoint is scoped by: an object outside the caller's reach answers **404** whatever the role (the
#: same answer as for a missing one: the scope is checked before the permission); in reach, a role without the
#: permission gets **403**.
SCOPES = {
    "list": "no object: answers only what lies in the caller's scope (403 without the permission)",
    "none": "no object: a form or a settings page (403 without the permission)",
    "building": "a building in the caller's scope",
    "unit": "a unit in the caller's scope",
    "household": "a household in the caller's scope",
    "resident": "a resident in the caller's scope",
    "merchant": "a merchant in the caller's scope",
    "compound": "a compound the caller's scope touches (all of it, or a grid or building of it)",
    "whole compound": "a compound the caller's scope covers entirely (a grid worker's or a building's role does not)",
    "import job": "an import into a compound the caller's scope covers entirely",
    "team": "a team of a compound the caller's scope touches",
    "team member": "a member of a team of a compound the caller's scope touches",
    "organisation": "a party organisation whose place the caller's scope touches",
    "membership": "a party membership of a resident in the caller's scope",
    "anchor": "an anchor household in the caller's scope",
    "in body": "what the request body names (a place, a resident, a membership, a staff account), in the caller's "
               "scope; the URL names no object, so a role without the permission may get 403 before the body is read",
    "case": "a case the caller may see: in scope and, without view_all_cases, routed to the caller's role (or "
            "reported, owned, dispatched or handled by the caller)",
    "mediation": "a mediation whose case the caller may see, or whose peacemaker the caller is",
    "routing rule": "a routing rule of a place in the caller's scope",
}

GET, POST = "GET", "POST"

#: Every view and endpoint of Linli except :data:`NOT_IN_THE_MATRIX`, with what it is scoped by and the permission
#: it needs. ``list`` endpoints answer 200 and list only what is in scope.
ENDPOINTS = [
    # the register (linli/places)
    Endpoint("places:building", GET, "building", VIEW_REGISTER),
    Endpoint("places:unit", GET, "unit", VIEW_REGISTER),
    Endpoint("places:residents", GET, "list", VIEW_REGISTER),
    Endpoint("places:resident", GET, "resident", VIEW_REGISTER),
    Endpoint("places:resident_reveal", POST, "resident", REVEAL_PERSONAL_DATA),
    Endpoint("places:merchants", GET, "list", VIEW_REGISTER),
    Endpoint("places:grids", GET, "list", VIEW_REGISTER),
    Endpoint("places:import", GET, "whole compound", IMPORT_REGISTER),
    Endpoint("places:import", POST, "whole compound", IMPORT_REGISTER),
    Endpoint("places:import_job", GET, "import job", IMPORT_REGISTER),
    Endpoint("places:import_template", GET, "none", VIEW_REGISTER),  # a blank form: no personal data
    Endpoint("places:export", GET, "compound", EXPORT_REGISTER),
    Endpoint("overview:home", GET, "list", VIEW_REGISTER),
    Endpoint("overview:compound", GET, "compound", VIEW_REGISTER),
    # invitations, audit, outbox (linli/accounts, linli/notify)
    Endpoint("accounts:invitation_print", GET, "building", ISSUE_INVITATIONS),
    Endpoint("accounts:invitation_reissue", POST, "unit", ISSUE_INVITATIONS),
    Endpoint("audit:list", GET, "list", VIEW_AUDIT),
    Endpoint("accounts:two_factor_reset", GET, "none", RESET_TWO_FACTOR),
    Endpoint("accounts:two_factor_reset", POST, "in body", RESET_TWO_FACTOR),
    Endpoint("notify:outbox", GET, "list", READ_OUTBOX),
    # the organisation (linli/org)
    Endpoint("org:tree", GET, "list", VIEW_REGISTER),
    Endpoint("org:building", GET, "building", VIEW_REGISTER),
    Endpoint("org:teams", GET, "list", VIEW_REGISTER),
    Endpoint("org:team", GET, "team", VIEW_REGISTER),
    Endpoint("org:team_member_add", POST, "team", MANAGE_ORG),
    Endpoint("org:team_member_remove", POST, "team member", MANAGE_ORG),
    Endpoint("org:cover", POST, "building", ASSIGN_ANCHORS),
    Endpoint("org:person", GET, "resident", VIEW_REGISTER),
    Endpoint("org:membership_register", POST, "resident", MANAGE_ORG),
    Endpoint("org:organisation_new", GET, "none", MANAGE_ORG),
    Endpoint("org:organisation_new", POST, "in body", MANAGE_ORG),
    Endpoint("org:organisation", GET, "organisation", VIEW_REGISTER),
    Endpoint("org:organisation_leadership", POST, "organisation", MANAGE_ORG),
    Endpoint("org:membership_end", POST, "membership", MANAGE_ORG),
    Endpoint("org:anchor_designate", POST, "building", ASSIGN_ANCHORS),
    Endpoint("org:anchor_end", POST, "anchor", ASSIGN_ANCHORS),
    Endpoint("org:team_new", POST, "in body", MANAGE_ORG),
    Endpoint("org:member_buildings", POST, "team member", MANAGE_ORG),
    # the closed loop, staff pages (linli/cases)
    Endpoint("cases:queue", GET, "list", WORK_CASES),
    Endpoint("cases:queue_named", GET, "list", WORK_CASES),
    Endpoint("cases:bulk", POST, "list", WORK_CASES),
    Endpoint("cases:new", GET, "none", WORK_CASES),
    Endpoint("cases:new", POST, "none", WORK_CASES),
    Endpoint("cases:detail", GET, "case", WORK_CASES),
    Endpoint("cases:transition", POST, "case", WORK_CASES),
    Endpoint("cases:verify", POST, "case", WORK_CASES),
    Endpoint("cases:comment", POST, "case", WORK_CASES),
    Endpoint("cases:call_record", POST, "case", WORK_CASES),
    Endpoint("cases:call_phone", POST, "case", WORK_CASES),
    Endpoint("cases:calls", GET, "list", WORK_CASES),
    Endpoint("cases:mediation_start", GET, "case", WORK_CASES),
    Endpoint("cases:mediation_start", POST, "case", WORK_CASES),
    Endpoint("cases:mediation", GET, "mediation", WORK_CASES),
    Endpoint("cases:mediation", POST, "mediation", WORK_CASES),
    Endpoint("cases:mediation_agreement", GET, "mediation", WORK_CASES),
    Endpoint("cases:routing", GET, "none", SUPERVISE_CASES),
    Endpoint("cases:routing", POST, "none", SUPERVISE_CASES),
    Endpoint("cases:routing_off", POST, "routing rule", SUPERVISE_CASES),
    Endpoint("cases:deadlines", GET, "none", SUPERVISE_CASES),
    Endpoint("cases:deadlines", POST, "none", SUPERVISE_CASES),
    Endpoint("cases:responses", GET, "none", SUPERVISE_CASES),
    Endpoint("cases:responses", POST, "none", SUPERVISE_CASES),
    Endpoint("cases:calendar", GET, "none", SUPERVISE_CASES),
    Endpoint("cases:calendar", POST, "none", EDIT_HOLIDAYS),
    # metrics (linli/metrics)
    Endpoint("metrics:dashboard", GET, "list", VIEW_METRICS),
    Endpoint("metrics:export", GET, "list", VIEW_METRICS),
    # the JSON API (/api/v1/)
    Endpoint("api-1:compound_list", GET, "list", VIEW_REGISTER),
    Endpoint("api-1:compound_detail", GET, "compound", VIEW_REGISTER),
    Endpoint("api-1:building_list", GET, "list", VIEW_REGISTER),
    Endpoint("api-1:building_detail", GET, "building", VIEW_REGISTER),
    Endpoint("api-1:unit_list", GET, "list", VIEW_REGISTER),
    Endpoint("api-1:unit_detail", GET, "unit", VIEW_REGISTER),
    Endpoint("api-1:household_list", GET, "list", VIEW_REGISTER),
    Endpoint("api-1:household_detail", GET, "household", VIEW_REGISTER),
    Endpoint("api-1:resident_list", GET, "list", VIEW_REGISTER),
    Endpoint("api-1:resident_detail", GET, "resident", VIEW_REGISTER),
    Endpoint("api-1:merchant_list", GET, "list", VIEW_REGISTER),
    Endpoint("api-1:merchant_detail", GET, "merchant", VIEW_REGISTER),
    Endpoint("api-1:case_list", GET, "list", WORK_CASES),
    Endpoint("api-1:case_detail", GET, "case", WORK_CASES),
    Endpoint("api-1:case_create", POST, "in body", WORK_CASES),
    Endpoint("api-1:case_transition", POST, "case", WORK_CASES),
    Endpoint("api-1:organisation_list", GET, "list", VIEW_REGISTER),
    Endpoint("api-1:organisation_detail", GET, "organisation", VIEW_REGISTER),
    Endpoint("api-1:organisation_create", POST, "in body", MANAGE_ORG),
    Endpoint("api-1:organisation_leadership", POST, "organisation", MANAGE_ORG),
    Endpoint("api-1:membership_list", GET, "list", VIEW_REGISTER),
    Endpoint("api-1:membership_detail", GET, "membership", VIEW_REGISTER),
    Endpoint("api-1:membership_register", POST, "in body", MANAGE_ORG),
    Endpoint("api-1:membership_end", POST, "membership", MANAGE_ORG),
    Endpoint("api-1:anchor_list", GET, "list", VIEW_REGISTER),
    Endpoint("api-1:anchor_detail", GET, "anchor", VIEW_REGISTER),
    Endpoint("api-1:anchor_designate", POST, "in body", ASSIGN_ANCHORS),
    Endpoint("api-1:anchor_end", POST, "anchor", ASSIGN_ANCHORS),
    Endpoint("api-1:anchor_cover", POST, "anchor", ASSIGN_ANCHORS),
    Endpoint("api-1:anchor_uncover", POST, "anchor", ASSIGN_ANCHORS),
    Endpoint("api-1:team_list", GET, "list", VIEW_REGISTER),
    Endpoint("api-1:team_detail", GET, "team", VIEW_REGISTER),
    Endpoint("api-1:team_create", POST, "in body", MANAGE_ORG),
    Endpoint("api-1:team_member_add", POST, "team", MANAGE_ORG),
    Endpoint("api-1:team_member_remove", POST, "team member", MANAGE_ORG),
    Endpoint("api-1:team_member_buildings", "PUT", "team member", MANAGE_ORG),
]

#: URL names that are not in the matrix, and why: pages open to anyone, pages where a person acts only on their own
#: account or records, and interfaces with their own key. Each has its own tests (named here). A URL that is in
#: neither list fails ``test_every_url_is_in_the_matrix``.
NOT_IN_THE_MATRIX = {
    # open to anyone: signing in, the language switch, the API's description
    "accounts:login": "public: staff sign-in (lock-out tested in accounts/tests/test_security.py)",
    "set_language": "public: Django's language switch",
    "api-1:api-root": "public: the API's root answers 404 (no data)",
    "api-1:openapi-json": "public: the OpenAPI document (no data; linli/api/tests/test_api.py)",
    "api-1:openapi-view": "public: the interactive API docs page (no data)",
    # the signed-in person's own account
    "accounts:logout": "self: signs the person out",
    "accounts:two_factor": "self: enrols the person's own authenticator (accounts/tests/test_security.py)",
    "accounts:two_factor_verify": "self: checks the person's own code (accounts/tests/test_security.py)",
    "notify:inbox": "self: the person's own notifications (notify/tests/test_notify.py)",
    "notify:mark_read": "self: marks only the person's own notifications read (notify/tests/test_notify.py)",
    # residents' portal: a resident account sees its own record and household only
    "me:home": "resident self: own record and household (accounts/tests/test_security.py)",
    "me:sign_in": "public: a resident asks for a code by phone (accounts/tests/test_resident_sign_in.py)",
    "me:sign_in_code": "public: a resident enters the code (accounts/tests/test_resident_sign_in.py)",
    "me:claim": "public: a resident claims an invitation code (accounts/tests/test_resident_sign_in.py)",
    "me:sign_out": "resident self: signs out",
    "mycases:list": "resident self: own cases (cases/tests/test_views.py)",
    "mycases:report": "resident self: reports for their own unit or building (cases/tests/test_views.py)",
    "mycases:similar": "resident self: open cases near their own unit (cases/tests/test_views.py)",
    "mycases:detail": "resident self: a case of their compound they reported or joined (cases/tests/test_views.py)",
    "mycases:me_too": "resident self: joins a case of their own compound (cases/tests/test_views.py)",
    "mycases:me_too_withdraw": "resident self: withdraws their own \"me too\" from a case they joined "
                               "(cases/tests/test_views.py)",
    "mycases:rate": "resident self: rates their own case (cases/tests/test_views.py)",
    "mycases:answer": "resident self: answers a question on their own case (cases/tests/test_views.py)",
    "mymessages:list": "resident self: their own messages (cases/tests/test_views.py)",
    "mymessages:mark_read": "resident self: marks only their own messages read (cases/tests/test_views.py)",
    # a case's photo: the signed link is the permission, given only by pages and answers within the reader's scope
    "photo": "signed link: one photo, 12 hours; anything else 404 (cases/tests/test_photo_links.py)",
    # Open311 GeoReport v2: authenticated by its own API key, not by a role (open311/tests)
    "open311:services": "Open311: public service list (open311/tests)",
    "open311:service": "Open311: public service definition (open311/tests)",
    "open311:requests": "Open311: needs an api_key to read or post; within the key user's scope (open311/tests)",
    "open311:request": "Open311: needs an api_key; within the key user's scope (open311/tests)",
    "open311:token": "Open311: public by the spec; the token is the submitter's unguessable secret (open311/tests)",
    "open311:not_found": "Open311: the 404 of every other path",
}

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


def roles_with(permission: str) -> set[str]:
    """The roles that hold ``permission`` (for the code that checks a role held at a place, not just any role)."""
    return {role for role, perms in ROLE_PERMISSIONS.items() if permission in perms}


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


# --- docs/permissions.md is made of these (the test keeps the document equal to them) ----------------------------


def matrix_markdown() -> str:
    """The role × permission table."""
    lines = ["| role | " + " | ".join(f"`{p}`" for p in PERMISSIONS) + " |",
             "|---|" + "---|" * len(PERMISSIONS)]
    for role in Role:
        perms = ROLE_PERMISSIONS.get(role, set())
        lines.append(f"| `{role.value}` | " + " | ".join("✓" if p in perms else "—" for p in PERMISSIONS) + " |")
    lines.append("| resident (own account) | " + " | ".join("—" for _p in PERMISSIONS) + " |")
    return "\n".join(lines)


def scopes_markdown() -> str:
    """What each endpoint can be scoped by."""
    lines = ["| scoped by | in reach |", "|---|---|"]
    lines += [f"| {kind} | {text} |" for kind, text in SCOPES.items()]
    return "\n".join(lines)


def endpoints_markdown() -> str:
    """The endpoint table: every view and endpoint, its scope, its permission and the roles holding it."""
    lines = ["| view or endpoint | method | scoped by | needs | roles |", "|---|---|---|---|---|"]
    for e in ENDPOINTS:
        roles = [r.value for r in Role if e.permission in ROLE_PERMISSIONS[r]]
        who = "every staff role" if len(roles) == len(Role) else ", ".join(roles)
        lines.append(f"| `{e.name}` | {e.method} | {e.scope} | `{e.permission}` | {who} |")
    return "\n".join(lines)


def not_in_the_matrix_markdown() -> str:
    """The URLs left out of the matrix, and why."""
    lines = ["| URL name | why |", "|---|---|"]
    lines += [f"| `{name}` | {why} |" for name, why in NOT_IN_THE_MATRIX.items()]
    return "\n".join(lines)
