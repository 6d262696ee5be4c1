"""Follow-up calls (回访) on the staff desk: the calls owed in one's area (``/cases/calls/``) and on a case's page,
the reporter's number shown to the caller (recorded), and what came of the call. Thin, as :mod:`linli.cases.views`."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.permissions import two_factor_verified
from linli.cases import selectors, services
from linli.cases.forms import FollowUpCallForm
from linli.cases.models import State
from linli.cases.views import _case_context, _staff
from linli.core.errors import ApplicationError
from linli.core.forms import submit
from linli.core.pagination import paginate


@login_required
def calls(request, *, forms=None, revealed=None, status=200):
    """The calls owed in the caller's area (theirs first to come due), each with its form."""
    user = _staff(request)
    page = paginate(request, selectors.follow_up_calls(user=user))
    forms = {call.pk: (forms or {}).get(call.pk) or FollowUpCallForm(auto_id=_ids(call)) for call in page}
    return render(request, "cases/calls.html", {"page": page, "forms": forms, "revealed": revealed or {},
                                                "now": timezone.now()}, status=status)


def _ids(call) -> str:
    """Each call's form its own element ids (several on one page)."""
    return f"call{call.pk}_%s"


def _owed(request, pk: int):
    """The case (in the caller's reach, else 404) and the call owed on it — or None, said in a message."""
    case = selectors.get_case_for_user(user=_staff(request), pk=pk)
    call = selectors.open_follow_up_call(case=case)
    if call is None:
        messages.info(request, _("No follow-up call is owed on case %(number)s.") % {"number": case.number})
    return case, call


def _back(request, case, *, status=200, **extra):
    """The page the form was on, again: the list of calls or the case's page (``extra``: a refused form, a number
    shown)."""
    if request.POST.get("back") == "calls":
        call = extra.get("call")
        return calls(request, forms={call.pk: extra["call_form"]} if "call_form" in extra else None,
                     revealed={call.pk: extra["revealed"]} if "revealed" in extra else None, status=status)
    return render(request, "cases/case_detail.html", _case_context(request, case, **extra), status=status)


def _after(request, case):
    return redirect(reverse("cases:calls") if request.POST.get("back") == "calls" else
                    reverse("cases:detail", args=[case.pk]))


@login_required
@require_POST
def call_record(request, pk: int):
    """What came of the call: reached (with their rating: the case closes or goes back to work) or not (it closes
    as it stands)."""
    case, call = _owed(request, pk)
    if call is None:
        return _after(request, case)
    form = FollowUpCallForm(request.POST, auto_id=_ids(call))
    done, _call = submit(form, lambda d: services.follow_up_call_record(
        actor=request.user, call=call, reached=d["reached"], rating=d["rating"], comment=d["comment"]))
    if not done:
        return _back(request, case, status=400, call=call, call_form=form)
    case.refresh_from_db()
    messages.success(request, _("Call recorded. Case %(number)s: %(state)s") % {
        "number": case.number, "state": State(case.state).label})
    return _after(request, case)


@login_required
@require_POST
def call_phone(request, pk: int):
    """The reporter's number, shown to make the call (an HTMX swap, or the page again): for the call's caller, or
    staff who may reveal personal data in a session verified with a two-factor code; recorded."""
    case, call = _owed(request, pk)
    if call is None:
        return _after(request, case)
    try:
        number = services.follow_up_call_phone(actor=request.user, call=call,
                                               two_factor_verified=two_factor_verified(request))
    except ApplicationError as exc:
        if exc.code == "forbidden":
            raise PermissionDenied from exc
        messages.error(request, exc.message)
        return _after(request, case)
    if request.htmx:
        return render(request, "cases/_call.html#phone", {"call": call, "case": case, "revealed": number})
    return _back(request, case, call=call, revealed=number)
