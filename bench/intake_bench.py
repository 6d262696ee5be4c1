"""Case intake through the API vs a minimal endpoint that writes three rows in one transaction, same server, same run.

The issue's target: ``POST /api/v1/cases/`` (a grid worker enters a resident's phone call with a bearer token: scope,
validation, number, routing, deadlines, the case with its "submit" and "accept" events, audit rows, notifications)
reaches at least 60 % of the requests per second of ``POST /bench/minimal/`` (:mod:`bench.cases_urls`: parse JSON,
insert three rows in one transaction). Two baselines: the strict one writes the three rows in one multi-row
``INSERT``; the plain one (``/bench/minimal-plain/``) writes them the way a Django view usually does, one
``objects.create()`` each. Both are reported.

A third endpoint, the **floor** (``POST /bench/floor/``), shows how far the API could get at all: it authenticates the
key and reads the place with the API's own prepared reads, then sends the very write a report makes (captured from
one real report, its keys fresh) — the database work no intake of the same case can do without, and almost no
Python. Its ratio to the minimal endpoint (``floor_ratio``) is a ceiling for the API's.

A fresh test database (``test_<name>`` of ``DATABASE_URL``), the demo loaded, then ``--rounds`` rounds, each timing
``--requests`` POSTs to the API and then as many to the minimal endpoint, so that a noisy shared machine moves both
sides alike; the ratio is of the summed times. Background work uses the configured queue (the database queue by
default, as in production: a request only enqueues its notifications); ``LINLI_TASKS=immediate`` runs them inline.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_intake .venv/bin/python bench/intake_bench.py

``--profile`` also prints the SQL of one intake and the top of a cProfile of 50 intakes.

``--http`` measures the same three endpoints as a server's throughput: gunicorn started with the deployment's own
configuration (``config/gunicorn.conf.py``: processes × threads, connections kept) on the bench's database, loaded
by ``wrk`` (Debian's package ``wrk``) with ``--connections`` clients for ``--seconds`` per endpoint and round, the
endpoints in turn. The load generator shares the machine's cores with the server and PostgreSQL, alike for each
endpoint.

Results go to ``bench/results/intake.json`` (``intake-http.json`` with ``--http``; git-ignored). Never run as a
timed test.
"""

import argparse
import contextlib
import cProfile
import io
import json
import os
import pstats
import re
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext, override_settings, setup_test_environment  # noqa: E402

API, MINIMAL, MINIMAL_PLAIN, FLOOR = "/api/v1/cases/", "/bench/minimal/", "/bench/minimal-plain/", "/bench/floor/"


class Poster:
    """POSTs JSON bodies with grid1's bearer token and a fresh idempotency key each time."""

    def __init__(self, token: str, body_for):
        self.client = Client()
        self.headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
        self.body_for = body_for
        self.n = 0
        self.run = uuid.uuid4().hex[:8]  # idempotency keys unique across runs (--keepdb keeps the old cases)

    def post(self, url: str):
        self.n += 1
        response = self.client.post(url, self.body_for(self.n), content_type="application/json", **self.headers,
                                    HTTP_IDEMPOTENCY_KEY=f"bench-{self.run}-{self.n}")
        assert response.status_code in (200, 201), (url, response.status_code, response.content[:300])
        return response

    def timed(self, url: str, count: int) -> float:
        """Seconds for ``count`` POSTs to ``url``."""
        start = time.perf_counter()
        for _ in range(count):
            self.post(url)
        return time.perf_counter() - start


@contextlib.contextmanager
def bench_database(keepdb: bool):
    """A fresh test database with the demo; yields grid1's bearer token, a category and 200 units of buildings 1–2."""
    from linli.accounts.models import User
    from linli.accounts.services import token_issue
    from linli.cases.models import Category
    from linli.core.demo import ensure_demo
    from linli.places.demo import demo_compound
    from linli.places.models import Place, PlaceKind

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=keepdb)
    try:
        ensure_demo()
        demo = demo_compound()
        grid1 = User.objects.get(username="grid1")
        token = token_issue(actor=None, user=grid1, name="bench")[1]
        category = Category.objects.filter(is_active=True, is_dispute=False).first()
        units = list(Place.objects.filter(kind=PlaceKind.UNIT, building__code__in=["1", "2"], compound=demo)
                     .values_list("pk", flat=True)[:200])
        yield token, category.code, units
    finally:
        if not keepdb:
            connection.creation.destroy_test_db(name, verbosity=0)


def run(rounds: int, requests: int, profile: bool, keepdb: bool = False) -> dict:
    from linli.cases.models import Case, CaseEvent

    if connection.vendor != "postgresql":
        raise SystemExit("the intake bench needs DATABASE_URL on PostgreSQL (the database of the issue's target)")

    report: dict = {"database": connection.vendor, "tasks_backend": settings.TASKS["default"]["BACKEND"],
                    "rounds": rounds, "requests_per_round": requests}
    with bench_database(keepdb) as (token, category, units):

        def body(i):
            return {"category": category, "place_id": units[i % len(units)],
                    "description": f"基准来电 {i}：楼道灯不亮", "reporter_name": "王女士", "channel": "phone"}

        with override_settings(ROOT_URLCONF="bench.cases_urls"):
            poster = Poster(token, body)
            for _ in range(10):  # warm every path (imports, caches, connections)
                for url in (API, MINIMAL, MINIMAL_PLAIN, FLOOR):
                    poster.post(url)
            with CaptureQueriesContext(connection) as ctx:
                response = poster.post(API)
            api_sql = [q["sql"] for q in ctx.captured_queries]
            case = Case.objects.get(pk=response.json()["id"])
            report["api_queries"] = len(api_sql)
            report["api_case_check"] = {"state": case.state, "events": list(
                CaseEvent.objects.filter(case=case).values_list("action", flat=True))}
            with CaptureQueriesContext(connection) as ctx:
                poster.post(MINIMAL)
            report["minimal_queries"] = len(ctx.captured_queries)

            api_times, minimal_times, plain_times, floor_times = [], [], [], []
            for _ in range(rounds):
                api_times.append(poster.timed(API, requests))
                minimal_times.append(poster.timed(MINIMAL, requests))
                plain_times.append(poster.timed(MINIMAL_PLAIN, requests))
                floor_times.append(poster.timed(FLOOR, requests))
            api_rate = rounds * requests / sum(api_times)
            minimal_rate = rounds * requests / sum(minimal_times)
            plain_rate = rounds * requests / sum(plain_times)
            floor_rate = rounds * requests / sum(floor_times)
            per_round = [round(m / a, 3) for a, m in zip(api_times, minimal_times, strict=True)]
            plain_per_round = [round(m / a, 3) for a, m in zip(api_times, plain_times, strict=True)]
            report["intake"] = {
                "api_per_s": round(api_rate, 1), "minimal_per_s": round(minimal_rate, 1),
                "minimal_plain_per_s": round(plain_rate, 1),
                "ratio": round(api_rate / minimal_rate, 3), "ratio_per_round": per_round,
                "ratio_median_of_rounds": round(statistics.median(per_round), 3),
                "ratio_plain": round(api_rate / plain_rate, 3),
                "ratio_plain_median_of_rounds": round(statistics.median(plain_per_round), 3), "target": ">= 0.6",
                "floor_per_s": round(floor_rate, 1), "floor_ratio": round(floor_rate / minimal_rate, 3),
                "floor_ratio_per_round": [round(m / f, 3) for f, m in zip(floor_times, minimal_times, strict=True)],
                "api_of_floor": round(api_rate / floor_rate, 3),
            }
            if profile:
                print("\n".join(f"{i + 1:2}. {sql[:220]}" for i, sql in enumerate(api_sql)), file=sys.stderr)
                prof = cProfile.Profile()
                prof.enable()
                for _ in range(50):
                    poster.post(API)
                prof.disable()
                out = io.StringIO()
                stats = pstats.Stats(prof, stream=out)
                stats.sort_stats("cumulative").print_stats(45)
                stats.sort_stats("tottime").print_stats(30)
                print(out.getvalue(), file=sys.stderr)
    return report


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    """The URL of the test database this process made (the server must use the same one)."""
    db = connection.settings_dict
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@contextlib.contextmanager
def bench_server():
    """gunicorn with the deployment's configuration and the bench's URLs, on a free port; yields its address."""
    port = _free_port()
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "bench.settings", "DATABASE_URL": _database_url(),
           "LINLI_BIND": f"127.0.0.1:{port}", "PYTHONPATH": str(ROOT)}
    log = open(ROOT / "bench" / "results" / "intake-gunicorn.log", "w")  # noqa: SIM115 — closed below
    server = subprocess.Popen([sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi",
                               "--access-logfile", "/dev/null"], cwd=ROOT, env=env, stdout=log, stderr=log)
    address = f"http://127.0.0.1:{port}"
    try:
        for _ in range(100):
            try:
                urllib.request.urlopen(address + "/accounts/login/", timeout=1)  # noqa: S310 — our own server
                break
            except OSError:
                time.sleep(0.2)
        else:
            raise RuntimeError("gunicorn did not answer; see bench/results/intake-gunicorn.log")
        yield address
    finally:
        server.terminate()
        server.wait(30)
        log.close()


def _wrk(address: str, path: str, env: dict, seconds: int, clients: int) -> dict:
    command = [shutil.which("wrk"), "-t2", f"-c{clients}", f"-d{seconds}s", "--latency", "-s",
               str(ROOT / "bench" / "intake_post.lua"), address, "--", path]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout  # noqa: S603
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    errors = re.search(r"Socket errors: (.*)", out)
    p99 = re.search(r"99%\s+([\d.]+\w+)", out)
    return {"per_s": rate, "non_2xx": int(failed.group(1)) if failed else 0,
            "socket_errors": errors.group(1) if errors else "", "p99": p99.group(1) if p99 else ""}


def run_http(rounds: int, seconds: int, clients: int, keepdb: bool = False) -> dict:
    """The three endpoints' throughput through a real server (see the module's docstring)."""
    if connection.vendor != "postgresql":
        raise SystemExit("--http needs DATABASE_URL on PostgreSQL (the server and the bench share the database)")
    if shutil.which("wrk") is None:
        raise SystemExit("--http needs wrk: apt-get install wrk")
    report: dict = {"database": connection.vendor, "mode": "http", "rounds": rounds, "seconds": seconds,
                    "clients": clients, "workers": os.environ.get("LINLI_WORKERS", "cores + 1"),
                    "threads": os.environ.get("LINLI_THREADS", "4")}
    (ROOT / "bench" / "results").mkdir(parents=True, exist_ok=True)
    with bench_database(keepdb) as (token, category, units), bench_server() as address:
        env = {**os.environ, "BENCH_TOKEN": token, "BENCH_CATEGORY": category,
               "BENCH_PLACES": ",".join(map(str, units))}
        rates: dict[str, list[dict]] = {API: [], MINIMAL: [], MINIMAL_PLAIN: [], FLOOR: []}
        for r in range(rounds + 1):  # round 0 warms the server's processes, threads and connections
            for path in rates:
                result = _wrk(address, path, {**env, "BENCH_RUN": f"{uuid.uuid4().hex[:8]}-{r}"},
                              seconds if r else 2, clients)
                if result["non_2xx"] or result["socket_errors"]:
                    raise RuntimeError(f"{path}: {result}")
                if r:
                    rates[path].append(result)
        api, strict, plain, floor = ([x["per_s"] for x in rates[path]] for path in (API, MINIMAL, MINIMAL_PLAIN, FLOOR))
        report["intake"] = {
            "api_per_s": round(statistics.mean(api), 1), "minimal_per_s": round(statistics.mean(strict), 1),
            "minimal_plain_per_s": round(statistics.mean(plain), 1),
            "ratio": round(statistics.mean(api) / statistics.mean(strict), 3),
            "ratio_per_round": [round(a / m, 3) for a, m in zip(api, strict, strict=True)],
            "ratio_plain": round(statistics.mean(api) / statistics.mean(plain), 3),
            "floor_per_s": round(statistics.mean(floor), 1),
            "floor_ratio": round(statistics.mean(floor) / statistics.mean(strict), 3),
            "floor_ratio_per_round": [round(f / m, 3) for f, m in zip(floor, strict, strict=True)],
            "api_of_floor": round(statistics.mean(api) / statistics.mean(floor), 3),
            "p99": {path: [x["p99"] for x in results] for path, results in rates.items()}, "target": ">= 0.6",
        }
    return report


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds (API then minimal)")
    parser.add_argument("--requests", type=int, default=100, help="POSTs per endpoint and round")
    parser.add_argument("--profile", action="store_true", help="print one intake's SQL and a cProfile")
    parser.add_argument("--keepdb", action="store_true", help="keep the test database for the next run (faster)")
    parser.add_argument("--http", action="store_true", help="through gunicorn, loaded by wrk (PostgreSQL only)")
    parser.add_argument("--seconds", type=int, default=10, help="--http: seconds per endpoint and round")
    parser.add_argument("--connections", type=int, default=8, help="--http: concurrent clients")
    parser.add_argument("--out", default="")
    args = parser.parse_args()
    if args.http:
        report = run_http(args.rounds, args.seconds, args.connections, args.keepdb)
    else:
        report = run(args.rounds, args.requests, args.profile, args.keepdb)
    args.out = args.out or str(ROOT / "bench" / "results" / ("intake-http.json" if args.http else "intake.json"))
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
