"""The lifecycle of a case, as data: states (:class:`linli.cases.models.State`), the actions that move between them
(:data:`TRANSITIONS`) and who may take each action (the guards).

The services apply this table (``linli.cases.services.case_transition``); ``docs/workflows/cases.md`` is drawn
from it by :func:`mermaid` (a test keeps the two in step). Flow after GB/T 30428
(立案 → 派遣 → 处置 → 反馈 → 核查结案 → 评价, with 返工 and 回退) and Beijing's 接诉即办 (the first receiver
owns the case until it is dispatched).
"""

from collections.abc import Callable
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from linli.accounts.models import Role
from linli.cases.models import LEVEL_ORDER, Level, State
from linli.core.scope import role_paths  # noqa: F401  (the workflow's guards and its callers use it)

S = State

#: Roles that receive and triage cases (accept, reject, merge, dispatch) within their scope.
TRIAGE_ROLES = {
    Role.GRID_WORKER, Role.BRANCH_SECRETARY, Role.BRANCH_ASSISTANT, Role.COMMUNITY_SECRETARY, Role.COMMUNITY_STAFF,
    Role.STREET_OFFICER, Role.CITY_ADMIN,
}
#: Roles that supervise (approve more time, see every case in scope, act on a handler's behalf).
SUPERVISOR_ROLES = {Role.BRANCH_SECRETARY, Role.COMMUNITY_SECRETARY, Role.STREET_OFFICER, Role.CITY_ADMIN}
#: Roles that see every case in their scope (not only what is routed to them).
SEE_ALL_ROLES = SUPERVISOR_ROLES | {Role.BRANCH_ASSISTANT, Role.GRID_WORKER}
#: Roles that handle cases at each level (the default when no routing rule says otherwise).
LEVEL_DEFAULT_ROLE = {
    Level.BUILDING: Role.GROUP_LEADER,
    Level.COMPOUND: Role.PROPERTY_STEWARD,
    Level.COMMUNITY: Role.COMMUNITY_STAFF,
    Level.STREET: Role.STREET_OFFICER,
}
#: Who supervises each level (told when a case at that level is overdue or escalated to it).
LEVEL_SUPERVISOR_ROLES = {
    Level.BUILDING: {Role.BRANCH_SECRETARY},
    Level.COMPOUND: {Role.BRANCH_SECRETARY},
    Level.COMMUNITY: {Role.COMMUNITY_SECRETARY},
    Level.STREET: {Role.STREET_OFFICER},
}
#: The place kind whose node stands for each level.
LEVEL_PLACE_KIND = {Level.BUILDING: "building", Level.COMPOUND: "compound", Level.COMMUNITY: "community",
                    Level.STREET: "street"}


def next_level(level: str) -> str | None:
    """The level above ``level``, or None at the top (the street)."""
    i = LEVEL_ORDER.index(level)
    return LEVEL_ORDER[i + 1] if i + 1 < len(LEVEL_ORDER) else None


# --- who holds which role where ------------------------------------------------------------------------------------

def is_supervisor(user) -> bool:
    """True when ``user`` holds a supervisor role somewhere: supervisors edit routing rules, deadlines and the
    holiday schedule, and approve postponements."""
    return any(role in SUPERVISOR_ROLES for role, _path in role_paths(user))


def holds(user, roles, path: str) -> bool:
    """True when ``user`` holds one of ``roles`` at a node that covers ``path``."""
    return any(r in roles and path.startswith(p) for r, p in role_paths(user))


# --- guards: (actor, case) → may the actor take the action? ``actor`` None is Linli itself (the sweep) -------------

def is_system(actor, case) -> bool:
    return actor is None


def can_triage(actor, case) -> bool:
    return actor is not None and (holds(actor, TRIAGE_ROLES, case.path) or actor.pk == case.owner_id)


def can_dispatch(actor, case) -> bool:
    return can_triage(actor, case) or (actor is not None and actor.pk == case.dispatched_by_id)


def can_supervise(actor, case) -> bool:
    return actor is not None and holds(actor, SUPERVISOR_ROLES, case.path)


def can_handle(actor, case) -> bool:
    if actor is None:
        return False
    if case.assignee_id and actor.pk == case.assignee_id:
        return True
    if case.assigned_role and holds(actor, {case.assigned_role}, case.path):
        return True
    return can_supervise(actor, case)


#: States of a case still at the triage desk, not yet in a handler's hands.
AT_THE_DESK = (S.SUBMITTED, S.ACCEPTED, S.RETURNED)


def can_start_mediation(actor, case) -> bool:
    """An open dispute without a mediation, and either ``actor`` may triage it (the mediation then takes the case
    to the peacemaker) or it is in a handler's hands already and they may handle it: a peacemaker cannot take a
    dispute off the triage desk by themselves."""
    if not (case.category.is_dispute and case.is_open and not hasattr(case, "mediation")):
        return False
    return can_triage(actor, case) or (case.state not in AT_THE_DESK and can_handle(actor, case))


def can_escalate(actor, case) -> bool:
    return is_system(actor, case) or can_handle(actor, case) or can_triage(actor, case)


def can_feedback(actor, case) -> bool:
    """The reporter (rating the result, answering a handler's question), staff recording what the reporter said
    on a call or a verification, or Linli closing on its own."""
    if actor is None:
        return True
    if case.reporter_user_id and actor.pk == case.reporter_user_id:
        return True
    return can_triage(actor, case) or can_supervise(actor, case)


#: The roles that can pass an action's guard on some case (whoever else it lets through — an assignee, an owner —
#: is known only case by case): what menus offer before a case is chosen, as in the queue's bulk actions.
ROLES_THAT_MAY = {"accept": TRIAGE_ROLES, "dispatch": TRIAGE_ROLES, "approve_postpone": SUPERVISOR_ROLES,
                  "close": TRIAGE_ROLES | SUPERVISOR_ROLES}


def may_take_somewhere(user, action: str) -> bool:
    """Whether one of ``user``'s roles may take ``action`` on some case (:data:`ROLES_THAT_MAY`); each case's guard
    still decides."""
    return any(role in ROLES_THAT_MAY[action] for role, _path in role_paths(user))


class Transition(NamedTuple):
    sources: tuple[str, ...]
    target: str
    guard: Callable
    label: str
    note_required: bool = False
    #: What to ask for when the note is missing, where the default "why?" would be the wrong question.
    note_prompt: str = ""


_OPEN_WORK = (S.DISPATCHED, S.IN_PROGRESS, S.WAITING_REPORTER, S.POSTPONE_REQUESTED)

#: action → (from states, to state, guard, label, note required). The one description of the lifecycle.
TRANSITIONS: dict[str, Transition] = {
    # triage by the first receiver (立案 / 不予立案 / 合并)
    "accept": Transition((S.SUBMITTED,), S.ACCEPTED, can_triage, _("accept")),
    "reject": Transition((S.SUBMITTED,), S.REJECTED, can_triage, _("reject"), note_required=True),
    "merge": Transition((S.SUBMITTED, S.ACCEPTED), S.MERGED, can_triage, _("merge")),
    # 派遣: to a handler at a level; again after 回退, 返工 or escalation
    "dispatch": Transition((S.ACCEPTED, S.RETURNED, S.REOPENED, S.ESCALATED), S.DISPATCHED, can_dispatch,
                           _("dispatch")),
    # the handler takes it (签收) — also straight from an escalation or a rework
    "start": Transition((S.DISPATCHED, S.ESCALATED, S.REOPENED), S.IN_PROGRESS, can_handle, _("start")),
    # 回退: not ours, back to the dispatcher
    "return": Transition((S.DISPATCHED, S.IN_PROGRESS), S.RETURNED, can_handle, _("return"), note_required=True),
    # beyond this level: one level up
    "escalate": Transition((S.ACCEPTED, S.RETURNED, S.ESCALATED, S.REOPENED) + _OPEN_WORK, S.ESCALATED,
                           can_escalate, _("escalate"), note_required=True),
    # clocks pause while waiting for the reporter
    "ask_reporter": Transition((S.IN_PROGRESS,), S.WAITING_REPORTER, can_handle, _("ask the reporter"),
                               note_required=True, note_prompt=_("Write your question for the reporter.")),
    "resume": Transition((S.WAITING_REPORTER,), S.IN_PROGRESS, can_handle, _("resume")),
    # the reporter answers — on their phone, or staff write down what they said on a call — and the clocks run again
    "answer": Transition((S.WAITING_REPORTER,), S.IN_PROGRESS, can_feedback, _("reporter's answer"),
                         note_required=True, note_prompt=_("Write the reporter's answer.")),
    # 延期: a supervisor decides
    "request_postpone": Transition((S.IN_PROGRESS,), S.POSTPONE_REQUESTED, can_handle, _("ask for more time"),
                                   note_required=True),
    "approve_postpone": Transition((S.POSTPONE_REQUESTED,), S.IN_PROGRESS, can_supervise, _("approve more time")),
    "deny_postpone": Transition((S.POSTPONE_REQUESTED,), S.IN_PROGRESS, can_supervise, _("refuse more time"),
                                note_required=True),
    # 处置反馈
    "resolve": Transition((S.IN_PROGRESS,), S.RESOLVED, can_handle, _("report the result"), note_required=True,
                          note_prompt=_("Write what was done.")),
    # 核查结案 / 评价: the reporter is satisfied, the call recorded it, or staff verified it on the spot
    "close": Transition((S.RESOLVED,), S.CLOSED, can_feedback, _("close")),
    # 返工: not solved, or verification failed
    "reopen": Transition((S.RESOLVED,), S.REOPENED, can_feedback, _("reopen"), note_required=True),
    # beyond the compound: a failed mediation goes to the people's mediation committee, legal aid…
    "refer": Transition((S.IN_PROGRESS, S.ESCALATED), S.REFERRED, can_handle, _("refer elsewhere"),
                        note_required=True),
}

#: Actions that are not transitions but still leave an event (they change no state).
#: Steps between staff only: not shown on the reporter's timeline, the reporter and neighbours not told, their
#: notes kept among staff.
INTERNAL_ACTIONS = {"return", "request_postpone", "deny_postpone"}


def is_public(action: str) -> bool:
    """Whether the reporter sees the step ``action`` (on their timeline, in their messages)."""
    return action not in INTERNAL_ACTIONS


EVENT_ACTIONS = {
    # A context of its own: the bare word is also the label of the date a case was reported (上报时间).
    "submit": pgettext_lazy("case event", "reported"),
    "me_too": _("me too"),
    "me_too_withdrawn": _("“me too” withdrawn"),
    "comment": _("comment"),
    "feedback": _("rated"),
    "remind": _("reminder"),
    "follow_up_call": _("follow-up call"),
    "attach": _("photos added"),
    "mediation": _("mediation"),
}


def allowed_actions(actor, case) -> list[str]:
    """The actions ``actor`` may take on ``case`` now (for the buttons of the case page)."""
    return [a for a, t in TRANSITIONS.items() if case.state in t.sources and t.guard(actor, case)]


def action_label(action: str) -> str:
    if action in TRANSITIONS:
        return str(TRANSITIONS[action].label)
    return str(EVENT_ACTIONS.get(action, action))


def mermaid() -> str:
    """The lifecycle as a mermaid state diagram, drawn from :data:`TRANSITIONS`."""
    lines = ["stateDiagram-v2", f"    [*] --> {S.SUBMITTED.value}"]
    for action, t in TRANSITIONS.items():
        for source in t.sources:
            lines.append(f"    {State(source).value} --> {State(t.target).value}: {action}")
    for final in (S.REJECTED, S.MERGED, S.REFERRED, S.CLOSED):
        lines.append(f"    {final.value} --> [*]")
    return "\n".join(lines) + "\n"
