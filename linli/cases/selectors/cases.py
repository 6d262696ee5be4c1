"""One case and what hangs on it: the case page (the case, its timeline and photos), the report form's nearby
cases, a resident's own reports, follow-up calls and mediations — each seen through the case's scope
(:mod:`linli.cases.selectors.queues`)."""


import datetime as dt

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.http import Http404
from django.utils import timezone

from linli.cases.models import (
    OPEN_STATES,
    Case,
    CaseAttachment,
    CaseEvent,
    Category,
    FollowUpCall,
    Mediation,
    MeToo,
    Spot,
    State,
)
from linli.cases.selectors.queues import _base, visible_q
from linli.places.models import Place, PlaceKind

#: How long a report sent again with the same words counts as the same report (:func:`same_report_sent`).
SAME_REPORT_WITHIN = dt.timedelta(minutes=30)


def get_case_for_user(*, user, pk: int) -> Case:
    """One case, or 404 — the same answer for missing and for not visible."""
    case = _base(user).select_related("category", "place", "compound", "owner", "assignee", "reporter", "merged_into",
                                      "dispatched_by", "routing_rule").filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def get_photo(*, pk: int) -> CaseAttachment:
    """A photo by key, or 404 (the link that names it is the reader's permission: :mod:`linli.cases.photo_links`)."""
    attachment = CaseAttachment.objects.filter(pk=pk).first()
    if attachment is None:
        raise Http404
    return attachment


def case_timeline(*, case: Case, public_only: bool = False) -> list[CaseEvent]:
    """The case's events, oldest first, with their actors and photos (two queries)."""
    events = case.events.select_related("actor").prefetch_related(
        Prefetch("attachments", queryset=CaseAttachment.objects.order_by("id")))
    if public_only:
        events = events.filter(public=True)
    return list(events.order_by("at", "id"))


def case_attachments(*, case: Case) -> list[CaseAttachment]:
    return list(case.attachments.order_by("id"))


def nearby_open_cases(*, place: Place, category: Category | None = None, spot: str = "", limit: int = 5,
                      resident=None) -> list[Case]:
    """Open cases near ``place`` ("is it one of these?"): the same building, or the compound's public spots for a
    compound-level place; of the same category when given, at the same ``spot`` when one is named (the lift of a
    building, the compound's gate; "other" names none). Show only ``public_reporter`` of these to residents.
    With ``resident``, each case tells ``yours`` (they reported it) and ``joined`` (they said "me too" already):
    neither can be joined again."""
    if place.kind == PlaceKind.COMPOUND:
        near = Q(path=place.path)
    elif place.building_id or place.kind == PlaceKind.BUILDING:
        building = place if place.kind == PlaceKind.BUILDING else place.building
        near = Q(path__startswith=building.path)
    else:
        near = Q(path=place.path)
    qs = Case.objects.filter(near, state__in=OPEN_STATES).exclude(state=State.RESOLVED).select_related(
        "category", "place", "reporter")
    if category is not None:
        qs = qs.filter(category=category)
    if spot and spot != Spot.OTHER:
        qs = qs.filter(spot=spot)
    if resident is not None:
        qs = qs.annotate(joined=Exists(MeToo.objects.filter(case=OuterRef("pk"), resident=resident,
                                                            withdrawn_at__isnull=True)))
    cases = list(qs.order_by("-me_too_count", "-created_at")[:limit])
    for case in cases:
        case.yours = resident is not None and case.reporter_id == resident.pk
    return cases


def same_report_sent(*, user, category: Category, place: Place, spot: str, description: str,
                     within: dt.timedelta = SAME_REPORT_WITHIN) -> Case | None:
    """The case ``user`` reported a moment ago (``within``) with the very same category, place, spot and words, or
    None: a report form sent again (the Back button, a page restored by the browser with a new key) is the same
    report, not a second case."""
    return (Case.objects.filter(reporter_user=user, category=category, place=place, spot=spot,
                                description=(description or "").strip(), created_at__gte=timezone.now() - within)
            .order_by("-created_at").first())


def resident_cases(*, user) -> QuerySet[Case]:
    """The cases a resident reported — on their phone, or by calling or visiting staff, who entered it for the
    resident record their account is linked to — or said "me too" to (and have not withdrawn it)."""
    if user is None or not user.is_authenticated:
        return Case.objects.none()
    from linli.accounts.models import ResidentLink

    entered_for_them = Exists(ResidentLink.objects.filter(resident=OuterRef("reporter_id"), user=user,
                                                          ended_at__isnull=True))
    joined = Exists(MeToo.objects.filter(case=OuterRef("pk"), user=user, withdrawn_at__isnull=True))
    return (Case.objects.annotate(reported_by_them=Q(reporter_user=user) | entered_for_them)
            .filter(Q(reported_by_them=True) | joined)
            .select_related("category", "place").order_by("-created_at", "-id"))


def withdrawn_me_too(*, user, pk: int) -> MeToo | None:
    """The "me too" ``user`` withdrew from case ``pk`` (and has not said again), if any."""
    if user is None or not user.is_authenticated:
        return None
    return (MeToo.objects.filter(case_id=pk, user=user, withdrawn_at__isnull=False).select_related("case")
            .first())


def requested_workdays(*, case: Case) -> int | None:
    """The working days asked for in the case's latest request for more time (the approval defaults to them)."""
    asked = case.events.filter(action="request_postpone").order_by("-at", "-id").first()
    return asked.data.get("workdays") if asked else None


def resident_cases_waiting(*, user) -> int:
    """How many of a resident's own reports wait for them: a question to answer, a result to rate."""
    if user is None or not user.is_authenticated:
        return 0
    return Case.objects.filter(reporter_user=user, state__in=[State.WAITING_REPORTER, State.RESOLVED]).count()


def follow_up_calls(*, user, open_only: bool = True) -> QuerySet[FollowUpCall]:
    """Follow-up calls the user owes (or, for a supervisor, those of their area)."""
    qs = FollowUpCall.objects.filter(Q(assignee=user) | Q(case__in=Case.objects.filter(visible_q(user)))
                                     ).select_related("case", "case__category", "case__place", "assignee")
    if open_only:
        qs = qs.filter(done_at__isnull=True)
    return qs.order_by("due_at", "id")


def open_follow_up_call(*, case: Case) -> FollowUpCall | None:
    """The call still owed on ``case`` (its reporter did not rate the result in time), or None. The caller has
    seen the case already (:func:`get_case_for_user`)."""
    return (FollowUpCall.objects.filter(case=case, done_at__isnull=True).select_related("assignee")
            .order_by("-round").first())


def get_follow_up_call_for_user(*, user, pk: int) -> FollowUpCall:
    call = follow_up_calls(user=user, open_only=False).filter(pk=pk).first()
    if call is None:
        raise Http404
    return call


def get_mediation_for_user(*, user, pk: int) -> Mediation:
    """A mediation seen through its case — or by its own peacemaker, whom the case need not be routed to."""
    mine = Q(peacemaker=user) if getattr(user, "pk", None) else Q(pk__in=[])
    mediation = (Mediation.objects.filter(Q(case__in=Case.objects.filter(visible_q(user))) | mine, pk=pk)
                 .select_related("case", "peacemaker").first())
    if mediation is None:
        raise Http404
    return mediation
