"""The supervisors' settings pages under ``/cases/``: routing rules, deadlines, response templates and the holiday
schedule.

Only a supervisor (:func:`linli.cases.workflow.is_supervisor`) opens them (403 otherwise); what they change
is checked again by the services, which keep each supervisor to their own area.
"""

import datetime as dt
import re

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.permissions import EDIT_HOLIDAYS, has_perm
from linli.cases import selectors, services, workflow
from linli.cases.forms import (
    DeadlineForm,
    ResponseTemplateForm,
    RoutingRuleForm,
    WorkdayForm,
)
from linli.cases.views import _staff
from linli.core import workdays
from linli.core.errors import ApplicationError
from linli.core.forms import submit
from linli.core.scope import get_in_scope_or_404, scope_q
from linli.places.models import Place, PlaceKind

# --- supervisors: routing rules and deadlines -----------------------------------------------------------------------

def _supervisor(request):
    user = _staff(request)
    if not workflow.is_supervisor(user):
        raise PermissionDenied
    return user


def _place_order(place) -> tuple:
    """Compounds first, then buildings in the order people count them (2号楼 before 10号楼)."""
    natural = [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", place.name)]
    return (place.kind != PlaceKind.COMPOUND, place.path.rsplit("/", 2)[0], natural)


@login_required
def routing(request):
    user = _supervisor(request)
    rule_places = sorted(Place.objects.filter(kind__in=[PlaceKind.COMPOUND, PlaceKind.BUILDING]).filter(
        scope_q(user)).only("pk", "name", "kind", "path"), key=_place_order)
    form = RoutingRuleForm(request.POST if request.method == "POST" else None,
                           choices={"place": [(p.pk, p.name) for p in rule_places],
                                    "handler": selectors.handlers_in_area(user=user)})

    def save(d):
        place = get_in_scope_or_404(Place.objects.all(), user, pk=d["place"])
        rule = None
        if request.POST.get("rule", "").isdigit():
            rule = selectors.get_routing_rule_for_user(user=user, pk=int(request.POST["rule"]))
        handler = None
        if d.get("handler"):  # a person who works in the supervisor's area, not any account by its number
            handler = selectors.handler_in_area(user=user, pk=d["handler"])
            if handler is None:
                raise ApplicationError(_("No such handler in your area."), field="handler")
        return services.routing_rule_save(actor=user, category=d["category"], place=place, level=d["level"],
                                          role=d["role"], handler=handler, note=d["note"], rule=rule)

    if request.method == "POST":
        try:
            saved, _rule = submit(form, save)
        except Http404:
            saved = False
            form.add_error("place", _("No such place in your area."))
        if saved:
            messages.success(request, _("Routing rule saved."))
            return redirect("cases:routing")
    return render(request, "cases/routing.html", {"rules": selectors.routing_rules(user=user), "form": form},
                  status=400 if form.errors else 200)


@login_required
@require_POST
def routing_deactivate(request, pk: int):
    # Scope first, then the role: a rule out of reach answers 404 like a missing one, whoever asks.
    user = _staff(request)
    rule = selectors.get_routing_rule_for_user(user=user, pk=pk)
    if not workflow.is_supervisor(user):
        raise PermissionDenied
    try:
        services.routing_rule_deactivate(actor=user, rule=rule)
        messages.success(request, _("Routing rule switched off."))
    except ApplicationError as exc:
        messages.error(request, exc.message)
    return redirect("cases:routing")


def _settings_page(request, *, form_class, write, saved: str, url_name: str, template: str, context):
    """A supervisors' settings page: the form posts to ``write(actor=…, **cleaned_data)``; a refused value is shown
    on its field (400), a saved one redirects back with ``saved``. ``context()`` gives the rest of the page."""
    user = _supervisor(request)
    form = form_class(request.POST if request.method == "POST" else None)
    if request.method == "POST" and submit(form, lambda d: write(actor=user, **d))[0]:
        messages.success(request, saved)
        return redirect(url_name)
    return render(request, template, {"form": form, **context()}, status=400 if form.errors else 200)


@login_required
def deadlines(request):
    """Deadlines by category and priority, held at a street, community or compound (set by a supervisor of it) or
    for everywhere (a city administrator). The page says, for the area shown, where each figure in force comes from.
    A place outside the supervisor's area answers 404; the default of everywhere, for anyone else, 403."""
    user = _supervisor(request)
    areas = list(selectors.deadline_places(user=user).only("pk", "name", "kind", "path"))
    may_default = services.may_set_default_deadlines(user)
    choices = ([("", _("Everywhere (the default)"))] if may_default else []) + [
        (p.pk, f"{p.name} ({p.get_kind_display()})") for p in areas]
    form = DeadlineForm(request.POST if request.method == "POST" else None,
                        initial={"place": areas[0].pk if areas else ""}, choices={"place": choices})
    form.fields["place"].widget.choices = choices  # no empty "—": the empty choice means everywhere

    def save(d):
        if d["place"]:
            place = get_in_scope_or_404(Place.objects.all(), user, pk=d["place"])
        elif may_default:
            place = None
        else:
            raise PermissionDenied
        return services.deadline_policy_set(actor=user, category=d["category"], priority=d["priority"],
                                            place=place, response_hours=d["response_hours"],
                                            resolution_workdays=d["resolution_workdays"])

    if request.method == "POST" and "remove" in request.POST:  # a deadline of the list taken away
        policy = selectors.deadline_policies(user=user).filter(pk=_key(request.POST["remove"])).first()
        if policy is None:
            raise Http404
        try:
            services.deadline_policy_remove(actor=user, policy=policy)
            messages.success(request, _("Deadline removed: %(what)s. The one above it applies again.") % {
                "what": f"{policy.category.name} · {policy.get_priority_display()}"})
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect(f"{reverse('cases:deadlines')}?area={policy.place_id or ''}")
    if request.method == "POST":
        saved, policy = submit(form, save)
        if saved:
            messages.success(request, _("Deadline saved."))
            return redirect(f"{reverse('cases:deadlines')}?area={policy.place_id or ''}")
    area = next((p for p in areas if str(p.pk) == request.GET.get("area")), areas[0] if areas else None)
    context = {"form": form, "areas": areas, "area": area, "policies": selectors.deadline_policies(user=user),
               "in_force": selectors.deadlines_in_force(place=area) if area else []}
    return render(request, "cases/deadlines.html", context, status=400 if form.errors else 200)


@login_required
def responses(request):
    """The ready-made texts of the steps (response templates) that bear on the supervisor's area: those held inside
    it they add, change (``?edit=``) and switch off; those of everywhere and above are read only, except to whoever
    may keep them. A template or place out of reach answers 404."""
    user = _supervisor(request)
    areas = list(selectors.deadline_places(user=user).only("pk", "name", "kind", "path"))
    may_everywhere = services.may_keep_response_templates(user, None)
    choices = ([("", _("Everywhere"))] if may_everywhere else []) + [
        (str(p.pk), f"{p.name} ({p.get_kind_display()})") for p in areas]
    editing = (selectors.get_response_template_for_user(user=user, pk=_key(request.GET["edit"]))
               if request.GET.get("edit") else None)
    if editing is not None and not services.may_keep_response_templates(user, editing.place):
        raise PermissionDenied
    initial = ({"template": editing.pk, "place": str(editing.place_id or ""), "category": editing.category_id,
                "action": editing.action, "title": editing.title, "text": editing.text} if editing
               else {"place": str(areas[0].pk) if areas else ""})
    form = ResponseTemplateForm(request.POST if request.method == "POST" else None, initial=initial,
                                choices={"place": choices})

    def save(d):
        place = get_in_scope_or_404(Place.objects.all(), user, pk=_key(d["place"])) if d["place"] else None
        template = (selectors.get_response_template_for_user(user=user, pk=d["template"]) if d.get("template")
                    else None)
        return services.response_template_save(actor=user, place=place, category=d["category"],
                                               action=d["action"], title=d["title"], text=d["text"],
                                               template=template)

    switch = next((key for key in ("off", "on") if key in request.POST), None) if request.method == "POST" else None
    if switch:  # a template of the list switched off, or on again
        template = selectors.get_response_template_for_user(user=user, pk=_key(request.POST[switch]))
        try:
            services.response_template_switch(actor=user, template=template, active=switch == "on")
            messages.success(request, (_("“%(title)s” is offered again.") if switch == "on"
                                       else _("“%(title)s” is no longer offered.")) % {"title": template.title})
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("cases:responses")
    if request.method == "POST" and submit(form, save)[0]:
        messages.success(request, _("Response template saved."))
        return redirect("cases:responses")
    templates = list(selectors.response_templates(user=user, active=None))
    for template in templates:
        template.editable = services.may_keep_response_templates(user, template.place)
    return render(request, "cases/responses.html", {
        "form": form, "editing": editing, "templates": [t for t in templates if t.is_active],
        "switched_off": [t for t in templates if not t.is_active and t.editable]}, status=400 if form.errors else 200)


def _calendar_context() -> dict:
    today = timezone.localdate()
    return {"days": selectors.workday_overrides().order_by("date"),
            "years": [(year, workdays.year_is_known(year)) for year in (today.year, today.year + 1)]}


def _holiday_editor(request):
    """Every supervisor reads the holiday schedule; only a community's secretary or above writes it."""
    if request.method == "POST" and not has_perm(request.user, EDIT_HOLIDAYS):
        raise PermissionDenied


def _key(value: str) -> int:
    """A key posted by a button; anything else is no key (0 matches nothing)."""
    return int(value) if value.isdigit() and len(value) < 19 else 0


@login_required
def calendar(request):
    """The holiday schedule staff enter for years the chinese-calendar package does not know yet (or to correct it)."""
    _holiday_editor(request)
    if request.method == "POST" and "remove" in request.POST:  # a day entered by mistake taken back
        _supervisor(request)
        try:
            day = dt.date.fromisoformat(request.POST["remove"])
        except ValueError:
            raise Http404 from None
        if services.workday_override_remove(actor=request.user, date=day):
            messages.success(request, _("%(date)s removed from the holiday schedule.") % {"date": day.isoformat()})
        return redirect("cases:calendar")
    return _settings_page(request, form_class=WorkdayForm, write=services.workday_override_set,
                          saved=_("Holiday schedule saved."), url_name="cases:calendar", template="cases/calendar.html",
                          context=lambda: {**_calendar_context(),
                                           "may_edit": has_perm(request.user, EDIT_HOLIDAYS)})
