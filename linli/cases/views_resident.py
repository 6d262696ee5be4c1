"""The residents' case pages under ``/me/cases/`` (the only part of Linli a resident account may open), on a phone:
report a problem (offered similar open cases nearby first), follow one's reports, answer a handler's question, rate
a result. Thin, as :mod:`linli.cases.views`: parse, load through the selectors, act through the services, render.
"""

import uuid

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.forms.utils import ErrorDict
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.decorators import resident_login_required
from linli.accounts.selectors import resident_of
from linli.cases import selectors, services
from linli.cases.forms import AnswerForm, RateForm, ReportForm
from linli.cases.models import Case, Channel, State
from linli.core.errors import ApplicationError
from linli.core.forms import error_to_form, errors_text, submit
from linli.core.pagination import paginate
from linli.notify.services import notification_mark_read_at
from linli.places.models import Place


def _resident(request):
    resident = resident_of(request.user)
    if resident is None:
        raise PermissionDenied
    return resident


# --- residents (phone first) ---------------------------------------------------------------------------------------

def _resident_place(resident, data) -> Place:
    where = data.get("where") or "unit"
    if where == "spot":
        return resident.unit.compound
    if where == "building":
        return resident.unit.building
    return resident.unit


def _spot(data) -> str:
    """The spot named with a public spot of the compound or with the building (its lift, its stairwell); a unit
    has none."""
    return (data.get("spot") or "") if data.get("where") in ("spot", "building") else ""


def _chosen_category(value: str):
    """The active category picked from the form's list; anything else is no category."""
    return selectors.categories().filter(pk=int(value)).first() if value.isdigit() and len(value) < 10 else None


def _similar(resident, data) -> list:
    """The open cases near what the form names so far (place, category, spot)."""
    return selectors.nearby_open_cases(place=_resident_place(resident, data), resident=resident, spot=_spot(data),
                                       category=_chosen_category(str(data.get("category") or "")))


@resident_login_required
def my_cases(request):
    _resident(request)
    return render(request, "cases/me_list.html", {"page": paginate(request, selectors.resident_cases(
        user=request.user))})


def _send_report(request, resident, data):
    """The report written — or, when the same report came a moment ago (a form sent again), that case. Returns
    ``(case, sent now)``."""
    place, spot = _resident_place(resident, data), _spot(data)
    earlier = selectors.same_report_sent(user=request.user, category=data["category"], place=place, spot=spot,
                                         description=data["description"])
    if earlier is not None:
        return earlier, False
    return services.case_create(
        actor=request.user, category=data["category"], place=place, description=data["description"], spot=spot,
        location_note=data["location_note"], reporter=resident, reporter_user=request.user,
        anonymous=data["anonymous"], channel=Channel.RESIDENT_APP, photos=data["photos"],
        idempotency_key=data["idempotency_key"]), True


def _report_page(request, resident, form, *, status: int = 200):
    """The report form; sent back with errors, the similar cases are listed again and the photos asked for again
    (a browser does not keep chosen files across a page)."""
    context = {"form": form, "resident": resident}
    if form.is_bound:
        context["similar"] = _similar(resident, form.data)
        context["photos_dropped"] = bool(request.FILES.getlist("photos"))
    return render(request, "cases/me_report.html", context, status=status)


@resident_login_required
def report(request):
    """Report a problem or a dispute; before sending, similar open cases nearby are offered ("is it one of these?")."""
    resident = _resident(request)
    if request.method != "POST":
        return _report_page(request, resident, ReportForm(initial={"idempotency_key": uuid.uuid4().hex}))
    form = ReportForm(request.POST, request.FILES)
    sent, result = submit(form, lambda d: _send_report(request, resident, d))
    if not sent:
        return _report_page(request, resident, form, status=400)
    case, now = result
    if now:
        messages.success(request, _("Thank you. Your report is case %(number)s.") % {"number": case.number})
    else:
        messages.info(request, _("You had already sent this report: it is case %(number)s.") % {
            "number": case.number})
    return redirect("mycases:detail", case.pk)


@resident_login_required
def similar(request):
    """HTMX: open cases near the chosen place (and spot), of the chosen category, to join with "me too"."""
    resident = _resident(request)
    return render(request, "cases/_similar.html", {"cases": _similar(resident, request.GET)})


@resident_login_required
@require_POST
def me_too(request, pk: int):
    """"Me too" from the report form (its button posts the form here): what they had typed and attached joins the
    case. Refused (a photo too big, the case closed meanwhile): the form again, with what they typed."""
    resident = _resident(request)
    case = get_object_or_404(Case, pk=pk, path__startswith=resident.unit.compound.path)
    try:
        services.case_me_too(actor=request.user, case=case, resident=resident,
                             note=request.POST.get("description", ""), photos=request.FILES.getlist("photos"))
    except ApplicationError as exc:
        form = ReportForm(request.POST)
        form.full_clean()
        form._errors = ErrorDict()  # the report itself was not sent: only what refused the "me too" is wrong
        error_to_form(form, exc)
        return _report_page(request, resident, form, status=400)
    messages.success(request, _("Counted: you have the same problem as case %(number)s.") % {"number": case.number})
    return redirect("mycases:detail", case.pk)


@resident_login_required
@require_POST
def me_too_withdraw(request, pk: int):
    """"My problem has gone": their "me too" on one of the cases they joined no longer counts (said twice — an old
    page sent again — it is already so)."""
    try:
        case = _own_case(request, pk)
    except Http404:
        if selectors.withdrawn_me_too(user=request.user, pk=pk) is None:
            raise
        return my_case(request, pk)  # already withdrawn: says so
    try:
        services.case_me_too_withdraw(actor=request.user, case=case, resident=_resident(request))
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("mycases:detail", case.pk)
    messages.success(request, _("You are no longer counted on case %(number)s.") % {"number": case.number})
    return redirect("mycases:list")


def _own_case(request, pk: int, *, reported: bool = False) -> Case:
    """One of the resident's cases (``reported``: one they reported on their own account, which they may answer
    and rate), or 404."""
    _resident(request)
    cases = selectors.resident_cases(user=request.user)
    case = (cases.filter(reporter_user=request.user) if reported else cases).filter(pk=pk).first()
    if case is None:
        raise Http404
    return case


def _refused(request, case, form, **forms):
    """A refused answer or rating: the case as it is now, what they typed, and what was wrong (400)."""
    case.refresh_from_db()
    messages.error(request, errors_text(form))
    return render(request, "cases/me_detail.html", _my_case_context(request, case, **forms), status=400)


@resident_login_required
def my_case(request, pk: int):
    try:
        case = _own_case(request, pk)
    except Http404:
        withdrawn = selectors.withdrawn_me_too(user=request.user, pk=pk)
        if withdrawn is None:
            raise
        # a page they left with "my problem has gone" (the Back button, an old message): say so, not "not found"
        messages.info(request, _("You withdrew your “me too” on case %(number)s; it is no longer among your "
                                 "reports.") % {"number": withdrawn.case.number})
        return redirect("mycases:list")
    notification_mark_read_at(user=request.user, url=request.path)  # its messages are read now
    return render(request, "cases/me_detail.html", _my_case_context(request, case))


def _my_case_context(request, case, **forms) -> dict:
    """The resident's page of a case; ``forms``: a refused rating or answer, shown again with what was typed."""
    mine = case.reporter_user_id == request.user.pk
    timeline = selectors.case_timeline(case=case, public_only=True)
    asked = mine and case.state == State.WAITING_REPORTER
    return {
        "case": case, "mine": mine, "timeline": timeline,
        # joined with "me too" (not reported by them): they may say their problem has gone while it is open
        "may_withdraw": case.is_open and not getattr(case, "reported_by_them", True),
        # the question they are to answer, shown above the answer box (the timeline has it too, further down)
        "question": next((e.note for e in reversed(timeline) if e.action == "ask_reporter"), "") if asked else "",
        "rate_form": (forms.get("rate_form") or RateForm(initial={"version": case.version}))
        if mine and case.state == State.RESOLVED else None,
        "answer_form": (forms.get("answer_form") or AnswerForm(initial={"version": case.version})) if asked else None,
    }


@resident_login_required
@require_POST
def answer(request, pk: int):
    """The reporter answers the handler's question: the case goes back to the handler and its clocks run again."""
    case = _own_case(request, pk, reported=True)
    form = AnswerForm(request.POST, request.FILES)
    ok, _done = submit(form, lambda d: services.case_transition(
        actor=request.user, case=case, action="answer", note=d["note"], photos=d["photos"],
        expected_version=d["version"]))
    if ok:
        messages.success(request, _("Thank you: your answer has gone to the person handling your case."))
        return redirect("mycases:detail", case.pk)
    return _refused(request, case, form, answer_form=form)


@resident_login_required
@require_POST
def rate(request, pk: int):
    case = _own_case(request, pk, reported=True)
    form = RateForm(request.POST)
    ok, _done = submit(form, lambda d: services.feedback_record(
        actor=request.user, case=case, rating=d["rating"], comment=d["comment"], expected_version=d["version"]))
    if ok:
        case.refresh_from_db()
        messages.success(request, _("Thank you for your rating.") if case.state != State.REOPENED else _(
            "Thank you: your case goes back to be worked on again, and you will be told of each step."))
        return redirect("mycases:detail", case.pk)
    return _refused(request, case, form, rate_form=form)
