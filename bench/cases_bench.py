"""Does the closed loop stay as fast for one compound's staff when the city's cases grow?

Works in stages on a persistent PostgreSQL database (``--db``, default ``linli_city``), because filling a city takes
longer than one sitting; each measuring stage records its figures in a JSON file (``bench/results/<db>.json``)
under the number of cases the database held, and ``report`` prints the ratios:

* ``setup`` — create the database, migrate, load the demo (``ensure_demo()``: 龙泽书苑, its staff, a year of cases);
* ``fill --households N --cases M`` — the city around the demo (``bench/city.py``: places, households, handlers and
  cases written by ``INSERT … SELECT FROM generate_series`` in committed chunks), up to N households and M cases in
  all; run again with a larger M to grow it, or after an interruption to go on;
* ``pages`` — the demo's staff queues, case page and API case list: p50/p95 and queries per request.
  Target: p95 with 10 M cases ≤ 1.2 × p95 with 100 k, ≤ 10 queries each;
* ``intake`` — ``POST /api/v1/cases/`` vs a minimal endpoint writing three rows (target ≥ 60 % of its throughput).
  It adds a few hundred cases to the demo compound;
* ``dashboard`` — the month figures of the street from the rollups vs from the raw cases (target ≤ ¼ of the
  time). It rebuilds the rollups of every case (minutes at 10 M cases);
* ``report`` — the ratios of the pages at the largest size vs at the baseline (``--base``, default 100 000);
* ``quick`` — all of it in one go on a throw-away database (``--db`` must end in ``_quick``), small by default.

The city (Qingdao, 4 M households and 10 M cases; figures in ``docs/bench.md``):

    B=".venv/bin/python bench/cases_bench.py --db linli_city"
    $B setup
    $B fill --households 4000000 --cases 100000 && $B pages
    $B fill --cases 10000000 && $B pages
    $B report

A quick check (a minute or two): ``.venv/bin/python bench/cases_bench.py quick``. CI does not run the bench.
The server is ``--server`` (default ``postgres://postgres@127.0.0.1:5432``).
"""

import argparse
import datetime as dt
import json
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

#: Fixed keys for bench databases (synthetic data): a database filled from one checkout stays readable from another.
BENCH_KEYS = {
    "LINLI_SECRET_KEY": "bench-not-secret-bench-not-secret-bench-not-secret",
    "LINLI_DATA_KEYS": "YmVuY2gtZGF0YS1rZXktbm90LXNlY3JldC0zMmJ5dGU=",
    "LINLI_HASH_KEY": "bench-hash-key-not-secret",
}


def configure(server: str, db: str) -> None:
    """Point Django at the bench database and set it up (before any model is imported)."""
    os.environ["DATABASE_URL"] = f"{server.rstrip('/')}/{db}"
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    os.environ.setdefault("LINLI_TASKS", "immediate")
    for key, value in BENCH_KEYS.items():
        os.environ.setdefault(key, value)
    import django

    django.setup()
    from django.test.utils import setup_test_environment

    setup_test_environment()  # the test client's host name, the in-memory mail outbox


def admin(server: str, sql: str) -> None:
    """Run ``sql`` on the server's ``postgres`` database (CREATE / DROP DATABASE cannot run in a transaction)."""
    import psycopg

    with psycopg.connect(f"{server.rstrip('/')}/postgres", autocommit=True) as conn:
        conn.execute(sql)


def database_exists(server: str, db: str) -> bool:
    import psycopg

    with psycopg.connect(f"{server.rstrip('/')}/postgres") as conn:
        return conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [db]).fetchone() is not None


# --- results -------------------------------------------------------------------------------------------------------

def load(out: Path) -> dict:
    return json.loads(out.read_text()) if out.exists() else {}


def save(out: Path, results: dict) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(results, ensure_ascii=False, indent=2))


def record(out: Path, stage: str, key: str, value) -> None:
    results = load(out)
    results.setdefault(stage, {})[key] = value
    save(out, results)


def state() -> dict:
    """What the database holds now (exact counts: a few seconds at 10 M cases)."""
    from bench import city
    from linli.cases.models import Case, CaseEvent
    from linli.places.models import Household

    return {"at": dt.datetime.now().isoformat(timespec="seconds"), "cases": Case.objects.count(),
            "events": CaseEvent.objects.count(), "households": Household.objects.count(),
            "db_size_gb": round(city.database_size() / 1e9, 2)}


# --- measuring -----------------------------------------------------------------------------------------------------

def measure(client, url, repeats, headers=None):
    """p50/p95 in ms of GET ``url``, its query count and the slowest of its queries."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    headers = headers or {}
    for _ in range(5):  # warm the caches (and the plan cache) before timing
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
    plans = explain(ctx.captured_queries)
    slowest = sorted(plans, key=lambda p: -p["ms"])[:2]
    return {"p50": round(statistics.median(times), 2), "p95": round(times[max(int(len(times) * 0.95) - 1, 0)], 2),
            "max": round(times[-1], 2), "queries": len(ctx),
            # What the database did for one request, which a busy machine does not change: the pages of tables
            # and indexes its queries touched (shared buffers hit or read) and their execution time.
            "db_blocks": sum(p["blocks"] for p in plans), "db_ms": round(sum(p["ms"] for p in plans), 1),
            "db_planning_ms": round(sum(p["planning_ms"] for p in plans), 1),
            "slowest_queries": slowest}


def explain(queries) -> list[dict]:
    """EXPLAIN (ANALYZE, BUFFERS) of each SELECT of a request: blocks touched, execution time, the plan's top."""
    from django.db import connection

    rows = []
    with connection.cursor() as cursor:
        for q in queries:
            if not q["sql"].lstrip().upper().startswith("SELECT"):
                continue
            cursor.execute("EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) " + q["sql"])
            plan = cursor.fetchone()[0][0]
            top = plan["Plan"]
            rows.append({"ms": round(plan["Execution Time"], 2), "planning_ms": round(plan["Planning Time"], 2),
                         "blocks": top.get("Shared Hit Blocks", 0) + top.get("Shared Read Blocks", 0),
                         "sql": q["sql"][:400], "plan": plan_summary(top)})
    return rows


def plan_summary(node, depth=0) -> str:
    """The plan's nodes, one a line: type, relation, index, actual rows."""
    what = " ".join(str(node[k]) for k in ("Node Type", "Relation Name", "Index Name") if k in node)
    line = f"{'  ' * depth}{what} rows={node.get('Actual Rows')} loops={node.get('Actual Loops')}"
    return "\n".join([line] + [plan_summary(child, depth + 1) for child in node.get("Plans", [])])



def demo_users():
    from linli.accounts.models import User

    return {u.username: u for u in User.objects.filter(username__in=["branch", "grid1", "secretary", "street1"])}


def pages(repeats: int) -> dict:
    """The demo's staff pages (as the branch secretary, a grid worker and the street officer, whose street holds 20
    compounds of the city), and a page that reads no case at all (the sign-in page) whose time tells how busy the
    machine was."""
    from django.test import Client

    from bench import city
    from linli.accounts.testing import signed_in
    from linli.cases.models import Case
    from linli.places.demo import demo_compound

    city.restore_indexes()  # an interrupted fill may have left some out
    users = demo_users()
    one_case = Case.objects.filter(path__startswith=demo_compound().path).order_by("-id").first()
    staff, grid, street, anonymous = Client(), Client(), Client(), Client()
    signed_in(staff, users["branch"])
    signed_in(grid, users["grid1"])
    signed_in(street, users["street1"])
    plan = {
        "queue: new (branch)": (staff, "/cases/queue/new/"),
        "queue: my team's (branch)": (staff, "/cases/queue/team/"),
        "queue: overdue (grid worker)": (grid, "/cases/queue/overdue/"),
        "queue: my team's (street officer)": (street, "/cases/queue/team/"),
        "case page": (staff, f"/cases/{one_case.pk}/"),
        "API case list": (grid, "/api/v1/cases/?limit=50"),
        "API case list (street officer)": (street, "/api/v1/cases/?limit=50"),
        "sign-in page (no cases; machine load)": (anonymous, "/accounts/login/"),
    }
    return {label: measure(client, url, repeats) for label, (client, url) in plan.items()}


def intake(repeats: int) -> dict:
    """Requests per second of ``POST /api/v1/cases/`` vs the minimal three-row endpoint (``bench/cases_urls.py``)."""
    from django.test import Client
    from django.test.utils import override_settings

    from linli.accounts.services import token_issue
    from linli.cases.models import Category
    from linli.places.demo import demo_compound
    from linli.places.models import Place, PlaceKind

    token = token_issue(actor=None, user=demo_users()["grid1"], name="bench")[1]
    category = Category.objects.filter(is_active=True).first()
    units = list(Place.objects.filter(kind=PlaceKind.UNIT, building__code__in=["1", "2"],
                                      compound=demo_compound()).values_list("pk", flat=True)[:200])
    run = int(time.time())

    def body(i):
        return {"category": category.code, "place_id": units[i % len(units)],
                "description": f"基准来电 {i}：楼道灯不亮", "reporter_name": "王女士", "channel": "phone"}

    def rate(client, url, n):
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        for i in range(5):
            client.post(url, body(-i - 1), content_type="application/json", **headers,
                        HTTP_IDEMPOTENCY_KEY=f"warm-{run}-{url}-{i}")
        start = time.perf_counter()
        for i in range(n):
            response = client.post(url, body(i), content_type="application/json", **headers,
                                   HTTP_IDEMPOTENCY_KEY=f"bench-{run}-{url}-{i}")
            assert response.status_code in (200, 201), (url, response.status_code, response.content[:300])
        return n / (time.perf_counter() - start)

    with override_settings(ROOT_URLCONF="bench.cases_urls"):
        client = Client()
        api = rate(client, "/api/v1/cases/", repeats * 5)
        minimal = rate(client, "/bench/minimal/", repeats * 5)
    return {"api_per_s": round(api, 1), "minimal_per_s": round(minimal, 1), "ratio": round(api / minimal, 3),
            "target": ">= 0.6"}


def dashboard(repeats: int) -> dict:
    """The street's month figures from the rollups vs from the raw cases; the rollups' rebuild and refresh times."""
    from django.test import Client

    from bench.raw import raw_dashboard
    from bench.timing import timed
    from linli.accounts.testing import signed_in
    from linli.metrics.models import MonthlyRollup
    from linli.metrics.selectors import breakdown
    from linli.metrics.services import rollup_refresh

    users = demo_users()
    # The street officer sees every compound of the street (the synthetic ones there too); else the secretary.
    reader = users.get("street1") or users["secretary"]
    full_refresh = None
    # BENCH_FULL_REFRESH=0: the rollups were just rebuilt (e.g. by setup's migration at 10 M cases, ~20 minutes);
    # do not rebuild them twice.
    if os.environ.get("BENCH_FULL_REFRESH", "1") != "0":
        t0 = time.perf_counter()
        rollup_refresh(full=True)
        full_refresh = round(time.perf_counter() - t0, 1)
    t0 = time.perf_counter()
    rollup_refresh()
    incremental = time.perf_counter() - t0
    from_rollups = timed(lambda: breakdown(user=reader, by="month"), repeats)
    from_raw = timed(lambda: raw_dashboard(reader), max(3, repeats // 4))
    client = Client()
    signed_in(client, reader)
    page = measure(client, "/metrics/?start=2024-01&end=2026-12", repeats)
    return {"reader": reader.username, "rollup_rows": MonthlyRollup.objects.count(),
            "rollups_p50_ms": round(from_rollups["p50"], 2), "raw_p50_ms": round(from_raw["p50"], 2),
            "ratio": round(from_rollups["p50"] / from_raw["p50"], 3), "target": "<= 0.25",
            "page_p95_ms": page["p95"], "page_queries": page["queries"],
            "full_refresh_s": full_refresh, "incremental_refresh_s": round(incremental, 2)}


# --- stages --------------------------------------------------------------------------------------------------------

def stage_setup(args) -> None:
    if not database_exists(args.server, args.db):
        admin(args.server, f'CREATE DATABASE "{args.db}"')
    configure(args.server, args.db)
    from django.core.management import call_command

    from linli.core.demo import ensure_demo

    t0 = time.perf_counter()
    call_command("migrate", verbosity=0, interactive=False)
    ensure_demo()
    print(f"setup: {args.db} migrated, demo loaded in {time.perf_counter() - t0:.0f} s", file=sys.stderr)


def stage_fill(args) -> None:
    from bench import city

    city.session_settings()
    t0 = time.perf_counter()
    entry = {"households_target": args.households, "cases_target": args.cases}
    if args.households:
        city.fill_households(args.households)
        entry["households_seconds"] = round(time.perf_counter() - t0, 1)
    if args.cases:
        entry.update(city.fill_cases(args.cases, chunk=args.chunk,
                                     bulk={"auto": None, "yes": True, "no": False}[args.bulk]))
    entry["vacuum_analyze_seconds"] = city.vacuum_analyze()
    entry["seconds"] = round(time.perf_counter() - t0, 1)
    entry.update(state())
    results = load(args.out)
    results.setdefault("fills", []).append(entry)
    save(args.out, results)
    print(json.dumps(entry, ensure_ascii=False, indent=2))


def stage_measure(args, name: str, fn) -> None:
    now = state()
    figures = fn(args.repeats)
    figures["state"] = now
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SHOW jit")
        figures["state"]["jit"] = cursor.fetchone()[0]
    record(args.out, name, str(now["cases"]), figures)
    print(json.dumps(figures, ensure_ascii=False, indent=2))


def nearest(keys, target: int) -> str:
    return min(keys, key=lambda k: abs(int(k) - target))


def stage_report(args) -> str:
    results = load(args.out)
    lines = []
    runs = results.get("pages", {})
    # The baseline: this database's pages nearest --base, or another database's (--base-file: a database filled
    # to the baseline only, measured in turn with this one so that both see the same load).
    base_runs = load(args.base_file).get("pages", {}) if args.base_file else runs
    if runs and base_runs and (args.base_file or len(runs) >= 2):
        base = nearest(base_runs, args.base)
        large = max(runs, key=int)
        lines += [f"## Pages: {int(large):,} cases vs {int(base):,} (target: p95 ratio ≤ 1.2, ≤ 10 queries)", "",
                  f"| call | p95 {int(base):,} (ms) | p95 {int(large):,} (ms) | ratio | p50 ratio | queries "
                  "| DB ms (EXPLAIN ANALYZE) |", "|---|---|---|---|---|---|---|"]
        for label, b in base_runs[base].items():
            if label == "state" or label not in runs[large]:
                continue
            a = runs[large][label]
            lines.append(f"| {label} | {b['p95']} | {a['p95']} | {a['p95'] / b['p95']:.2f} | "
                         f"{a['p50'] / b['p50']:.2f} | {b['queries']} / {a['queries']} | "
                         f"{b.get('db_ms', '–')} / {a.get('db_ms', '–')} |")
        lines.append("")
    for stage in ("intake", "dashboard"):
        for cases, figures in sorted(results.get(stage, {}).items(), key=lambda kv: int(kv[0])):
            shown = {k: v for k, v in figures.items() if k != "state"}
            lines.append(f"{stage} at {int(cases):,} cases: {json.dumps(shown, ensure_ascii=False)}")
    for fill in results.get("fills", []):
        lines.append(f"fill {fill['at']}: {fill.get('cases', 0):,} cases, {fill.get('households', 0):,} households,"
                     f" {fill['seconds']} s, {fill.get('db_size_gb')} GB")
    text = "\n".join(lines)
    print(text)
    return text


def stage_quick(args) -> None:
    """Everything on a throw-away database: a small city, pages at two sizes, intake, dashboard, report."""
    if not args.db.endswith("_quick"):
        raise SystemExit("quick drops its database first: give it a --db ending in _quick")
    if database_exists(args.server, args.db):
        admin(args.server, f'DROP DATABASE "{args.db}" WITH (FORCE)')
    args.out.unlink(missing_ok=True)  # the figures of an earlier quick run belong to a database that is gone
    stage_setup(args)
    args.households, args.cases, args.bulk = args.households or 40_000, args.small, "auto"
    stage_fill(args)
    stage_measure(args, "pages", pages)
    args.households, args.cases = None, args.large
    stage_fill(args)
    stage_measure(args, "pages", pages)
    stage_measure(args, "intake", intake)
    stage_measure(args, "dashboard", dashboard)
    args.base = args.small
    stage_report(args)
    if not args.keep:
        from django.db import connection

        connection.close()
        admin(args.server, f'DROP DATABASE "{args.db}" WITH (FORCE)')


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("stage", choices=["setup", "fill", "pages", "intake", "dashboard", "report", "quick"])
    parser.add_argument("--db", help="the bench database, kept between stages (default linli_city; for quick: "
                                      "linli_bench_quick)")
    parser.add_argument("--server", default=os.environ.get("BENCH_SERVER", "postgres://postgres@127.0.0.1:5432"))
    parser.add_argument("--households", type=int, help="fill: households of the city (Qingdao: 4000000)")
    parser.add_argument("--cases", type=int, help="fill: cases in all, the demo's included (Qingdao: 10000000)")
    parser.add_argument("--chunk", type=int, default=1_000_000, help="fill: cases per committed statement")
    parser.add_argument("--bulk", choices=["auto", "yes", "no"], default="auto",
                        help="fill: drop and rebuild the secondary indexes of the cases (auto: when it more than "
                             "doubles them)")
    parser.add_argument("--repeats", type=int, default=50, help="timed requests per page")
    parser.add_argument("--base", type=int, default=100_000, help="report: the baseline size")
    parser.add_argument("--base-file", type=Path, help="report: take the baseline from this results file")
    parser.add_argument("--small", type=int, default=20_000, help="quick: cases at the first measurement")
    parser.add_argument("--large", type=int, default=200_000, help="quick: cases at the second")
    parser.add_argument("--keep", action="store_true", help="quick: keep the database")
    parser.add_argument("--out", type=Path, help="results file (default bench/results/<db>.json)")
    args = parser.parse_args(argv)
    args.db = args.db or ("linli_bench_quick" if args.stage == "quick" else "linli_city")
    args.out = args.out or ROOT / "bench" / "results" / f"{args.db}.json"
    if args.stage in ("setup", "quick"):
        {"setup": stage_setup, "quick": stage_quick}[args.stage](args)
        return
    if args.stage == "report":
        stage_report(args)
        return
    configure(args.server, args.db)
    if args.stage == "fill":
        stage_fill(args)
    else:
        stage_measure(args, args.stage, {"pages": pages, "intake": intake, "dashboard": dashboard}[args.stage])


if __name__ == "__main__":
    main()
