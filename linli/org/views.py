"""Organisation pages: thin — parse the request, load within scope, call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.core.errors import ApplicationError
from linli.org import selectors, services
from linli.org.forms import (
    CoverForm,
    DesignateForm,
    EndForm,
    MembershipForm,
    TeamMemberForm,
    TeamMemberRemoveForm,
    form_errors,
)
from linli.org.models import TeamKind
from linli.places.selectors import ancestors, get_building_for_user, get_household_for_user, get_resident_for_user


@login_required
def org_tree(request):
    """The party chain the user can see, with counts, and the staff who hold roles there."""
    return render(request, "org/tree.html", {
        "roots": selectors.org_tree(user=request.user),
        "staff": selectors.compound_staff(user=request.user),
        "can_create": bool(selectors.manage_paths(request.user)),
    })


def building_context(request, pk: int, *, designate_form=None, end_form=None, end_anchor: int | None = None) -> dict:
    """The building page's context; the management views pass back a form with its errors."""
    data = selectors.building_party_group(user=request.user, building_pk=pk)
    can_assign = selectors.can_manage(request.user, data.building.path, selectors.ANCHOR_MANAGER_ROLES)
    context = {
        "data": data,
        "can_assign": can_assign,
        "building": data.building,
        "trail": ancestors(data.building),
        "members": selectors.group_members(user=request.user, building=data.building),
        "end_form": end_form,
        "end_anchor": end_anchor,
    }
    if can_assign:
        context["designate_form"] = designate_form or designate_form_for(request.user, data.building)
    return context


def designate_form_for(user, building, data=None) -> DesignateForm:
    """The designation form of a building: its members whose household is no anchor yet, and the households
    nobody looks after."""
    members, free = selectors.designation_choices(user=user, building=building)
    return DesignateForm(data, choices={
        "member": [("", "—")] + [(m.pk, f"{m.resident.unit.name} {m.resident.name}") for m in members],
        "households": [(h.pk, h.unit.name) for h in free],
    })


@login_required
def building_group(request, pk: int):
    """A building's party group: anchor households drawn on the building grid, and who nobody looks after yet."""
    return render(request, "org/building.html", building_context(request, pk))


def team_list_context(request, *, team_form=None) -> dict:
    from linli.org.views_manage import team_form_for

    form = team_form or team_form_for(request.user)
    return {"teams": selectors.team_list(user=request.user),
            "team_form": form if form.fields["compound"].choices else None}


@login_required
def team_list(request):
    return render(request, "org/team_list.html", team_list_context(request))


_compound_buildings = selectors.compound_buildings


def team_detail_context(request, team, *, buildings_form=None, buildings_member: int | None = None) -> dict:
    """The team page's context; changing a member's buildings passes back its form with the errors."""
    current, former = selectors.team_roster(user=request.user, team=team)
    can_manage = selectors.can_manage(request.user, team.path)
    buildings = _compound_buildings(team)
    return {
        "team": team,
        "current": current,
        "former": former,
        "can_manage": can_manage,
        "buildings": buildings,
        "coverage": selectors.team_coverage(team=team, current=current, buildings=buildings),
        "form": TeamMemberForm(buildings=buildings) if can_manage else None,
        "buildings_form": buildings_form,
        "buildings_member": buildings_member,
    }


@login_required
def team_detail(request, pk: int):
    team = selectors.get_team_for_user(user=request.user, pk=pk)
    return render(request, "org/team_detail.html", team_detail_context(request, team))


@login_required
@require_POST
def team_member_add(request, pk: int):
    """Add a user, a resident or a name to a team; back to the team page (or the person's page) with a message."""
    team = selectors.get_team_for_user(user=request.user, pk=pk)
    if not selectors.can_manage(request.user, team.path):
        raise PermissionDenied
    form = TeamMemberForm(request.POST, buildings=_compound_buildings(team))
    back = reverse("org:team", args=[team.pk])
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect(back)
    data = form.cleaned_data
    resident = None
    if data["resident"]:
        resident = get_resident_for_user(user=request.user, pk=data["resident"])
        back = reverse("org:person", args=[resident.pk])
    buildings = [b for b in _compound_buildings(team) if b.pk in set(data["buildings"])]
    try:
        user = services.staff_user_named(data["username"], "username")
        member = services.team_member_add(actor=request.user, team=team, user=user, resident=resident,
                                          display_name=data["display_name"], duty=data["duty"],
                                          buildings=buildings, joined_on=data["joined_on"])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(name)s joined %(team)s.") % {"name": member.display_name, "team": team.name})
    return redirect(back)


@login_required
@require_POST
def team_member_remove(request, pk: int):
    member = selectors.get_team_member_for_user(user=request.user, pk=pk)
    if not selectors.can_manage(request.user, member.path):
        raise PermissionDenied
    form = TeamMemberRemoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
    else:
        try:
            services.team_member_remove(actor=request.user, member=member, left_on=form.cleaned_data["left_on"],
                                        reason=form.cleaned_data["reason"])
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s left the team.") % {"name": member.display_name})
    return redirect("org:team", pk=member.team_id)


def person_context(request, pk: int, *, end_form=None) -> dict:
    """The person page's context; ending a membership passes back its form with the errors."""
    roles = selectors.person_roles(user=request.user, resident_pk=pk)
    resident = roles.resident
    teams = [t for t in selectors.team_list(user=request.user) if resident.path.startswith(t.path)
             and selectors.can_manage(request.user, t.path)]
    keeper = selectors.can_manage(request.user, resident.path)
    active = next((m for m in roles.memberships if m.is_active), None)
    ends_with = {}
    if active is not None:  # what ending the membership ends too, said before the button
        ends_with = {"anchors": [a for a in roles.anchor_roles if a.is_active and a.member_id == active.pk],
                     "red": [t for t in roles.teams if t.left_on is None and t.team.kind == TeamKind.RED],
                     "groups": roles.groups_led}
    return {
        "roles": roles,
        "ends_with": ends_with,
        "membership_form": MembershipForm() if keeper and active is None else None,
        "active_membership": active,
        "end_form": (end_form or EndForm()) if keeper and active is not None else None,
        "resident": resident,
        "trail": ancestors(resident.unit) + [resident.unit],
        "teams": teams,
    }


@login_required
def person(request, pk: int):
    """Every role a resident holds."""
    return render(request, "org/person.html", person_context(request, pk))


@login_required
@require_POST
def household_cover(request, pk: int):
    """Give a household nobody looks after to one of the building's anchor households."""
    building = get_building_for_user(user=request.user, pk=pk)
    if not selectors.can_manage(request.user, building.path, selectors.ANCHOR_MANAGER_ROLES):
        raise PermissionDenied
    form = CoverForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("org:building", pk=building.pk)
    anchor = selectors.get_anchor_for_user(user=request.user, pk=form.cleaned_data["anchor"])
    household = get_household_for_user(user=request.user, pk=form.cleaned_data["household"])
    try:
        services.anchor_household_cover(actor=request.user, anchor=anchor, households=[household])
    except ApplicationError as exc:
        messages.error(request, exc.message)
    else:
        messages.success(request, _("%(unit)s is now looked after by %(anchor)s.")
                         % {"unit": household.unit.name, "anchor": anchor.household.unit.name})
    return redirect("org:building", pk=building.pk)


@login_required
@require_POST
def membership_register(request, pk: int):
    """Register a resident's party membership, from their page."""
    resident = get_resident_for_user(user=request.user, pk=pk)
    if not selectors.can_manage(request.user, resident.path):
        raise PermissionDenied
    form = MembershipForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
    else:
        try:
            services.membership_register(actor=request.user, resident=resident, **form.cleaned_data)
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s is registered as a party member.") % {"name": resident.name})
    return redirect("org:person", pk=resident.pk)
