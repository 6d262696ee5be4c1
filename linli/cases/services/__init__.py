"""Every write to the cases domain. Keyword-only, atomic, audited; nothing is ever deleted.

A case moves only through :func:`case_transition` (:mod:`.transitions`), which applies
:data:`linli.cases.workflow.TRANSITIONS`: it locks the row, refuses an illegal or stale action with a clear message
(and changes nothing), applies the action's effects, writes a :class:`~linli.cases.models.CaseEvent`, audits and
notifies. The demo loader drives these same functions with fixed timestamps (``at=``).

The modules: :mod:`.common` (notifications, events, who holds a role over a case), :mod:`.deadlines`,
:mod:`.routing`, :mod:`.photos`, :mod:`.intake` (reporting), :mod:`.transitions`, :mod:`.feedback`,
:mod:`.mediation`, :mod:`.tally` (the open cases' counts the database keeps). Callers import from this package:
``from linli.cases import services; services.case_create(...)``.
"""

from linli.cases.services.common import (
    CASE_PLACE_KINDS,
    FEEDBACK_WAIT,
    INTERNAL_ACTIONS,
    MEDIATION_FOLLOW_UP_DAYS,
    _event,
    _notify,
    case_url,
    deliver,
    enqueue_with_change,
    level_place,
    path_prefixes,
    quiet,
    resident_of,
    role_holders,
    supervisors_of,
)
from linli.cases.services.deadlines import (
    DEADLINE_PLACE_KINDS,
    DEFAULT_DEADLINES,
    deadline_for,
    deadline_policy_remove,
    deadline_policy_set,
    may_set_default_deadlines,
    workday_override_remove,
    workday_override_set,
)
from linli.cases.services.feedback import case_verify, feedback_record, follow_up_call_phone, follow_up_call_record
from linli.cases.services.intake import (
    Intake,
    _receivers,
    case_create,
    case_intake,
    case_me_too,
    case_me_too_withdraw,
)
from linli.cases.services.mediation import (
    mediation_agreement_html,
    mediation_agreement_pdf,
    mediation_conclude,
    mediation_follow_up,
    mediation_session_add,
    mediation_start,
)
from linli.cases.services.photos import MAX_PHOTO_BYTES, MAX_PHOTOS, PHOTO_FORMATS, photo_clean
from linli.cases.services.responses import (
    TEMPLATE_ACTIONS,
    may_keep_response_templates,
    response_template_save,
    response_template_switch,
)
from linli.cases.services.routing import Route, routing_resolve, routing_rule_deactivate, routing_rule_save
from linli.cases.services.tally import tally_compact, tally_rebuild, tally_repair
from linli.cases.services.transitions import EFFECTS, case_bulk_transition, case_comment, case_transition

__all__ = [
    "case_bulk_transition", "case_comment", "case_create", "case_intake", "case_me_too", "case_me_too_withdraw",
    "CASE_PLACE_KINDS", "case_transition", "case_url", "case_verify", "deadline_for", "DEADLINE_PLACE_KINDS",
    "deadline_policy_remove", "deadline_policy_set", "DEFAULT_DEADLINES", "deliver", "EFFECTS",
    "enqueue_with_change", "_event",
    "feedback_record", "FEEDBACK_WAIT", "follow_up_call_phone", "follow_up_call_record", "Intake", "INTERNAL_ACTIONS",
    "level_place",
    "MAX_PHOTO_BYTES", "MAX_PHOTOS", "may_set_default_deadlines", "mediation_agreement_html",
    "mediation_agreement_pdf", "mediation_conclude", "mediation_follow_up", "MEDIATION_FOLLOW_UP_DAYS",
    "mediation_session_add", "mediation_start", "_notify", "path_prefixes", "photo_clean", "PHOTO_FORMATS", "quiet",
    "response_template_save", "response_template_switch", "may_keep_response_templates", "TEMPLATE_ACTIONS",
    "_receivers", "resident_of", "role_holders", "Route", "routing_resolve", "routing_rule_deactivate",
    "routing_rule_save", "supervisors_of", "tally_compact", "tally_rebuild", "tally_repair", "workday_override_remove",
    "workday_override_set",
]
