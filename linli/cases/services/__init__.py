"""Every write to the cases domain. Keyword-only, atomic, audited; nothing is ever deleted.

A case moves only through :func:`case_transition` (:mod:`.transitions`), which applies
:data:`linli.cases.workflow.TRANSITIONS`: it locks the row, refuses an illegal or stale action with a clear message
(and changes nothing), applies the action's effects, writes a :class:`~linli.cases.models.CaseEvent`, audits and
notifies. The demo loader drives these same functions with fixed timestamps (``at=``).

The modules: :mod:`.common` (notifications, events, who holds a role over a case), :mod:`.deadlines`,
:mod:`.routing`, :mod:`.photos`, :mod:`.intake` (reporting), :mod:`.transitions`, :mod:`.feedback`,
:mod:`.mediation`. Callers import from this package: ``from linli.cases import services; services.case_create(...)``.
"""

from linli.cases.services.common import (
    CASE_PLACE_KINDS,
    FEEDBACK_WAIT,
    INTERNAL_ACTIONS,
    MEDIATION_FOLLOW_UP_DAYS,
    _event,
    _notify,
    case_url,
    level_place,
    path_prefixes,
    quiet,
    resident_of,
    role_holders,
    supervisors_of,
)
from linli.cases.services.deadlines import (
    DEFAULT_DEADLINES,
    deadline_for,
    deadline_policy_set,
    workday_override_set,
)
from linli.cases.services.feedback import case_verify, feedback_record, follow_up_call_record
from linli.cases.services.intake import _receivers, case_create, case_me_too
from linli.cases.services.mediation import (
    mediation_agreement_html,
    mediation_agreement_pdf,
    mediation_conclude,
    mediation_follow_up,
    mediation_session_add,
    mediation_start,
)
from linli.cases.services.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, PHOTO_FORMATS, photo_clean
from linli.cases.services.routing import Route, routing_resolve, routing_rule_deactivate, routing_rule_save
from linli.cases.services.transitions import EFFECTS, case_bulk_transition, case_comment, case_transition

__all__ = [
    "CASE_PLACE_KINDS", "DEFAULT_DEADLINES", "EFFECTS", "FEEDBACK_WAIT", "INTERNAL_ACTIONS", "MAX_PHOTOS",
    "MAX_PHOTO_BYTES", "MEDIATION_FOLLOW_UP_DAYS", "PHOTO_FORMATS", "Route", "_event", "_notify", "_receivers",
    "case_bulk_transition", "case_comment", "case_create", "case_me_too", "case_transition", "case_url",
    "case_verify", "deadline_for", "deadline_policy_set", "feedback_record", "follow_up_call_record", "level_place",
    "mediation_agreement_html", "mediation_agreement_pdf", "mediation_conclude", "mediation_follow_up",
    "mediation_session_add", "mediation_start", "path_prefixes", "photo_clean", "quiet", "resident_of",
    "role_holders", "routing_resolve", "routing_rule_deactivate", "routing_rule_save", "supervisors_of",
    "workday_override_set",
]
