from django.core.management.base import BaseCommand

from linli.metrics.services import rollup_refresh


class Command(BaseCommand):
    help = "Rebuild the monthly rollups of the case metrics (the months whose cases changed, or --full: all)."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="Rebuild every month.")

    def handle(self, *args, full=False, **options):
        months = rollup_refresh(full=full)
        self.stdout.write(f"Refreshed {len(months)} months: {', '.join(m.strftime('%Y-%m') for m in months)}")
