"""The site's settings with the bench's URLs (:mod:`bench.cases_urls`: the minimal baselines beside the real API), for
a server started by ``bench/intake_bench.py --http``."""

from config.settings import *  # noqa: F403

ROOT_URLCONF = "bench.cases_urls"
