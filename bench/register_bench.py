"""Does the register stay as fast for one compound's staff when the city around it grows?

Builds a fresh database (``test_<name>`` of ``DATABASE_URL``, PostgreSQL recommended), loads the demo compound,
measures the staff pages and API calls of that compound, then adds N-1 more compounds of the same shape (10 per
community) and measures the same calls again. Each figure is a ratio to the baseline measured in the same run, so a
noisy shared machine moves both sides alike.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/linli .venv/bin/python bench/register_bench.py --compounds 50

Not run by CI (it takes minutes). Results: docs/bench-register.md.
"""

import argparse
import json
import os
import statistics
import sys
import time
from decimal import Decimal
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

from linli.accounts.testing import signed_in  # noqa: E402


def measure(client, url, repeats, headers=None):
    """p50/p95 in ms and the query count of GET ``url``."""
    headers = headers or {}
    for _ in range(5):  # warm caches (and the plan cache) before timing
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
    return {"p50": statistics.median(times), "p95": times[int(len(times) * 0.95) - 1], "queries": len(ctx)}


def calls(compound, token):
    from linli.core import crypto
    from linli.places.models import Place, PlaceKind, Resident

    building = Place.objects.get(compound=compound, kind=PlaceKind.BUILDING, code="3")
    unit = Place.objects.filter(building=building, kind=PlaceKind.UNIT).order_by("path")[20]
    resident = Resident.objects.filter(unit__compound=compound, is_current=True).exclude(phone_encrypted="")[30]
    auth = {"HTTP_AUTHORIZATION": f"Bearer {token}"}
    return {
        "compound overview": (f"/compounds/{compound.pk}/", {}),
        "building page": (f"/places/buildings/{building.pk}/", {}),
        "unit page": (f"/places/units/{unit.pk}/", {}),
        "resident search by name": (f"/places/residents/?q={resident.name[0]}", {}),
        "resident search by phone": (f"/places/residents/?q={crypto.decrypt(resident.phone_encrypted)}", {}),
        "API residents (50)": ("/api/v1/residents/?limit=50", auth),
        "API compounds": ("/api/v1/compounds/", auth),
    }


def run(compounds: int, repeats: int) -> dict:
    from linli.core.demo import ensure_demo
    from linli.places.demo import DemoBuilder, demo_compound

    setup_test_environment()
    name = connection.creation.create_test_db(verbosity=0, autoclobber=True, keepdb=False)
    try:
        started = time.perf_counter()
        ensure_demo()
        compound = demo_compound()
        from linli.accounts.models import User
        from linli.accounts.services import token_issue

        user = User.objects.get(username="branch")
        token = token_issue(actor=None, user=user, name="bench")[1]
        client = Client()
        signed_in(client, user)
        plan = calls(compound, token)
        small = {label: measure(client, url, repeats, headers) for label, (url, headers) in plan.items()}

        for i in range(1, compounds):
            community = (f"3702120039{i // 10:02d}", f"基准社区{i // 10:02d}")
            spec = (f"C{i:05d}", f"基准小区{i:05d}", Decimal("40000.00"), 2010)
            DemoBuilder(seed=1000 + i, compound=spec, community=community).build()
            if i % 10 == 0:
                print(f"  {i} compounds built", file=sys.stderr, flush=True)
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        big = {label: measure(client, url, repeats, headers) for label, (url, headers) in plan.items()}

        from linli.places.models import Place, Resident

        sizes = {"places": Place.objects.count(), "residents": Resident.objects.count()}
        report = {
            "database": connection.vendor,
            "compounds": compounds,
            "size_at_end": sizes,
            "build_seconds": round(time.perf_counter() - started, 1),
            "calls": {
                label: {
                    "p95_ms_1_compound": round(small[label]["p95"], 2),
                    f"p95_ms_{compounds}_compounds": round(big[label]["p95"], 2),
                    "ratio_p95": round(big[label]["p95"] / small[label]["p95"], 2),
                    "queries": [small[label]["queries"], big[label]["queries"]],
                }
                for label in plan
            },
        }
        return report
    finally:
        connection.creation.destroy_test_db(name, verbosity=0)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--compounds", type=int, default=50, help="compounds at the end (the demo is the first)")
    parser.add_argument("--repeats", type=int, default=40, help="timed requests per call and size")
    parser.add_argument("--out", default=str(ROOT / "bench" / "results" / "register.json"))
    args = parser.parse_args()
    report = run(args.compounds, args.repeats)
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    Path(args.out).write_text(json.dumps(report, ensure_ascii=False, indent=2))
    print(json.dumps(report, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
