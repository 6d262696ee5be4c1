"""Organisation pages: thin — parse the request, load within scope, call a service, render."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models.functions import Length
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from linli.accounts.models import User
from linli.core.errors import ApplicationError
from linli.org import selectors, services
from linli.org.forms import CoverForm, MembershipForm, TeamMemberForm, TeamMemberRemoveForm, form_errors
from linli.org.models import StewardTeam
from linli.places.models import Place, PlaceKind
from linli.places.selectors import ancestors, get_building_for_user, get_household_for_user, get_resident_for_user


@login_required
def org_tree(request):
    """The party chain the user can see, with counts, and the staff who hold roles there."""
    return render(request, "org/tree.html", {
        "roots": selectors.org_tree(user=request.user),
        "staff": selectors.compound_staff(user=request.user),
    })


@login_required
def building_group(request, pk: int):
    """A building's party group: anchor households drawn on the building grid, and who nobody looks after yet."""
    data = selectors.building_party_group(user=request.user, building_pk=pk)
    return render(request, "org/building.html", {
        "data": data,
        "can_assign": selectors.can_manage(request.user, data.building.path, selectors.ANCHOR_MANAGER_ROLES),
        "building": data.building,
        "trail": ancestors(data.building),
        "members": selectors.group_members(user=request.user, building=data.building),
    })


@login_required
def team_list(request):
    return render(request, "org/team_list.html", {"teams": selectors.team_list(user=request.user)})


def _compound_buildings(team: StewardTeam) -> list[Place]:
    return list(Place.objects.filter(compound_id=team.compound_id, kind=PlaceKind.BUILDING)
                .order_by(Length("code"), "code"))


@login_required
def team_detail(request, pk: int):
    team = selectors.get_team_for_user(user=request.user, pk=pk)
    current, former = selectors.team_roster(user=request.user, team=team)
    can_manage = selectors.can_manage(request.user, team.path)
    return render(request, "org/team_detail.html", {
        "team": team,
        "current": current,
        "former": former,
        "can_manage": can_manage,
        "form": TeamMemberForm(buildings=_compound_buildings(team)) if can_manage else None,
    })


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
    user = None
    if data["username"]:
        user = User.objects.filter(username=data["username"].strip(), is_active=True).first()
        if user is None:
            messages.error(request, _("User name: nobody signs in as “%(name)s”.") % {"name": data["username"]})
            return redirect(back)
    buildings = [b for b in _compound_buildings(team) if b.pk in set(data["buildings"])]
    try:
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


@login_required
def person(request, pk: int):
    """Every role a resident holds."""
    roles = selectors.person_roles(user=request.user, resident_pk=pk)
    resident = roles.resident
    teams = [t for t in selectors.team_list(user=request.user) if resident.path.startswith(t.path)
             and selectors.can_manage(request.user, t.path)]
    can_register = not any(m.is_active for m in roles.memberships) and selectors.can_manage(request.user,
                                                                                            resident.path)
    return render(request, "org/person.html", {
        "roles": roles,
        "membership_form": MembershipForm() if can_register else None,
        "resident": resident,
        "trail": ancestors(resident.unit) + [resident.unit],
        "teams": teams,
    })


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
