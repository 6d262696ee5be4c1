"""Every read of the cases domain, scoped by the user — one package (``from linli.cases import selectors``
re-exports it all): :mod:`.queues` (who sees which case, the staff's queues and their badges), :mod:`.cases` (one
case and what hangs on it, a resident's own reports), :mod:`.config` (categories, handlers, routing rules,
deadlines, the holiday calendar)."""

from linli.cases.selectors.cases import (  # noqa: F401
    case_attachments,
    case_timeline,
    follow_up_calls,
    get_case_for_user,
    get_follow_up_call_for_user,
    get_mediation_for_user,
    get_photo,
    nearby_open_cases,
    open_follow_up_call,
    requested_workdays,
    resident_cases,
    resident_cases_waiting,
    same_report_sent,
    withdrawn_me_too,
)
from linli.cases.selectors.config import (  # noqa: F401
    active_category,
    categories,
    deadline_places,
    deadline_policies,
    deadlines_in_force,
    dispatch_handlers,
    get_response_template_for_user,
    get_routing_rule_for_user,
    handler_in_area,
    handlers_in_area,
    peacemakers_for,
    response_templates,
    response_templates_for,
    routing_rules,
    unrouted_categories,
    workday_overrides,
)
from linli.cases.selectors.queues import (  # noqa: F401
    ALL_COUNT_CAP,
    QUEUES,
    can_see,
    case_list,
    case_queue,
    queue_counts,
    queue_part,
    queue_rows,
    visible_q,
)
