"""The compound at a glance: figures computed live from the register. Reads only."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _

from linli.accounts.permissions import IMPORT_REGISTER, has_perm
from linli.core.scope import in_scope
from linli.places import selectors


@login_required
def home(request):
    """One compound in reach → its overview; several → the list with their figures."""
    compounds = list(selectors.compound_list(user=request.user)[:200])
    if len(compounds) == 1:
        return redirect("overview:compound", pk=compounds[0].pk)
    figures = selectors.compound_figures(user=request.user, compounds=compounds)
    return render(request, "overview/home.html", {"rows": [(c, figures[c.pk]) for c in compounds]})


#: The overview's figure cards: key, label, what it counts (docs/register.md says the same at more length).
FIGURE_CARDS = [
    ("buildings", _("Buildings"), _("buildings of the compound")),
    ("units", _("Units"), _("dwelling units (shops not included)")),
    ("resident_households", _("Resident households"), _("dwellings lived in: owner-occupied + rented")),
    ("rented_units", _("Rented units"), _("dwellings let to tenants (part of the resident households)")),
    ("vacant_units", _("Vacant units"), _("dwellings nobody lives in")),
    ("merchants", _("Merchants"), _("businesses trading from the shop units")),
    ("grids", _("Grids"), _("grids with a grid worker")),
    ("residents", _("Residents"), _("people living here now")),
    ("care_roster", _("Care roster"), _("aged 80+, living alone, disabled or chronically ill")),
    ("area_m2", _("Land area (m²)"), _("about")),
    ("built_year", _("Built"), _("year")),
]


def figure_cards(figures: dict) -> list[tuple]:
    cards = []
    for key, label, help_text in FIGURE_CARDS:
        value = figures.get(key)
        if key == "area_m2" and value is not None:
            value = f"{round(value):,}"
        cards.append((key, value if value is not None else "—", label, help_text))
    return cards


@login_required
def compound_detail(request, pk: int):
    compound = selectors.get_compound_for_user(user=request.user, pk=pk)
    figures = selectors.compound_figures(user=request.user, compounds=[compound])[compound.pk]
    return render(request, "overview/compound_detail.html", {
        "compound": compound,
        "trail": selectors.ancestors(compound),
        "figure_cards": figure_cards(figures),
        "can_import": in_scope(request.user, compound.path) and has_perm(request.user, IMPORT_REGISTER),
        "buildings": selectors.building_list(user=request.user, compound=compound),
        "grids": [g for g in selectors.grid_list(user=request.user) if g.compound_id == compound.pk],
    })
