"""The desk's management pages: create a party organisation and name its secretary or leader, end a membership,
designate and end an anchor household, create a steward team, change the buildings a member covers.

Thin, like every view: load within scope (404 outside it), check the role that keeps the organisation there
(403 without it), call the service, and either redirect with a message or render the page again with the form's
errors on their fields (400). HTMX requests get the changed part of the page only.
"""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core.forms import submit
from linli.core.scope import get_in_scope_or_404
from linli.org import selectors, services
from linli.org.forms import (
    FIELD_ALIASES,
    EndForm,
    LeaderForm,
    MemberBuildingsForm,
    OrganisationForm,
    SecretaryForm,
    TeamForm,
)
from linli.org.models import OrgKind
from linli.org.views import (
    building_context,
    designate_form_for,
    person_context,
    team_detail_context,
    team_list_context,
)
from linli.places.models import Household, Place
from linli.places.selectors import compound_list, get_building_for_user, get_compound_for_user


def _keeper(user, path: str, roles=selectors.ORG_MANAGER_ROLES) -> None:
    if not selectors.can_manage(user, path, frozenset(roles)):
        raise PermissionDenied


# --- party organisations -----------------------------------------------------------------------------------------


def _organisation_form(user, data=None, kind: str = OrgKind.GROUP) -> OrganisationForm:
    kind = kind if kind in OrgKind.values else OrgKind.GROUP
    places = selectors.managed(selectors.org_places_without(user=user, kind=kind), user)
    form = OrganisationForm(data, initial={"kind": kind},
                            choices={"place": [("", "—")] + [(p.pk, p.name) for p in places]})
    form.fields["kind"].widget.attrs.update({"hx-get": reverse("org:organisation_new"),
                                             "hx-target": "#organisation-form",
                                             "hx-select": "#organisation-form", "hx-swap": "outerHTML"})
    return form


@login_required
def organisation_new(request):
    """A group for a building, a branch for a compound (a committee for a community), under the organisation of
    the place above; changing the kind reloads the places to choose from (HTMX)."""
    user = request.user
    place = None
    if request.method == "POST" and request.POST.get("place", "").isdigit():  # scope first (404), then role (403)
        place = get_in_scope_or_404(Place.objects.all(), user, pk=int(request.POST["place"]))
        _keeper(user, place.path)
    if not selectors.manage_paths(user):  # no place named (the form, or a POST without one): the role alone
        raise PermissionDenied
    kind = request.POST.get("kind") or request.GET.get("kind") or OrgKind.GROUP
    form = _organisation_form(user, request.POST if request.method == "POST" else None, kind)
    if request.method == "POST":
        created, org = submit(form, lambda d: services.organisation_create(
            actor=user, kind=d["kind"], place=place, name=d["name"],
            secretary=services.staff_user_named(d["secretary_username"], "secretary_username")),
            FIELD_ALIASES)
        if created:
            messages.success(request, _("%(name)s was created.") % {"name": org.name})
            return redirect("org:organisation", pk=org.pk)
    return render(request, "org/organisation_new.html", {"form": form}, status=400 if form.errors else 200)


def _leadership_form(user, org, data=None):
    if org.kind == OrgKind.GROUP:
        members = selectors.group_members(user=user, building=org.place)
        return LeaderForm(data, initial={"leader": org.leader_id},
                          choices={"leader": [("", "—")] + [(m.resident_id, f"{m.resident.unit.name} "
                                                                            f"{m.resident.name}") for m in members]})
    return SecretaryForm(data, initial={"secretary_username": org.secretary.username if org.secretary else ""})


def _organisation_context(request, org, form=None) -> dict:
    keeper = selectors.can_manage(request.user, org.path)
    return {
        "org": org,
        "can_manage": keeper,
        "form": (form or _leadership_form(request.user, org)) if keeper and org.is_active else None,
        "children": list(org.children.filter(is_active=True).select_related("place", "leader")
                         .order_by("path")) if org.kind != OrgKind.GROUP else [],
    }


@login_required
def organisation_detail(request, pk: int):
    org = selectors.get_organisation_for_user(user=request.user, pk=pk)
    return render(request, "org/organisation.html", _organisation_context(request, org))


@login_required
@require_POST
def organisation_leadership(request, pk: int):
    """Name (or clear) a group's leader or a committee's or branch's secretary; HTMX gets the card back."""
    user = request.user
    org = selectors.get_organisation_for_user(user=user, pk=pk)
    _keeper(user, org.path)
    form = _leadership_form(user, org, request.POST)

    def lead(d):
        leader = secretary = None
        if org.kind == OrgKind.GROUP:
            if d["leader"]:
                leader = next((m.resident for m in selectors.group_members(user=user, building=org.place)
                               if m.resident_id == d["leader"]), None)
        else:
            secretary = services.staff_user_named(d["secretary_username"], "secretary_username")
        return services.organisation_leadership_set(actor=user, organisation=org, leader=leader, secretary=secretary)

    saved, _org = submit(form, lead, FIELD_ALIASES)
    if saved:
        if not request.htmx:
            messages.success(request, _("Saved."))
            return redirect("org:organisation", pk=org.pk)
        form = None
    org = selectors.get_organisation_for_user(user=user, pk=org.pk)
    context = {**_organisation_context(request, org, form), "saved": form is None}
    if request.htmx:  # htmx swaps a 2xx only: the card comes back with its errors, or saved
        return render(request, "org/organisation.html#leadership", context)
    return render(request, "org/organisation.html", context, status=400)


# --- memberships and anchor households ----------------------------------------------------------------------------


@login_required
@require_POST
def membership_end(request, pk: int):
    """End a party membership from the person's page (with what came from it: anchors, red steward places)."""
    user = request.user
    membership = selectors.get_membership_for_user(user=user, pk=pk)
    _keeper(user, membership.path)
    form = EndForm(request.POST)
    ended, _row = submit(form, lambda d: services.membership_end(actor=user, membership=membership, **d), FIELD_ALIASES)
    if ended:
        messages.success(request, _("The party membership of %(name)s has ended.") % {"name": membership.resident.name})
        return redirect("org:person", pk=membership.resident_id)
    return render(request, "org/person.html", person_context(request, membership.resident_id, end_form=form),
                  status=400)


@login_required
@require_POST
def anchor_designate(request, pk: int):
    """Designate an anchor household in a building, with the households it looks after."""
    user = request.user
    building = get_building_for_user(user=user, pk=pk)
    _keeper(user, building.path, selectors.ANCHOR_MANAGER_ROLES)
    form = designate_form_for(user, building, request.POST)

    def designate(d):
        member = selectors.get_membership_for_user(user=user, pk=d["member"])
        households = list(Household.objects.filter(pk__in=d["households"]).select_related("unit"))
        return services.anchor_household_designate(actor=user, member=member, looked_after=households,
                                                   since=d["since"])

    designated, anchor = submit(form, designate, FIELD_ALIASES)
    if designated:
        messages.success(request, _("%(unit)s is now an anchor household.") % {"unit": anchor.household.unit.name})
        return redirect("org:building", pk=building.pk)
    return render(request, "org/building.html", building_context(request, building.pk, designate_form=form),
                  status=400)


@login_required
@require_POST
def anchor_end(request, pk: int):
    """End an anchor household; the households it looked after show as looked after by nobody."""
    user = request.user
    anchor = selectors.get_anchor_for_user(user=user, pk=pk)
    _keeper(user, anchor.path, selectors.ANCHOR_MANAGER_ROLES)
    form = EndForm(request.POST)
    ended, _row = submit(form, lambda d: services.anchor_household_end(actor=user, anchor=anchor, **d), FIELD_ALIASES)
    if ended:
        messages.success(request, _("%(unit)s is no longer an anchor household.")
                         % {"unit": anchor.household.unit.name})
        return redirect("org:building", pk=anchor.building_id)
    return render(request, "org/building.html",
                  building_context(request, anchor.building_id, end_form=form, end_anchor=anchor.pk), status=400)


# --- teams -------------------------------------------------------------------------------------------------------


def team_form_for(user, data=None) -> TeamForm:
    compounds = selectors.managed(compound_list(user=user), user)
    return TeamForm(data, choices={"compound": [(c.pk, c.name) for c in compounds]})


@login_required
@require_POST
def team_new(request):
    user = request.user
    compound = None
    if request.POST.get("compound", "").isdigit():  # scope first (404), then role (403)
        # a compound the caller's scope touches, as for the teams' own pages and the API (a grid worker's too)
        compound = get_compound_for_user(user=user, pk=int(request.POST["compound"]))
        _keeper(user, compound.path)
    if not selectors.manage_paths(user):  # no compound named: the role alone
        raise PermissionDenied
    form = team_form_for(user, request.POST)
    created, team = submit(form, lambda d: services.team_create(actor=user, compound=compound, kind=d["kind"],
                                                                name=d["name"]), FIELD_ALIASES)
    if created:
        messages.success(request, _("%(name)s was created.") % {"name": team.name})
        return redirect("org:team", pk=team.pk)
    return render(request, "org/team_list.html", team_list_context(request, team_form=form), status=400)


@login_required
@require_POST
def member_buildings(request, pk: int):
    """Change the buildings a member covers (their role follows); HTMX gets the member's row back."""
    user = request.user
    member = selectors.get_team_member_for_user(user=user, pk=pk)
    _keeper(user, member.path)
    buildings = selectors.compound_buildings(member.team)
    form = MemberBuildingsForm(request.POST, choices={"buildings": [(b.pk, b.name) for b in buildings]})
    saved, _member = submit(form, lambda d: services.team_member_buildings_set(
        actor=user, member=member, buildings=[b for b in buildings if b.pk in set(d["buildings"])]), FIELD_ALIASES)
    if saved:
        if not request.htmx:
            messages.success(request, _("The buildings %(name)s covers were saved.") % {"name": member.display_name})
            return redirect("org:team", pk=member.team_id)
        form = None
    if request.htmx:  # htmx swaps a 2xx only: the row comes back with its errors, or saved
        current, _former = selectors.team_roster(user=user, team=member.team)
        row = next(m for m in current if m.pk == member.pk)
        return render(request, "org/team_detail.html#member_row",
                      {"m": row, "team": member.team, "can_manage": True, "buildings": buildings,
                       "buildings_form": form, "saved": form is None})
    return render(request, "org/team_detail.html",
                  team_detail_context(request, member.team, buildings_form=form, buildings_member=member.pk),
                  status=400)
