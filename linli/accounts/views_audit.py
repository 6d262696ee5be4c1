"""The audit trail, for the secretaries: searched by actor, action, target and dates; scoped by place."""

import datetime as dt

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext as _

from linli.accounts import selectors
from linli.accounts.permissions import VIEW_AUDIT, has_perm
from linli.core.pagination import paginate


def _date(value: str, label: str, errors: list[str]) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors.append(_("%(field)s: enter a date as YYYY-MM-DD.") % {"field": label})
        return None


@login_required
def audit_list(request):
    if not has_perm(request.user, VIEW_AUDIT):
        raise PermissionDenied
    errors: list[str] = []
    filters = {
        "actor": request.GET.get("actor", "").strip(),
        "action": request.GET.get("action", "").strip(),
        "target": request.GET.get("target", "").strip(),
        "date_from": _date(request.GET.get("from", "").strip(), _("From"), errors),
        "date_to": _date(request.GET.get("to", "").strip(), _("To"), errors),
    }
    events = selectors.audit_event_list(user=request.user, **filters)
    context = {"page": paginate(request, events), "errors": errors, "f": request.GET,
               "actions": selectors.audit_actions(user=request.user)}
    if request.htmx:
        return render(request, "accounts/audit_list.html#results", context)
    return render(request, "accounts/audit_list.html", context)
