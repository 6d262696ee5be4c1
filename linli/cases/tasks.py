"""Background work of the cases domain: the periodic sweep over deadlines and feedback.

:func:`cases_sweep` is idempotent — each reminder, escalation and follow-up call is marked on the case (or is a
unique row), so running it twice, or from two workers, does each thing once. ``manage.py cases_sweep --loop`` runs
it every 60 s beside the ``db_worker``; :data:`cases_sweep_task` enqueues it through django-tasks.
"""

import datetime as dt
import logging

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext, gettext_noop
from django.utils.translation import gettext_lazy as _
from django_tasks import task

from linli.accounts.models import Role
from linli.cases import services, workflow
from linli.cases.models import OPEN_STATES, Case, FollowUpCall, Mediation, MediationOutcome, State
from linli.cases.titles import title_for_reader
from linli.core.errors import ApplicationError
from linli.core.i18n import lazy_call, lazy_format

logger = logging.getLogger(__name__)

#: Remind the handler this long before the resolution deadline.
RESOLUTION_REMIND_BEFORE = dt.timedelta(hours=24)
RESPONSE_REMIND_BEFORE = dt.timedelta(hours=2)
#: States where somebody still owes a response (the handler has not taken the case yet).
AWAITING_RESPONSE = [State.SUBMITTED, State.ACCEPTED, State.DISPATCHED, State.ESCALATED, State.REOPENED]
#: Open states where the resolution clock runs.
RUNNING = [s for s in OPEN_STATES if s not in (State.RESOLVED, State.WAITING_REPORTER)]


#: What the sweep writes on a timeline, by the event's ``data["kind"]`` (else its action). Written in the worker's
#: language; :func:`sweep_note` says it again in the reader's (``cases_tags.event_note``).
SWEEP_NOTES = {
    "response_reminded_at": gettext_noop("Case %(number)s needs a response by %(time)s."),
    # the same reminder once the deadline has passed (the worker was down, the deadline was short)
    "response_late": gettext_noop("Case %(number)s was to be responded to by %(time)s: the response is late."),
    "resolution_reminded_at": gettext_noop("Case %(number)s is due by %(time)s."),
    "overdue": gettext_noop("Overdue."),
    "escalate": gettext_noop("Overdue: escalated one level automatically."),
    "follow_up_call": gettext_noop("No rating within 3 days: a follow-up call is due."),
    "mediation_follow_up": gettext_noop("The follow-up visit is due."),
}


def sweep_note(kind: str, *, number: str = "", due: dt.datetime | None = None) -> str:
    """:data:`SWEEP_NOTES`' words for ``kind`` in the active language (a reminder with its case and deadline)."""
    text = gettext(SWEEP_NOTES[kind])
    return text % {"number": number, "time": timezone.localtime(due).strftime("%m-%d %H:%M")} if due else text


def _title(case: Case):
    """The case's title as each reader of a message reads it (lazy: see :func:`linli.core.i18n.lazy_call`)."""
    return lazy_call(title_for_reader, case)


def _handlers(case: Case) -> list:
    if case.assignee_id:
        return [case.assignee]
    if case.state in (State.SUBMITTED,):
        return services._receivers(case)
    if case.state in (State.ACCEPTED, State.RETURNED) and case.owner_id:
        return [case.owner]
    return services.role_holders(case, case.assigned_role) if case.assigned_role else []


def _remind(case: Case, field: str, now, title: str, users, due: dt.datetime, note: str = "") -> bool:
    """Mark and send one reminder; False when another sweep got there first. The event keeps the deadline (and
    ``note``, the key of its words in :data:`SWEEP_NOTES` where they are not ``field``'s), so the timeline can say
    it in each reader's language (``cases_tags.event_note``)."""
    with transaction.atomic():
        if not Case.objects.filter(pk=case.pk, **{f"{field}__isnull": True}).update(**{field: now}):
            return False
        services._event(case, actor=None, action="remind", at=now, note=str(title), public=False,
                        data={"kind": field, "due": due.isoformat(), **({"note": note} if note else {})})
        services._notify(case, kind="cases.reminder", title=title, body=_title(case), users=users)
    return True


def cases_sweep(*, now: dt.datetime | None = None) -> dict[str, int]:
    """Reminders before deadlines, escalation of overdue cases one level up (supervisors told), follow-up call
    tasks for results not rated within 3 days; then the open cases' tally folded. Returns what it did, by kind."""
    now = now or timezone.now()
    done = {"response_reminders": 0, "resolution_reminders": 0, "escalated": 0, "overdue_reported": 0,
            "follow_up_calls": 0, "mediation_follow_ups": 0}
    base = Case.objects.select_related("category", "assignee", "owner", "reporter", "reporter_user")

    for case in base.filter(state__in=AWAITING_RESPONSE, responded_at__isnull=True, response_reminded_at__isnull=True,
                            paused_at__isnull=True, response_due_at__lte=now + RESPONSE_REMIND_BEFORE):
        words = "response_late" if case.response_due_at <= now else "response_reminded_at"
        title = lazy_call(sweep_note, words, number=case.number, due=case.response_due_at)
        done["response_reminders"] += _remind(case, "response_reminded_at", now, title, _handlers(case),
                                              case.response_due_at, note=words)

    for case in base.filter(state__in=RUNNING, paused_at__isnull=True, resolution_reminded_at__isnull=True,
                            resolution_due_at__gt=now, resolution_due_at__lte=now + RESOLUTION_REMIND_BEFORE):
        title = lazy_call(sweep_note, "resolution_reminded_at", number=case.number, due=case.resolution_due_at)
        done["resolution_reminders"] += _remind(case, "resolution_reminded_at", now, title, _handlers(case),
                                                case.resolution_due_at)

    for case in base.filter(state__in=RUNNING, paused_at__isnull=True, overdue_handled_at__isnull=True,
                            resolution_due_at__lte=now):
        kind = _overdue(case, now)
        if kind:
            done[kind] += 1

    for case in base.filter(state=State.RESOLVED, feedback_requested_at__lte=now - services.FEEDBACK_WAIT):
        if _follow_up(case, now):
            done["follow_up_calls"] += 1
    today = timezone.localtime(now).date()
    for mediation in Mediation.objects.filter(outcome=MediationOutcome.AGREED, follow_up_due__lte=today,
                                              followed_up_at__isnull=True).select_related("case", "peacemaker"):
        if _mediation_reminder(mediation, now):
            done["mediation_follow_ups"] += 1
    if any(done.values()):
        logger.info("cases_sweep: %s", done)
    services.tally_compact()  # the minute's changes of the open cases' tally folded into one row per key
    return done


def _overdue(case: Case, now) -> str | None:
    """Escalate an overdue case one level (telling both levels' supervisors), or at the top only report it."""
    old_supervisors = services.supervisors_of(case)
    can_escalate = workflow.next_level(case.level) and case.state in workflow.TRANSITIONS["escalate"].sources
    if can_escalate:
        try:
            with transaction.atomic():
                services.case_transition(actor=None, case=case, action="escalate", at=now,
                                         expected_version=case.version,
                                         note=lazy_call(sweep_note, "escalate"))
                services._notify(case, kind="cases.overdue", users=old_supervisors,
                                 title=lazy_format(_("Case %(number)s was overdue and has been escalated."),
                                                   number=case.number), body=_title(case))
            return "escalated"
        except ApplicationError:  # someone acted on it meanwhile: the next sweep looks again
            return None
    with transaction.atomic():
        if not Case.objects.filter(pk=case.pk, overdue_handled_at__isnull=True).update(overdue_handled_at=now):
            return None
        services._event(case, actor=None, action="remind", at=now, public=False, data={"kind": "overdue"},
                        note=sweep_note("overdue"))
        services._notify(case, kind="cases.overdue", users=old_supervisors + _handlers(case),
                         title=lazy_format(_("Case %(number)s is overdue."), number=case.number),
                         body=_title(case))
    return "overdue_reported"


def _follow_up(case: Case, now) -> bool:
    """A follow-up call task for the grid worker (once per round of the case)."""
    if FollowUpCall.objects.filter(case=case, round=case.reopen_count).exists():
        return False
    caller = (services.role_holders(case, Role.GRID_WORKER) or services.supervisors_of(case, "compound")
              or [case.owner])[0]
    with transaction.atomic():
        _row, created = FollowUpCall.objects.get_or_create(case=case, round=case.reopen_count,
                                                           defaults={"assignee": caller, "due_at": now})
        if not created:
            return False
        services._event(case, actor=None, action="follow_up_call", at=now, public=False,
                        note=sweep_note("follow_up_call"))
        services._notify(case, kind="cases.follow_up_call", users=[caller],
                         title=lazy_format(_("Call the reporter of case %(number)s"), number=case.number),
                         body=_title(case))
    return True


def _mediation_reminder(mediation: Mediation, now) -> bool:
    """Tell the peacemaker the 30-day follow-up visit is due (once)."""
    case = mediation.case
    if case.events.filter(action="remind", data__kind="mediation_follow_up").exists():
        return False
    with transaction.atomic():
        services._event(case, actor=None, action="remind", at=now, public=False,
                        data={"kind": "mediation_follow_up"}, note=sweep_note("mediation_follow_up"))
        services._notify(case, kind="cases.mediation_follow_up", users=[mediation.peacemaker],
                         title=lazy_format(_("Visit the parties of case %(number)s again"), number=case.number),
                         body=_title(case))
    return True


def overdue_q(now: dt.datetime) -> Q:
    """Cases past their resolution deadline with the clock running."""
    return Q(state__in=RUNNING, paused_at__isnull=True, resolution_due_at__lt=now)


@task()
def cases_sweep_task() -> dict[str, int]:
    """The sweep as a django-tasks task (enqueue it from a scheduler, or run ``manage.py cases_sweep --loop``)."""
    return cases_sweep()


@task()
def case_notify(*, case_id: int, kind: str, texts: dict | None = None, user_ids: list[int] = (),
                reporter: bool = False, neighbours: bool = False, receivers: bool = False, title: str = "",
                body: str = "", reporter_body: str = "") -> int:
    """Deliver what a case's change tells people (enqueued by :func:`linli.cases.services.common._notify`): inbox
    rows for ``user_ids`` (and the case's receivers when ``receivers``), the reporter's inbox or a text, and the
    inboxes of the residents who said "me too" when ``neighbours``.
    ``texts``: the words in each language; ``title``, ``body`` and ``reporter_body`` are those of a task queued
    before messages were kept in each language (one language only). Returns how many people were told in their
    inbox."""
    from linli.accounts.models import User

    case = Case.objects.select_related("reporter_user", "reporter").filter(pk=case_id).first()
    if case is None:  # the change was rolled back after all
        return 0
    users = list(User.objects.filter(pk__in=list(user_ids)))
    if receivers:
        users.extend(services._receivers(case))
    if texts is None:
        texts = {settings.LANGUAGE_CODE: {"title": title, "body": body}}
        if reporter_body:  # an empty one meant "the same as the body" then
            texts[settings.LANGUAGE_CODE]["reporter_body"] = reporter_body
    services.deliver(case, kind=kind, texts=texts, users=users, reporter=reporter, neighbours=neighbours)
    return len({u.pk for u in users})
