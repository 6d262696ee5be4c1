"""Reading the metrics: always from the rollups, always within the user's scope (rows carry the path of their
building, compound or community). Rates are ``None`` when their denominator is zero (shown as “—”, never as 0 %).

A slice is one ``SUM … GROUP BY`` on the coarsest rollup level that answers it exactly (:func:`level_for`, over
:data:`LEVELS`): by month or category, the community level for readers at a community or above, the compound level
for a compound's; by handler the handler level; by building or grid, and for readers inside a compound (grid
workers, building group leaders), the building level; any other combination (a category *and* a building…) the
detail level.
"""

import datetime as dt
import re
from dataclasses import dataclass, field

from django.db.models import QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from linli.core.scope import scope_paths, scope_q
from linli.metrics.models import (
    BUCKETS,
    COUNTS,
    HOUR_EDGES,
    BuildingRollup,
    CommunityRollup,
    CompoundRollup,
    HandlerRollup,
    MonthlyRollup,
    RollupState,
)

#: The dimensions a slice can be broken down by.
DIMENSIONS = {
    "month": _("Month"),
    "category": _("Category"),
    "grid": _("Grid"),
    "building": _("Building"),
    "handler": _("Handler"),
}

#: The rates: (key, label, numerator, denominator).
RATES = [
    ("response_rate", _("Response rate"), "responded_on_time", "valid"),
    ("resolution_rate", _("Resolution rate"), "closed", "valid"),
    ("satisfaction_rate", _("Satisfaction rate"), "satisfied", "rated"),
    ("on_time_rate", _("On-time rate"), "closed_on_time", "closed"),
    ("rework_rate", _("Rework rate"), "reworked", "closed"),
    ("settled_inside_rate", _("Settled inside the compound"), "settled_inside", "closed"),
]


def percentile(hist: list[int], p: float) -> float | None:
    """The ``p``-th quantile (0–1) in hours of a time-to-close histogram, interpolated inside its bucket."""
    total = sum(hist)
    if not total:
        return None
    target = p * total
    seen = 0
    for i, n in enumerate(hist):
        if n and seen + n >= target:
            lower = HOUR_EDGES[i - 1] if i > 0 else 0
            if i >= len(HOUR_EDGES):
                return float(lower)
            upper = HOUR_EDGES[i]
            return lower + (upper - lower) * (target - seen) / n
        seen += n
    return float(HOUR_EDGES[-1])


@dataclass
class Figures:
    """The counts of a slice and what is computed from them."""

    label: str = ""
    key: object = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTS, 0))
    hist: list[int] = field(default_factory=lambda: [0] * len(BUCKETS))

    @classmethod
    def of(cls, row: dict, key: object = None) -> "Figures":
        """The figures of one summed row (a dict with every count and bucket)."""
        return cls(key=key, counts={name: row[name] or 0 for name in COUNTS},
                   hist=[row[name] or 0 for name in BUCKETS])

    def add(self, other: "Figures") -> None:
        for name in COUNTS:
            self.counts[name] += other.counts[name]
        self.hist = [a + b for a, b in zip(self.hist, other.hist, strict=True)]

    def rate(self, key: str) -> float | None:
        for k, _label, num, den in RATES:
            if k == key:
                return self.counts[num] / self.counts[den] if self.counts[den] else None
        raise KeyError(key)

    @property
    def rates(self) -> dict[str, float | None]:
        return {k: self.rate(k) for k, *_rest in RATES}

    @property
    def rate_values(self) -> list[float | None]:
        """The rates in the order of :data:`RATES` (a table row)."""
        counts = self.counts
        return [counts[num] / counts[den] if counts[den] else None for _k, _label, num, den in RATES]

    @property
    def median_hours(self) -> float | None:
        return percentile(self.hist, 0.5)

    @property
    def p90_hours(self) -> float | None:
        return percentile(self.hist, 0.9)

    def as_dict(self) -> dict:
        return {"label": self.label, **self.counts, **self.rates, "median_hours": self.median_hours,
                "p90_hours": self.p90_hours}


@dataclass(frozen=True)
class Level:
    """A rollup level: its table, the dimensions and filters it keeps, and the kinds of scope place it answers for
    exactly (each row lies wholly inside or wholly outside such a scope — a compound's row is never split between
    two grid workers)."""

    name: str
    model: type
    dimensions: frozenset
    filters: frozenset
    scope_kinds: frozenset


# Below a building (no staff role is held there) a building's row would be left out whole: never shown too much.
_ANY = frozenset({"city", "district", "street", "community", "compound", "building", "entrance", "unit"})
_COMPOUND_OR_ABOVE = frozenset({"city", "district", "street", "community", "compound"})
_COMMUNITY_OR_ABOVE = _COMPOUND_OR_ABOVE - {"compound"}
#: Coarsest first; the last one (the detail) answers everything.
LEVELS = [
    Level("community", CommunityRollup, frozenset({"month", "category"}), frozenset({"category_id"}),
          _COMMUNITY_OR_ABOVE),
    Level("compound", CompoundRollup, frozenset({"month", "category"}), frozenset({"category_id"}),
          _COMPOUND_OR_ABOVE),
    Level("handler", HandlerRollup, frozenset({"month", "handler"}), frozenset(), _COMPOUND_OR_ABOVE),
    Level("building", BuildingRollup, frozenset({"month", "building", "grid"}), frozenset({"building_id"}), _ANY),
    Level("detail", MonthlyRollup, frozenset(DIMENSIONS), frozenset({"category_id", "building_id"}), _ANY),
]
#: The column each dimension groups by (a grid is a set of buildings: grouped by building, then folded).
GROUP_BY = {"month": "month", "category": "category_id", "building": "building_id", "grid": "building_id",
            "handler": "handler_id"}


def scope_kinds(user) -> frozenset:
    """The kinds of place of the user's scope paths (one query, kept on the user object)."""
    cached = getattr(user, "_linli_scope_kinds", None)
    if cached is None:
        from linli.places.models import Place

        paths = scope_paths(user)
        kinds = dict(Place.objects.filter(path__in=paths).values_list("path", "kind")) if paths else {}
        # A scope path that is no place (cannot happen today) makes no level but the finest one safe.
        cached = frozenset(kinds.values()) if paths and len(kinds) == len(paths) else frozenset({"unknown"})
        user._linli_scope_kinds = cached
    return cached


def level_for(*, user, by: str, category_id: int | None = None, building_id: int | None = None) -> Level:
    """The coarsest level that answers a slice by ``by`` (with those filters) for ``user`` exactly."""
    kinds = scope_kinds(user)
    used = {name for name, value in (("category_id", category_id), ("building_id", building_id)) if value}
    for level in LEVELS:
        if by in level.dimensions and used <= level.filters and kinds <= level.scope_kinds:
            return level
    return LEVELS[-1]


def rollups(*, user, level: Level | None = None, start: dt.date | None = None, end: dt.date | None = None,
            category_id: int | None = None, building_id: int | None = None) -> QuerySet:
    """The rollup rows of ``level`` (the detail level by default) in ``user``'s scope, for months ``start``..``end``
    (first days, inclusive)."""
    model = (level or LEVELS[-1]).model
    qs = model.objects.filter(scope_q(user, "path"))
    if start:
        qs = qs.filter(month__gte=start)
    if end:
        qs = qs.filter(month__lte=end)
    if category_id:
        qs = qs.filter(category_id=category_id)
    if building_id:
        qs = qs.filter(building_id=building_id)
    return qs


def _labels(*, user, by: str, keys: list) -> dict:
    from linli.accounts.models import User
    from linli.cases.models import Category
    from linli.places.models import Place

    if by == "month":
        return {k: k.strftime("%Y-%m") for k in keys}
    if by == "category":
        return {c.pk: c.name for c in Category.objects.filter(pk__in=keys)}
    if by == "building":
        rows = list(Place.objects.filter(pk__in=keys).values_list("pk", "name", "compound_id", "compound__name"))
        # Every compound has its 1号楼: past one compound, a building is named with its compound.
        several = len({compound for _pk, _name, compound, _cname in rows}) > 1
        return {pk: f"{cname} {name}" if several and cname else name for pk, name, _c, cname in rows}
    return {pk: display or username for pk, display, username in
            User.objects.filter(pk__in=keys).values_list("pk", "display_name", "username")}


def _fold_into_grids(*, user, groups: dict) -> tuple[dict, dict]:
    """Building groups → grid groups (a building's current grid; a building of no grid is "outside any grid")."""
    from linli.places.models import Grid

    memberships = Grid.buildings.through.objects.filter(scope_q(user, "place__path")).values_list(
        "place_id", "grid_id", "grid__name")
    grid_of, names = {}, {}
    for place_id, grid_id, name in memberships:
        grid_of[place_id] = grid_id
        names[grid_id] = name
    grids: dict = {}
    for building_id, figures in groups.items():
        grids.setdefault(grid_of.get(building_id), Figures()).add(figures)
    return grids, names


def _groups(*, user, by: str, **filters) -> tuple[Level, dict]:
    """The summed figures of the slice per value of ``by``'s column: one grouped query."""
    level = level_for(user=user, by=by, category_id=filters.get("category_id"),
                      building_id=filters.get("building_id"))
    column = GROUP_BY[by]
    sums = {name: Sum(name) for name in (*COUNTS, *BUCKETS)}
    rows = rollups(user=user, level=level, **filters).values(column).annotate(**sums).order_by()
    return level, {row[column]: Figures.of(row) for row in rows}


def _breakdown(*, user, by: str, groups: dict) -> tuple[Figures, list[Figures]]:
    total = Figures(label=str(_("Total")))
    for figures in groups.values():
        total.add(figures)
    if by == "grid":
        groups, names = _fold_into_grids(user=user, groups=groups)
    else:
        names = _labels(user=user, by=by, keys=[k for k in groups if k is not None])
    none_label = {"building": _("Public spots"), "grid": _("Outside any grid"), "handler": _("Not assigned")}
    out = []
    for key, figures in groups.items():
        figures = Figures(key=key, counts=dict(figures.counts), hist=list(figures.hist))
        figures.label = names.get(key, "") if key is not None else str(none_label.get(by, "—"))
        out.append(figures)
    out.sort(key=lambda f: (f.key is None, str(f.key) if by == "month" else _in_number_order(f.label)))
    return total, out


def _in_number_order(label: str) -> list:
    """A sort key that puts 2号楼 before 10号楼 (numbers inside a name compared as numbers)."""
    return [(0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", label) if part]


def breakdown(*, user, by: str, **filters) -> tuple[Figures, list[Figures]]:
    """The total of the slice and its rows broken down by ``by`` (one of :data:`DIMENSIONS`): one grouped query on
    the coarsest level that answers it, one for the labels."""
    _level, groups = _groups(user=user, by=by, **filters)
    return _breakdown(user=user, by=by, groups=groups)


def breakdowns(*, user, dimensions, **filters) -> dict[str, tuple[Figures, list[Figures]]]:
    """:func:`breakdown` by each of ``dimensions``; slices grouped by the same column of the same level (a grid is
    its buildings) share one query."""
    seen: dict = {}
    out = {}
    for by in dimensions:
        level = level_for(user=user, by=by, category_id=filters.get("category_id"),
                          building_id=filters.get("building_id"))
        key = (level.name, GROUP_BY[by])
        if key not in seen:
            seen[key] = _groups(user=user, by=by, **filters)[1]
        out[by] = _breakdown(user=user, by=by, groups=seen[key])
    return out


#: Past this many buildings in scope (a street, a district) the dashboard offers no building list to filter by:
#: nobody picks one of thousands of 1号楼 from a list; a building's figures are a breakdown by building.
MAX_BUILDING_CHOICES = 300


def building_choices(*, user) -> list[tuple[int, str]]:
    """``(pk, name)`` of the buildings in scope for the building filter, named with their compound when there are
    several; empty when there are more than :data:`MAX_BUILDING_CHOICES` (one query)."""
    from django.db.models.functions import Length

    from linli.places.models import Place, PlaceKind

    rows = list(Place.objects.filter(scope_q(user), kind=PlaceKind.BUILDING)
                .order_by("compound__path", Length("code"), "code")
                .values_list("pk", "name", "compound_id", "compound__name")[:MAX_BUILDING_CHOICES + 1])
    if len(rows) > MAX_BUILDING_CHOICES:
        return []
    several = len({compound for _pk, _name, compound, _cname in rows}) > 1
    return [(pk, f"{cname} {name}" if several and cname else name) for pk, name, _c, cname in rows]


def refreshed_at():
    state = RollupState.objects.first()
    return state.refreshed_at if state else None
