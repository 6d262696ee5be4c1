"""``manage.py cases_sweep [--loop] [--interval 60]``: reminders, escalation of overdue cases, follow-up calls and
the open cases' tally folded (ADR 0004) — then the metrics rollups are brought up to date, so the dashboard's
figures are never older than one interval, and idle rate-limit keys and month-old sign-in attempts and codes are
pruned (the one periodic job a deployment runs)."""

import time

from django.core.management.base import BaseCommand

from linli.accounts.ratelimit import keys_prune, ledger_prune
from linli.cases.tasks import cases_sweep
from linli.metrics.services import rollup_refresh


class Command(BaseCommand):
    help = "Run the cases sweep once, or every --interval seconds with --loop."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep running")
        parser.add_argument("--interval", type=int, default=60, help="seconds between sweeps (with --loop)")

    def handle(self, *args, loop=False, interval=60, **options):
        while True:
            done = cases_sweep()
            months = rollup_refresh()
            pruned, ledger = keys_prune(), ledger_prune()
            self.stdout.write(" ".join(f"{k}={v}" for k, v in done.items())
                              + f" rollup_months={len(months)} ratelimit_keys_pruned={pruned}"
                              + f" signin_rows_pruned={ledger}")
            if not loop:
                return
            time.sleep(max(5, interval))
