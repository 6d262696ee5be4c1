"""Case intake through the API vs a minimal endpoint that writes three rows in one transaction, same server, same run.

The issue's target: ``POST /api/v1/cases/`` (a grid worker enters a resident's phone call with a bearer token: scope,
validation, number, routing, deadlines, the case with its "submit" and "accept" events, audit rows, notifications)
reaches at least 60 % of the requests per second of ``POST /bench/minimal/`` (:mod:`bench.cases_urls`: parse JSON,
insert three rows in one transaction). Two baselines: the strict one writes the three rows in one multi-row
``INSERT``; the plain one (``/bench/minimal-plain/``) writes them the way a Django view usually does, one
``objects.create()`` each. Both are reported.

A fresh test database (``test_<name>`` of ``DATABASE_URL``), the demo loaded, then ``--rounds`` rounds, each timing
``--requests`` POSTs to the API and then as many to the minimal endpoint, so that a noisy shared machine moves both
sides alike; the ratio is of the summed times. Background work uses the configured queue (the database queue by
default, as in production: a request only enqueues its notifications); ``LINLI_TASKS=immediate`` runs them inline.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli_intake .venv/bin/python bench/intake_bench.py

``--profile`` also prints the SQL of one intake and the top of a cProfile of 50 intakes. Results go to
``bench/results/intake.json`` (git-ignored). Never run as a timed test.
"""

import argparse
import cProfile
import io
import json
import os
import pstats
import statistics
import sys
import time
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

API, MINIMAL, MINIMAL_PLAIN = "/api/v1/cases/", "/bench/minimal/", "/bench/minimal-plain/"


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


def run(rounds: int, requests: int, profile: bool, keepdb: bool = False) -> dict:
    from linli.accounts.models import User
    from linli.accounts.services import token_issue
    from linli.cases.models import Case, CaseEvent, Category
    from linli.core.demo import ensure_demo
    from linli.places.demo import demo_compound
    from linli.places.models import Place, PlaceKind

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=keepdb)
    report: dict = {"database": connection.vendor, "tasks_backend": settings.TASKS["default"]["BACKEND"],
                    "rounds": rounds, "requests_per_round": requests}
    try:
        ensure_demo()
        demo = demo_compound()
        grid1 = User.objects.get(username="grid1")
        token = token_issue(actor=None, user=grid1, name="bench")[1]
        category = Category.objects.filter(is_active=True, is_dispute=False).first()
        units = list(Place.objects.filter(kind=PlaceKind.UNIT, building__code__in=["1", "2"], compound=demo)
                     .values_list("pk", flat=True)[:200])

        def body(i):
            return {"category": category.code, "place_id": units[i % len(units)],
                    "description": f"基准来电 {i}：楼道灯不亮", "reporter_name": "王女士", "channel": "phone"}

        with override_settings(ROOT_URLCONF="bench.cases_urls"):
            poster = Poster(token, body)
            for _ in range(10):  # warm every path (imports, caches, connections)
                for url in (API, MINIMAL, MINIMAL_PLAIN):
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

            api_times, minimal_times, plain_times = [], [], []
            for _ in range(rounds):
                api_times.append(poster.timed(API, requests))
                minimal_times.append(poster.timed(MINIMAL, requests))
                plain_times.append(poster.timed(MINIMAL_PLAIN, requests))
            api_rate = rounds * requests / sum(api_times)
            minimal_rate = rounds * requests / sum(minimal_times)
            plain_rate = rounds * requests / sum(plain_times)
            per_round = [round(m / a, 3) for a, m in zip(api_times, minimal_times, strict=True)]
            plain_per_round = [round(m / a, 3) for a, m in zip(api_times, plain_times, strict=True)]
            report["intake"] = {
                "api_per_s": round(api_rate, 1), "minimal_per_s": round(minimal_rate, 1),
                "minimal_plain_per_s": round(plain_rate, 1),
                "ratio": round(api_rate / minimal_rate, 3), "ratio_per_round": per_round,
                "ratio_median_of_rounds": round(statistics.median(per_round), 3),
                "ratio_plain": round(api_rate / plain_rate, 3),
                "ratio_plain_median_of_rounds": round(statistics.median(plain_per_round), 3), "target": ">= 0.6",
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
    finally:
        if not keepdb:
            connection.creation.destroy_test_db(name, verbosity=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds (API then minimal)")
    parser.add_argument("--requests", type=int, default=100, help="POSTs per endpoint and round")
    parser.add_argument("--profile", action="store_true", help="print one intake's SQL and a cProfile")
    parser.add_argument("--keepdb", action="store_true", help="keep the test database for the next run (faster)")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "intake.json"))
    args = parser.parse_args()
    report = run(args.rounds, args.requests, args.profile, args.keepdb)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
