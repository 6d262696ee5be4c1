"""Register pages: thin — parse the request, load within scope, render."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from linli.accounts.permissions import (
    ISSUE_INVITATIONS,
    SENSITIVE_TAGS,
    has_perm,
    may_reveal,
    may_see_sensitive_tags,
    two_factor_verified,
)
from linli.accounts.services import personal_data_reveal, resident_view_record
from linli.core.pagination import paginate
from linli.places import selectors
from linli.places.models import Occupancy, Tag

#: Filters offered on the resident search besides the stored tags.
COMPUTED_TAGS = [("aged_80_plus", _("Aged 80+")), ("care", _("Care roster (80+, alone, disabled, ill)"))]


def _tag_context(user) -> dict:
    """What templates need to hide the sensitive tags (health, disability) from roles that may not see them."""
    return {"hidden_tags": [] if may_see_sensitive_tags(user) else SENSITIVE_TAGS}


@login_required
def building_detail(request, pk: int):
    building = selectors.get_building_for_user(user=request.user, pk=pk)
    rows, counts = selectors.building_grid(building=building)
    return render(request, "places/building_detail.html", {
        "building": building,
        "trail": selectors.ancestors(building),
        "rows": rows,
        "counts": [(Occupancy(k), v) for k, v in counts.items()],
        "may_issue_invitations": has_perm(request.user, ISSUE_INVITATIONS),
    })


@login_required
def unit_detail(request, pk: int):
    unit = selectors.get_unit_for_user(user=request.user, pk=pk)
    return render(request, "places/unit_detail.html", {
        "unit": unit,
        "trail": selectors.ancestors(unit),
        "households": selectors.unit_households(unit=unit),
        "merchants": list(selectors.merchant_list(user=request.user, active=None).filter(unit=unit)),
        "may_issue_invitations": has_perm(request.user, ISSUE_INVITATIONS),
        **_tag_context(request.user),
    })


@login_required
def resident_list(request):
    """Resident search: by name, mobile phone or ID number, narrowed by tag and building."""
    q = request.GET.get("q", "").strip()
    tag = request.GET.get("tag", "")
    hidden = _tag_context(request.user)["hidden_tags"]
    if tag in hidden:  # filtering by a tag one may not see would show it all the same
        tag = ""
    building = None
    if request.GET.get("building", "").isdigit():
        building = selectors.get_building_for_user(user=request.user, pk=int(request.GET["building"]))
    current = {"": True, "all": None, "former": False}.get(request.GET.get("status", ""), True)
    residents = selectors.resident_search(user=request.user, q=q, tag=tag, building=building, current=current)
    page = paginate(request, residents)
    context = {
        "page": page,
        "q": q,
        "tag": tag,
        "status": request.GET.get("status", ""),
        "building": building,
        "buildings": selectors.building_list(user=request.user).only("pk", "name"),
        "tags": COMPUTED_TAGS + [(v, label) for v, label in Tag.choices if v not in hidden],
        "hidden_tags": hidden,
    }
    if request.htmx:
        return render(request, "places/resident_list.html#results", context)
    return render(request, "places/resident_list.html", context)


@login_required
def resident_detail(request, pk: int):
    resident = selectors.get_resident_for_user(user=request.user, pk=pk)
    resident_view_record(actor=request.user, resident=resident)  # the resident can see who looked
    return render(request, "places/resident_detail.html", {
        "resident": resident,
        "trail": selectors.ancestors(resident.unit) + [resident.unit],
        "may_reveal": may_reveal(request.user),
        "two_factor_ok": two_factor_verified(request),
        **_tag_context(request.user),
    })


@login_required
@require_POST
def resident_reveal(request, pk: int):
    """The plaintext ID and phone numbers (an HTMX swap): needs the reveal permission and a session verified with
    a two-factor code; every reveal is recorded (``personal_data.revealed``)."""
    resident = selectors.get_resident_for_user(user=request.user, pk=pk)
    if not may_reveal(request.user):
        raise PermissionDenied
    if not two_factor_verified(request):
        return render(request, "places/resident_detail.html#reveal_needs_2fa", {"resident": resident}, status=403)
    numbers = personal_data_reveal(actor=request.user, resident=resident)
    return render(request, "places/resident_detail.html#revealed", {"resident": resident, "numbers": numbers})


@login_required
def merchant_list(request):
    q = request.GET.get("q", "").strip()
    trade = request.GET.get("trade", "")
    merchants = selectors.merchant_list(user=request.user, q=q, trade=trade)
    return render(request, "places/merchant_list.html", {
        "page": paginate(request, merchants),
        "q": q,
        "trade": trade,
        "trades": selectors.merchant_trades(user=request.user),
    })


@login_required
def grid_list(request):
    return render(request, "places/grid_list.html", {"grids": selectors.grid_list(user=request.user)})
