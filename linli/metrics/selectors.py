"""Reading the metrics: always from the rollups, always within the user's scope (rows carry a building's or a
compound's path). Rates are ``None`` when their denominator is zero (shown as “—”, never as 0 %)."""

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from linli.core.scope import scope_q
from linli.metrics.models import HOUR_EDGES, MonthlyRollup, RollupState
from linli.metrics.services import COUNTS

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
    hist: list[int] = field(default_factory=lambda: [0] * (len(HOUR_EDGES) + 1))

    def add(self, row: dict) -> None:
        for name in COUNTS:
            self.counts[name] += row[name]
        for i, n in enumerate(row["close_hours"] or []):
            self.hist[i] += n

    def rate(self, key: str) -> float | None:
        for k, _label, num, den in RATES:
            if k == key:
                return self.counts[num] / self.counts[den] if self.counts[den] else None
        raise KeyError(key)

    @property
    def rates(self) -> dict[str, float | None]:
        return {k: self.rate(k) for k, *_rest in RATES}

    @property
    def median_hours(self) -> float | None:
        return percentile(self.hist, 0.5)

    @property
    def p90_hours(self) -> float | None:
        return percentile(self.hist, 0.9)

    def as_dict(self) -> dict:
        return {"label": self.label, **self.counts, **self.rates, "median_hours": self.median_hours,
                "p90_hours": self.p90_hours}


def rollups(*, user, start: dt.date | None = None, end: dt.date | None = None, category_id: int | None = None,
            building_id: int | None = None) -> QuerySet[MonthlyRollup]:
    """The rollup rows in ``user``'s scope, for months ``start``..``end`` (first days, inclusive)."""
    qs = MonthlyRollup.objects.filter(scope_q(user, "path"))
    if start:
        qs = qs.filter(month__gte=start)
    if end:
        qs = qs.filter(month__lte=end)
    if category_id:
        qs = qs.filter(category_id=category_id)
    if building_id:
        qs = qs.filter(building_id=building_id)
    return qs


VALUES = ("month", "category_id", "building_id", "handler_id", "close_hours", *COUNTS)


def breakdown(*, user, by: str, **filters) -> tuple[Figures, list[Figures]]:
    """The total of the slice and its rows broken down by ``by`` (one of :data:`DIMENSIONS`), in a few queries."""
    from linli.accounts.models import User
    from linli.cases.models import Category
    from linli.places.models import Grid, Place

    rows = list(rollups(user=user, **filters).values(*VALUES))
    total = Figures(label=str(_("Total")))
    groups: dict[object, Figures] = defaultdict(Figures)
    grid_of: dict[int, int] = {}
    if by == "grid":
        building_ids = {r["building_id"] for r in rows if r["building_id"]}
        for grid_id, place_id in Grid.buildings.through.objects.filter(place_id__in=building_ids).values_list(
                "grid_id", "place_id"):
            grid_of[place_id] = grid_id
    for row in rows:
        total.add(row)
        key = {"month": row["month"], "category": row["category_id"], "building": row["building_id"],
               "handler": row["handler_id"], "grid": grid_of.get(row["building_id"])}[by]
        groups[key].add(row)
    keys = [k for k in groups if k is not None]
    if by == "month":
        names = {k: k.strftime("%Y-%m") for k in keys}
    elif by == "category":
        names = {c.pk: c.name for c in Category.objects.filter(pk__in=keys)}
    elif by == "building":
        names = {p.pk: p.name for p in Place.objects.filter(pk__in=keys)}
    elif by == "grid":
        names = {g.pk: g.name for g in Grid.objects.filter(pk__in=keys)}
    else:
        names = {u.pk: str(u) for u in User.objects.filter(pk__in=keys)}
    none_label = {"building": _("Public spots"), "grid": _("Outside any grid"), "handler": _("Not assigned")}
    out = []
    for key, figures in groups.items():
        figures.key = key
        figures.label = names.get(key, "") if key is not None else str(none_label.get(by, "—"))
        out.append(figures)
    out.sort(key=lambda f: (f.key is None, str(f.key) if by == "month" else f.label))
    return total, out


def refreshed_at():
    state = RollupState.objects.first()
    return state.refreshed_at if state else None
