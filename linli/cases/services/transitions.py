"""The lifecycle: case_transition applies workflow.TRANSITIONS, with one _fx_* effect per action."""

import datetime as dt
from collections.abc import Iterable

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from linli.accounts.models import Role
from linli.cases import selectors, workflow
from linli.cases.models import (
    Case,
    CaseEvent,
    FollowUpCall,
    Level,
    Referral,
    State,
)
from linli.cases.notes import note_lazy
from linli.cases.services.common import _event, _notify, _now, _refresh, role_holders, supervisors_of
from linli.cases.services.deadlines import _set_deadlines
from linli.cases.services.photos import _attach, photos_removed_on_failure
from linli.cases.services.routing import routing_resolve
from linli.cases.titles import title_for_reader
from linli.core import workdays
from linli.core.audit import audit
from linli.core.errors import ApplicationError
from linli.core.i18n import lazy_call, lazy_format


def _stale_message(case: Case, action: str) -> str:
    last = case.events.exclude(action__in=["me_too", "comment", "remind", "attach"]).select_related(
        "actor").order_by("-at", "-id").first()
    if last is None:
        return _("This case was changed by someone else; reload it.")
    who = str(last.actor) if last.actor_id else _("Linli")
    return _("Someone acted first: %(who)s took the step “%(action)s” at %(time)s (the case is now “%(state)s”); "
             "nothing was changed.") % {"action": workflow.action_label(last.action), "who": who,
                            "time": timezone.localtime(last.at).strftime("%H:%M"),
                            "state": State(case.state).label}


@photos_removed_on_failure()
@transaction.atomic
def case_transition(*, actor, case: Case, action: str, note="", expected_version: int | None = None,
                    at: dt.datetime | None = None, photos=(), note_internal: bool = False, note_key: str = "",
                    **params) -> Case:
    """Apply ``action`` to ``case`` (see :data:`linli.cases.workflow.TRANSITIONS`) and return the updated case.

    Refused with an ApplicationError — and nothing changed — when the action is unknown, illegal in the case's
    state, not allowed to ``actor``, missing its note or parameters, or when ``expected_version`` is not the
    case's version any more (someone else acted first). ``params`` by action: dispatch ``role``, ``assignee`` (a
    user or an account number),
    ``level``; merge ``into``; approve_postpone / request_postpone ``workdays``; refer ``referred_to``.

    ``note_internal``: the note is for staff only — the reporter still sees the step on their timeline and hears
    of it, but not the note (an action only staff see keeps its note among staff anyway). ``note_key``: instead of
    a note, one Linli writes itself (:data:`linli.cases.notes.NOTES`), read in each reader's language."""
    transition = workflow.TRANSITIONS.get(action)
    if transition is None:
        raise ApplicationError(_("Unknown action “%(action)s”.") % {"action": action}, field="action")
    locked = Case.objects.select_for_update().select_related("category").get(pk=case.pk)
    if expected_version is not None and locked.version != int(expected_version):
        raise ApplicationError(_stale_message(locked, action), field="version", code="stale")
    if locked.state not in transition.sources:
        if expected_version is None and locked.version != case.version:
            raise ApplicationError(_stale_message(locked, action), field="version", code="stale")
        raise ApplicationError(
            _("A case that is “%(state)s” cannot be given the action “%(action)s”.")
            % {"state": State(locked.state).label, "action": transition.label}, field="action", code="illegal")
    if not transition.guard(actor, locked):
        raise ApplicationError(_("You may not %(action)s this case.") % {"action": transition.label},
                               field="action", code="forbidden")
    if note_key:
        note = note_lazy(note_key)
    told_note = note  # may be lazy (the sweep's own words): each reader of the message reads it in their language
    note = str(note or "").strip()
    if transition.note_required and not note:
        raise ApplicationError(str(transition.note_prompt) or _("Write a note: why “%(action)s”?") % {
            "action": transition.label}, field="note")
    now = _now(at)
    from_state = locked.state
    public = workflow.is_public(action)
    data: dict = {"note_internal": True} if note and note_internal and public else {}
    if note_key:
        data["note_key"] = note_key
    tell_users: list = []
    EFFECTS[action](locked, actor=actor, now=now, params=params, data=data, tell=tell_users)
    locked.state = transition.target
    locked.version += 1
    locked.updated_at = now
    locked.save()
    if from_state == State.RESOLVED:  # closed or reopened meanwhile: no call is owed any more (nobody called)
        FollowUpCall.objects.filter(case=locked, done_at__isnull=True).update(done_at=now)
    event = _event(locked, actor=actor, action=action, at=now, from_state=from_state, to_state=locked.state,
                   note=note, data=data, public=public)
    if photos:
        attached = _attach(locked, event, photos, actor)
        event.data = {**event.data, "photos": [a.pk for a in attached]}
        event.save(update_fields=["data"])
    audit(actor=actor, action=f"cases.{action}", target=locked, place_path=locked.path,
          data={"from": from_state, "to": locked.state, **{k: v for k, v in data.items() if k != "note"}})
    _tell(locked, action=action, actor=actor, note=told_note if note else "", data=data,
          users=[u for u in tell_users if u is not None and u != actor])
    _refresh(case, locked)
    return locked


#: Actions that leave a case "in progress" again: the state alone would not tell anyone what happened.
BACK_IN_PROGRESS = {"approve_postpone", "deny_postpone", "answer", "resume"}


def _tell(case: Case, *, action: str, actor, note: str, data: dict, users: list) -> None:
    """Who hears of a step, and in what words: staff get the note (and, for more time, how much and until when);
    the reporter — told of each public step, but not of what they did themselves — gets the request to rate a
    result, not staff; the neighbours who said "me too" hear of each public step too; neither reads a note meant for
    staff only."""
    label = workflow.TRANSITIONS[action].label if action in BACK_IN_PROGRESS else State(case.state).label
    title = lazy_format(gettext_lazy("Case %(number)s: %(state)s"), number=case.number, state=label)
    # every message says which case it is about in words (its title in the reader's language), then the note
    what = lazy_call(title_for_reader, case)
    if action == "approve_postpone":
        note = lazy_format("%(granted)s %(note)s", note=note, granted=lazy_format(
            gettext_lazy("%(n)s more working days: now due %(due)s."), n=data["workdays"],
            due=timezone.localtime(case.resolution_due_at).strftime("%Y-%m-%d")))
    body = lazy_format("%(what)s\n%(note)s", what=what, note=note) if note else what
    rate_it = action == "resolve" and not case.is_staff_found
    public = workflow.is_public(action)
    _notify(case, kind=f"cases.{action}", title=title, body=body, users=users,
            public_body=what if data.get("note_internal") else None,  # a note for staff only: the step, not the note
            reporter_body=lazy_format("%(body)s\n%(ask)s", body=what if data.get("note_internal") else body,
                                      ask=gettext_lazy("Are you satisfied? Please rate the result."))
            if rate_it else None,
            # the reporter is "you" in their own messages, not "the reporter"
            reporter_title=lazy_format(gettext_lazy("Case %(number)s: a question for you"), number=case.number)
            if action == "ask_reporter" else None,
            reporter=public and not (actor is not None and actor.pk == case.reporter_user_id), neighbours=public)


def _fx_accept(case, *, actor, now, params, data, tell):
    if case.owner_id is None and getattr(actor, "pk", None):
        case.owner = actor


def _fx_reject(case, *, actor, now, params, data, tell):
    case.closed_at = now


def _fx_merge(case, *, actor, now, params, data, tell):
    into = params.get("into")
    if into is None:
        raise ApplicationError(_("Choose the case to merge into."), field="into")
    into = Case.objects.select_for_update().get(pk=into.pk if isinstance(into, Case) else into)
    if into.pk == case.pk or not into.is_open or into.merged_into_id:
        raise ApplicationError(_("Merge into another open case."), field="into")
    if into.compound_id != case.compound_id:
        raise ApplicationError(_("Merge only into a case of the same compound."), field="into")
    case.merged_into = into
    case.closed_at = now
    Case.objects.filter(pk=into.pk).update(me_too_count=F("me_too_count") + 1 + case.me_too_count)
    _event(into, actor=actor, action="me_too", at=now, data={"merged": case.number}, public=False)
    data["into"] = into.number


def _fx_dispatch(case, *, actor, now, params, data, tell):
    level = params.get("level") or case.level
    if level not in Level.values:
        raise ApplicationError(_("Choose a level."), field="level")
    role = params.get("role")
    assignee = params.get("assignee")
    if not role:
        route = routing_resolve(category=case.category, path=case.path, level=level, compound_id=case.compound_id)
        role = route.role
        assignee = assignee or route.handler
        case.routing_rule_id = route.rule_id
    if role not in Role.values:
        raise ApplicationError(_("Choose a role."), field="role")
    # The same refusal for an unknown account number and for a person without the role, naming nobody: trying
    # account numbers must not tell a dispatcher who exists or what anyone outside their area is called.
    refused = ApplicationError(_("The person chosen does not hold the role %(role)s here.")
                               % {"role": Role(role).label}, field="assignee")
    if isinstance(assignee, int):  # an account number from a form or the API
        from linli.accounts.models import User

        assignee = User.objects.filter(pk=assignee, is_active=True).first()
        if assignee is None:
            raise refused
    if assignee is not None and not workflow.holds(assignee, {role}, case.path) and not workflow.holds(
            assignee, workflow.SUPERVISOR_ROLES, case.path):
        raise refused
    holders = [] if assignee else role_holders(case, role)
    if assignee is None and not holders:  # a case sent to nobody would wait for ever
        raise ApplicationError(_("Nobody holds the role %(role)s here: choose another role, or a person.")
                               % {"role": Role(role).label}, field="role")
    case.level, case.assigned_role, case.assignee = level, role, assignee
    case.dispatched_by = actor if getattr(actor, "pk", None) else None
    if case.owner_id is None and getattr(actor, "pk", None):
        case.owner = actor
    data.update({"level": level, "role": role, "assignee": assignee.pk if assignee else None})
    tell.extend([assignee] if assignee else holders)


def _fx_start(case, *, actor, now, params, data, tell):
    if case.responded_at is None:
        case.responded_at = now
    if case.assignee_id is None and getattr(actor, "pk", None):
        case.assignee = actor


def _fx_return(case, *, actor, now, params, data, tell):
    case.return_count += 1
    tell.append(case.dispatched_by or case.owner)
    data["returned_by_role"] = case.assigned_role
    case.assignee = None


def _fx_escalate(case, *, actor, now, params, data, tell):
    up = workflow.next_level(case.level)
    if up is None:
        raise ApplicationError(_("This case is at the street level already and cannot be escalated further."),
                               field="action")
    if case.paused_at is not None:
        _unpause(case, now)
    route = routing_resolve(category=case.category, path=case.path, level=up, compound_id=case.compound_id)
    data.update({"from_level": case.level, "to_level": up, "role": route.role})
    case.level, case.assigned_role, case.assignee = up, route.role, route.handler
    case.routing_rule_id = route.rule_id
    case.escalation_count += 1
    _set_deadlines(case, now, response=False)
    case.response_reminded_at = None
    tell.extend(supervisors_of(case, up))
    tell.extend([route.handler] if route.handler else role_holders(case, route.role))


def _unpause(case, now):
    paused = now - case.paused_at
    case.paused_total += paused
    if case.response_due_at:
        case.response_due_at += paused
    if case.resolution_due_at:
        case.resolution_due_at += paused
    case.paused_at = None


def _fx_ask_reporter(case, *, actor, now, params, data, tell):
    case.paused_at = now


def _fx_resume(case, *, actor, now, params, data, tell):
    if case.paused_at is not None:
        _unpause(case, now)


def _fx_answer(case, *, actor, now, params, data, tell):
    _fx_resume(case, actor=actor, now=now, params=params, data=data, tell=tell)
    tell.extend([case.assignee] if case.assignee_id else role_holders(case, case.assigned_role))


def _workdays_param(params, default: int) -> int:
    try:
        n = int(params.get("workdays") or default)
    except (TypeError, ValueError):
        n = 0
    if not 1 <= n <= 60:
        raise ApplicationError(_("Ask for between 1 and 60 working days."), field="workdays")
    return n


def _fx_request_postpone(case, *, actor, now, params, data, tell):
    data["workdays"] = _workdays_param(params, 3)
    tell.extend(supervisors_of(case))


def _fx_approve_postpone(case, *, actor, now, params, data, tell):
    n = _workdays_param(params, selectors.requested_workdays(case=case) or 3)
    case.resolution_due_at = workdays.add_workdays(max(case.resolution_due_at or now, now), n)
    case.resolution_reminded_at = None
    case.overdue_handled_at = None
    case.postpone_count += 1
    data["workdays"] = n
    data["resolution_due_at"] = case.resolution_due_at.isoformat()
    tell.append(case.assignee)


def _fx_deny_postpone(case, *, actor, now, params, data, tell):
    tell.append(case.assignee)


def _fx_resolve(case, *, actor, now, params, data, tell):
    case.resolved_at = now
    case.feedback_requested_at = None if case.is_staff_found else now
    if case.is_staff_found:
        tell.extend(role_holders(case, Role.GRID_WORKER) or supervisors_of(case, Level.COMPOUND))
    tell.append(case.owner)


def _fx_close(case, *, actor, now, params, data, tell):
    case.closed_at = now


def _fx_reopen(case, *, actor, now, params, data, tell):
    case.reopen_count += 1
    case.resolved_at = None
    case.feedback_requested_at = None
    case.overdue_handled_at = None
    tell.append(case.assignee)
    tell.append(case.dispatched_by)


def _fx_refer(case, *, actor, now, params, data, tell):
    referred = params.get("referred_to")
    if referred not in Referral.values:
        raise ApplicationError(_("Choose where the case is referred to."), field="referred_to")
    case.referred_to = referred
    case.referred_note = (params.get("referred_note") or "")[:200]
    case.closed_at = now
    data["referred_to"] = referred


EFFECTS = {
    "accept": _fx_accept, "reject": _fx_reject, "merge": _fx_merge, "dispatch": _fx_dispatch, "start": _fx_start,
    "return": _fx_return, "escalate": _fx_escalate, "ask_reporter": _fx_ask_reporter, "resume": _fx_resume,
    "answer": _fx_answer,
    "request_postpone": _fx_request_postpone, "approve_postpone": _fx_approve_postpone,
    "deny_postpone": _fx_deny_postpone, "resolve": _fx_resolve, "close": _fx_close, "reopen": _fx_reopen,
    "refer": _fx_refer,
}
assert set(EFFECTS) == set(workflow.TRANSITIONS), "every transition has its effects"  # noqa: S101


def case_bulk_transition(*, actor, cases: Iterable[Case], action: str, note: str = "", **params):
    """The same action on several cases (a supervisor's bulk act); each case on its own: returns
    ``(done, failed)`` where ``failed`` is ``[(case, message)]`` — a refused case does not stop the others."""
    done, failed = [], []
    for case in cases:
        try:
            done.append(case_transition(actor=actor, case=case, action=action, note=note,
                                        expected_version=case.version, **params))
        except ApplicationError as exc:
            failed.append((case, str(exc.message)))
    return done, failed


@photos_removed_on_failure()
@transaction.atomic
def case_comment(*, actor, case: Case, note: str, photos=(), public: bool = True) -> CaseEvent:
    """A note (and photos) on the timeline without a change of state."""
    note = (note or "").strip()
    if not note and not photos:
        raise ApplicationError(_("Write a note or add a photo."), field="note")
    event = _event(case, actor=actor, action="comment", at=timezone.now(), note=note, public=public)
    _attach(case, event, photos, actor)
    audit(actor=actor, action="cases.comment", target=case, place_path=case.path)
    return event


