"""``manage.py cases_tally_rebuild``: count the open cases' tally (ADR 0004) again from the cases themselves — for an
operator who doubts it (say, after rows were written with the trigger disabled). Safe at any time: one transaction."""

from django.core.management.base import BaseCommand

from linli.cases import services


class Command(BaseCommand):
    help = "Count the open cases' tally (the staff badges above a compound) again from the cases."

    def handle(self, *args, **options):
        self.stdout.write(f"tally rows: {services.tally_rebuild()}")
