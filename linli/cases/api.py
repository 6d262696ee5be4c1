"""Cases over JSON (mounted at ``/api/v1/`` by :mod:`linli.api.api`): list, detail with the timeline, create (with an
``Idempotency-Key`` header: a retried POST returns the first case) and the workflow's transitions.

Always through the cases selectors and services: what the caller may see and do is what the pages allow; an
out-of-scope or missing case answers 404. A transition made on an old ``version`` answers 409 (``code: stale``)
with what happened meanwhile. Phone numbers leave only masked.
"""

import datetime as dt

from django.utils.translation import gettext as _
from ninja import Field, Router, Schema, Status
from ninja.pagination import paginate

from linli.api.pagination import Pagination
from linli.cases import selectors, services, workflow
from linli.cases.models import Case, CaseEvent
from linli.core.errors import ApplicationError
from linli.places.selectors import get_place_for_user

router = Router(tags=["cases"])


class CaseOut(Schema):
    id: int
    number: str
    title: str
    description: str
    category: str
    place_id: int
    place_name: str
    spot: str
    state: str
    priority: str
    level: str
    assigned_role: str
    assignee_id: int | None
    reporter_phone_masked: str
    anonymous: bool
    me_too_count: int
    version: int
    created_at: dt.datetime
    updated_at: dt.datetime
    response_due_at: dt.datetime | None
    resolution_due_at: dt.datetime | None
    closed_at: dt.datetime | None

    @staticmethod
    def resolve_category(obj: Case) -> str:
        return obj.category.code

    @staticmethod
    def resolve_place_name(obj: Case) -> str:
        return obj.place.name


class EventOut(Schema):
    at: dt.datetime
    action: str
    from_state: str
    to_state: str
    note: str
    actor: str | None

    @staticmethod
    def resolve_actor(obj: CaseEvent) -> str | None:
        return str(obj.actor) if obj.actor_id else None


class CaseDetailOut(CaseOut):
    timeline: list[EventOut]
    allowed_actions: list[str]


class CaseIn(Schema):
    category: str = Field(description="A category code.")
    place_id: int = Field(description="A unit, building or compound (with a spot) in the caller's scope.")
    description: str
    spot: str = ""
    location_note: str = ""
    channel: str = Field("phone", description="phone, visit or patrol.")
    reporter_name: str = ""
    reporter_phone: str = ""
    anonymous: bool = False
    priority: str = ""


class TransitionIn(Schema):
    version: int = Field(description="The case's version the caller saw; an older one is refused (409).")
    note: str = ""
    note_internal: bool = Field(False, description="The note is for staff only: the reporter sees the step, not "
                                                   "the note.")
    level: str = ""
    role: str = ""
    assignee_id: int | None = None
    into: str = Field("", description="merge: the number of the case to merge into.")
    workdays: int | None = None
    referred_to: str = ""


def _detail(user, case: Case) -> Case:
    case.timeline = selectors.case_timeline(case=case)
    case.allowed_actions = workflow.allowed_actions(user, case)
    return case


class CasePagination(Pagination):
    """The cases of a street or a city are counted through the widest area the caller sees whole, first: past the
    cap, that part alone is counted (:func:`linli.cases.selectors.queue_part`); a page of them is found side by side
    (:meth:`rows`)."""

    def part(self, request, **params):
        return selectors.queue_part(user=request.auth, queue=params.get("queue", "all"),
                                    state=params.get("state", ""), q=params.get("q", ""))

    def rows(self, request, bottom, top, **params):
        """A page of a street's or a city's cases: their area and their own cases found apart
        (:func:`linli.cases.selectors.queue_rows`)."""
        return selectors.queue_rows(user=request.auth, queue=params.get("queue", "all"), bottom=bottom, top=top,
                                    state=params.get("state", ""), q=params.get("q", ""))


@router.get("cases/", response=list[CaseOut], summary="Cases the caller may see")
@paginate(CasePagination)
def case_list(request, queue: str = "all", state: str = "", q: str = ""):
    """``queue``: mine, new, team, overdue, awaiting_feedback, escalated or all (default)."""
    return selectors.case_queue(user=request.auth, queue=queue, state=state, q=q)


@router.get("cases/{case_id}/", response=CaseDetailOut, summary="One case with its timeline")
def case_detail(request, case_id: int):
    return _detail(request.auth, selectors.get_case_for_user(user=request.auth, pk=case_id))


@router.post("cases/", response={201: CaseDetailOut, 200: CaseDetailOut}, summary="Enter a case")
def case_create(request, payload: CaseIn):
    """Send ``Idempotency-Key: <unique string>``: retrying the same POST returns the case made the first time
    (200 instead of 201)."""
    user = request.auth
    category = selectors.active_category(payload.category)
    if category is None:
        raise ApplicationError(_("Unknown category “%(code)s”.") % {"code": payload.category}, field="category")
    place = get_place_for_user(user=user, pk=payload.place_id)
    intake = services.case_intake(
        actor=user, category=category, place=place, description=payload.description, spot=payload.spot,
        location_note=payload.location_note, channel=payload.channel, reporter_name=payload.reporter_name,
        reporter_phone=payload.reporter_phone, anonymous=payload.anonymous, priority=payload.priority,
        idempotency_key=request.headers.get("Idempotency-Key", ""))
    case = intake.case
    if intake.created and selectors.can_see(user, case):
        # Just made: the answer comes from what was written (its events are the whole timeline), not a re-read.
        case.timeline = intake.events
        case.allowed_actions = workflow.allowed_actions(user, case)
        return Status(201, case)
    return Status(201 if intake.created else 200, _detail(user, selectors.get_case_for_user(user=user, pk=case.pk)))


@router.post("cases/{case_id}/{action}/", response=CaseDetailOut, summary="Take an action of the workflow")
def case_transition(request, case_id: int, action: str, payload: TransitionIn):
    """``action``: one of the workflow's actions (accept, reject, merge, dispatch, start, return, escalate,
    ask_reporter, resume, request_postpone, approve_postpone, deny_postpone, resolve, close, reopen, refer)."""
    user = request.auth
    case = selectors.get_case_for_user(user=user, pk=case_id)
    params = {k: v for k, v in {"level": payload.level, "role": payload.role, "workdays": payload.workdays,
                                "referred_to": payload.referred_to}.items() if v}
    if payload.assignee_id:
        params["assignee"] = payload.assignee_id  # an account number: the service refuses unknown ones
    if action == "merge":
        into = selectors.case_list(user=user).filter(number=payload.into).first()
        if into is None:
            raise ApplicationError(_("No case with this number in your area."), field="into")
        params["into"] = into
    try:
        case = services.case_transition(actor=user, case=case, action=action, note=payload.note,
                                        note_internal=payload.note_internal, expected_version=payload.version,
                                        **params)
    except ApplicationError as exc:
        if exc.code == "stale":
            from linli.api.api import error_response

            return error_response(request, status=409, detail=exc.message, code="stale", field="version")
        raise
    return _detail(user, selectors.get_case_for_user(user=user, pk=case.pk))
