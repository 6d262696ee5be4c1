"""Case pages: thin — parse, load within scope through the selectors, act through the services, render.

Two audiences: residents on a phone under ``/me/cases/`` (the only part of Linli a resident account may open), and
staff at a desk (or a grid worker on a phone) under ``/cases/``. Every action posts the case's ``version``: a form
made stale by someone else's action is refused with a message saying what happened.
"""

import uuid

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.text import capfirst
from django.utils.timezone import localtime
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from linli.cases import photo_links, selectors, services, workflow
from linli.cases.forms import (
    CommentForm,
    FollowUpCallForm,
    MediationConcludeForm,
    MediationSessionForm,
    MediationStartForm,
    StaffReportForm,
    TransitionForm,
    VerifyForm,
)
from linli.cases.models import MediationOutcome, State
from linli.core.errors import ApplicationError
from linli.core.forms import error_to_form, errors_text, submit
from linli.core.pagination import paginate
from linli.core.scope import scope_paths, scope_q
from linli.places import selectors as places
from linli.places.models import Place, PlaceKind

#: Lazy: the labels are read per request, in the language of that request (a plain gettext here would keep the
#: language of whichever request first imported this module).
QUEUE_LABELS = {
    "mine": gettext_lazy("Mine"), "new": gettext_lazy("To triage"), "team": gettext_lazy("My team's"),
    "overdue": gettext_lazy("Overdue"), "awaiting_feedback": gettext_lazy("Awaiting feedback"),
    "escalated": gettext_lazy("Escalated to us"), "all": gettext_lazy("All"),
}
#: Actions offered in bulk on a queue.
BULK_ACTIONS = ["accept", "dispatch", "approve_postpone", "close"]


def _bulk_actions(user) -> list[tuple[str, str]]:
    """The bulk actions ``user``'s roles could take at all: a steward is not offered approving more time."""
    return [(a, workflow.action_label(a)) for a in BULK_ACTIONS if workflow.may_take_somewhere(user, a)]


def _staff(request):
    if not scope_paths(request.user):
        raise PermissionDenied
    return request.user


# --- staff: queues --------------------------------------------------------------------------------------------------

@login_required
def queue(request, name: str = "mine"):
    user = _staff(request)
    if name not in selectors.QUEUES:
        raise Http404
    # A search within the tab: a number, a unit ("2-1-201") or words of the title or description; and a state.
    filters = {"q": request.GET.get("q", "").strip()[:64],
               "state": request.GET.get("state", "") if request.GET.get("state", "") in State.values else ""}
    cases = selectors.case_queue(user=user, queue=name, **filters)
    context = {
        "page": paginate(request, cases, cap=selectors.ALL_COUNT_CAP,
                         part=selectors.queue_part(user=user, queue=name, **filters),
                         rows=lambda bottom, top: selectors.queue_rows(user=user, queue=name, bottom=bottom, top=top,
                                                                       **filters)),
        "queue": name, "filters": filters, "states": State.choices,
        "counts": selectors.queue_counts(user=user),
        "labels": QUEUE_LABELS, "bulk_actions": _bulk_actions(user), "supervisor": workflow.is_supervisor(user),
    }
    if request.htmx:
        return render(request, "cases/queue.html#results", context)
    return render(request, "cases/queue.html", context)


@login_required
@require_POST
def bulk(request):
    user = _staff(request)
    action = request.POST.get("action", "")
    if action not in BULK_ACTIONS:
        messages.error(request, _("Choose an action."))
        return redirect(request.POST.get("next") or "cases:queue")
    ids = [int(i) for i in request.POST.getlist("case") if i.isdigit()]
    cases = list(selectors.case_list(user=user).filter(pk__in=ids))
    if not cases:
        messages.error(request, _("Tick at least one case."))
        return redirect(request.POST.get("next") or "cases:queue")
    done, failed = services.case_bulk_transition(actor=user, cases=cases, action=action,
                                                 note=request.POST.get("note", ""))
    if done:
        messages.success(request, _("%(action)s: %(n)s cases.") % {"action": capfirst(workflow.action_label(action)),
                                                                    "n": len(done)})
    for case, message in failed:
        messages.error(request, f"{case.number}: {message}")
    return redirect(request.POST.get("next") or "cases:queue")


# --- staff: one case ------------------------------------------------------------------------------------------------

def _case_context(request, case, **forms):
    user = request.user
    actions = workflow.allowed_actions(user, case)
    return {
        "case": case, "timeline": selectors.case_timeline(case=case), "actions": [
            (a, workflow.action_label(a), workflow.TRANSITIONS[a].note_required, workflow.is_public(a))
            for a in actions],
        "form": forms.get("form") or TransitionForm(initial={"version": case.version}),
        "failed_action": forms.get("failed_action"),
        "verify_form": (forms.get("verify_form") or VerifyForm(initial={"version": case.version})) if (
            case.state == State.RESOLVED and workflow.can_triage(user, case)) else None,
        "requested_workdays": (selectors.requested_workdays(case=case)
                               if case.state == State.POSTPONE_REQUESTED else None),
        "comment_form": CommentForm(),
        "mediation": getattr(case, "mediation", None) if case.category.is_dispute else None,
        "can_mediate": workflow.can_start_mediation(request.user, case),
        "handlers": selectors.dispatch_handlers(case=case),
        "responses": selectors.response_templates_for(case=case),
        # a result nobody rated: the call owed on it (the number shown once asked for: ``revealed``)
        "call": selectors.open_follow_up_call(case=case) if case.state == State.RESOLVED else None,
        "call_form": forms.get("call_form") or FollowUpCallForm(), "revealed": forms.get("revealed"),
        "now": timezone.now(),
    }


@login_required
def case_detail(request, pk: int):
    user = _staff(request)
    case = selectors.get_case_for_user(user=user, pk=pk)
    return render(request, "cases/case_detail.html", _case_context(request, case))


@login_required
@require_POST
def transition(request, pk: int, action: str):
    user = _staff(request)
    case = selectors.get_case_for_user(user=user, pk=pk)
    form = TransitionForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        params = {k: d[k] for k in ("level", "role", "workdays", "referred_to") if d.get(k)}
        if d.get("assignee"):
            params["assignee"] = d["assignee"]  # an account number: the service refuses unknown ones
        if action == "merge":
            into = selectors.case_list(user=user).filter(number=d.get("into", "").strip()).first()
            if into is None:
                form.add_error("into", _("No case with this number in your area."))
            params["into"] = into
        if not d["note"].strip() and request.POST.get("response"):  # a ready-made text chosen, not edited (no script)
            offered = selectors.response_templates_for(case=case).get(action, [])
            d["note"] = next((t.text for t in offered if str(t.pk) == request.POST["response"]), "")
        if form.is_valid():
            try:
                services.case_transition(actor=user, case=case, action=action, note=d["note"],
                                         note_internal=d["note_internal"], expected_version=d["version"],
                                         photos=d["photos"], **params)
            except ApplicationError as exc:
                if exc.code == "stale":
                    messages.warning(request, exc.message)
                    return redirect("cases:detail", case.pk)
                error_to_form(form, exc)
            else:
                # the service has brought ``case`` up to date: its new state, without reading it again
                done = _("Case %(number)s: %(state)s") % {"number": case.number, "state": case.get_state_display()}
                if action == "approve_postpone" and case.resolution_due_at:  # what was granted: the new deadline
                    done = _("%(done)s — now due %(due)s.") % {"done": done, "due": localtime(
                        case.resolution_due_at).strftime("%Y-%m-%d")}
                messages.success(request, done)
                return _after_change(request, user, case)
    case.refresh_from_db()
    return render(request, "cases/case_detail.html", _case_context(request, case, form=form, failed_action=action),
                  status=400)


def _after_change(request, user, case):
    """Back to the case after a change, or to the queue when the change took it out of the actor's sight (escalated
    above their level, dispatched away): a page they may not see would only answer 404."""
    case.refresh_from_db()
    if selectors.can_see(user, case):
        return redirect("cases:detail", case.pk)
    messages.info(request, _("Case %(number)s is out of your hands now.") % {"number": case.number})
    return redirect("cases:queue")


@login_required
@require_POST
def verify(request, pk: int):
    user = _staff(request)
    case = selectors.get_case_for_user(user=user, pk=pk)
    form = VerifyForm(request.POST, request.FILES)
    ok, _done = submit(form, lambda d: services.case_verify(actor=user, case=case, passed=d["passed"], note=d["note"],
                                                            photos=d["photos"], expected_version=d["version"]))
    if ok:
        messages.success(request, _("Verification recorded."))
        return _after_change(request, user, case)
    case.refresh_from_db()  # what they typed comes back with what is wrong, on the case as it is now
    return render(request, "cases/case_detail.html", _case_context(request, case, verify_form=form), status=400)


@login_required
@require_POST
def comment(request, pk: int):
    user = _staff(request)
    case = selectors.get_case_for_user(user=user, pk=pk)
    form = CommentForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.case_comment(actor=user, case=case, note=form.cleaned_data["note"],
                                  photos=form.cleaned_data["photos"], public=not form.cleaned_data["note_internal"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("Note added (only staff see it).") if form.cleaned_data["note_internal"]
                             else _("Note added."))
    else:
        messages.error(request, errors_text(form))
    return redirect("cases:detail", case.pk)


def _staff_place(user, d) -> Place:
    """The place of a staff-entered case: a unit by name, a building, or the compound for a public spot."""
    building = None
    if d.get("building"):
        building = places.get_building_for_user(user=user, pk=d["building"])
    unit_name = (d.get("unit") or "").strip()
    if unit_name:
        qs = Place.objects.filter(kind=PlaceKind.UNIT, name=unit_name)
        if building is not None:
            qs = qs.filter(building=building)
        unit = qs.filter(scope_q(user)).first()
        if unit is None and building is not None and Place.objects.filter(
                kind=PlaceKind.UNIT, name=unit_name).filter(scope_q(user)).exists():
            raise ApplicationError(_("Unit %(unit)s is not in %(building)s: check the building or the unit.") % {
                "unit": unit_name, "building": building.name}, field="unit")
        if unit is None:
            raise ApplicationError(_("No such unit in your area."), field="unit")
        return unit
    if building is not None and not d.get("spot"):
        return building
    compound = (building.compound if building else
                places.compound_list(user=user).first() or
                Place.objects.filter(kind=PlaceKind.COMPOUND, pk__in=places.building_list(user=user).values(
                    "compound_id")).first())
    if compound is None:
        raise ApplicationError(_("Choose a building."), field="building")
    return compound


@login_required
def staff_report(request):
    """Enter a case on behalf of a resident (a call, a visit) or file what a patrol found."""
    user = _staff(request)
    if request.method == "POST":
        form = StaffReportForm(request.POST, request.FILES, choices=_building_choices(user))
        entered, case = submit(form, lambda d: services.case_create(
            actor=user, category=d["category"], place=_staff_place(user, d),  # a building out of area: 404
            description=d["description"], spot=d["spot"], location_note=d["location_note"],
            reporter_name=d["reporter_name"], reporter_phone=d["reporter_phone"], anonymous=d["anonymous"],
            channel=d["channel"], priority=d["priority"], photos=d["photos"], idempotency_key=d["idempotency_key"]))
        if entered:
            messages.success(request, _("Case %(number)s entered.") % {"number": case.number})
            return redirect("cases:detail", case.pk)
    else:
        form = StaffReportForm(initial={"idempotency_key": uuid.uuid4().hex, "channel": request.GET.get("channel")},
                               choices=_building_choices(user))
    return render(request, "cases/staff_report.html", {"form": form}, status=400 if form.errors else 200)


def _building_choices(user) -> dict:
    return {"building": [(b.pk, b.name) for b in places.building_list(user=user).only("pk", "name")]}


# --- mediation ------------------------------------------------------------------------------------------------------

def _parties(text: str) -> list[dict]:
    """One party a line, "name, side" — the comma typed on a Chinese keyboard (，) or not."""
    parties = []
    for line in text.splitlines():
        name, _sep, side = line.replace("，", ",").partition(",")
        if name.strip():
            parties.append({"name": name.strip(), "side": side.strip()})
    return parties


@login_required
def mediation_start(request, pk: int):
    user = _staff(request)
    case = selectors.get_case_for_user(user=user, pk=pk)
    peacemakers = selectors.peacemakers_for(case=case)
    form = MediationStartForm(request.POST if request.method == "POST" else None,  # an empty POST is still a POST
                              choices={"peacemaker": [(p.pk, str(p)) for p in peacemakers]})
    if request.method == "POST":
        started, mediation = submit(form, lambda d: services.mediation_start(
            actor=user, case=case, parties=_parties(d["parties"]), peacemaker=peacemakers.filter(pk=d["peacemaker"])
            .first()))
        if started:
            return redirect("cases:mediation", mediation.pk)
    return render(request, "cases/mediation_start.html", {"case": case, "form": form, "peacemakers": peacemakers},
                  status=400 if form.errors else 200)


@login_required
def mediation_detail(request, pk: int):
    user = _staff(request)
    mediation = selectors.get_mediation_for_user(user=user, pk=pk)
    session_form = MediationSessionForm(request.POST or None) if request.POST.get("step") == "session" else \
        MediationSessionForm()
    conclude_form = MediationConcludeForm(request.POST or None) if request.POST.get("step") == "conclude" else \
        MediationConcludeForm()
    if request.method == "POST":
        try:
            if request.POST.get("step") == "session" and session_form.is_valid():
                services.mediation_session_add(actor=user, mediation=mediation,
                                               notes=session_form.cleaned_data["notes"])
                messages.success(request, _("The session is recorded."))
                return redirect("cases:mediation", mediation.pk)
            if request.POST.get("step") == "conclude" and conclude_form.is_valid():
                services.mediation_conclude(actor=user, mediation=mediation, **conclude_form.cleaned_data)
                messages.success(request, _("The mediation is concluded: %(outcome)s.") % {
                    "outcome": MediationOutcome(mediation.outcome).label})
                return redirect("cases:mediation", mediation.pk)
            if request.POST.get("step") == "follow_up":
                services.mediation_follow_up(actor=user, mediation=mediation, note=request.POST.get("note", ""))
                messages.success(request, _("The follow-up visit is recorded."))
                return redirect("cases:mediation", mediation.pk)
        except ApplicationError as exc:
            messages.error(request, exc.message)
    mediation = type(mediation).objects.prefetch_related(
        "parties", Prefetch("sessions")).select_related("case", "peacemaker").get(pk=mediation.pk)
    return render(request, "cases/mediation.html", {
        "mediation": mediation, "case": mediation.case, "session_form": session_form,
        "conclude_form": conclude_form, "pending": mediation.outcome == MediationOutcome.PENDING,
    })


@login_required
def mediation_agreement(request, pk: int):
    user = _staff(request)
    mediation = selectors.get_mediation_for_user(user=user, pk=pk)
    try:
        pdf = services.mediation_agreement_pdf(mediation=mediation)
    except ApplicationError as exc:
        messages.error(request, exc.message)
        return redirect("cases:mediation", mediation.pk)
    except ImportError:
        return HttpResponse(services.mediation_agreement_html(mediation=mediation))
    response = HttpResponse(pdf, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="agreement-{mediation.case.number}.pdf"'
    return response


# --- photos ---------------------------------------------------------------------------------------------------------

@require_GET
def photo(request, token: str):
    """A case's photo, to whoever holds a valid link to it — the case's pages and the Open311 answers give those,
    within their reader's scope (:mod:`linli.cases.photo_links`); a forged or expired link, 404."""
    key = photo_links.photo_key(token)
    if key is None:
        raise Http404
    attachment = selectors.get_photo(pk=key)
    try:
        response = FileResponse(attachment.image.open("rb"), content_type=attachment.content_type)
    except FileNotFoundError:  # the row outlived its file (a restore without the media): nothing to show
        raise Http404 from None
    response["Cache-Control"] = "private, max-age=3600"
    return response
