"""Does the closed loop stay as fast for one compound's staff when the city's cases grow?

Builds a fresh database (``test_<name>`` of ``DATABASE_URL``; PostgreSQL), loads the demo (with its year of cases),
then fills it with synthetic cases of other compounds in two steps — ``--small`` cases, then ``--cases`` — and
measures, each as a ratio to a baseline measured in the same run (a noisy shared machine moves both sides alike):

1. **intake**: ``POST /api/v1/cases/`` (a staff member enters a case: validation, routing, deadlines, number,
   event, audit, notification) vs a minimal endpoint that parses JSON and writes three rows in one transaction.
   Target: the API reaches ≥ 60 % of the minimal endpoint's throughput.
2. **staff queues and the case page**: p95 at ``--cases`` vs at ``--small``. Target ≤ 1.2×, ≤ 10 queries each.
3. **dashboard**: the figures of every month read from the rollups vs the same figures aggregated from the raw
   cases. Target: ≤ ¼ of the time. The rollups are at most as old as the sweep's period (5 minutes); the time of an
   incremental refresh is reported too.

The full run is Qingdao: 4 M households and 10 M cases (``--cases 10000000``, hours and ~40 GB of disk). CI does
not run it; ``docs/bench.md`` has the figures of a small run and the scale used.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli \
        .venv/bin/python bench/cases_bench.py --small 20000 --cases 200000
"""

import argparse
import datetime as dt
import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
os.environ.setdefault("LINLI_TASKS", "immediate")

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment  # noqa: E402

BATCH = 5000


def measure(client, url, repeats, headers=None):
    """p50/p95 in ms and the query count of GET ``url``."""
    headers = headers or {}
    for _ in range(5):
        client.get(url, **headers)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        response = client.get(url, **headers)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, (url, response.status_code)
    with CaptureQueriesContext(connection) as ctx:
        client.get(url, **headers)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[max(int(len(times) * 0.95) - 1, 0)], "queries": len(ctx)}


def timed(fn, repeats):
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50": statistics.median(times), "p95": times[max(int(len(times) * 0.95) - 1, 0)]}


def other_buildings(n_compounds: int):
    """Compounds of 10 buildings (no units: the cases hang on buildings) beside the demo's, under its street."""
    from linli.places.demo import demo_compound
    from linli.places.models import Place, PlaceKind

    demo = demo_compound()
    street = demo.parent.parent
    community = Place.objects.create(kind=PlaceKind.COMMUNITY, parent=street, code="BENCH", name="基准社区",
                                     path=f"{street.path}BENCH/", depth=street.depth + 1)
    buildings = []
    for c in range(n_compounds):
        compound = Place.objects.create(kind=PlaceKind.COMPOUND, parent=community, code=f"B{c:05d}",
                                        name=f"基准小区{c:05d}", path=f"{community.path}B{c:05d}/",
                                        depth=community.depth + 1)
        Place.objects.filter(pk=compound.pk).update(compound=compound)
        rows = [Place(kind=PlaceKind.BUILDING, parent=compound, code=str(b), name=f"{b}号楼", compound=compound,
                      path=f"{compound.path}{b}/", depth=compound.depth + 1, floors=18) for b in range(1, 11)]
        buildings.extend(Place.objects.bulk_create(rows))
    Place.objects.filter(pk__in=[b.pk for b in buildings]).update(building_id=None)
    for b in buildings:
        b.building_id = b.pk
    Place.objects.bulk_update(buildings, ["building_id"], batch_size=BATCH)
    return buildings


def fill(buildings, count: int, start_number: int, seed: int) -> None:
    """``count`` synthetic cases of the last two years on ``buildings``, most of them closed, each with its
    submit / accept / close events (bulk inserts: this fills the tables, it does not exercise the services)."""
    from linli.cases.models import Case, CaseEvent, Category, State

    rng = random.Random(seed)
    categories = list(Category.objects.values_list("pk", flat=True))
    now = dt.datetime.now(dt.UTC)
    done = 0
    while done < count:
        n = min(BATCH, count - done)
        cases = []
        for i in range(n):
            b = rng.choice(buildings)
            created = now - dt.timedelta(minutes=rng.randint(60, 2 * 365 * 24 * 60))
            closed = created + dt.timedelta(hours=rng.expovariate(1 / 40))
            is_open = rng.random() < 0.03
            cases.append(Case(
                number=f"BN-{start_number + done + i:09d}", category_id=rng.choice(categories), title="基准案件",
                description="基准：楼道灯不亮", place_id=b.pk, compound_id=b.compound_id, path=b.path,
                reporter_name="某", channel="phone", state=State.IN_PROGRESS if is_open else State.CLOSED,
                level="compound", assigned_role="property_steward",
                response_due_at=created + dt.timedelta(hours=24), resolution_due_at=created + dt.timedelta(days=7),
                responded_at=created + dt.timedelta(hours=2), resolved_at=None if is_open else closed,
                closed_at=None if is_open else closed, rating="" if is_open else rng.choice(
                    ["satisfied", "satisfied", "basic", "not_satisfied"]),
                created_at=created, updated_at=closed if not is_open else created))
        Case.objects.bulk_create(cases, batch_size=BATCH)
        events = []
        for case in cases:
            events.append(CaseEvent(case=case, at=case.created_at, action="submit", to_state="submitted"))
            events.append(CaseEvent(case=case, at=case.created_at, action="accept", from_state="submitted",
                                    to_state="accepted"))
            if case.closed_at:
                events.append(CaseEvent(case=case, at=case.closed_at, action="close", from_state="resolved",
                                        to_state="closed"))
        CaseEvent.objects.bulk_create(events, batch_size=BATCH)
        done += n
        if done % 50000 < BATCH:
            print(f"  {done} cases", file=sys.stderr, flush=True)


def raw_dashboard(user):
    """The dashboard's month figures aggregated from the raw cases (one GROUP BY, in the database)."""
    from django.db.models import Count, Q
    from django.db.models.functions import TruncMonth

    from linli.cases.models import Case
    from linli.core.scope import scope_q

    closed = Q(state="closed")
    return list(Case.objects.filter(scope_q(user)).annotate(month=TruncMonth("created_at")).values("month").annotate(
        reported=Count("id"), valid=Count("id", filter=~Q(state__in=["rejected", "merged"])),
        responded=Count("id", filter=Q(responded_at__lte=django.db.models.F("response_due_at"))),
        closed=Count("id", filter=closed),
        on_time=Count("id", filter=closed & Q(resolved_at__lte=django.db.models.F("resolution_due_at"))),
        rated=Count("id", filter=closed & ~Q(rating="")),
        satisfied=Count("id", filter=closed & Q(rating__in=["satisfied", "basic"])),
        reworked=Count("id", filter=closed & Q(reopen_count__gt=0)),
        inside=Count("id", filter=closed & Q(level__in=["building", "compound"])),
    ).order_by("month"))


def intake(client, token, url, body_for, repeats):
    """Requests per second of POSTing ``repeats`` bodies to ``url``."""
    headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    for i in range(5):
        client.post(url, body_for(-i - 1), content_type="application/json", **headers,
                    HTTP_IDEMPOTENCY_KEY=f"warm-{url}-{i}")
    start = time.perf_counter()
    for i in range(repeats):
        response = client.post(url, body_for(i), content_type="application/json", **headers,
                               HTTP_IDEMPOTENCY_KEY=f"bench-{url}-{i}")
        assert response.status_code in (200, 201), (url, response.status_code, response.content[:300])
    return repeats / (time.perf_counter() - start)


def run(small: int, total: int, compounds: int, repeats: int) -> dict:
    from linli.accounts.models import User
    from linli.accounts.services import token_issue
    from linli.cases.models import Case, Category
    from linli.core.demo import ensure_demo
    from linli.metrics.selectors import breakdown
    from linli.metrics.services import rollup_refresh
    from linli.places.demo import demo_compound
    from linli.places.models import Place, PlaceKind

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    report: dict = {"database": connection.vendor, "small": small, "cases": total}
    try:
        started = time.perf_counter()
        ensure_demo()
        demo = demo_compound()
        branch, grid1 = (User.objects.get(username=u) for u in ("branch", "grid1"))
        # The dashboard is read by the street (every compound, the synthetic ones too), or the community's secretary.
        city_wide = User.objects.filter(username="street1").first() or User.objects.get(username="secretary")
        token = token_issue(actor=None, user=grid1, name="bench")[1]
        buildings = other_buildings(compounds)
        fill(buildings, small - Case.objects.count(), 0, seed=1)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        one_case = Case.objects.filter(path__startswith=demo.path).order_by("-id").first()
        staff = Client()
        staff.force_login(branch)
        grid_client = Client()
        grid_client.force_login(grid1)
        plan = {
            "queue: new (branch)": (staff, "/cases/queue/new/"),
            "queue: my team's (branch)": (staff, "/cases/queue/team/"),
            "queue: overdue (grid worker)": (grid_client, "/cases/queue/overdue/"),
            "case page": (staff, f"/cases/{one_case.pk}/"),
            "API case list": (grid_client, "/api/v1/cases/?limit=50"),
        }
        before = {label: measure(c, url, repeats) for label, (c, url) in plan.items()}
        report["size_small"] = Case.objects.count()

        fill(buildings, total - Case.objects.count(), 10_000_000, seed=2)
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE")
        report["size_large"] = Case.objects.count()
        report["fill_seconds"] = round(time.perf_counter() - started, 1)
        after = {label: measure(c, url, repeats) for label, (c, url) in plan.items()}
        report["pages"] = {label: {
            "p95_ms_small": round(before[label]["p95"], 2), "p95_ms_large": round(after[label]["p95"], 2),
            "ratio_p95": round(after[label]["p95"] / before[label]["p95"], 2),
            "queries": [before[label]["queries"], after[label]["queries"]]} for label in plan}

        # 1. intake through the API vs the minimal three-row endpoint
        category = Category.objects.filter(is_active=True).first()
        units = list(Place.objects.filter(kind=PlaceKind.UNIT, building__code__in=["1", "2"],
                                          compound=demo).values_list("pk", flat=True)[:200])

        def body(i):
            return {"category": category.code, "place_id": units[i % len(units)],
                    "description": f"基准来电 {i}：楼道灯不亮", "reporter_name": "王女士", "channel": "phone"}

        with override_settings(ROOT_URLCONF="bench.cases_urls"):
            client = Client()
            api_rate = intake(client, token, "/api/v1/cases/", body, repeats * 5)
            minimal_rate = intake(client, token, "/bench/minimal/", body, repeats * 5)
        report["intake"] = {"api_per_s": round(api_rate, 1), "minimal_per_s": round(minimal_rate, 1),
                            "ratio": round(api_rate / minimal_rate, 3), "target": ">= 0.6"}

        # 3. dashboard from rollups vs the raw aggregate
        t0 = time.perf_counter()
        rollup_refresh(full=True)
        full_refresh = time.perf_counter() - t0
        t0 = time.perf_counter()
        rollup_refresh(now=None)
        incremental = time.perf_counter() - t0
        from_rollups = timed(lambda: breakdown(user=city_wide, by="month"), repeats)
        from_raw = timed(lambda: raw_dashboard(city_wide), max(3, repeats // 4))
        dash = Client()
        dash.force_login(city_wide)
        page = measure(dash, "/metrics/?start=2024-01&end=2026-12", repeats)
        from linli.metrics.models import MonthlyRollup

        report["dashboard"] = {
            "reader": city_wide.username, "rollup_rows": MonthlyRollup.objects.count(),
            "rollups_p50_ms": round(from_rollups["p50"], 2), "raw_p50_ms": round(from_raw["p50"], 2),
            "ratio": round(from_rollups["p50"] / from_raw["p50"], 3), "target": "<= 0.25",
            "page_p95_ms": round(page["p95"], 2), "page_queries": page["queries"],
            "full_refresh_s": round(full_refresh, 1), "incremental_refresh_s": round(incremental, 2),
        }
        return report
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--small", type=int, default=20_000, help="cases at the first measurement")
    parser.add_argument("--cases", type=int, default=200_000, help="cases at the second (Qingdao: 10000000)")
    parser.add_argument("--compounds", type=int, default=100, help="synthetic compounds the cases are spread over")
    parser.add_argument("--repeats", type=int, default=30, help="timed requests per call and size")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "cases.json"))
    args = parser.parse_args()
    report = run(args.small, args.cases, args.compounds, args.repeats)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
