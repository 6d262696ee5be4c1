"""Is the metrics dashboard, read from the rollups, far cheaper than the raw aggregate over the cases, at city scale?

Builds a fresh database (``test_<name>`` of ``DATABASE_URL``; PostgreSQL), loads the demo, adds ``--compounds``
synthetic compounds of 10 buildings (``--communities`` communities under the demo's street, 2 handlers each), fills
``--cases`` synthetic cases in SQL (``INSERT … SELECT generate_series``: minutes for a million, not the services)
with a first rating for each closed case, then measures:

* the full rollup refresh, incremental ones after 50 and ``--touched`` cases changed, and one with nothing changed;
* the rows of each rollup level;
* the street officer's dashboard figures (every compound) by month from the rollups vs the same month figures from
  the raw cases in one ``GROUP BY`` (``bench/raw.py``). Target: ≤ ¼ of the time;
* the other breakdowns, the page and the Excel export, for the street officer, a branch secretary and a grid worker.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_metrics \\
        .venv/bin/python bench/rollup_bench.py --cases 1000000 --compounds 1000

Results: ``bench/results/rollups.json``; the figures of a run are in ``docs/metrics.md`` (Performance). CI does not
run it. ``--keep`` keeps the database, and measures a kept one again without filling it.
"""

import argparse
import datetime as dt
import json
import os
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
from django.test.utils import CaptureQueriesContext, setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from bench.raw import raw_dashboard  # noqa: E402
from bench.timing import timed  # noqa: E402
from linli.accounts.testing import signed_in  # noqa: E402


def page(client, url: str, repeats: int) -> dict:
    def get():
        response = client.get(url)
        assert response.status_code == 200, (url, response.status_code)

    out = timed(get, repeats)
    with CaptureQueriesContext(connection) as ctx:
        get()
    return {**out, "queries": len(ctx)}


def sql(statement: str, params=None) -> int:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.rowcount


def places(street, n_compounds: int, n_communities: int) -> None:
    """Communities under ``street``, compounds of 10 buildings under them, 2 handlers per compound, and the table
    ``bench_building`` (idx, building, compound, path, handler a, handler b) the case filler draws from."""
    from django.contrib.auth.hashers import make_password
    from django.db.models import F

    from linli.accounts.models import User
    from linli.places.models import Place, PlaceKind

    communities = [Place(kind=PlaceKind.COMMUNITY, parent=street, code=f"BC{c:03d}", name=f"基准社区{c:03d}",
                         path=f"{street.path}BC{c:03d}/", depth=street.depth + 1) for c in range(n_communities)]
    communities = Place.objects.bulk_create(communities)
    compounds = [Place(kind=PlaceKind.COMPOUND, parent=communities[c % n_communities], code=f"B{c:05d}",
                       name=f"基准小区{c:05d}", path=f"{communities[c % n_communities].path}B{c:05d}/",
                       depth=street.depth + 2) for c in range(n_compounds)]
    compounds = Place.objects.bulk_create(compounds, batch_size=2000)
    Place.objects.filter(pk__in=[c.pk for c in compounds]).update(compound_id=F("id"))
    buildings = [Place(kind=PlaceKind.BUILDING, parent=c, code=str(b), name=f"{b}号楼", compound=c,
                       path=f"{c.path}{b}/", depth=c.depth + 1, floors=18) for c in compounds for b in range(1, 11)]
    buildings = Place.objects.bulk_create(buildings, batch_size=5000)
    Place.objects.filter(pk__in=[b.pk for b in buildings]).update(building_id=F("id"))
    password = make_password(None)
    handlers = User.objects.bulk_create(
        [User(username=f"bench-h{c:05d}-{k}", display_name=f"处置人{c:05d}{k}", password=password)
         for c in range(n_compounds) for k in "ab"], batch_size=5000)
    sql("CREATE TABLE bench_building (idx int PRIMARY KEY, building_id bigint, compound_id bigint, path text, "
        "handler_a bigint, handler_b bigint)")
    rows = [(i, b.pk, b.compound_id, b.path, handlers[2 * (i // 10)].pk, handlers[2 * (i // 10) + 1].pk)
            for i, b in enumerate(buildings)]
    with connection.cursor() as cursor:
        cursor.executemany("INSERT INTO bench_building VALUES (%s, %s, %s, %s, %s, %s)", rows)


def literal(value) -> str:
    """A column's default as an SQL literal (for the columns the filler leaves alone)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, dt.timedelta):
        return f"interval '{int(value.total_seconds())} seconds'"
    return "'" + str(value).replace("'", "''") + "'"


def fill(count: int) -> None:
    """``count`` cases of the last two years on the bench buildings: 95 % closed (time to close exponential, mean
    40 h), 2 % rejected, 3 % open; a first rating for every closed case; 5 % reworked."""
    from linli.cases.models import Case, Category

    categories = list(Category.objects.values_list("pk", flat=True))
    n_buildings = sql("SELECT 1 FROM bench_building")
    chosen = {
        "number": "'RB-' || g", "category_id": f"(ARRAY{categories})[1 + floor(r1 * {len(categories)})::int]",
        "title": "'基准案件'", "description": "'基准：楼道灯不亮'", "place_id": "b.building_id",
        "compound_id": "b.compound_id", "path": "b.path", "reporter_name": "'某'", "channel": "'phone'",
        "state": "CASE WHEN r2c < 0.95 THEN 'closed' WHEN r2c < 0.97 THEN 'rejected' ELSE 'in_progress' END",
        "level": "CASE WHEN r3 < 0.6 THEN 'compound' WHEN r3 < 0.8 THEN 'building' ELSE 'community' END",
        "assigned_role": "'property_steward'",
        "assignee_id": "CASE WHEN r3 < 0.5 THEN b.handler_a WHEN r3 < 0.95 THEN b.handler_b END",
        "response_due_at": "created + interval '24 hours'", "resolution_due_at": "created + interval '7 days'",
        "responded_at": "responded",
        "resolved_at": "CASE WHEN r2c < 0.95 THEN created + ttc END",
        "closed_at": "CASE WHEN r2c < 0.95 THEN created + ttc END",
        "reopen_count": "CASE WHEN r4 < 0.05 THEN 1 ELSE 0 END",
        "rating": "CASE WHEN r2c < 0.95 THEN (ARRAY['satisfied', 'satisfied', 'basic', 'not_satisfied'])"
                  "[1 + floor(r1 * 1000)::int % 4] ELSE '' END",
        "created_at": "created", "updated_at": "CASE WHEN r2c < 0.95 THEN created + ttc ELSE created END",
    }
    columns, values = [], []
    for f in Case._meta.concrete_fields:
        if f.primary_key:
            continue
        columns.append(connection.ops.quote_name(f.column))
        if f.column in chosen:
            values.append(chosen[f.column])
        elif f.null:
            values.append("NULL")
        else:
            values.append(literal(f.get_default() if f.has_default() else ""))
    step = 250_000
    for first in range(1, count + 1, step):
        last = min(first + step - 1, count)
        # Every piece of this statement is made here (column names, integers): nothing comes from outside.
        sql(f"""INSERT INTO cases_case ({", ".join(columns)})
            SELECT {", ".join(values)} FROM (
              -- a case still open is one whose closure (or first response) would lie in the future
              SELECT s0.*, CASE WHEN created + ttc0 < now() THEN r2 ELSE 0.99 END AS r2c,
                     ttc0 AS ttc, LEAST(created + r4 * interval '30 hours', now()) AS responded FROM (
                SELECT g, random() AS r1, random() AS r2, random() AS r3, random() AS r4,
                       now() - random() * interval '730 days' AS created,
                       -ln(1 - random()) * interval '40 hours' AS ttc0,
                       floor(random() * {n_buildings})::int AS bi
                FROM generate_series({first}, {last}) AS g) s0
            ) s
            JOIN bench_building b ON b.idx = s.bi""")  # noqa: S608
        print(f"  {last} cases", file=sys.stderr, flush=True)
    sql("""INSERT INTO cases_feedback (case_id, rating, comment, source, round, at)
           SELECT id, rating, '', 'reporter', 0, closed_at FROM cases_case
           WHERE number LIKE 'RB-%%' AND state = 'closed'""")


def run(n_cases: int, n_compounds: int, n_communities: int, touched: int, repeats: int, keep: bool = False,
        fill_only: bool = False) -> dict:
    from linli.accounts.models import User
    from linli.cases.models import Case
    from linli.core.demo import ensure_demo
    from linli.metrics import selectors
    from linli.metrics.services import rollup_refresh
    from linli.places.demo import demo_compound

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=keep, serialize=False)
    report: dict = {"database": connection.vendor}
    try:
        t0 = time.perf_counter()
        with connection.cursor() as cursor:
            filled = "bench_building" in connection.introspection.table_names(cursor)
        if not filled:  # --keep: a database kept from an earlier run is measured again as it is
            ensure_demo()
            demo = demo_compound()
            places(demo.parent.parent, n_compounds, n_communities)
            fill(n_cases)
            sql("ANALYZE")
        else:  # the changes an earlier run made (dated a few minutes ahead) are old news now
            sql("UPDATE cases_case SET updated_at = now() - interval '1 hour' "
                "WHERE updated_at > now() - interval '1 hour'")
        report["cases"] = Case.objects.count()
        report["compounds"] = Case.objects.values("compound_id").distinct().count()
        report["fill_s"] = round(time.perf_counter() - t0, 1)
        if fill_only:
            return report

        t0 = time.perf_counter()
        rollup_refresh(full=True)
        report["refresh_full_s"] = round(time.perf_counter() - t0, 1)
        sql("ANALYZE")
        # Cases of the last weeks change (closures, ratings) between two sweeps: a minute of a city (50 cases), and
        # a backlog (``--touched`` cases of the last three months).
        incremental = {}
        for n, days, minutes in ((50, 30, 5), (touched, 90, 10)):
            sql(f"""UPDATE cases_case SET updated_at = now() + interval '{minutes - 3} minutes' WHERE id IN (
                    SELECT id FROM cases_case WHERE created_at > now() - interval '{days} days' ORDER BY random()
                    LIMIT {n})""")  # noqa: S608
            t0 = time.perf_counter()
            months = rollup_refresh(now=timezone.now() + dt.timedelta(minutes=minutes))
            incremental[f"{n} cases changed"] = {"s": round(time.perf_counter() - t0, 2), "months": len(months)}
        report["refresh_incremental"] = incremental
        t0 = time.perf_counter()
        rollup_refresh(now=timezone.now() + dt.timedelta(minutes=15))
        report["refresh_nothing_changed_s"] = round(time.perf_counter() - t0, 2)
        report["rollup_rows"] = {level.name: level.model.objects.count() for level in selectors.LEVELS}

        street, branch, grid1 = (User.objects.get(username=u) for u in ("street1", "branch", "grid1"))
        start = (timezone.localdate() - dt.timedelta(days=730)).replace(day=1)
        months_figures = timed(lambda: selectors.breakdown(user=street, by="month", start=start), repeats)
        raw = timed(lambda: raw_dashboard(street), max(3, repeats // 4))
        report["street_by_month"] = {"rollups_p50_ms": months_figures["p50"], "raw_p50_ms": raw["p50"],
                                     "ratio": round(months_figures["p50"] / raw["p50"], 3), "target": "<= 0.25"}
        slices = {}
        for by in ("category", "handler", "building", "grid"):
            rollups = timed(lambda by=by: selectors.breakdown(user=street, by=by, start=start), max(3, repeats // 4))
            slices[by] = {"level": selectors.level_for(user=street, by=by).name, "rollups_p50_ms": rollups["p50"]}
            if by != "grid":
                raw_by = timed(lambda by=by: raw_dashboard(street, by), 3)
                slices[by].update(raw_p50_ms=raw_by["p50"], ratio=round(rollups["p50"] / raw_by["p50"], 3))
        report["street_breakdowns"] = slices
        pages = {}
        for user in (street, branch, grid1):
            client = Client()
            signed_in(client, user)
            pages[f"{user.username}: dashboard (12 months)"] = page(client, "/metrics/", repeats)
            pages[f"{user.username}: dashboard by handler"] = page(client, "/metrics/?by=handler", repeats)
            pages[f"{user.username}: Excel export"] = page(client, "/metrics/export.xlsx", max(3, repeats // 4))
        report["pages"] = pages
        return report
    finally:
        if not keep:
            connection.creation.destroy_test_db(name, verbosity=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--compounds", type=int, default=1000)
    parser.add_argument("--communities", type=int, default=50)
    parser.add_argument("--touched", type=int, default=2000, help="cases changed before the incremental refresh")
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--keep", action="store_true", help="keep the database (and measure a kept one again)")
    parser.add_argument("--fill-only", action="store_true", help="stop after filling (with --keep: to experiment)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "rollups.json"))
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("Run it on PostgreSQL: DATABASE_URL=postgres://…")
    report = run(args.cases, args.compounds, args.communities, args.touched, args.repeats, args.keep, args.fill_only)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
