"""Timing one call repeatedly, for every bench (``cases_bench.py``, ``rollup_bench.py``)."""

import statistics
import time


def timed(fn, repeats: int) -> dict:
    """p50/p95 in ms of ``fn()`` over ``repeats`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        times.append((time.perf_counter() - start) * 1000)
    times.sort()
    return {"p50": round(statistics.median(times), 3), "p95": round(times[max(int(len(times) * 0.95) - 1, 0)], 3)}
