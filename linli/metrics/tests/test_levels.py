"""The three rollup levels agree with a count of the raw cases over the demo year, each reader gets the coarsest
level that is exact for their scope, and an incremental refresh rebuilds only what changed."""

import datetime as dt
from collections import defaultdict

import pytest
from django.utils import timezone

from linli.cases.models import Case, Feedback, Level, Rating, State
from linli.cases.services import case_transition
from linli.metrics.models import (
    BUCKETS,
    COUNTS,
    BuildingRollup,
    CommunityRollup,
    CompoundRollup,
    HandlerRollup,
    MonthlyRollup,
)
from linli.metrics.selectors import breakdown, level_for, percentile
from linli.metrics.services import bucket, month_start, rollup_refresh

pytestmark = pytest.mark.django_db


def raw_figures(cases) -> dict:
    """(month, category) → the counts and histogram of ``cases``, computed here in Python from each case's fields:
    the definitions of docs/metrics.md, written apart from the SQL of the refresh."""
    first = {}
    for case_id, rating in Feedback.objects.filter(case__in=cases).order_by("-at", "-id").values_list("case_id",
                                                                                                      "rating"):
        first[case_id] = rating  # the earliest one is written last
    out: dict = defaultdict(lambda: {**dict.fromkeys(COUNTS, 0), "hist": [0] * len(BUCKETS)})
    for case in cases:
        row = out[(month_start(case.created_at), case.category_id)]
        valid = case.state not in (State.REJECTED, State.MERGED)
        closed = case.state == State.CLOSED
        row["reported"] += 1
        row["valid"] += valid
        row["responded_on_time"] += valid and case.responded_at is not None and (
            case.response_due_at is None or case.responded_at <= case.response_due_at)
        row["closed"] += closed
        row["closed_on_time"] += closed and case.resolved_at is not None and (
            case.resolution_due_at is None or case.resolved_at <= case.resolution_due_at)
        row["rated"] += case.pk in first
        row["satisfied"] += first.get(case.pk) in (Rating.SATISFIED, Rating.BASIC)
        row["reworked"] += closed and case.reopen_count > 0
        row["settled_inside"] += closed and case.level in (Level.BUILDING, Level.COMPOUND)
        if closed and case.closed_at:
            row["hist"][bucket((case.closed_at - case.created_at).total_seconds() / 3600)] += 1
    return dict(out)


def rollup_figures(model, **filters) -> dict:
    out: dict = defaultdict(lambda: {**dict.fromkeys(COUNTS, 0), "hist": [0] * len(BUCKETS)})
    has_category = any(f.name == "category" for f in model._meta.fields)
    for row in model.objects.filter(**filters).values("month", *(["category_id"] if has_category else []), *COUNTS,
                                                      *BUCKETS):
        figures = out[(row["month"], row.get("category_id"))]
        for name in COUNTS:
            figures[name] += row[name]
        figures["hist"] = [a + row[b] for a, b in zip(figures["hist"], BUCKETS, strict=True)]
    return dict(out)


def test_every_level_equals_the_raw_cases_over_the_demo_year(demo):
    rollup_refresh(full=True)
    raw = raw_figures(list(Case.objects.filter(compound=demo)))
    assert sum(f["reported"] for f in raw.values()) >= 300  # the demo's year of cases, in many months
    assert len({month for month, _c in raw}) >= 12
    assert sum(f["rated"] for f in raw.values()) > sum(f["satisfied"] for f in raw.values()) > 0
    assert rollup_figures(MonthlyRollup, compound=demo) == raw
    assert rollup_figures(CompoundRollup, compound=demo) == raw
    # The demo's community holds the demo compound only.
    assert rollup_figures(CommunityRollup, community=demo.parent) == raw
    # The levels without a category agree with the raw figures of each month.
    by_month = {}
    for (month, _category), figures in raw.items():
        into = by_month.setdefault((month, None), {**dict.fromkeys(COUNTS, 0), "hist": [0] * len(BUCKETS)})
        for name in COUNTS:
            into[name] += figures[name]
        into["hist"] = [a + b for a, b in zip(into["hist"], figures["hist"], strict=True)]
    assert rollup_figures(BuildingRollup, compound=demo) == by_month
    assert rollup_figures(HandlerRollup, compound=demo) == by_month


def test_readers_get_the_coarsest_exact_level_and_the_same_figures(secretary, branch, grid1, demo):
    rollup_refresh(full=True)
    def level(user, by, **filters):
        return level_for(user=user, by=by, **filters).name

    assert level(secretary, "month") == level(secretary, "category") == "community"
    assert level(secretary, "month", category_id=1) == "community"
    assert level(branch, "month") == level(branch, "category", category_id=1) == "compound"
    assert level(secretary, "handler") == level(branch, "handler") == "handler"
    assert level(secretary, "building") == level(secretary, "grid") == level(secretary, "month", building_id=1) \
        == "building"
    # A grid is some buildings of a compound: its worker reads buildings, never a compound's sums.
    assert level(grid1, "month") == level(grid1, "grid") == "building"
    assert level(grid1, "category") == level(grid1, "handler") == "detail"
    assert level(secretary, "handler", category_id=1) == level(secretary, "building", category_id=1) == "detail"
    assert level(branch, "category", building_id=1) == "detail"

    start = month_start(timezone.now() - dt.timedelta(days=400))
    by_level = {}
    for user in (secretary, branch):
        for by in ("month", "category", "handler", "building", "grid"):
            total, rows = breakdown(user=user, by=by, start=start)
            by_level[(user.username, by)] = total
            assert sum(r.counts["reported"] for r in rows) == total.counts["reported"]
    raw = raw_figures(list(Case.objects.filter(compound=demo, created_at__gte=timezone.make_aware(
        dt.datetime.combine(start, dt.time.min)))))
    counts = {name: sum(f[name] for f in raw.values()) for name in COUNTS}
    hist = [sum(column) for column in zip(*(f["hist"] for f in raw.values()), strict=True)]
    for total in by_level.values():
        assert (total.counts, total.hist) == (counts, hist)
    # A grid worker's figures are their grid's buildings only: fewer cases than the compound's.
    assert 0 < breakdown(user=grid1, by="month", start=start)[0].counts["reported"] < counts["reported"]


def test_medians_come_from_the_summed_buckets(secretary, demo):
    rollup_refresh(full=True)
    total, rows = breakdown(user=secretary, by="category")
    hours = sorted((c.closed_at - c.created_at).total_seconds() / 3600
                   for c in Case.objects.filter(compound=demo, state=State.CLOSED))
    exact = hours[len(hours) // 2]
    assert total.median_hours == percentile(total.hist, 0.5)
    # Interpolated inside the bucket of the exact median.
    assert bucket(total.median_hours) in (bucket(exact) - 1, bucket(exact), bucket(exact) + 1)


def test_an_incremental_refresh_rebuilds_only_the_changed_month_of_the_changed_compound(reported_case, branch,
                                                                                        secretary, demo):
    first = timezone.now() - dt.timedelta(minutes=10)
    rollup_refresh(full=True, now=first)
    month = month_start(timezone.now())
    before = breakdown(user=secretary, by="month", start=month, end=month)[0]
    case_transition(actor=branch, case=reported_case("3"), action="reject", note="not ours")
    later = timezone.now()
    assert rollup_refresh(now=later) == [month]
    after = breakdown(user=secretary, by="month", start=month, end=month)[0]
    assert after.counts["reported"] == before.counts["reported"] + 1
    assert after.counts["valid"] == before.counts["valid"]  # rejected: reported, not valid
    for model in (MonthlyRollup, BuildingRollup, HandlerRollup, CompoundRollup, CommunityRollup):
        assert set(model.objects.filter(month=month).values_list("refreshed_at", flat=True)) == {later}
        assert set(model.objects.exclude(month=month).values_list("refreshed_at", flat=True)) == {first}


def test_a_second_compound_is_refreshed_alone_and_summed_into_its_community(reported_case, secretary, branch, demo):
    from linli.places.models import PlaceKind
    from linli.places.services import place_create

    Case.objects.update(updated_at=timezone.now() - dt.timedelta(hours=1))  # the demo's cases changed long ago
    first = timezone.now() - dt.timedelta(minutes=10)
    rollup_refresh(full=True, now=first)
    month = month_start(timezone.now())
    other = place_create(actor=None, parent=demo.parent, kind=PlaceKind.COMPOUND, code="HX", name="海星花园")
    tower = place_create(actor=None, parent=other, kind=PlaceKind.BUILDING, code="1", name="1号楼")
    reported_case(place=tower)
    later = timezone.now()
    assert rollup_refresh(now=later) == [month]
    # Only the changed compound's rows (and its community's) were rebuilt.
    assert set(CompoundRollup.objects.filter(compound=demo).values_list("refreshed_at", flat=True)) == {first}
    assert set(CompoundRollup.objects.filter(compound=other).values_list("refreshed_at", flat=True)) == {later}
    assert set(CommunityRollup.objects.filter(month=month).values_list("refreshed_at", flat=True)) == {later}
    community = breakdown(user=secretary, by="month", start=month, end=month)[0]
    compound = breakdown(user=branch, by="month", start=month, end=month)[0]
    assert community.counts["reported"] == compound.counts["reported"] + 1
    # Past one compound, buildings are named with their compound.
    labels = {f.label for f in breakdown(user=secretary, by="building", start=month, end=month)[1]}
    assert "海星花园 1号楼" in labels


def test_the_first_refresh_after_the_migration_is_a_full_one(demo):
    """Migration 0003 forgets the last refresh: the next one (the sweep's) rebuilds every month, new columns too."""
    from linli.metrics.models import RollupState

    rollup_refresh(full=True)
    MonthlyRollup.objects.update(h_over=0, reported=0)  # what rows from before the migration could look like
    RollupState.objects.update(refreshed_at=None)
    months = rollup_refresh()
    assert len(months) >= 12
    assert rollup_figures(MonthlyRollup, compound=demo) == raw_figures(list(Case.objects.filter(compound=demo)))
