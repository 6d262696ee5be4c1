"""Every write to the organisation: keyword-only, atomic, audited; nothing is deleted (end dates, not deletes).

- :mod:`.chain` — party organisations and their leaders, memberships registered and ended;
- :mod:`.anchors` — anchor households and the households each looks after;
- :mod:`.teams` — steward teams, their members and the buildings each covers (roles follow).

Who may change what: in scope *and* holding a keeper role there (``selectors.ORG_MANAGER_ROLES``; a building's group
leader may also run its anchor households). A refusal names the field (``ApplicationError``); the codes are
``out_of_scope``, ``forbidden``, ``conflict`` (the database refused a duplicate) or ``invalid``.
"""

from linli.org.services._common import TEAM_ROLES, staff_user_named
from linli.org.services.anchors import (
    anchor_household_assign,
    anchor_household_cover,
    anchor_household_designate,
    anchor_household_end,
    anchor_household_uncover,
)
from linli.org.services.chain import (
    membership_end,
    membership_register,
    organisation_create,
    organisation_leadership_set,
)
from linli.org.services.teams import (
    team_create,
    team_member_add,
    team_member_buildings_set,
    team_member_remove,
)

__all__ = [
    "TEAM_ROLES",
    "staff_user_named",
    "anchor_household_assign",
    "anchor_household_cover",
    "anchor_household_designate",
    "anchor_household_end",
    "anchor_household_uncover",
    "membership_end",
    "membership_register",
    "organisation_create",
    "organisation_leadership_set",
    "team_create",
    "team_member_add",
    "team_member_buildings_set",
    "team_member_remove",
]
